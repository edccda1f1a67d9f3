"""A precompiled fast path for the heartbeat's request body and answer (issue 18).

``msgspec`` decodes ``POST /heartbeat``'s JSON into ``HeartbeatBody``, which mirrors
``schemas.HeartbeatIn`` (types, limits, no unknown fields); a few checks msgspec cannot
express follow in Python. Whatever this path does not plainly accept, it hands back as
``None`` and the view falls back to the marshmallow schema, which still documents the
endpoint and writes every 4xx answer: the fast path never refuses anything itself.
``json_response`` writes an answer that a schema has dumped with ``msgspec.json``,
byte-identical to ``flask.jsonify``'s.
"""

from __future__ import annotations

import re
from datetime import date
from functools import wraps
from typing import Annotated

import msgspec
from flask import Response, current_app, request

from appointease import schemas
from appointease.api.common import read_body

_Id = Annotated[int, msgspec.Meta(ge=schemas.ID["validate"].min, le=schemas.ID["validate"].max)]
_UNSET = msgspec.UNSET
#: ``known_version`` the fast path takes as is: printable ASCII, at most 64, not only spaces
#: (``schemas.free_text(64)``); anything else (non-ASCII, controls) goes through marshmallow.
_PLAIN_VERSION = re.compile(r"(?:[ -~]*[!-~][ -~]*)?", re.ASCII)
_VERSION_MAX = 64
_TIME = re.compile(schemas.TIME_PATTERN, re.ASCII)


class HeartbeatBody(msgspec.Struct, forbid_unknown_fields=True):
    """``schemas.HeartbeatIn`` for msgspec: the same fields, JSON names and integer limits."""

    date: date
    client_id: str
    employee_id: _Id | msgspec.UnsetType = _UNSET
    employee_ids: Annotated[list[_Id], msgspec.Meta(min_length=1, max_length=20)] | msgspec.UnsetType = _UNSET
    service_id: _Id | None | msgspec.UnsetType = _UNSET
    selected_time: str | None | msgspec.UnsetType = _UNSET
    known_version: str | None | msgspec.UnsetType = _UNSET


_DECODER = msgspec.json.Decoder(HeartbeatBody)
#: The optional fields, which ``HeartbeatIn`` loads only when the body has them.
_OPTIONAL = ("employee_id", "employee_ids", "service_id", "selected_time", "known_version")


def heartbeat_args(body: bytes) -> dict | None:
    """Decode a heartbeat body to the dict ``HeartbeatIn().load`` would give, or ``None``.

    Args:
        body: the raw request body (UTF-8 JSON).

    Returns:
        ``{"day": date, "client_id": str, ...}`` with only the optional keys the body has,
        as marshmallow loads it; ``None`` when the body is not plainly valid (the caller
        then lets marshmallow decide and word the 4xx answer).
    """
    try:
        beat = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if (beat.employee_id is _UNSET) == (beat.employee_ids is _UNSET):
        return None
    if not schemas.FIRST_DAY <= beat.date <= schemas.LAST_DAY:
        return None
    if schemas.CLIENT_ID.regex.fullmatch(beat.client_id) is None:
        return None
    time = beat.selected_time
    if isinstance(time, str) and _TIME.fullmatch(time) is None:
        return None
    version = beat.known_version
    if isinstance(version, str) and (len(version) > _VERSION_MAX or _PLAIN_VERSION.fullmatch(version) is None):
        return None
    args = {"day": beat.date, "client_id": beat.client_id}
    for name in _OPTIONAL:
        value = getattr(beat, name)
        if value is not _UNSET:
            args[name] = value
    return args


def fast_arguments(slow_arguments):
    """Decorate a view like ``blp.arguments(schema)`` (``slow_arguments``), with the fast path first.

    A JSON body (``Content-Type: application/json``) that ``heartbeat_args`` accepts goes
    straight to the view as its first argument; anything else goes through
    ``slow_arguments`` (marshmallow via webargs), which also keeps the view's OpenAPI
    documentation (``_apidoc``), copied onto the returned wrapper.
    """

    def decorator(func):
        slow = slow_arguments(func)

        @wraps(slow)
        def wrapper(*f_args, **f_kwargs):
            if request.mimetype == "application/json":
                args = heartbeat_args(read_body())  # MAX_CONTENT_LENGTH, chunked bodies too (413)
                if args is not None:
                    return func(args, *f_args, **f_kwargs)
            return slow(*f_args, **f_kwargs)

        return wrapper

    return decorator


_ENCODER = msgspec.json.Encoder()


def json_response(data: dict, headers: dict[str, str]) -> Response:
    """A 200 JSON answer for ``data`` (an already dumped schema result), byte for byte as
    ``flask.jsonify`` writes it here: compact, keys in ``data``'s order, a final newline,
    non-ASCII escaped.

    ``msgspec.json`` encodes it (faster than the stdlib ``json`` Flask uses); whenever its
    bytes could differ (non-ASCII text, a value it cannot encode, an app that indents
    its JSON in debug mode) Flask's own provider writes the answer instead.

    Args:
        data: JSON-ready values only (strings, numbers, booleans, None, lists, dicts).
        headers: extra response headers (the heartbeat's ``ETag``).

    Returns:
        The response, status 200, ``Content-Type: application/json``.
    """
    provider = current_app.json
    indented = provider.compact is False or (provider.compact is None and current_app.debug)
    body = None
    if not indented:
        try:
            body = _ENCODER.encode(data)
        except (TypeError, msgspec.EncodeError):
            body = None
    if body is None or not body.isascii():
        response = provider.response(data)
    else:
        response = current_app.response_class(body + b"\n", mimetype=provider.mimetype)
    response.headers.update(headers)
    return response
