"""Configuration: the only module that reads ``os.environ`` (SPEC §6), and the booking rules.

``load_config`` turns the environment into Flask config keys with typed defaults;
``Rules`` mirrors the booking-related keys as one immutable value the domain receives
(``build_rules``), so domain code never reads Flask config.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

#: How long a stored Idempotency-Key response is kept, in hours (published in docs/api.md;
#: draft-ietf-httpapi-idempotency-key-header §2.6 "the resource MAY expire keys").
IDEMPOTENCY_RETENTION_HOURS = 24


@dataclass(frozen=True)
class Rules:
    """Booking rules (SPEC §6), built from config by ``build_rules``.

    Attributes:
        tz: the business time zone (``APPOINTEASE_TIMEZONE``); wall times are local to it.
        slot_step: grid step, minutes (``APPOINTEASE_SLOT_STEP``).
        min_notice: minimum notice before a start, minutes.
        horizon_days: how far ahead a start may be, days.
        selection_ttl, lock_ttl: hold lifetimes, seconds.
        lock_max: a client's hold life from its first taking, seconds
            (``APPOINTEASE_LOCK_MAX_SECONDS``, default twice ``lock_ttl``): re-taking a lock
            or renewing a selection never extends it past that; then the client waits a
            cool-down of ``lock_ttl`` seconds (``appointease.holds.base.hold_life``).
        heartbeat_interval: the poll interval the widget is told, seconds.
        idempotency_retention_hours: how long Idempotency-Key records are honoured.
        cancel_cutoff: minutes before the start after which a customer may no longer
            cancel or reschedule (``APPOINTEASE_CANCEL_CUTOFF_MINUTES``, SPEC §4 Customers).
        allow_private_urls: outbound URLs (webhooks) may name loopback, private and other
            internal addresses (``APPOINTEASE_ALLOW_PRIVATE_URLS``, SPEC §11; ``appointease.outbound``).
    """

    tz: ZoneInfo
    slot_step: int = 30
    min_notice: int = 0
    horizon_days: int = 90
    selection_ttl: int = 10
    lock_ttl: int = 600
    lock_max: int = 1200
    heartbeat_interval: int = 5
    idempotency_retention_hours: int = IDEMPOTENCY_RETENTION_HOURS
    cancel_cutoff: int = 0
    allow_private_urls: bool = False


def build_rules(cfg: Mapping) -> Rules:
    """Build ``Rules`` from a Flask config mapping (the keys ``load_config`` returns).

    Raises:
        zoneinfo.ZoneInfoNotFoundError: ``APPOINTEASE_TIMEZONE`` is not an IANA zone.
    """
    return Rules(
        tz=ZoneInfo(cfg["APPOINTEASE_TIMEZONE"]),
        slot_step=cfg["APPOINTEASE_SLOT_STEP"],
        min_notice=cfg["APPOINTEASE_MIN_NOTICE_MINUTES"],
        horizon_days=cfg["APPOINTEASE_HORIZON_DAYS"],
        selection_ttl=cfg["APPOINTEASE_SELECTION_TTL"],
        lock_ttl=cfg["APPOINTEASE_LOCK_TTL"],
        lock_max=cfg["APPOINTEASE_LOCK_MAX_SECONDS"],
        heartbeat_interval=cfg["APPOINTEASE_HEARTBEAT_INTERVAL"],
        cancel_cutoff=cfg["APPOINTEASE_CANCEL_CUTOFF_MINUTES"],
        allow_private_urls=bool(cfg["APPOINTEASE_ALLOW_PRIVATE_URLS"]),
    )


def _int(env: dict, name: str, default: int, minimum: int | None = None) -> int:
    """Read ``name`` from ``env`` as an int, falling back to ``default``.

    Raises:
        ValueError: the variable is set but is not an integer, or is below ``minimum``
            (fail at start-up, not on the first request).
    """
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: dict, name: str, default: bool) -> bool:
    """Read ``name`` from ``env`` as a boolean (``true/false``, ``1/0``, ``yes/no``, ``on/off``).

    Raises:
        ValueError: the variable is set to anything else (fail at start-up).
    """
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


#: Request rate limits (SPEC §8), as Flask-Limiter limit strings ("N/unit;M/unit"), by
#: config key. Each is also read from the environment variable of the same name.
#: Sizing: a widget polls every 5 s (12 heartbeats a minute per open tab), so 600/minute
#: lets ~50 tabs share one office IP; a visitor clicks a few slots and books once.
RATE_LIMITS = {
    "APPOINTEASE_RATE_HEARTBEAT_PER_IP": "600/minute",
    "APPOINTEASE_RATE_SLOTS_PER_CLIENT": "30/minute",
    "APPOINTEASE_RATE_SLOTS_PER_IP": "120/minute",
    "APPOINTEASE_RATE_BOOKING_PER_CLIENT": "10/minute",
    "APPOINTEASE_RATE_BOOKING_PER_IP": "60/minute;600/hour",
    "APPOINTEASE_RATE_AUTH_PER_EMAIL": "5/minute;20/hour",
    "APPOINTEASE_RATE_AUTH_PER_IP": "30/minute",
}


def _float(env: dict, name: str, default: float) -> float:
    """Read ``name`` from ``env`` as a float (``ValueError`` at start-up when malformed)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _seconds_list(env: dict, name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    """Read ``name`` as comma-separated seconds (a retry schedule), e.g. ``5,300,1800``."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if any(v < 0 for v in values):
        raise ValueError(f"{name} must not contain negative seconds, got {raw!r}")
    return values


#: Webhook retry delays after each failed attempt (SPEC §7: ≥ 24 h in all): 5 s, 5 min,
#: 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over about 27.6 hours.
WEBHOOK_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
#: Email retry delays after each temporary failure: 5 s doubling-ish up to 8 h, ~24.6 h in all.
MAIL_RETRY_SCHEDULE = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)


def _currency(env: dict, name: str, default: str) -> str:
    """Read ``name`` as an ISO 4217 alphabetic currency code (three letters, e.g. ``EUR``),
    upper-cased. Raises ValueError for anything else, at start-up rather than in every
    widget (which formats prices with ``Intl.NumberFormat``, issue 12)."""
    code = (env.get(name) or default).strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise ValueError(f"{name} must be an ISO 4217 code such as EUR or GBP, got {env.get(name)!r}")
    return code


def cors_origins(env: Mapping, name: str = "APPOINTEASE_CORS_ORIGINS") -> list[str]:
    """Read ``name`` as comma-separated origins (SPEC §6): ``scheme://host[:port]``, ``*`` or ``null``.

    An origin is what a browser sends in ``Origin``: the scheme (http or https), the host
    and a port only when it is not the scheme's default. ``https://www.example.org`` and
    ``https://example.org`` are different origins. Entries are lower-cased; a trailing
    ``/`` and a default port (``:443`` for https, ``:80`` for http) are dropped with a
    warning in the log naming ``name`` and the entry, since no browser sends them.

    Returns:
        The origins (``["*"]`` when unset).

    Raises:
        ValueError: an entry has a path, query or fragment, no scheme (a bare host name
            such as ``shop.example.org``), a scheme other than http/https, user info, or
            a malformed port — start-up stops with a message naming ``name``.
    """
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return ["*"]
    origins = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        if entry in ("*", "null"):
            origins.append(entry)
            continue
        origins.append(_origin(name, entry))
    return origins


def _origin(name: str, entry: str) -> str:
    """Normalise one origin entry of ``name`` (see ``cors_origins``); ValueError when it is not one."""
    example = "an origin is scheme://host[:port], e.g. https://shop.example.org"
    parts = urlsplit(entry)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not entry.lower().startswith(f"{scheme}://"):
        hint = "no scheme: a bare host name?" if "://" not in entry else f"scheme {scheme or '(none)'!r}"
        raise ValueError(f"{name}: {entry!r} is not an origin ({hint}); {example}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{name}: {entry!r} has a malformed port; {example}") from None
    if not parts.hostname or "@" in parts.netloc:
        raise ValueError(f"{name}: {entry!r} is not an origin (no host, or user info); {example}")
    if parts.path not in ("", "/"):
        raise ValueError(f"{name}: {entry!r} has a path ({parts.path!r}); {example}")
    if parts.query or parts.fragment or entry.endswith(("?", "#")):
        raise ValueError(f"{name}: {entry!r} has a query or fragment; {example}")
    host = parts.hostname
    host = f"[{host}]" if ":" in host else host
    origin = f"{scheme}://{host}" if port in (None, {"http": 80, "https": 443}[scheme]) else f"{scheme}://{host}:{port}"
    if origin != entry:
        log.warning(
            "%s: %r is read as the origin %r (a browser's Origin has no trailing slash, default port or capitals)",
            name,
            entry,
            origin,
        )
    return origin


def _lock_max(env: dict, lock_ttl: int) -> int:
    """Read ``APPOINTEASE_LOCK_MAX_SECONDS``: a hold's longest life, seconds (default 2 × the lock TTL).

    Raises:
        ValueError: not an integer, or shorter than ``APPOINTEASE_LOCK_TTL`` (a lock
            could never live its TTL).
    """
    value = _int(env, "APPOINTEASE_LOCK_MAX_SECONDS", 2 * lock_ttl)
    if value < lock_ttl:
        raise ValueError(
            f"APPOINTEASE_LOCK_MAX_SECONDS must be at least APPOINTEASE_LOCK_TTL ({lock_ttl}), got {value}"
        )
    return value


def load_config(instance_path: str, env: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment (SPEC §6).

    Args:
        instance_path: the Flask instance folder; the embedded SQLite file lives there.
        env: the environment to read (defaults to ``os.environ``).

    Returns:
        A dict of Flask config keys. Durations are seconds (TTLs, heartbeat
        interval), minutes (slot step, minimum notice) or days (horizon), as named.
    """
    env = os.environ if env is None else env
    default_db = "sqlite:///" + str(Path(instance_path) / "appointease.sqlite3")
    database_url = env.get("DATABASE_URL") or default_db
    cors = cors_origins(env)
    lock_ttl = _int(env, "APPOINTEASE_LOCK_TTL", 600, minimum=1)
    return {
        # Unset: resolved at start-up by appointease.secret_key (SPEC §8).
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": env.get("REDIS_URL") or None,
        # REDIS_URL names one node of a Redis Cluster; the rest are discovered.
        "REDIS_CLUSTER": env.get("REDIS_CLUSTER", "").lower() in ("1", "true", "yes"),
        # SPEC §8: live selections + locks one IP may hold at once (0 = no cap).
        "APPOINTEASE_MAX_HOLDS_PER_IP": _int(env, "APPOINTEASE_MAX_HOLDS_PER_IP", 20),
        "APPOINTEASE_TIMEZONE": env.get("APPOINTEASE_TIMEZONE", "UTC"),
        "APPOINTEASE_SELECTION_TTL": _int(env, "APPOINTEASE_SELECTION_TTL", 10),
        "APPOINTEASE_LOCK_TTL": lock_ttl,
        # Issue 16: a hold's life from its first taking is bounded (then a lock-TTL cool-down).
        "APPOINTEASE_LOCK_MAX_SECONDS": _lock_max(env, lock_ttl),
        "APPOINTEASE_HEARTBEAT_INTERVAL": _int(env, "APPOINTEASE_HEARTBEAT_INTERVAL", 5),
        "APPOINTEASE_SLOT_STEP": _int(env, "APPOINTEASE_SLOT_STEP", 30),
        "APPOINTEASE_MIN_NOTICE_MINUTES": _int(env, "APPOINTEASE_MIN_NOTICE_MINUTES", 0),
        "APPOINTEASE_HORIZON_DAYS": _int(env, "APPOINTEASE_HORIZON_DAYS", 90),
        "APPOINTEASE_CORS_ORIGINS": cors,
        "APPOINTEASE_CURRENCY": _currency(env, "APPOINTEASE_CURRENCY", "EUR"),
        "SMTP_URL": env.get("SMTP_URL") or None,
        # Proxies in front that append to X-Forwarded-For (SPEC §8; 0: the socket peer is the client).
        "APPOINTEASE_PROXY_HOPS": _int(env, "APPOINTEASE_PROXY_HOPS", 0, minimum=0),
        # When set, GET /metrics needs "Authorization: Bearer <token>".
        "APPOINTEASE_METRICS_TOKEN": env.get("APPOINTEASE_METRICS_TOKEN") or None,
        # Customers (SPEC §4): cancel/reschedule cut-off, minutes before the start;
        # how long a customer's bearer token is valid, days.
        "APPOINTEASE_CANCEL_CUTOFF_MINUTES": _int(env, "APPOINTEASE_CANCEL_CUTOFF_MINUTES", 0),
        "APPOINTEASE_SESSION_DAYS": _int(env, "APPOINTEASE_SESSION_DAYS", 30),
        # Notifications (SPEC §7; appointease.notify).
        "MAIL_FROM": env.get("MAIL_FROM") or "appointease@localhost",
        "APPOINTEASE_BUSINESS_NAME": env.get("APPOINTEASE_BUSINESS_NAME") or "AppointEase",
        "APPOINTEASE_PUBLIC_URL": (env.get("APPOINTEASE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
        "APPOINTEASE_OUTBOX_DIR": env.get("APPOINTEASE_OUTBOX_DIR") or str(Path(instance_path) / "outbox"),
        "APPOINTEASE_SMTP_TIMEOUT": _float(env, "APPOINTEASE_SMTP_TIMEOUT", 10.0),
        "APPOINTEASE_WORKER_POLL_SECONDS": _float(env, "APPOINTEASE_WORKER_POLL_SECONDS", 0.5),
        "APPOINTEASE_MAIL_RETRY_SCHEDULE": _seconds_list(env, "APPOINTEASE_MAIL_RETRY_SCHEDULE", MAIL_RETRY_SCHEDULE),
        "APPOINTEASE_WEBHOOK_RETRY_SCHEDULE": _seconds_list(
            env, "APPOINTEASE_WEBHOOK_RETRY_SCHEDULE", WEBHOOK_RETRY_SCHEDULE
        ),
        "APPOINTEASE_WEBHOOK_TIMEOUT": _float(env, "APPOINTEASE_WEBHOOK_TIMEOUT", 10.0),
        "APPOINTEASE_WEBHOOK_CONCURRENCY": _int(env, "APPOINTEASE_WEBHOOK_CONCURRENCY", 8),
        # SPEC §11 "Outbound URLs": webhooks may reach loopback/private/link-local/metadata
        # addresses only when set (tests, receivers on the same network).
        "APPOINTEASE_ALLOW_PRIVATE_URLS": _bool(env, "APPOINTEASE_ALLOW_PRIVATE_URLS", False),
        # Bodies larger than this are refused with 413 before parsing.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # Flask-Limiter's own switch (SPEC §8): false only for load tests and benchmarks.
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        **{key: env.get(key) or default for key, default in RATE_LIMITS.items()},
    }


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options: on PostgreSQL pre-ping and bounded waits.

    A lost or restarted PostgreSQL must give a quick 503, never a hang: connecting
    gives up after 3 s, a pool checkout after 5 s, and a statement after 15 s
    (``statement_timeout``, PostgreSQL docs §20.11). A SQLite file cannot go away
    under a pooled connection, so it skips the pre-ping round trip (the heartbeat's
    hot path checks out a connection per request).
    """
    options: dict = {}
    if database_url.startswith("postgresql"):
        options.update(
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            pool_timeout=5,
            pool_recycle=1800,
            connect_args={"connect_timeout": 3, "options": "-c statement_timeout=15000"},
        )
    return options
