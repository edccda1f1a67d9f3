"""Hold stores: one interface (``HoldStore``), SQL and Redis engines, and the fallback.

``build_hold_store`` picks the engine from configuration: Redis (with the SQL table
as fallback) when ``REDIS_URL`` is set, else the SQL table (SPEC §2).
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from appointease.holds.base import LOCK, SELECTION, HoldInfo, HoldRequest, HoldStore, held_by_other
from appointease.holds.fallback import FallbackHoldStore
from appointease.holds.redis_store import RedisHoldStore
from appointease.holds.sql import SqlHoldStore

__all__ = [
    "LOCK", "SELECTION", "HoldInfo", "HoldRequest", "HoldStore",
    "FallbackHoldStore", "RedisHoldStore", "SqlHoldStore", "build_hold_store", "held_by_other",
]


def build_hold_store(redis_url: str | None, session_factory: Callable[[], Session], lock_ttl: int) -> HoldStore:
    """Return the configured hold store.

    Args:
        redis_url: ``redis://…`` or None for the embedded SQL store.
        session_factory: returns the SQLAlchemy session of the current request.
        lock_ttl: lock TTL in seconds; how long database holds are merged in after
            a Redis outage.
    """
    sql = SqlHoldStore(session_factory)
    if not redis_url:
        return sql
    return FallbackHoldStore(RedisHoldStore.from_url(redis_url), sql, remember_seconds=lock_ttl)
