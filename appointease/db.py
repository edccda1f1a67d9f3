"""Transactions on SQLite and PostgreSQL: the write-transaction recipe and advisory locks.

SQLite: pysqlite's own transaction handling lets two processes both pass a
check-then-insert, so we follow SQLAlchemy's documented recipe ("Serializable
isolation / Savepoints / Transactional DDL" in the SQLite dialect docs): the DBAPI
connection runs with ``isolation_level = None`` and we emit ``BEGIN`` ourselves —
``BEGIN IMMEDIATE`` for write transactions, so the write lock is taken *before* any
check (SPEC §5.1). WAL lets readers run beside the one writer; a busy timeout makes
writers queue instead of failing.

PostgreSQL: ``pg_advisory_xact_lock`` serialises writers per key; the exclusion
constraint on appointments remains the real guard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_IMMEDIATE = "appointease_immediate"
# Well under gunicorn's 30 s worker timeout: a writer stuck behind a lock gets a clean
# 503 `unavailable` (handlers.py) long before the worker would be killed mid-request.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def configure_engine(engine: Engine) -> None:
    """Install the SQLite transaction recipe on ``engine`` (no-op on other engines)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run the block in one fresh write transaction: commit on success, roll back on error.

    Any read transaction the session had open is ended first, so that on SQLite the
    new one begins with ``BEGIN IMMEDIATE`` and holds the write lock before the
    block's first check.

    Raises:
        Whatever the block raises, after rolling back.
    """
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _lock_key(*parts) -> int:
    """Map ``parts`` to a signed 64-bit advisory-lock key (stable across processes)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_lock(session: Session, *parts) -> None:
    """Take a PostgreSQL transaction-scoped advisory lock on ``parts`` (waits).

    On SQLite the ``BEGIN IMMEDIATE`` write lock already serialises writers, so this
    does nothing there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(*parts)})


def try_advisory_lock(session: Session, *parts) -> bool:
    """Try a PostgreSQL transaction-scoped advisory lock without waiting.

    Returns:
        True when taken (always True on SQLite, where writers are already serialised).
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _lock_key(*parts)}).scalar())


def dialect_insert(session: Session):
    """Return the ``insert`` construct with ``on_conflict_do_update`` for the session's engine."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def upsert(session: Session, model, values: dict, keys: list[str], update: list[str]):
    """Build ``INSERT … ON CONFLICT (keys) DO UPDATE SET update…`` for SQLite or PostgreSQL.

    Returns:
        The statement (not executed); add ``.returning(...)`` as needed.
    """
    stmt = dialect_insert(session)(model).values(**values)
    return stmt.on_conflict_do_update(index_elements=keys, set_={k: stmt.excluded[k] for k in update})
