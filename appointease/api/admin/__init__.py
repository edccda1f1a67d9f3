"""The staff and admin API under ``/api/v1/admin`` (SPEC §4 "Staff and admin") and the
staff day view page at ``/admin``."""

from __future__ import annotations

from flask import Flask

from appointease.api.admin.common import TOKEN_SCHEME, TOKEN_SCHEME_DOC


def register(app: Flask, api) -> None:
    """Register the admin blueprints on the flask-smorest ``api`` and the page on ``app``."""
    from appointease.api.admin import (
        appointments,
        catalogue,
        monitor,
        schedule,
        tokens,
        webhooks,
    )
    from appointease.api.admin.page import page

    if TOKEN_SCHEME not in api.spec.components.security_schemes:
        api.spec.components.security_scheme(TOKEN_SCHEME, TOKEN_SCHEME_DOC)
    for module in (catalogue, schedule, appointments, monitor, tokens, webhooks):
        api.register_blueprint(module.blp)
    app.register_blueprint(page)
