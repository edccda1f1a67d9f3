"""The HTTP API (SPEC §4): thin flask-smorest blueprints under ``/api/v1``, plus operations."""

from __future__ import annotations

from flask import Flask

#: flask-smorest settings: the OpenAPI document at ``/api/v1/openapi.json`` (SPEC §4).
OPENAPI_CONFIG = {
    "API_TITLE": "AppointEase",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Real-time appointment booking with a polling heartbeat (no WebSockets)."},
    },
}


def register_blueprints(app: Flask) -> None:
    """Register the API blueprints with flask-smorest (which documents them) and the rest."""
    from appointease.api import admin, appointments, auth, catalog, customers, docs, holds, live, manage_page
    from appointease.api.nosession import NoCookieSessions
    from appointease.api.openapi import SchemaExtras
    from appointease.api.ops import ops
    from appointease.extensions import api

    app.session_interface = NoCookieSessions()
    for key, value in OPENAPI_CONFIG.items():
        app.config.setdefault(key, value)
    api.init_app(app, spec_kwargs={"extra_plugins": [SchemaExtras()]})
    api.spec.components.security_scheme("bearerToken", {"type": "http", "scheme": "bearer"})
    for module in (catalog, live, holds, appointments, auth, customers):
        api.register_blueprint(module.blp)
    admin.register(app, api)
    app.register_blueprint(docs.bp)
    app.register_blueprint(manage_page.bp)
    app.register_blueprint(ops)
