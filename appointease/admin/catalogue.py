"""Managing services and staff (SPEC §4 "CRUD /admin/services, /admin/staff").

Deactivating keeps every appointment and hides the service or staff member from new
bookings (the public catalogue, availability and booking only see active ones). Each
write bumps the catalogue version in its transaction (``catalog``'s flush hook calls
``bump_catalog_version``), so every process's catalogue cache reloads at its next
request, and reports the upcoming appointments it strands (``affected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from appointease.admin.stranded import references, upcoming
from appointease.context import Context
from appointease.db import advisory_lock, write_transaction
from appointease.errors import NotFound, ValidationFailed
from appointease.grid import DEFAULT_HOURS
from appointease.models import Employee, Service, WorkingHours

WORKDAYS = range(5)  # the default week: Monday–Friday (SPEC §3)


@dataclass(frozen=True)
class ServiceInfo:
    """A service as admins see it (inactive ones too); ``affected`` lists stranded references."""

    id: int
    name: str
    duration_minutes: int
    price: Decimal
    active: bool
    affected: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Service, affected: list[str] | tuple = ()) -> ServiceInfo:
        """View a ``Service`` row."""
        return cls(row.id, row.name, row.duration_minutes, row.price, row.active, tuple(affected))


@dataclass(frozen=True)
class StaffInfo:
    """A staff member as admins see them; ``service_ids`` sorted; ``affected`` as above."""

    id: int
    name: str
    active: bool
    service_ids: tuple[int, ...]
    affected: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Employee, affected: list[str] | tuple = ()) -> StaffInfo:
        """View an ``Employee`` row."""
        return cls(row.id, row.name, row.active, tuple(sorted(s.id for s in row.services)), tuple(affected))


def _service(session, service_id: int) -> Service:
    row = session.get(Service, service_id)
    if row is None:
        raise NotFound("Unknown service.")
    return row


def employee_row(session, employee_id: int) -> Employee:
    """Return the employee ``employee_id``, active or not.

    Raises:
        NotFound: no such staff member.
    """
    row = session.get(Employee, employee_id)
    if row is None:
        raise NotFound("Unknown staff member.")
    return row


def list_services(ctx: Context) -> list[ServiceInfo]:
    """Return every service, inactive ones included, by name."""
    return [ServiceInfo.of(s) for s in ctx.session.scalars(select(Service).order_by(Service.name, Service.id))]


def get_service(ctx: Context, service_id: int) -> ServiceInfo:
    """Return one service, active or not. Raises NotFound."""
    return ServiceInfo.of(_service(ctx.session, service_id))


def create_service(
    ctx: Context, *, name: str, duration_minutes: int, price: Decimal, active: bool = True
) -> ServiceInfo:
    """Add a service; it is bookable at once when ``active`` (and someone performs it)."""
    with write_transaction(ctx.session) as session:
        row = Service(name=name, duration_minutes=duration_minutes, price=price, active=active)
        session.add(row)
        session.flush()
        return ServiceInfo.of(row)


def update_service(ctx: Context, service_id: int, **changes) -> ServiceInfo:
    """Change a service's ``name``, ``duration_minutes``, ``price`` or ``active``.

    A new duration applies to new bookings; existing appointments keep their times.
    Deactivating lists every upcoming active appointment of the service as ``affected``.

    Raises:
        NotFound: unknown service.
    """
    with write_transaction(ctx.session) as session:
        row = _service(session, service_id)
        deactivating = row.active and changes.get("active") is False
        for key, value in changes.items():
            setattr(row, key, value)
        affected = references(upcoming(session, ctx.now, service_id=service_id)) if deactivating else []
        return ServiceInfo.of(row, affected)


def list_staff(ctx: Context) -> list[StaffInfo]:
    """Return every staff member, inactive ones included, by name."""
    return [StaffInfo.of(e) for e in ctx.session.scalars(select(Employee).order_by(Employee.name, Employee.id))]


def get_staff(ctx: Context, employee_id: int) -> StaffInfo:
    """Return one staff member, active or not. Raises NotFound."""
    return StaffInfo.of(employee_row(ctx.session, employee_id))


def _services(session, service_ids) -> list[Service]:
    wanted = sorted(set(service_ids))
    rows = list(session.scalars(select(Service).where(Service.id.in_(wanted)))) if wanted else []
    missing = sorted(set(wanted) - {s.id for s in rows})
    if missing:
        raise ValidationFailed(fields={"service_ids": [f"Unknown service ids: {', '.join(map(str, missing))}."]})
    return rows


def create_staff(ctx: Context, *, name: str, service_ids=(), active: bool = True) -> StaffInfo:
    """Add a staff member performing ``service_ids``, working the default week
    (Mon–Fri 09:00–17:00, SPEC §3) until ``PUT …/hours`` says otherwise.

    Raises:
        ValidationFailed: an unknown service id.
    """
    with write_transaction(ctx.session) as session:
        hours = [WorkingHours(weekday=d, start_time=s, end_time=e) for d in WORKDAYS for s, e in DEFAULT_HOURS]
        row = Employee(name=name, active=active, services=_services(session, service_ids), working_hours=hours)
        session.add(row)
        session.flush()
        return StaffInfo.of(row)


def update_staff(
    ctx: Context, employee_id: int, *, name: str | None = None, service_ids=None, active: bool | None = None
) -> StaffInfo:
    """Rename, change the services performed, or (de)activate a staff member.

    ``affected``: when deactivating, every upcoming active appointment of theirs; when
    services are taken away, their upcoming appointments for those services.

    Raises:
        NotFound: unknown staff member. ValidationFailed: an unknown service id.
    """
    with write_transaction(ctx.session) as session:
        advisory_lock(session, "employee", employee_id)  # serialised with bookings for an exact list
        row = employee_row(session, employee_id)
        mine = upcoming(session, ctx.now, employee_id=employee_id)
        stranded = set()
        if name is not None:
            row.name = name
        if service_ids is not None:
            row.services = _services(session, service_ids)
            kept = {s.id for s in row.services}
            stranded |= {a.reference for a in mine if a.service_id not in kept}
        if active is not None:
            if row.active and not active:
                stranded |= {a.reference for a in mine}
            row.active = active
        return StaffInfo.of(row, [a.reference for a in mine if a.reference in stranded])


def deactivate_service(ctx: Context, service_id: int) -> ServiceInfo:
    """Deactivate a service (``DELETE /admin/services/<id>``): see ``update_service``."""
    return update_service(ctx, service_id, active=False)


def deactivate_staff(ctx: Context, employee_id: int) -> StaffInfo:
    """Deactivate a staff member (``DELETE /admin/staff/<id>``): see ``update_staff``."""
    return update_staff(ctx, employee_id, active=False)
