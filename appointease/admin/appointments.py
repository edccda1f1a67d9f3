"""Appointments for staff and admins: the day's list, one appointment, status changes,
cancel and reschedule (SPEC §3 life cycle, §4 ``/admin/appointments``).

The customer routes' functions are reused: ``appointments.get``/``locate`` decide who
may see an appointment, ``changes.cancel``/``changes.reschedule`` change it, all on
behalf of the token's ``Actor`` (a staff token only its own employee's, 403 otherwise).
Every change appends its ``appointment.<what>`` event in the same transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from appointease import appointments, changes, idempotency
from appointease.appointments import AppointmentDetails, locate
from appointease.auth.principal import Principal
from appointease.context import Context
from appointease.db import write_transaction
from appointease.errors import InvalidTransition
from appointease.events import append_event
from appointease.idempotency import IdempotencyKey
from appointease.lifecycle import Status, can_change
from appointease.models import Appointment, Employee, Service
from appointease.slots import day_bounds


def list_appointments(
    ctx: Context, actor: Principal, day: date, employee_id: int | None = None, status: Status | None = None
) -> list[AppointmentDetails]:
    """Return the appointments starting on business-local ``day``, by start time.

    Args:
        employee_id: one staff member's (a staff token always gets its own).
        status: only appointments in that status.

    Raises:
        Forbidden: a staff token asked for another staff member.
    """
    employee_id = actor.scope(employee_id)
    start, end = day_bounds(day, ctx.rules)
    stmt = (
        select(Appointment, Service.name, Employee.name)
        .join(Service, Service.id == Appointment.service_id)
        .join(Employee, Employee.id == Appointment.employee_id)
        .where(Appointment.start_at >= start, Appointment.start_at < end)
        .order_by(Appointment.start_at, Appointment.employee_id, Appointment.reference)
    )
    if employee_id is not None:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if status is not None:
        stmt = stmt.where(Appointment.status == status)
    return [AppointmentDetails.build(a, ctx, service, employee) for a, service, employee in ctx.session.execute(stmt)]


def get_appointment(ctx: Context, actor: Principal, reference: str) -> AppointmentDetails:
    """Return one appointment in full.

    Raises:
        NotFound: no such reference. Forbidden: a staff token and another's appointment.
    """
    return appointments.get(ctx, reference, actor.actor)


def change_status(
    ctx: Context, actor: Principal, reference: str, status: Status, idem: IdempotencyKey | None = None
) -> AppointmentDetails:
    """Move an appointment to ``status`` along SPEC §3's life cycle, appending
    ``appointment.<status>`` in the same transaction.

    ``cancelled`` is ``changes.cancel`` itself (the customer routes' semantics: only a
    confirmed appointment, not past the cut-off); ``cancelled`` and ``no_show`` free the
    slot for every heartbeat at the commit. With ``idem``, a repeat of the same request
    returns the stored answer and changes nothing.

    Raises:
        NotFound: no such reference. Forbidden: a staff token and another's appointment.
        InvalidTransition: the life cycle does not allow the change (409).
        TooLate: a cancel past the cut-off.
    """
    if status == Status.CANCELLED:
        return changes.cancel(ctx, reference, actor.actor, idem)
    retention = ctx.rules.idempotency_retention_hours
    if idem is not None and (stored := idempotency.lookup(ctx.session, idem, ctx.now, retention)):
        return AppointmentDetails.from_record(stored.record)
    with write_transaction(ctx.session) as session:
        if idem is not None:
            idempotency.claim(session, idem)
            if stored := idempotency.lookup(session, idem, ctx.now, retention):
                return AppointmentDetails.from_record(stored.record)
        apt = locate(session, reference, actor.actor, for_update=True)
        if not can_change(apt.status, status):
            raise InvalidTransition(f"An appointment that is {apt.status} cannot become {status}.")
        apt.status = status
        session.flush()
        append_event(session, apt, f"appointment.{status}", ctx.now)
        view = AppointmentDetails.build(apt, ctx)
        if idem is not None:
            idempotency.remember(session, idem, 200, view.to_record(), ctx.now, retention)
        return view


def cancel(ctx: Context, actor: Principal, reference: str, idem: IdempotencyKey | None = None) -> AppointmentDetails:
    """Cancel with the customer route's semantics (``changes.cancel``) on the token's behalf."""
    return changes.cancel(ctx, reference, actor.actor, idem)


def reschedule(
    ctx: Context, actor: Principal, reference: str, new: changes.NewSlot, idem: IdempotencyKey | None = None
) -> AppointmentDetails:
    """Reschedule with the customer route's semantics (``changes.reschedule``); a staff
    token may only move its own appointments to its own day.

    Raises:
        Forbidden: a staff token and another's appointment or another staff member.
        The rest as ``changes.reschedule``.
    """
    if new.employee_id is not None:
        actor.scope(new.employee_id)
    return changes.reschedule(ctx, reference, new, actor.actor, idem)
