"""Migration 0003_customers builds exactly what the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from appointease.auth.models import CustomerSession  # noqa: F401 (registers the table in the metadata)
from appointease.extensions import db


def test_models_and_migration_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in diffs if "customer" in repr(d)] == []


def test_sessions_table_and_the_email_index_exist(app):
    with app.app_context():
        inspector = inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("customer_sessions")}
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "sqlite":
                names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='index'")}
            else:
                names = {r[0] for r in conn.exec_driver_sql("SELECT indexname FROM pg_indexes")}
    assert columns == {"id", "token_hash", "email", "created_at", "expires_at"}
    assert "ix_appointments_customer_email_lower" in names
