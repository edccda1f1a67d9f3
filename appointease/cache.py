"""Per-process caches for the heartbeat's hot path, never stale past a commit.

Two versions live in the database's ``counters`` table and are read together in one
small query per request (``LiveCache.versions``):

* ``catalog_version``: bumped in the same transaction as any change to services,
  staff, working hours or time off (an ORM ``before_flush`` hook, ``catalog.py``), so
  the catalogue snapshot (``catalog.Catalog``) is reloaded at the next request after a
  change, on every worker and host (issue 8: "invalidated by a version the admin writes bump").
* ``event_seq``: the event log's gap-free sequence, bumped in the same transaction as
  every appointment change (``events.append_event``). When it moves, the events since
  the cache's position name the (staff, day) entries to drop, so a booking shows at
  the next poll and a rolled-back one never (SPEC §5.2), while other days stay warm.

The same query also reads ``holds_fallback_at`` (``HOLDS_FALLBACK_AT``), the minute of
the latest Redis outage any process served holds from the database in; it feeds
``fallback_signal``, so the fallback hold store learns at no extra cost whether
database holds may be live (``appointease.holds.fallback``).

Concurrent requests of one process may share one versions read (``SingleFlight``),
but only a read that started after they arrived: exactly as fresh as reading alone.

Nothing here is needed for correctness across processes: a cold cache just loads.
"""

from __future__ import annotations

import time as _time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from threading import Event as _Event
from threading import Lock
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from appointease.catalog import CATALOG_VERSION, Catalog, StaffEntry, load_catalog
from appointease.grid import Busy, Slot, slot_grid
from appointease.models import Counter, Event

#: The event log's sequence counter (``events.append_event`` bumps it).
EVENT_SEQ = "event_seq"
#: The counters row holding the minute (Unix time // 60, rounded up) of the latest Redis
#: outage in which some process served holds from the database (``holds.fallback``).
HOLDS_FALLBACK_AT = "holds_fallback_at"
_VERSIONS = select(Counter.name, Counter.value).where(Counter.name.in_((CATALOG_VERSION, EVENT_SEQ, HOLDS_FALLBACK_AT)))
_EVENTS_BETWEEN = select(Event.type, Event.employee_id, Event.start_at).where(
    Event.seq > bindparam("after"), Event.seq <= bindparam("upto")
)
#: A cache further behind than this many events starts afresh instead of replaying them.
MAX_EVENTS_TO_REPLAY = 200
RESCHEDULED = "appointment.rescheduled"

T = TypeVar("T")


class FallbackSignal:
    """The last value of the ``holds_fallback_at`` counter this process read, and when.

    Written by every versions read (``LiveCache.versions``) and by the fallback hold
    store when it records an outage; read by that store to decide whether database
    holds may be live (``appointease.holds.fallback``). Plain attribute writes: a
    reader sees one whole ``(value, seen_at)`` pair (a tuple swapped in one step).
    """

    def __init__(self) -> None:
        self._state: tuple[int, float] | None = None

    def observe(self, value: int) -> None:
        """Note that the counter read ``value`` (minutes; 0 when no fallback was ever recorded) now."""
        self._state = (value, _time.monotonic())

    def fresh_value(self, max_age_seconds: float) -> int | None:
        """Return the value seen less than ``max_age_seconds`` ago (monotonic), else None."""
        state = self._state
        if state is None or _time.monotonic() - state[1] >= max_age_seconds:
            return None
        return state[0]


#: The process-wide signal the versions read feeds (one per process, like the cache).
fallback_signal = FallbackSignal()


class _Flight(Generic[T]):
    """One shared read: its result or error, and an event set when it is known."""

    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = _Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """Share one read among concurrent callers, never a read that started before a caller arrived.

    A caller arriving while no read runs starts one at once. Callers arriving while a
    read runs join the *next* read (one is queued at a time; its first caller leads it),
    which starts when the running one ends, so the result each caller gets comes from a
    read that began after it called ``run``: exactly as fresh as reading alone. The
    leader runs the read in its own thread (its own session); an exception it raises is
    raised to every caller of that read, and the next call reads again. Plain threading.
    """

    def __init__(self) -> None:
        self._lock = Lock()
        self._running: _Flight[T] | None = None
        self._next: _Flight[T] | None = None

    def run(self, read: Callable[[], T]) -> T:
        """Return the result of a ``read()`` that started after this call (this thread's or shared).

        Raises:
            Whatever that ``read()`` raised.
        """
        joined, after = False, None
        with self._lock:
            if self._running is None:
                flight = self._running = _Flight()
            elif self._next is not None:
                flight, joined = self._next, True
            else:
                after, flight = self._running, _Flight()
                self._next = flight
        if joined:
            return self._wait(flight)
        if after is not None:
            after.done.wait()
            with self._lock:
                # From here on nobody joins this read: it is about to start.
                if self._next is flight:
                    self._next = None
                self._running = flight
        try:
            flight.result = read()
            return flight.result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                if self._running is flight:
                    self._running = None
            flight.done.set()

    @staticmethod
    def _wait(flight: _Flight[T]) -> T:
        flight.done.wait()
        if flight.error is not None:
            raise flight.error
        return flight.result  # type: ignore[return-value]


class LiveCache:
    """The catalogue snapshot and booked intervals per (staff, day), for one process.

    Args:
        max_days: how many (staff, day) entries of booked intervals to keep (LRU).
        signal: where versions reads report the ``holds_fallback_at`` counter (default:
            the process-wide ``fallback_signal``).

    Thread-safe (gthread workers): each structure is swapped or updated under a lock.
    """

    def __init__(self, max_days: int = 4096, signal: FallbackSignal | None = None):
        self.max_days = max_days
        self.signal = fallback_signal if signal is None else signal
        self._versions_flight: SingleFlight[tuple[int, int]] = SingleFlight()
        self._catalog: Catalog | None = None
        self._grids: OrderedDict[tuple, list[Slot]] = OrderedDict()
        self._grids_version: int | None = None
        self._booked: OrderedDict[tuple[int, date], list[Busy]] = OrderedDict()
        self._booked_seq: int | None = None
        self._lock = Lock()

    @staticmethod
    def versions(session: Session, signal: FallbackSignal = fallback_signal) -> tuple[int, int]:
        """Return ``(catalog_version, event_seq)`` as committed now (one query; 0 when unset).

        Runs on the session's connection (Core, a prebuilt statement): the ORM layer
        would cost more than the query. The same query's ``holds_fallback_at`` row goes
        to ``signal`` (0 when absent).
        """
        found = dict(session.connection().execute(_VERSIONS).all())
        signal.observe(found.get(HOLDS_FALLBACK_AT, 0))
        return found.get(CATALOG_VERSION, 0), found.get(EVENT_SEQ, 0)

    def snapshot(self, session: Session, tz: ZoneInfo, *, shared: bool = False) -> tuple[Catalog, int]:
        """Read this request's versions once and return ``(catalogue snapshot, event seq)``.

        The one entry of a request into the cache: ``versions``, then the booked-interval
        cache brought up to that ``seq`` (``sync_booked``, days local to ``tz``), then the
        catalogue for that version. Pass both results on to ``grid`` and ``booked``.

        Args:
            shared: read-only requests (heartbeat, availability) pass True to share a
                concurrent versions read that started after they arrived (``SingleFlight``,
                run on the leading request's own session). Leave it False in a request
                that writes (booking): its checks must read on its own transaction.
        """
        if shared:
            catalog_version, seq = self._versions_flight.run(lambda: self.versions(session, self.signal))
        else:
            catalog_version, seq = self.versions(session, self.signal)
        self.sync_booked(session, seq, tz)
        return self.catalog(session, catalog_version), seq

    def catalog(self, session: Session, version: int) -> Catalog:
        """Return the catalogue snapshot for ``version``, loading it when this process has another."""
        current = self._catalog
        if current is not None and current.version == version:
            return current
        fresh = load_catalog(session, version)
        self._catalog = fresh
        return fresh

    def grid(
        self, catalog_version: int, staff: StaffEntry, day: date, duration: int, step: int, tz: ZoneInfo
    ) -> list[Slot]:
        """Return the slot grid of (staff, day, duration), cached for the catalogue version.

        The grid is a pure function of the schedule (``grid.slot_grid``); it only
        changes with the catalogue.
        """
        key = (staff.id, day, duration, step, tz.key)
        with self._lock:
            if self._grids_version != catalog_version:
                self._grids.clear()
                self._grids_version = catalog_version
            hit = self._grids.get(key)
            if hit is not None:
                self._grids.move_to_end(key)
                return hit
        fresh = slot_grid(staff.schedule, day, duration, step, tz)
        with self._lock:
            if self._grids_version == catalog_version:
                self._grids[key] = fresh
                if len(self._grids) > self.max_days:
                    self._grids.popitem(last=False)
        return fresh

    def sync_booked(self, session: Session, seq: int, tz: ZoneInfo) -> None:
        """Bring the booked-interval cache up to event ``seq`` (this request's read of it).

        Reads the events committed since the cache's position and drops only the
        (staff, local day) entries they touch, so a trickle of bookings does not cool
        every other day; a reschedule (whose old slot is not in its event), a jump of
        more than ``MAX_EVENTS_TO_REPLAY`` events, or a first sync drops everything.
        Never moves backwards: a request that read an older ``seq`` changes nothing.

        The events are read outside the lock, so other threads keep hitting the cache at
        its current position meanwhile. They are applied only if the position is still
        below ``seq``; it may have moved meanwhile (another thread synced to some ``p``
        with ``current <= p < seq``), and the events read, ``(current, seq]``, cover
        ``(p, seq]``, so dropping what they touch is still exact.
        """
        with self._lock:
            current = self._booked_seq
            if current == seq or (current is not None and seq < current):
                return
            if current is None or seq - current > MAX_EVENTS_TO_REPLAY:
                self._booked.clear()
                self._booked_seq = seq
                return
        rows = session.connection().execute(_EVENTS_BETWEEN, {"after": current, "upto": seq}).all()
        with self._lock:
            position = self._booked_seq
            if position is None or position >= seq:
                return
            if position < current or any(row.type == RESCHEDULED for row in rows):
                self._booked.clear()
            else:
                for row in rows:
                    self._booked.pop((row.employee_id, row.start_at.astimezone(tz).date()), None)
            self._booked_seq = seq

    def booked(self, seq: int, employee_id: int, day: date, load: Callable[[], list[Busy]]) -> list[Busy]:
        """Return the active appointments of (staff, day), from the cache when it is at ``seq``.

        Args:
            seq: the event position this request read (``versions``) and synced to.
            load: reads them from the database (called on a miss). The result is kept
                only if no newer event was synced meanwhile, so an entry is never older
                than the cache's position (SPEC §5.2: never stale past a commit).
        """
        key = (employee_id, day)
        with self._lock:
            if self._booked_seq == seq:
                hit = self._booked.get(key)
                if hit is not None:
                    self._booked.move_to_end(key)
                    return hit
        found = load()
        with self._lock:
            if self._booked_seq == seq:
                self._booked[key] = found
                if len(self._booked) > self.max_days:
                    self._booked.popitem(last=False)
        return found
