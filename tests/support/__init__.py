"""What the tests share: helpers, server runners and fixture kits (not tests themselves).

``pytest.ini`` puts ``tests/`` on the path, so test modules import ``support.helpers``,
``support.servers`` and so on. Fixtures defined here are registered once, in
``tests/conftest.py`` (``pytest_plugins``); test modules take them as arguments.

* ``process``: :class:`~support.process.ManagedProcess`, the one way a server runs as a
  child process (free loopback port, bounded start, SIGTERM then SIGKILL, log tails);
* ``servers`` (Redis, Redis Cluster, PostgreSQL), ``gunicorn_server`` (the app under
  gunicorn), ``nginx`` (the rendered ``deploy/nginx.conf``): runners on that base;
* ``helpers``: API calls, error assertions, factories, ``need``, ``migrate``, ``seed``;
* ``receivers`` (SMTP and webhook receivers), ``slow_clients`` (trickling connections);
* kits with fixtures: ``notify_fixtures``, ``admin_kit``, ``customer_kit`` (helpers only),
  ``chromium_kit``, ``widget_kit``.
"""
