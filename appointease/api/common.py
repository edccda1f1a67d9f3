"""Helpers every view uses: parse a request with a schema, reach the hold store and rules."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session

from appointease.catalog import Rules
from appointease.errors import InvalidJSON, ValidationFailed
from appointease.extensions import db
from appointease.holds import HoldStore


def json_body() -> dict:
    """Return the request body as a JSON object, whatever the Content-Type.

    Accepting ``text/plain`` lets the widget skip a CORS preflight per call.

    Raises:
        InvalidJSON: the body is empty, not JSON (or nested too deeply to parse), or not an object.
    """
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # thousands of nested brackets: the parser gives up, not JSON we take
        raise InvalidJSON() from None
    if not isinstance(data, dict):
        raise InvalidJSON()
    return data


def load(schema: Schema, data) -> dict:
    """Validate ``data`` with ``schema`` (marshmallow, ``unknown=RAISE``).

    Raises:
        ValidationFailed: with marshmallow's per-field messages in ``fields``.
    """
    try:
        return schema.load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        fields = {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()} if isinstance(messages, dict) else {"_schema": [str(messages)]}
        raise ValidationFailed(fields=fields) from None


def query(schema: Schema) -> dict:
    """Validate the query string with ``schema`` (one value per name)."""
    return load(schema, request.args.to_dict())


def session() -> Session:
    """Return the request's SQLAlchemy ``Session`` (Flask-SQLAlchemy's scoped one, unwrapped)."""
    return db.session()


def store() -> HoldStore:
    """Return the app's hold store (built once per process by ``create_app``)."""
    return current_app.extensions["appointease.holds"]


def rules() -> Rules:
    """Return the app's booking rules (built once per process by ``create_app``)."""
    return current_app.extensions["appointease.rules"]
