"""Migration 0005 builds exactly the notification tables the models describe (``flask db check``), on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from appointease.extensions import db
from appointease.notify.models import ConsumerCursor

NOTIFY_TABLES = {
    "notify_cursors",
    "mail_outbox",
    "otp_codes",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
}


def _tables_in(diff) -> set[str]:
    """Table names a (possibly nested) autogenerate diff entry touches."""
    if isinstance(diff, list):
        return set().union(*(_tables_in(d) for d in diff))
    names = set()
    for part in diff[1:]:
        table = getattr(part, "table", None)
        name = getattr(part, "name", None) if table is None else table.name
        if isinstance(part, str):
            names.add(part)
        elif name:
            names.add(name)
    return names


def test_models_and_migration_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    ours = [d for d in diffs if _tables_in(d) & NOTIFY_TABLES]
    assert ours == []


def test_the_cursors_start_at_the_newest_event(app):
    with app.app_context():
        cursors = {c.consumer: c.last_seq for c in db.session.scalars(select(ConsumerCursor))}
        db.session.remove()
    assert cursors == {"email": 0, "webhooks": 0}
