"""Redis first, the SQL table when Redis is down (SPEC §5.5 "degrade, don't die")."""

from __future__ import annotations

import logging
import math
import time as _time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from appointease.cache import HOLDS_FALLBACK_AT, FallbackSignal, fallback_signal
from appointease.db import upsert, write_transaction
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
from appointease.models import Counter

log = logging.getLogger(__name__)

#: Seconds of wall-clock difference allowed between hosts when reading another
#: process's recorded fallback minute.
CLOCK_MARGIN_SECONDS = 60
_FALLBACK_AT = select(Counter.value).where(Counter.name == HOLDS_FALLBACK_AT)

T = TypeVar("T")


class FallbackHoldStore(HoldStore, HoldStats):
    """Use ``primary`` (Redis); when it raises ``Unavailable``, serve from ``secondary`` (SQL).

    Each call decides once whether Redis is being skipped (it failed less than
    ``retry_seconds`` ago); if Redis fails during the call, the call is served by the
    database instead. While Redis answers but database holds may still be live — for
    ``remember_seconds`` after this process saw Redis fail (long enough for a lock
    taken in the database to expire), or after *any* process recorded a fallback
    (another worker or host may have fallen back; SPEC §2: nothing correct depends on
    process memory) — reads merge the database holds in and acquires check them, so
    outage-time holds keep blocking.

    Recording: each time this store sees Redis fail (once per ``retry_seconds`` window
    of an outage), before it serves anything from the database, it commits the
    current minute (rounded up) into the ``holds_fallback_at`` counters row. Every
    database hold written in that window expires within ``remember_seconds`` of the
    window's end, so any process merges while its wall clock is before that minute +
    ``remember_seconds`` + ``retry_seconds`` + ``CLOCK_MARGIN_SECONDS``. Learning it
    costs nothing while healthy: the row comes with the heartbeat's versions query
    (``appointease.cache.fallback_signal``); only when no request fed it for
    ``retry_seconds`` does the store read the row itself (a primary-key lookup).

    Args:
        primary: the Redis store.
        secondary: the SQL store.
        remember_seconds: seconds to keep merging database holds after a failure
            (the lock TTL).
        retry_seconds: after a failure, seconds to skip Redis before trying it again,
            so a dead Redis costs one connect timeout per window, not per request.
        signal: where this process's versions reads leave the ``holds_fallback_at`` row
            (default: the process-wide ``appointease.cache.fallback_signal``).
    """

    def __init__(
        self,
        primary: RedisHoldStore,
        secondary: SqlHoldStore,
        remember_seconds: int = 600,
        retry_seconds: float = 2.0,
        signal: FallbackSignal | None = None,
    ):
        self.primary, self.secondary = primary, secondary
        self.remember_seconds, self.retry_seconds = remember_seconds, retry_seconds
        self.signal = fallback_signal if signal is None else signal
        self._failed_at: float | None = None

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
        self._record_fallback()

    def _record_fallback(self) -> None:
        """Commit this minute (rounded up) into the ``holds_fallback_at`` row, before any database hold.

        A database that cannot take it cannot take the holds either: the failure is
        logged and the call goes on to the database store, which raises in turn.
        """
        minute = math.ceil(_time.time() / 60)
        try:
            with Session(self.secondary._engine) as session, write_transaction(session):
                session.execute(
                    upsert(session, Counter, {"name": HOLDS_FALLBACK_AT, "value": minute}, ["name"], ["value"])
                )
        except SQLAlchemyError:
            log.exception("Could not record the hold-store fallback")
            return
        self.signal.observe(minute)

    def _fallback_minute(self) -> int:
        """The latest recorded fallback minute (0: none), from a recent versions read, else read now."""
        value = self.signal.fresh_value(self.retry_seconds)
        if value is None:
            with self.secondary._engine.connect() as connection:
                value = connection.execute(_FALLBACK_AT).scalar() or 0
            self.signal.observe(value)
        return value

    def _merging(self) -> bool:
        if self._failed_at is not None and _time.monotonic() - self._failed_at < self.remember_seconds:
            return True
        minute = self._fallback_minute()
        if not minute:
            return False
        horizon = self.remember_seconds + self.retry_seconds + CLOCK_MARGIN_SECONDS
        return _time.time() < minute * 60 + horizon

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
