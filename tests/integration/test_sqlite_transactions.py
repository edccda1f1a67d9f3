"""The SQLite write-transaction recipe (SPEC §5.1): the write lock is held before any check."""

import shutil
import sqlite3

import pytest
from sqlalchemy import select

from appointease import create_app
from appointease.db import write_transaction
from appointease.extensions import db
from appointease.models import Service

from support.helpers import TEST_CONFIG

#: SQLite's recipe is tested on SQLite whatever the matrix (it never uses ``database_url``).
pytestmark = pytest.mark.engine_independent


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    """(app, path) on a SQLite copy, in both matrices: this is the embedded engine's recipe."""
    path = tmp_path / "recipe.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "REDIS_URL": None})
    yield app, str(path)
    with app.app_context():
        db.engine.dispose()


def _other_writer_blocked(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.close()


def test_write_transaction_takes_the_write_lock_before_its_first_read(sqlite_db):
    app, path = sqlite_db
    with app.app_context():
        session = db.session()
        with write_transaction(session):
            session.execute(select(Service.id)).all()  # a check, before any write
            assert _other_writer_blocked(path)
        assert not _other_writer_blocked(path)


def test_plain_reads_do_not_block_writers(sqlite_db):
    app, path = sqlite_db
    with app.app_context():
        session = db.session()
        session.execute(select(Service.id)).all()
        assert not _other_writer_blocked(path)
        session.rollback()


def test_connections_use_wal_and_a_busy_timeout(sqlite_db):
    app, _ = sqlite_db
    with app.app_context():
        conn = db.session().connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
