"""Shared fixtures: one migrated database per test, real Redis/PostgreSQL servers.

The suite runs in two matrices, chosen by ``APPOINTEASE_TEST_ENGINE``:

* ``embedded`` (default): SQLite file + SQL-table hold store;
* ``production``: PostgreSQL + Redis, both real servers started here on loopback.

Redis is started for the hold-store contract tests in both matrices. With ``CI=true``
a missing server binary fails the run instead of skipping.

Tests whose outcome cannot depend on the matrix (pure functions, tests that start their
own servers or cover both engines themselves, the OpenAPI document) are marked
``engine_independent``; ``scripts/test.sh`` runs them in the embedded matrix only.
Helpers that tests call (``need``, ``migrate``, ``seed``, ``Widget``, ``assert_error``,
factories) live in the ``support`` package (``support/helpers.py`` and the kits); ``pytest.ini``
puts the repository root, ``tests/`` and ``deploy/`` on the path. Fixtures shared from
``support`` modules are registered here, in :data:`pytest_plugins`, and nowhere else: test
modules use them as arguments and never import them.
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from support.dates import strip_workday_after, workday_after
from support.helpers import ENGINE, TEST_CONFIG, migrate, need
from support.servers import PostgresServer, RedisCluster, RedisServer, postgres_available, redis_available

#: The ``support`` modules whose fixtures every test can use (the one place they are shared):
#: ``smtp``, ``receiver``, ``make_app``, ``notify_app`` (notification tests); ``admin``,
#: ``staff``, ``anonymous`` (staff and admin API callers); ``browser``, ``visitor`` (headless
#: Chromium); ``cms``, ``start_live``, ``live``, ``appointments`` (the widget's browser tests).
pytest_plugins = [
    "support.notify_fixtures",
    "support.admin_kit",
    "support.chromium_kit",
    "support.widget_kit",
]

_counter = itertools.count()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real ``redis-server`` on 127.0.0.1 for the whole session."""
    need(redis_available(), "redis-server")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real 3-master Redis Cluster on 127.0.0.1 for the whole session (issue 8)."""
    need(redis_available(), "redis-server")
    cluster = RedisCluster(tmp_path_factory.mktemp("redis-cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 15 on 127.0.0.1 for the whole session, with a migrated template."""
    need(postgres_available(), "PostgreSQL 15")
    server = PostgresServer(tmp_path_factory.mktemp("pg")).start()
    migrate(server.create_database("ae_template"))
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A fresh, migrated database for this test, on the matrix's engine."""
    if ENGINE == "production":
        pg = request.getfixturevalue("pg_server")
        name = f"t{os.getpid()}_{next(_counter)}"
        pg.psql(f'CREATE DATABASE "{name}" TEMPLATE ae_template')
        yield pg.url_for(name)
        pg.drop_database(name)
    else:
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def redis_url(request) -> str | None:
    """The Redis URL for this matrix (flushed before the test), or None when embedded."""
    if ENGINE != "production":
        return None
    server = request.getfixturevalue("redis_server")
    server.command("FLUSHALL")
    return server.url


def _make_app(database_url: str, redis_url: str | None, outbox: Path, *, demo: bool):
    from appointease import create_app
    from appointease.commands import seed_catalogue
    from appointease.extensions import db

    # The test's own outbox: the repository's instance/outbox is shared by every run and
    # every xdist worker, and its newest mail may be another test's (a seven-day run writes
    # files dated days ahead).
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "APPOINTEASE_OUTBOX_DIR": str(outbox),
            **TEST_CONFIG,
        }
    )
    if demo:
        with app.app_context():
            seed_catalogue(db.session())
            db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url, redis_url, tmp_path):
    """The app on a fresh migrated database, with the demo catalogue loaded."""
    yield from _make_app(database_url, redis_url, tmp_path / "outbox", demo=True)


@pytest.fixture
def bare_app(database_url, redis_url, tmp_path):
    """The app on a fresh migrated database with an empty catalogue (tests build theirs
    with ``helpers.make_service`` / ``make_employee``)."""
    yield from _make_app(database_url, redis_url, tmp_path / "outbox", demo=False)


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


def pytest_collection_modifyitems(config, items):
    """Mark ``date_relative`` every test whose dates derive from today (issue 16).

    Those take the ``workday`` or ``strip_workday`` fixture, book through ``notify_fixtures.book`` (on
    ``notify_fixtures.monday()``), or carry the marker themselves. ``scripts/seven-days.sh``
    runs them as if today were each of the next six days (``tests/clockshift``).
    """
    from support import notify_fixtures  # here: importing a pytest_plugins module earlier defeats assert rewriting

    date_helpers = (notify_fixtures.book, notify_fixtures.monday)
    for item in items:
        module = getattr(item, "module", None)
        uses_helpers = any(getattr(module, name, None) in date_helpers for name in ("book", "monday"))
        if {"workday", "strip_workday"} & set(getattr(item, "fixturenames", ())) or uses_helpers:
            item.add_marker(pytest.mark.date_relative)
    if getattr(config.option, "numprocesses", None):
        # Under pytest-xdist the long tests (browser, processes, faults: marked slow) go first,
        # so that short ones fill the gaps instead of a few long ones ending the run alone.
        # A stable sort: the order within each group stays as collected.
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def workday() -> date:
    """A Monday 2–8 days ahead (inside the 90-day horizon): every demo staff works
    (``support.dates.workday_after``)."""
    return workday_after(date.today())


@pytest.fixture
def strip_workday() -> date:
    """A working day at least 2 days ahead whose next day is a working day on the same page
    of the widget's 7-day strip (pages start at today, today + 7, …): for tests that move
    from one day to the next on screen. Not always a Monday: when today is a Tuesday, every
    Monday is the last day of its page (the seven-day run found that, issue 16;
    ``support.dates.strip_workday_after``)."""
    return strip_workday_after(date.today())
