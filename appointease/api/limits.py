"""Request rate limits (SPEC §8): Flask-Limiter keyed per client IP, client id or email.

Views declare their limits with the decorators here, placed right under the route
decorator so the limit is counted before the body is validated::

    @blp.post("/heartbeat")
    @limits.per_ip("APPOINTEASE_RATE_HEARTBEAT_PER_IP")
    @blp.arguments(HeartbeatIn)
    ...

Each decorator names a config key holding a Flask-Limiter limit string such as
``"5/minute;20/hour"`` (defaults in ``appointease.config.RATE_LIMITS``), read on every
request. With ``scope`` the limit is one budget shared by every view that names the same
scope (all of ``/slots/*``, all of ``/auth/*``); without it each view counts apart.

The ``/auth/*`` routes (customers, ``appointease.api.auth``) use the ready-made pair:
per email for each route, per IP for all of them::

    @blp.post("/auth/otp")
    @limits.per_email("APPOINTEASE_RATE_AUTH_PER_EMAIL")
    @limits.per_ip("APPOINTEASE_RATE_AUTH_PER_IP", scope="auth")
    @blp.arguments(OtpIn)
    ...

A breached limit raises Flask-Limiter's ``RateLimitExceeded``, which
``appointease.api.handlers`` answers as 429 ``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable

from flask import Flask, current_app, g, request
from limits import parse_many
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from appointease.api.common import read_body
from appointease.auth.actor import normalize_email
from appointease.config import RATE_LIMITS
from appointease.extensions import limiter

#: A client id as the schemas accept it (``appointease.schemas.CLIENT_ID``).
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)
_MAX_EMAIL = 254
#: Redis client options for the limiter's storage: a down Redis fails fast (as the hold
#: store's), and storage errors surface as ``limits.errors.StorageError``.
_REDIS_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5, "wrap_exceptions": True}


def ip_key() -> str:
    """Key a limit by the client's IP: ``request.remote_addr`` (corrected by ProxyFix
    behind ``APPOINTEASE_PROXY_HOPS`` proxies, SPEC §8), as ``"ip:<address>"``."""
    return "ip:" + (request.remote_addr or "unknown")


def _body() -> dict:
    """Return the JSON object body ({} when absent, not JSON or too large), once per request.

    Never raises: a bad body is the view's to refuse (400/413/422), after the limits.
    """
    if "appointease_limit_body" not in g:
        try:
            data = json.loads(read_body())
        except (HTTPException, ValueError, RecursionError):
            data = None
        g.appointease_limit_body = data if isinstance(data, dict) else {}
    return g.appointease_limit_body


def client_key() -> str:
    """Key a limit by the body's ``client_id``, as ``"client:<id>"``; ``""`` when the body
    has no well-formed one (the limit is then not applied: see ``_limit``)."""
    value = _body().get("client_id")
    if isinstance(value, str) and _CLIENT_ID.fullmatch(value):
        return "client:" + value
    return ""


def email_key() -> str:
    """Key a limit by the body's ``email`` as customers are matched (``normalize_email``:
    trimmed, lower-case), as ``"email:<sha256>"``; ``""`` when the body has no string
    email of a plausible length.

    The address is hashed so the limiter's storage holds no addresses.
    """
    value = _body().get("email")
    if not isinstance(value, str) or not 0 < len(value.strip()) <= _MAX_EMAIL:
        return ""
    digest = hashlib.sha256(normalize_email(value).encode("utf-8", "surrogatepass")).hexdigest()
    return "email:" + digest[:32]


def _limit(setting: str, key_func: Callable[[], str], scope: str | None):
    """Build the Flask-Limiter decorator for config key ``setting`` keyed by ``key_func``.

    A request whose key is ``""`` (no client id / email in the body) is exempt from this
    limit; the per-IP limit beside it still counts it, and the schema refuses the body.
    """

    def value() -> str:
        return current_app.config[setting]

    def keyless() -> bool:
        return key_func() == ""

    if scope:
        return limiter.shared_limit(value, scope=scope, key_func=key_func, exempt_when=keyless)
    return limiter.limit(value, key_func=key_func, exempt_when=keyless)


def per_ip(setting: str, *, scope: str | None = None):
    """Decorate a view: at most ``config[setting]`` requests per client IP.

    Args:
        setting: config key of a limit string, e.g. ``"600/minute"``.
        scope: share one budget among all views naming this scope (else per view).
    """
    return _limit(setting, ip_key, scope)


def per_client(setting: str, *, scope: str | None = None):
    """Decorate a view: at most ``config[setting]`` requests per body ``client_id``
    (bodies without one are not counted by this limit). Args as ``per_ip``."""
    return _limit(setting, client_key, scope)


def per_email(setting: str, *, scope: str | None = None):
    """Decorate a view: at most ``config[setting]`` requests per body ``email``
    (``/auth/*``, SPEC §8; bodies without one are not counted). Args as ``per_ip``."""
    return _limit(setting, email_key, scope)


def retry_after() -> int:
    """Return whole seconds until the breached limit of this request admits one more
    request (``Retry-After``, RFC 9110 §10.2.3), at least 1.

    Falls back to the limit's whole window when its storage cannot be read.
    """
    current = limiter.current_limit
    if current is None:
        return 1
    try:
        wait = current.window.reset_time - time.time()  # fixed window: when its counter expires
    except StorageError:
        wait = current.limit.get_expiry()
    return max(1, math.ceil(wait))


def init_app(app: Flask) -> None:
    """Wire the shared ``limiter`` to ``app``: Redis storage when ``REDIS_URL`` is set,
    per-process memory otherwise; ``RATELIMIT_ENABLED`` switches it (SPEC §8).

    Flask-Limiter keeps the storage on the shared ``limiter``, so the app initialised last
    in a process is the one whose counters are used (one app per process in production;
    tests build one app at a time).

    Raises:
        ValueError: a configured limit string is not valid (fail at start-up).
    """
    for key in RATE_LIMITS:
        try:
            parse_many(app.config[key])
        except ValueError:
            raise ValueError(f"{key} is not a rate limit like '5/minute;20/hour': {app.config[key]!r}") from None
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss", "valkey")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", _REDIS_OPTIONS)
    # Flask-Limiter keeps per-instance state: say every setting this app relies on.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
