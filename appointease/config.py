"""Configuration: the only module that reads ``os.environ`` (SPEC §6)."""
from __future__ import annotations

import os
from pathlib import Path


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
    cors = [o.strip() for o in env.get("APPOINTEASE_CORS_ORIGINS", "*").split(",") if o.strip()]
    return {
        # Unset: resolved at start-up by appointease.secret_key (SPEC §8).
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": env.get("REDIS_URL") or None,
        "APPOINTEASE_TIMEZONE": env.get("APPOINTEASE_TIMEZONE", "UTC"),
        "APPOINTEASE_SELECTION_TTL": _int(env, "APPOINTEASE_SELECTION_TTL", 10),
        "APPOINTEASE_LOCK_TTL": _int(env, "APPOINTEASE_LOCK_TTL", 600),
        "APPOINTEASE_HEARTBEAT_INTERVAL": _int(env, "APPOINTEASE_HEARTBEAT_INTERVAL", 5),
        "APPOINTEASE_SLOT_STEP": _int(env, "APPOINTEASE_SLOT_STEP", 30),
        "APPOINTEASE_MIN_NOTICE_MINUTES": _int(env, "APPOINTEASE_MIN_NOTICE_MINUTES", 0),
        "APPOINTEASE_HORIZON_DAYS": _int(env, "APPOINTEASE_HORIZON_DAYS", 90),
        "APPOINTEASE_CORS_ORIGINS": cors,
        "SMTP_URL": env.get("SMTP_URL") or None,
        # Proxies in front that append to X-Forwarded-For (SPEC §8; 0: the socket peer is the client).
        "APPOINTEASE_PROXY_HOPS": _int(env, "APPOINTEASE_PROXY_HOPS", 0, minimum=0),
        # When set, GET /metrics needs "Authorization: Bearer <token>".
        "APPOINTEASE_METRICS_TOKEN": env.get("APPOINTEASE_METRICS_TOKEN") or None,
        # Bodies larger than this are refused with 413 before parsing.
        "MAX_CONTENT_LENGTH": 64 * 1024,
    }


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options: pre-ping everywhere; on PostgreSQL bounded waits.

    A lost or restarted PostgreSQL must give a quick 503, never a hang: connecting
    gives up after 3 s, a pool checkout after 5 s, and a statement after 15 s
    (``statement_timeout``, PostgreSQL docs §20.11).
    """
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        options.update(
            pool_size=5,
            max_overflow=5,
            pool_timeout=5,
            pool_recycle=1800,
            connect_args={"connect_timeout": 3, "options": "-c statement_timeout=15000"},
        )
    return options
