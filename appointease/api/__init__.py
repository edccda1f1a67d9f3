"""The HTTP API (SPEC §4): one thin blueprint module per resource, under ``/api/v1``."""
from __future__ import annotations

from flask import Blueprint, Flask

api = Blueprint("api", __name__, url_prefix="/api/v1")


def register_blueprints(app: Flask) -> None:
    """Import the view modules (they attach routes to ``api``) and register blueprints."""
    from appointease.api import appointments, catalog, days, openapi_view, slots  # noqa: F401
    from appointease.api.ops import ops

    app.register_blueprint(api)
    app.register_blueprint(ops)
