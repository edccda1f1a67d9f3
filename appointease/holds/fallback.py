"""Redis first, the SQL table when Redis is down (SPEC §5.5 "degrade, don't die")."""
from __future__ import annotations

import logging
import time as _time
from datetime import date

from appointease.errors import SlotHeld, Unavailable
from appointease.holds.base import HoldInfo, HoldRequest, HoldStore, held_by_other

log = logging.getLogger(__name__)


class FallbackHoldStore(HoldStore):
    """Use ``primary`` (Redis); when it raises ``Unavailable``, serve from ``secondary`` (SQL).

    While degraded, and for ``remember_seconds`` after this process last saw Redis
    fail (long enough for a lock taken in the database to expire), reads merge the
    database holds in, so holds taken during the outage keep blocking after Redis
    returns. So do processes (and hosts) that never saw the outage: while the SQL
    table has live holds, which each process checks at most every ``retry_seconds``
    (SPEC §2: nothing correct depends on process memory). ``storage`` tells which
    engine served the last call.

    Args:
        primary: the Redis store.
        secondary: the SQL store.
        remember_seconds: seconds to keep merging database holds after a failure
            (the lock TTL).
        retry_seconds: after a failure, seconds to skip Redis before trying it again,
            so a dead Redis costs one connect timeout per window, not per request.
    """

    def __init__(self, primary: HoldStore, secondary: HoldStore, remember_seconds: int = 600, retry_seconds: float = 2.0):
        self.primary, self.secondary = primary, secondary
        self.remember_seconds, self.retry_seconds = remember_seconds, retry_seconds
        self._failed_at: float | None = None
        self._table_checked_at: float | None = None
        self._table_has_holds = False

    @property
    def storage(self) -> str:
        return "database" if self._skipping() else self.primary.storage

    def _skipping(self) -> bool:
        return self._failed_at is not None and _time.monotonic() - self._failed_at < self.retry_seconds

    def _merging(self) -> bool:
        now = _time.monotonic()
        if self._failed_at is not None and now - self._failed_at < self.remember_seconds:
            return True
        # Another worker or host may have fallen back without this one noticing.
        if self._table_checked_at is None or now - self._table_checked_at >= self.retry_seconds:
            self._table_has_holds = any(self.secondary.count_active().values())
            self._table_checked_at = now
        return self._table_has_holds

    def _run(self, name: str, *args, **kwargs):
        if not self._skipping():
            try:
                return getattr(self.primary, name)(*args, **kwargs)
            except Unavailable:
                log.warning("Redis hold store unreachable; falling back to the database store")
                self._failed_at = _time.monotonic()
        return getattr(self.secondary, name)(*args, **kwargs)

    def acquire(self, req: HoldRequest) -> HoldInfo:
        if self._merging() and not self._skipping():
            # Redis is back but database holds from the outage may still be live.
            if held_by_other(self.secondary.holds_for(req.employee_id, req.day), req.client_id, req.start, req.end):
                raise SlotHeld()
        return self._run("acquire", req)

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        removed = self._run("release", client_id, employee_id, day, time)
        if self._merging() and not self._skipping():
            removed = self.secondary.release(client_id, employee_id, day, time) or removed
        return removed

    def holds_for(self, employee_id: int, day: date, renew: tuple[str, str, int] | None = None) -> list[HoldInfo]:
        holds = self._run("holds_for", employee_id, day, renew)
        if self._merging() and not self._skipping():
            holds = holds + self.secondary.holds_for(employee_id, day, renew)
        return holds

    def client_hold(self, client_id: str) -> HoldInfo | None:
        hold = self._run("client_hold", client_id)
        if hold is None and self._merging() and not self._skipping():
            hold = self.secondary.client_hold(client_id)
        return hold

    def ping(self) -> bool:
        return self.primary.ping()

    def count_active(self) -> dict[str, int]:
        return self._run("count_active")

    def poll(self, employee_id: int, day: date, client_id: str, selected_time: str | None, ttl_seconds: int) -> list[HoldInfo]:
        holds = self._run("poll", employee_id, day, client_id, selected_time, ttl_seconds)
        if self._merging() and not self._skipping():
            renew = (client_id, selected_time, ttl_seconds) if selected_time else None
            holds = holds + self.secondary.holds_for(employee_id, day, renew)
        return holds

    def count_pollers(self, window_seconds: int = 15) -> int:
        return self._run("count_pollers", window_seconds)
