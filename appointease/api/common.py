"""What every view shares: the smorest Blueprint and parser, the domain context,
documented error responses and the Idempotency-Key header."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import flask_smorest
from flask import current_app, g, request
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge

from appointease.context import Context
from appointease.errors import InvalidJSON, ValidationFailed
from appointease.extensions import db
from appointease.idempotency import IdempotencyKey, request_hash
from appointease.models import utcnow

#: Statuses every operation may answer besides its own (SPEC §4 table, §5.5).
COMMON_ERRORS = (405, 413, 429, 500, 503)


def read_body() -> bytes:
    """Return the request body, refusing one longer than ``MAX_CONTENT_LENGTH`` bytes.

    werkzeug enforces the limit on a ``Content-Length`` body, but a chunked body
    (``Transfer-Encoding: chunked``, no length) is only read *up to* the limit and the
    rest silently dropped. So the body is read with a limit one byte higher: a body
    that reaches it has more than allowed.

    Raises:
        RequestEntityTooLarge: the body is larger than ``MAX_CONTENT_LENGTH`` (413).
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None:
        request.max_content_length = limit + 1
    data = request.get_data(cache=True)
    if limit is not None and len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def json_body() -> dict:
    """Return the request body as a JSON object, whatever the Content-Type.

    Accepting ``text/plain`` lets the widget skip a CORS preflight per call.

    Raises:
        InvalidJSON: the body is empty, not JSON (or nested too deeply to parse), or not an object.
        RequestEntityTooLarge: the body is larger than ``MAX_CONTENT_LENGTH`` (413).
    """
    try:
        data = json.loads(read_body())
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
    "description": (
        "Retry-safe key (draft-ietf-httpapi-idempotency-key-header): 1–255 visible ASCII "
        'characters, bare or as an RFC 8941 string ("key-1"); alias X-Idempotency-Key.'
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 512,
        "pattern": r'^(?:[\x21\x23-\x7e][\x21-\x7e]{0,254}|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\]){1,255}")$',
    },
}
X_IDEMPOTENCY_HEADER_DOC = {
    **IDEMPOTENCY_HEADER_DOC,
    "name": "X-Idempotency-Key",
    "description": "Alias of Idempotency-Key.",
}


#: Visible ASCII (RFC 5234 VCHAR), the characters of a bare key.
_VCHAR = re.compile(r"[\x21-\x7e]+")
#: An RFC 8941 §3.3.3 sf-string: DQUOTE *( %x20-21 / %x23-5B / %x5D-7E / "\" ( DQUOTE / "\" ) ) DQUOTE.
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_KEY_ERROR = 'Must be 1–255 visible ASCII characters, or an RFC 8941 string such as "key-1".'


def parse_idempotency_key(raw: str) -> str:
    """Return the key carried by an ``Idempotency-Key`` header value.

    draft-ietf-httpapi-idempotency-key-header §2.1 defines the field as an RFC 8941
    sf-string (``"q-1"``); bare keys (``q-1``) are accepted as well. Both forms name the
    same key (quotes stripped, ``\\"`` and ``\\\\`` unescaped).

    Raises:
        ValidationFailed: empty, longer than 255 characters, not visible ASCII, or a
            malformed sf-string.
    """
    quoted = _SF_STRING.fullmatch(raw)
    if quoted:
        key = re.sub(r"\\(.)", r"\1", quoted.group(1))
    elif _VCHAR.fullmatch(raw) and not raw.startswith('"'):
        key = raw
    else:
        key = ""
    if not 1 <= len(key) <= 255:
        raise ValidationFailed(fields={"Idempotency-Key": [_KEY_ERROR]})
    return key


def idempotency_key(principal: str, body: dict) -> IdempotencyKey | None:
    """Return the request's Idempotency-Key bound to its scope and body, or None.

    The header is ``Idempotency-Key`` (alias ``X-Idempotency-Key``); present but empty is
    an error, not "no key" (a client that meant to send one must not book twice).

    Args:
        principal: who is calling (``public`` for anonymous routes).
        body: the parsed request (plus path arguments) the key must always come with.

    Raises:
        ValidationFailed: the header is not a valid key (``parse_idempotency_key``).
    """
    for name in ("Idempotency-Key", "X-Idempotency-Key"):
        raw = request.headers.get(name)
        if raw is not None:
            break
    else:
        return None
    scope = f"{request.method} {request.url_rule.rule} {principal}"
    return IdempotencyKey(parse_idempotency_key(raw), scope, request_hash(body))
