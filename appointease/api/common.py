"""What every view shares: the smorest Blueprint and parser, the domain context,
documented error responses and the Idempotency-Key header."""

from __future__ import annotations

import json
from http import HTTPStatus

import flask_smorest
from flask import current_app, g, request
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser

from appointease.context import Context
from appointease.errors import InvalidJSON, ValidationFailed
from appointease.extensions import db
from appointease.idempotency import IdempotencyKey, request_hash
from appointease.models import utcnow

#: Statuses every operation may answer besides its own (SPEC §4 table, §5.5).
COMMON_ERRORS = (405, 413, 429, 500, 503)


def json_body() -> dict:
    """Return the request body as a JSON object, whatever the Content-Type.

    Accepting ``text/plain`` lets the widget skip a CORS preflight per call.

    Raises:
        InvalidJSON: the body is empty, not JSON (or nested too deeply to parse), or not an object.
    """
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # not JSON / not UTF-8 / thousands of nested brackets
        raise InvalidJSON() from None
    if not isinstance(data, dict):
        raise InvalidJSON()
    return data


def flatten(messages) -> dict[str, list[str]]:
    """Turn marshmallow/webargs messages into SPEC §4 ``fields``: ``{field: [text]}``.

    webargs nests them by location (``{"json": {...}}``); the client only needs the field.
    """
    if isinstance(messages, dict) and set(messages) <= {
        "json",
        "query",
        "headers",
        "form",
        "files",
        "cookies",
        "view_args",
    }:
        merged: dict = {}
        for part in messages.values():
            merged.update(part if isinstance(part, dict) else {"_schema": part})
        messages = merged
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    return {
        k: v
        if isinstance(v, list) and all(isinstance(m, str) for m in v)
        else [json.dumps(v) if not isinstance(v, str) else v]
        for k, v in messages.items()
    }


class Parser(FlaskParser):
    """webargs parser: JSON bodies read whatever the Content-Type; errors as ``ValidationFailed``."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def _raw_load_json(self, req):
        return json_body()

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise ValidationFailed(fields=flatten(error.messages))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint with the project's parser and documented error answers."""

    ARGUMENTS_PARSER = Parser()

    def errors(self, *statuses: int):
        """Document SPEC §4 error answers (``statuses`` plus ``COMMON_ERRORS``) on a view."""

        def decorator(view):
            for status in sorted(set(statuses) | set(COMMON_ERRORS)):
                view = self.alt_response(status, response=HTTPStatus(status).name)(view)
            return view

        return decorator


def domain() -> Context:
    """Return this request's domain context (built once per request)."""
    ctx = g.get("appointease_ctx")
    if ctx is None:
        ext = current_app.extensions
        ctx = g.appointease_ctx = Context(
            db.session(),
            ext["appointease.holds"],
            ext["appointease.rules"],
            utcnow(),
            ext["appointease.cache"],
            request.remote_addr,
        )
    return ctx


IDEMPOTENCY_HEADER_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Retry-safe key (draft-ietf-httpapi-idempotency-key-header); alias X-Idempotency-Key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
X_IDEMPOTENCY_HEADER_DOC = {
    **IDEMPOTENCY_HEADER_DOC,
    "name": "X-Idempotency-Key",
    "description": "Alias of Idempotency-Key.",
}


def idempotency_key(principal: str, body: dict) -> IdempotencyKey | None:
    """Return the request's Idempotency-Key bound to its scope and body, or None.

    Args:
        principal: who is calling (``public`` for anonymous routes).
        body: the parsed request (plus path arguments) the key must always come with.

    Raises:
        ValidationFailed: the header is not 1–255 printable characters.
    """
    key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
    if key is None:
        return None
    # Printable only: a NUL or control character cannot be stored (PostgreSQL refuses NUL).
    if not (1 <= len(key) <= 255 and key.isprintable()):
        raise ValidationFailed(fields={"Idempotency-Key": ["Must be 1–255 printable characters."]})
    scope = f"{request.method} {request.url_rule.rule} {principal}"
    return IdempotencyKey(key, scope, request_hash(body))
