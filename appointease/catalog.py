"""Catalogue look-ups: services, staff and their schedules (SPEC §3)."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from appointease.cache import CATALOG_VERSION, Catalog, ServiceEntry, StaffEntry
from appointease.errors import NotFound, ValidationFailed
from appointease.events import next_value
from appointease.models import Employee, Service, TimeOff, WorkingHours, employee_services

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
