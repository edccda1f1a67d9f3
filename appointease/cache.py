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

Nothing here is needed for correctness across processes: a cold cache just loads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from threading import Lock
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from appointease.catalog import CATALOG_VERSION, Catalog, StaffEntry, load_catalog
from appointease.grid import Busy, Slot, slot_grid
from appointease.models import Counter, Event

#: The event log's sequence counter (``events.append_event`` bumps it).
EVENT_SEQ = "event_seq"
_VERSIONS = select(Counter.name, Counter.value).where(Counter.name.in_((CATALOG_VERSION, EVENT_SEQ)))
_EVENTS_BETWEEN = select(Event.type, Event.employee_id, Event.start_at).where(
    Event.seq > bindparam("after"), Event.seq <= bindparam("upto")
)
#: A cache further behind than this many events starts afresh instead of replaying them.
MAX_EVENTS_TO_REPLAY = 200
RESCHEDULED = "appointment.rescheduled"


class LiveCache:
    """The catalogue snapshot and booked intervals per (staff, day), for one process.

    Args:
        max_days: how many (staff, day) entries of booked intervals to keep (LRU).

    Thread-safe (gthread workers): each structure is swapped or updated under a lock.
    """

    def __init__(self, max_days: int = 4096):
        self.max_days = max_days
        self._catalog: Catalog | None = None
        self._grids: OrderedDict[tuple, list[Slot]] = OrderedDict()
        self._grids_version: int | None = None
        self._booked: OrderedDict[tuple[int, date], list[Busy]] = OrderedDict()
        self._booked_seq: int | None = None
        self._lock = Lock()

    @staticmethod
    def versions(session: Session) -> tuple[int, int]:
        """Return ``(catalog_version, event_seq)`` as committed now (one query; 0 when unset).

        Runs on the session's connection (Core, a prebuilt statement): the ORM layer
        would cost more than the query.
        """
        found = dict(session.connection().execute(_VERSIONS).all())
        return found.get(CATALOG_VERSION, 0), found.get(EVENT_SEQ, 0)

    def snapshot(self, session: Session, tz: ZoneInfo) -> tuple[Catalog, int]:
        """Read this request's versions once and return ``(catalogue snapshot, event seq)``.

        The one entry of a request into the cache: ``versions``, then the booked-interval
        cache brought up to that ``seq`` (``sync_booked``, days local to ``tz``), then the
        catalogue for that version. Pass both results on to ``grid`` and ``booked``.
        """
        catalog_version, seq = self.versions(session)
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
        """
        with self._lock:
            current = self._booked_seq
            if current == seq or (current is not None and seq < current):
                return
            if current is None or seq - current > MAX_EVENTS_TO_REPLAY:
                self._booked.clear()
            else:
                rows = session.connection().execute(_EVENTS_BETWEEN, {"after": current, "upto": seq}).all()
                if any(row.type == RESCHEDULED for row in rows):
                    self._booked.clear()
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
