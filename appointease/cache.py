"""Per-process caches for the heartbeat's hot path, never stale past a commit.

Two versions live in the database's ``counters`` table and are read together in one
small query per request (``LiveCache.versions``):

* ``catalog_version``: bumped in the same transaction as any change to services,
  staff, working hours or time off (an ORM ``before_flush`` hook, ``catalog.py``), so
  the catalogue snapshot (``Catalog``) is reloaded at the next request after a change,
  on every worker and host (issue 8: "invalidated by a version the admin writes bump").
* ``event_seq``: the event log's gap-free sequence, bumped in the same transaction as
  every appointment change (``events.append_event``), so the cached booked intervals
  of a (staff, day) are dropped at the first request after any booking commits
  (SPEC §5.2: a booking shows at the next poll, a rolled-back one never).

Nothing here is needed for correctness across processes: a cold cache just loads.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from threading import Lock
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.grid import DEFAULT_HOURS, Busy, Schedule
from appointease.models import Counter, Employee, Service, TimeOff, WorkingHours, employee_services

CATALOG_VERSION, EVENT_SEQ = "catalog_version", "event_seq"


@dataclass(frozen=True)
class ServiceEntry:
    """A service as the hot path needs it (durations in minutes)."""

    id: int
    name: str
    duration_minutes: int
    price: Decimal
    active: bool


@dataclass(frozen=True)
class StaffEntry:
    """A staff member as the hot path needs it: services performed and schedule."""

    id: int
    name: str
    active: bool
    service_ids: frozenset[int]
    schedule: Schedule


@dataclass(frozen=True)
class Catalog:
    """An immutable snapshot of the catalogue at ``version``."""

    version: int
    services: dict[int, ServiceEntry]
    staff: dict[int, StaffEntry]


def load_catalog(session: Session, version: int) -> Catalog:
    """Read the whole catalogue with four Core selects (no ORM objects).

    An employee without working-hours rows works the default Mon–Fri 09:00–17:00 (SPEC §3).
    """
    services = {
        r.id: ServiceEntry(r.id, r.name, r.duration_minutes, r.price, r.active)
        for r in session.execute(select(Service.id, Service.name, Service.duration_minutes, Service.price, Service.active))
    }
    weekly: dict[int, dict[int, list]] = {}
    for r in session.execute(select(WorkingHours.employee_id, WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time)):
        weekly.setdefault(r.employee_id, {}).setdefault(r.weekday, []).append((r.start_time, r.end_time))
    time_off: dict[int, list] = {}
    for r in session.execute(select(TimeOff.employee_id, TimeOff.start_date, TimeOff.end_date)):
        time_off.setdefault(r.employee_id, []).append((r.start_date, r.end_date))
    performs: dict[int, set] = {}
    for r in session.execute(select(employee_services.c.employee_id, employee_services.c.service_id)):
        performs.setdefault(r.employee_id, set()).add(r.service_id)
    staff = {}
    for r in session.execute(select(Employee.id, Employee.name, Employee.active)):
        hours = weekly.get(r.id) or {d: list(DEFAULT_HOURS) for d in range(5)}
        schedule = Schedule(weekly={d: sorted(v) for d, v in hours.items()}, time_off=tuple(time_off.get(r.id, ())))
        staff[r.id] = StaffEntry(r.id, r.name, r.active, frozenset(performs.get(r.id, ())), schedule)
    return Catalog(version, services, staff)


class LiveCache:
    """The catalogue snapshot and booked intervals per (staff, day), for one process.

    Args:
        max_days: how many (staff, day) entries of booked intervals to keep (LRU).

    Thread-safe (gthread workers): each structure is swapped or updated under a lock.
    """

    def __init__(self, max_days: int = 4096):
        self.max_days = max_days
        self._catalog: Catalog | None = None
        self._booked: OrderedDict[tuple[int, date], list[Busy]] = OrderedDict()
        self._booked_seq: int | None = None
        self._lock = Lock()

    @staticmethod
    def versions(session: Session) -> tuple[int, int]:
        """Return ``(catalog_version, event_seq)`` as committed now (one query; 0 when unset)."""
        found = dict(session.execute(select(Counter.name, Counter.value).where(Counter.name.in_((CATALOG_VERSION, EVENT_SEQ)))).all())
        return found.get(CATALOG_VERSION, 0), found.get(EVENT_SEQ, 0)

    def catalog(self, session: Session, version: int) -> Catalog:
        """Return the catalogue snapshot for ``version``, loading it when this process has another."""
        current = self._catalog
        if current is not None and current.version == version:
            return current
        fresh = load_catalog(session, version)
        self._catalog = fresh
        return fresh

    def booked(self, seq: int, employee_id: int, day: date, load: Callable[[], list[Busy]]) -> list[Busy]:
        """Return the active appointments of (staff, day), cached for event position ``seq``.

        Args:
            load: reads them from the database (called on a miss).
        """
        key = (employee_id, day)
        with self._lock:
            if self._booked_seq != seq:
                self._booked.clear()
                self._booked_seq = seq
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
