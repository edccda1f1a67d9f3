"""Redis first, the SQL table when Redis is down (SPEC §5.5 "degrade, don't die")."""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from appointease.errors import SlotHeld, Unavailable
from appointease.holds.base import (
    HoldInfo,
    HoldRequest,
    HoldStats,
    HoldStore,
    PollRequest,
    PollResult,
    held_by_other,
)
from appointease.holds.redis_store import RedisHoldStore
from appointease.holds.sql import SqlHoldStore

log = logging.getLogger(__name__)

T = TypeVar("T")


class FallbackHoldStore(HoldStore, HoldStats):
    """Use ``primary`` (Redis); when it raises ``Unavailable``, serve from ``secondary`` (SQL).

    Each call decides once whether Redis is being skipped (it failed less than
    ``retry_seconds`` ago); if Redis fails during the call, the call is served by the
    database instead. While Redis answers but database holds may still be live — for
    ``remember_seconds`` after this process saw Redis fail (long enough for a lock
    taken in the database to expire), or while the holds table has any live rows,
    checked at most every ``retry_seconds`` (another worker or host may have fallen
    back; SPEC §2: nothing correct depends on process memory) — reads merge the
    database holds in and acquires check them, so outage-time holds keep blocking.

    Args:
        primary: the Redis store.
        secondary: the SQL store.
        remember_seconds: seconds to keep merging database holds after a failure
            (the lock TTL).
        retry_seconds: after a failure, seconds to skip Redis before trying it again,
            so a dead Redis costs one connect timeout per window, not per request.
    """

    def __init__(
        self, primary: RedisHoldStore, secondary: SqlHoldStore, remember_seconds: int = 600, retry_seconds: float = 2.0
    ):
        self.primary, self.secondary = primary, secondary
        self.remember_seconds, self.retry_seconds = remember_seconds, retry_seconds
        self._failed_at: float | None = None
        self._table_checked_at: float | None = None
        self._table_has_holds = False

    @property
    def storage(self) -> str:
        """The store the next call would try first (``redis``, or ``database`` while Redis is
        skipped), as ``/admin/debug`` reports it. The store that really served a call is in
        its result (``HoldInfo.storage``, ``PollResult.storage``), even if the retry window
        ended meanwhile."""
        return self.secondary.storage if self._skipping() else self.primary.storage

    @property
    def max_holds_per_ip(self) -> int:
        """The per-IP hold cap (SPEC §8; 0 = none); each store enforces it on its own holds.

        Setting it sets both stores'.
        """
        return self.primary.max_holds_per_ip

    @max_holds_per_ip.setter
    def max_holds_per_ip(self, value: int) -> None:
        self.primary.max_holds_per_ip = self.secondary.max_holds_per_ip = value

    @property
    def max_life_seconds(self) -> int:
        """The bounded hold life (``hold_life``), seconds; each store keeps its own lives.

        Setting it sets both stores'. A client's life lives in the store that served
        its holds: across a Redis outage (or its end) a life starts afresh, once per switch.
        """
        return self.primary.max_life_seconds

    @max_life_seconds.setter
    def max_life_seconds(self, value: int) -> None:
        self.primary.max_life_seconds = self.secondary.max_life_seconds = value

    @property
    def cooldown_seconds(self) -> int:
        """How long an ended hold life is remembered, seconds (both stores)."""
        return self.primary.cooldown_seconds

    @cooldown_seconds.setter
    def cooldown_seconds(self, value: int) -> None:
        self.primary.cooldown_seconds = self.secondary.cooldown_seconds = value

    def _skipping(self) -> bool:
        return self._failed_at is not None and _time.monotonic() - self._failed_at < self.retry_seconds

    def _failed(self) -> None:
        log.warning("Redis hold store unreachable; falling back to the database store")
        self._failed_at = _time.monotonic()

    def _merging(self) -> bool:
        now = _time.monotonic()
        if self._failed_at is not None and now - self._failed_at < self.remember_seconds:
            return True
        if self._table_checked_at is None or now - self._table_checked_at >= self.retry_seconds:
            self._table_has_holds = any(self.secondary.count_active().values())
            self._table_checked_at = now
        return self._table_has_holds

    def _redis_else_sql(self, on_redis: Callable[[], T], on_sql: Callable[[], T]) -> T:
        """Run ``on_redis`` unless Redis is being skipped; when it raises ``Unavailable``,
        note the failure (Redis is then skipped for ``retry_seconds``) and run ``on_sql``.

        Other errors (``SlotHeld``, ``RateLimited``) pass through: only an unreachable
        Redis falls back.
        """
        if not self._skipping():
            try:
                return on_redis()
            except Unavailable:
                self._failed()
        return on_sql()

    def acquire(self, req: HoldRequest) -> HoldInfo:
        def on_redis() -> HoldInfo:
            # Outage-time holds in the database keep blocking (see the class docstring).
            if self._merging() and held_by_other(
                self.secondary.holds(req.employee_id, req.day), req.client_id, req.start, req.end
            ):
                raise SlotHeld()
            return self.primary.acquire(req)

        return self._redis_else_sql(on_redis, lambda: self.secondary.acquire(req))

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        def on_redis() -> bool:
            removed = self.primary.release(client_id, employee_id, day, time)
            if self._merging():
                removed = self.secondary.release(client_id, employee_id, day, time) or removed
            return removed

        return self._redis_else_sql(on_redis, lambda: self.secondary.release(client_id, employee_id, day, time))

    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        def on_redis() -> list[HoldInfo]:
            found = self.primary.holds(employee_id, day)
            return found + self.secondary.holds(employee_id, day) if self._merging() else found

        return self._redis_else_sql(on_redis, lambda: self.secondary.holds(employee_id, day))

    def poll(self, req: PollRequest) -> PollResult:
        def on_redis() -> PollResult:
            found = self.primary.poll(req)
            if not self._merging():
                return found
            extra = self.secondary.poll(req).holds
            return PollResult({e: found.holds[e] + extra[e] for e in req.employee_ids}, found.storage)

        return self._redis_else_sql(on_redis, lambda: self.secondary.poll(req))

    def ping(self) -> bool:
        return self.primary.ping()

    def count_active(self) -> dict[str, int]:
        try:
            return self.primary.count_active()
        except Unavailable:
            return self.secondary.count_active()

    def live_holds(self, limit: int = 200) -> list[HoldInfo]:
        try:
            found = self.primary.live_holds(limit)
        except Unavailable:
            return self.secondary.live_holds(limit)
        if self._merging():
            found = sorted(found + self.secondary.live_holds(limit), key=lambda h: h.expires_at)[:limit]
        return found
