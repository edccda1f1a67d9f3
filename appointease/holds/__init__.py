"""Hold stores: the interfaces, SQL and Redis engines, and the fallback.

``build_hold_store`` picks the engine from configuration: Redis (with the SQL table
as fallback) when ``REDIS_URL`` is set, else the SQL table (SPEC §2).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine

from appointease.holds.base import (
    LOCK,
    SELECTION,
    HoldInfo,
    HoldRequest,
    HoldStats,
    HoldStore,
    PollRequest,
    PollResult,
    held_by_other,
    hold_life,
)
from appointease.holds.fallback import FallbackHoldStore
from appointease.holds.redis_store import RedisHoldStore
from appointease.holds.sql import SqlHoldStore

__all__ = [
    "LOCK",
    "SELECTION",
    "HoldInfo",
    "HoldRequest",
    "HoldStats",
    "HoldStore",
    "PollRequest",
    "PollResult",
    "FallbackHoldStore",
    "RedisHoldStore",
    "SqlHoldStore",
    "build_hold_store",
    "held_by_other",
    "hold_life",
]


def build_hold_store(
    redis_url: str | None,
    engine: Engine,
    lock_ttl: int,
    *,
    cluster: bool = False,
    max_holds_per_ip: int = 0,
    reader: Callable[[], Connection] | None = None,
    max_life_seconds: int = 0,
) -> FallbackHoldStore | SqlHoldStore:
    """Return the configured hold store (it implements ``HoldStore`` and ``HoldStats``).

    Args:
        redis_url: ``redis://…`` or None for the embedded SQL store.
        engine: the database engine; the SQL store opens its own connections on it,
            never the request's session.
        lock_ttl: lock TTL in seconds; how long database holds are merged in after
            a Redis outage.
        cluster: ``redis_url`` names a node of a Redis Cluster (``REDIS_CLUSTER=1``).
        max_holds_per_ip: the per-IP hold cap of SPEC §8 (0 = none), enforced by each store.
        reader: the request's connection for the SQL store's reads (``SqlHoldStore``).
        max_life_seconds: a client's longest hold life, seconds (``APPOINTEASE_LOCK_MAX_SECONDS``;
            0 = unbounded); its cool-down is ``lock_ttl`` (``appointease.holds.base.hold_life``).
    """
    life = {"max_life_seconds": max_life_seconds, "cooldown_seconds": lock_ttl if max_life_seconds else 0}
    sql = SqlHoldStore(engine, max_holds_per_ip=max_holds_per_ip, reader=reader, **life)
    if not redis_url:
        return sql
    primary = RedisHoldStore.from_url(redis_url, cluster=cluster, max_holds_per_ip=max_holds_per_ip, **life)
    return FallbackHoldStore(primary, sql, remember_seconds=lock_ttl)
