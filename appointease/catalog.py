"""The catalogue (SPEC §3): services, staff and their schedules.

Owns the ORM look-ups behind the public catalogue endpoints, the immutable snapshot the
hot path reads (``Catalog``, loaded by ``load_catalog`` and kept per process by
``cache.LiveCache``) with its look-ups, and the version that invalidates that snapshot
(``CATALOG_VERSION``, bumped by an ORM ``before_flush`` hook in the changing transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from appointease.errors import NotFound, ValidationFailed
from appointease.events import next_value
from appointease.grid import DEFAULT_HOURS, Schedule
from appointease.models import Employee, Service, TimeOff, WorkingHours, employee_services

#: The ``counters`` row holding the catalogue version.
CATALOG_VERSION = "catalog_version"
_CATALOG_MODELS = (Service, Employee, WorkingHours, TimeOff)


def bump_catalog_version(session: Session) -> int:
    """Increment the catalogue version in the current transaction (invalidates every
    process's ``LiveCache`` catalogue at its next request, ``appointease.cache``)."""
    return next_value(session, CATALOG_VERSION)


@event.listens_for(Session, "before_flush")
def _bump_on_catalog_change(session: Session, _flush_context, _instances) -> None:
    """Bump the catalogue version whenever a flush writes services, staff, hours or time off.

    In the same transaction as the change, so no code path can forget it and a
    rolled-back change bumps nothing.
    """
    touched = (session.new, session.dirty, session.deleted)
    if any(isinstance(obj, _CATALOG_MODELS) for group in touched for obj in group):
        bump_catalog_version(session)


def list_services(session: Session) -> list[Service]:
    """Return active services ordered by name (SPEC §4 ``GET /services``)."""
    return list(session.scalars(select(Service).where(Service.active.is_(True)).order_by(Service.name, Service.id)))


def list_staff(session: Session, service_id: int | None = None) -> list[Employee]:
    """Return active staff, optionally only those performing ``service_id``.

    Raises:
        NotFound: ``service_id`` is given but is not an active service.
    """
    stmt = select(Employee).where(Employee.active.is_(True)).order_by(Employee.name, Employee.id)
    if service_id is not None:
        get_service(session, service_id)
        stmt = stmt.join(employee_services).where(employee_services.c.service_id == service_id)
    return list(session.scalars(stmt))


def get_service(session: Session, service_id: int) -> Service:
    """Return the active service ``service_id``.

    Raises:
        NotFound: no such active service.
    """
    service = session.get(Service, service_id)
    if service is None or not service.active:
        raise NotFound("Unknown service.")
    return service


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
        for r in session.execute(
            select(Service.id, Service.name, Service.duration_minutes, Service.price, Service.active)
        )
    }
    weekly: dict[int, dict[int, list]] = {}
    for r in session.execute(
        select(WorkingHours.employee_id, WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time)
    ):
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


def cached_service(catalog: Catalog, service_id: int) -> ServiceEntry:
    """Return the active service from a catalogue snapshot.

    Raises:
        NotFound: no such active service.
    """
    service = catalog.services.get(service_id)
    if service is None or not service.active:
        raise NotFound("Unknown service.")
    return service


def cached_staff(catalog: Catalog, employee_id: int, service_id: int | None = None) -> StaffEntry:
    """Return the active staff member from a catalogue snapshot, checking they perform ``service_id``.

    Raises:
        NotFound: no such active staff member.
        ValidationFailed: they do not perform ``service_id``.
    """
    staff = catalog.staff.get(employee_id)
    if staff is None or not staff.active:
        raise NotFound("Unknown staff member.")
    if service_id is not None and service_id not in staff.service_ids:
        raise ValidationFailed(fields={"employee_id": ["This staff member does not perform that service."]})
    return staff
