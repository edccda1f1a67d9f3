"""Catalogue look-ups: services, staff and their schedules (SPEC §3)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.grid import DEFAULT_HOURS, Schedule
from appointease.errors import NotFound, ValidationFailed
from appointease.models import Employee, Service, employee_services


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


def get_employee(session: Session, employee_id: int, service: Service | None = None) -> Employee:
    """Return the active employee ``employee_id``, checking they perform ``service``.

    Raises:
        NotFound: no such active employee.
        ValidationFailed: the employee does not perform ``service``.
    """
    employee = session.get(Employee, employee_id)
    if employee is None or not employee.active:
        raise NotFound("Unknown staff member.")
    if service is not None and all(s.id != service.id for s in employee.services):
        raise ValidationFailed(fields={"employee_id": ["This staff member does not perform that service."]})
    return employee


def schedule_of(employee: Employee) -> Schedule:
    """Snapshot an employee's working hours and time off as a plain ``Schedule``.

    An employee with no working-hours rows works the default Mon–Fri 09:00–17:00
    (SPEC §3).
    """
    weekly: dict[int, list] = {}
    for wh in employee.working_hours:
        weekly.setdefault(wh.weekday, []).append((wh.start_time, wh.end_time))
    if not employee.working_hours:
        weekly = {d: list(DEFAULT_HOURS) for d in range(5)}
    return Schedule(weekly=weekly, time_off=tuple((t.start_date, t.end_date) for t in employee.time_off))
