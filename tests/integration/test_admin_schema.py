"""Migration 0003_admin builds exactly the ``api_tokens`` table the model describes, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from appointease.auth.api_tokens import ApiToken  # noqa: F401 (registers the table in the metadata)
from appointease.extensions import db


def test_models_and_migration_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert [d for d in diffs if "api_tokens" in repr(d)] == []


def test_migration_downgrades_and_upgrades_again(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from support.helpers import ROOT

    with app.app_context():
        downgrade(directory=str(ROOT / "migrations"), revision="0003_admin-1")
        assert "api_tokens" not in inspect(db.engine).get_table_names()
        upgrade(directory=str(ROOT / "migrations"))
        assert "api_tokens" in inspect(db.engine).get_table_names()
