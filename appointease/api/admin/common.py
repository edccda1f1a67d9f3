"""What the admin views share: a Blueprint whose guards also document themselves, a
parser that accepts a JSON array for list bodies, and the hold statistics."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import current_app

from appointease.api.common import Blueprint, Parser
from appointease.api.guards import current_principal, require
from appointease.errors import InvalidJSON, ValidationFailed
from appointease.holds import HoldStats

#: Route converter for ids: 1…2³¹−1, so no id overflows a database integer (others are 404).
ID = "int(min=1, max=2147483647)"
#: The OpenAPI security scheme of staff and admin tokens.
TOKEN_SCHEME = "apiToken"
TOKEN_SCHEME_DOC = {
    "type": "http",
    "scheme": "bearer",
    "description": "A staff or admin API token from `flask --app app create-token`.",
}

__all__ = ["ID", "TOKEN_SCHEME", "TOKEN_SCHEME_DOC", "AdminBlueprint", "current_principal", "hold_stats"]


def dotted(messages, prefix: str = "") -> dict[str, list[str]]:
    """Flatten nested validation messages to ``{"0.weekday": [...], "_schema": [...]}``."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": messages}
    if not isinstance(messages, dict):
        return {prefix or "_schema": [str(messages)]}
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        if not prefix and key in ("json", "query", "view_args"):
            out.update(dotted(value))
        else:
            out.update(dotted(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


class AdminParser(Parser):
    """The project's parser, plus: a ``many=True`` body schema reads a JSON *array*
    (``PUT …/hours`` sends the whole week as one), and nested messages are dotted."""

    def load_json(self, req, schema):
        if not getattr(schema, "many", False):
            return super().load_json(req, schema)
        try:
            data = json.loads(req.get_data(cache=True))
        except (ValueError, RecursionError):
            raise InvalidJSON("The request body must be a JSON array.") from None
        if not isinstance(data, list):
            raise InvalidJSON("The request body must be a JSON array.")
        return data

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise ValidationFailed(fields=dotted(error.messages))


class AdminBlueprint(Blueprint):
    """Blueprint for ``/api/v1/admin``: ``guard`` authenticates and documents the token."""

    ARGUMENTS_PARSER = AdminParser()

    def guard(self, *roles: str):
        """Admit only bearer tokens of ``roles`` (401/403 otherwise), documented in OpenAPI.

        Put it right under the route decorator, so it runs before the body is parsed.
        """

        def decorator(view):
            view = require(*roles)(view)
            view = self.doc(security=[{TOKEN_SCHEME: []}])(view)
            for status in (401, 403):
                view = self.alt_response(status, response=HTTPStatus(status).name)(view)
            return view

        return decorator


def hold_stats() -> HoldStats:
    """Return the app's hold statistics (counts, pollers, live holds)."""
    return current_app.extensions["appointease.hold_stats"]
