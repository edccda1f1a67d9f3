"""Authentication and authorisation (SPEC §4, §8).

Customers (one-time code sign-in), domain parts (no Flask):

* ``actor`` — ``Actor`` (customer / admin / staff) and ``normalize_email``;
* ``tokens`` — ``issue_token``, ``authenticate``, ``revoke_token``: opaque
  ``secrets.token_urlsafe(32)`` tokens stored as SHA-256, valid
  ``APPOINTEASE_SESSION_DAYS``;
* ``login`` — ``request_login_code``, ``sign_in``, ``sign_out`` on a domain context
  (codes are made, hashed and mailed by ``appointease.notify``);
* ``models`` — the ``customer_sessions`` table.

Staff and admins (bearer API tokens from ``flask create-token``):

* ``principal`` — ``Principal`` (the token's role and staff member) and its ``Actor``;
* ``api_tokens`` — the ``api_tokens`` table, ``create_token``, ``list_tokens``,
  ``revoke_token``, ``authenticate`` (SHA-256 at rest).

No module here imports Flask (an import-linter contract in ``pyproject.toml``). The
HTTP guards live in ``appointease.api.guards`` (``customer_required`` passes ``actor=``,
``require`` guards ``/api/v1/admin``); the ``create-token``, ``list-tokens`` and
``revoke-token`` commands in ``appointease.commands``.
"""
