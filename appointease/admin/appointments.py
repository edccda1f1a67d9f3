"""Appointments for staff and admins: the day's list, one appointment, status changes
(SPEC §3 life cycle, §4 ``/admin/appointments``).

A staff token only sees and changes its own employee's appointments (``Principal``).
Every status change appends its ``appointment.<status>`` event in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from appointease.auth.principal import Principal
from appointease.context import Context
from appointease.db import write_transaction
from appointease.errors import InvalidTransition, NotFound
from appointease.events import append_event
from appointease.lifecycle import Status, can_change
from appointease.live import day_bounds
from appointease.models import Appointment, Employee, Service


@dataclass(frozen=True)
class AppointmentDetail:
    """An appointment in full (SPEC §4 "An appointment in JSON"); ``start``/``end`` are
    aware datetimes in the business time zone."""

    reference: str
    status: Status
    service_id: int
    service_name: str
    employee_id: int
    employee_name: str
    start: datetime
    end: datetime
    name: str
    email: str
    phone: str | None
    notes: str | None
    created_at: datetime

    @property
    def day(self) -> date:
        """The business-local date of the start."""
        return self.start.date()

    @property
    def time(self) -> str:
        """The business-local ``HH:MM`` of the start."""
        return self.start.strftime("%H:%M")


def _detailed(ctx: Context, stmt) -> list[AppointmentDetail]:
    """Run ``stmt`` (selecting ``Appointment``) joined with the service and staff names."""
    tz = ctx.rules.tz
    rows = ctx.session.execute(
        stmt.add_columns(Service.name, Employee.name)
        .join(Service, Service.id == Appointment.service_id)
        .join(Employee, Employee.id == Appointment.employee_id)
    ).all()
    return [AppointmentDetail(a.reference, Status(a.status), a.service_id, service, a.employee_id, employee,
                              a.start_at.astimezone(tz), a.end_at.astimezone(tz), a.customer_name, a.customer_email,
                              a.customer_phone, a.notes, a.created_at)
            for a, service, employee in rows]


def list_appointments(ctx: Context, actor: Principal, day: date, employee_id: int | None = None,
                      status: Status | None = None) -> list[AppointmentDetail]:
    """Return the appointments starting on business-local ``day``, by start time.

    Args:
        employee_id: one staff member's (a staff token always gets its own).
        status: only appointments in that status.

    Raises:
        Forbidden: a staff token asked for another staff member.
    """
    employee_id = actor.scope(employee_id)
    start, end = day_bounds(day, ctx.rules)
    stmt = select(Appointment).where(Appointment.start_at >= start, Appointment.start_at < end)
    if employee_id is not None:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if status is not None:
        stmt = stmt.where(Appointment.status == status)
    return _detailed(ctx, stmt.order_by(Appointment.start_at, Appointment.employee_id, Appointment.id))


def get_appointment(ctx: Context, actor: Principal, reference: str) -> AppointmentDetail:
    """Return one appointment.

    Raises:
        NotFound: no such reference. Forbidden: a staff token and another's appointment.
    """
    found = _detailed(ctx, select(Appointment).where(Appointment.reference == reference))
    if not found:
        raise NotFound("Unknown appointment.")
    actor.check_employee(found[0].employee_id)
    return found[0]


def change_status(ctx: Context, actor: Principal, reference: str, status: Status) -> AppointmentDetail:
    """Move an appointment to ``status`` along SPEC §3's life cycle and append
    ``appointment.<status>``, in one transaction.

    ``cancelled`` and ``no_show`` free the slot for every heartbeat at the commit.

    Raises:
        NotFound: no such reference. Forbidden: a staff token and another's appointment.
        InvalidTransition: the life cycle does not allow the change (409).
    """
    with write_transaction(ctx.session) as session:
        # FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises): two
        # concurrent changes of one appointment queue, and the second sees the first.
        apt = session.scalar(select(Appointment).where(Appointment.reference == reference).with_for_update())
        if apt is None:
            raise NotFound("Unknown appointment.")
        actor.check_employee(apt.employee_id)
        if not can_change(apt.status, status):
            raise InvalidTransition(f"An appointment that is {apt.status} cannot become {status}.")
        apt.status = status
        session.flush()
        append_event(session, apt, f"appointment.{status}", ctx.now)
    return get_appointment(ctx, actor, reference)
