"""Slot resolution and the booking window (SPEC §3, §6): which slot a request names, and what occupies it.

What booking, changes and holding check before they take a slot: ``resolve_slot`` turns
(service, employee, day, ``HH:MM``) into a ``grid.Slot`` under the grid rules (working
hours, time off, the service's duration, minimum notice, horizon); ``booked_intervals``
reads the active appointments overlapping a stretch of time. The read model
(``appointease.live``) shares the window (``bookable``, ``last_bookable_day``) and the
day's bounds (``day_bounds``) with them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from appointease.catalog import cached_service, cached_staff
from appointease.config import Rules
from appointease.context import Context
from appointease.grid import Busy, Slot, find_slot
from appointease.lifecycle import ACTIVE
from appointease.models import Appointment


def day_bounds(day: date, rules: Rules) -> tuple[datetime, datetime]:
    """Return the UTC instants of business-local midnight at ``day`` and the next day."""
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=rules.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=rules.tz).astimezone(UTC)
    return start, end


_BOOKED = select(Appointment.start_at, Appointment.end_at).where(
    Appointment.employee_id == bindparam("employee_id"),
    Appointment.status.in_([str(s) for s in ACTIVE]),
    Appointment.start_at < bindparam("end"),
    Appointment.end_at > bindparam("start"),
)


def booked_intervals(session: Session, employee_id: int, start: datetime, end: datetime) -> list[Busy]:
    """Return the employee's active appointments overlapping ``[start, end)`` (UTC) as ``Busy``.

    Reads through the session's connection, so inside a write transaction it sees that
    transaction (booking's overlap check).
    """
    rows = session.connection().execute(_BOOKED, {"employee_id": employee_id, "start": start, "end": end}).all()
    return [Busy(s, e, "booked") for s, e in rows]


def last_bookable_day(ctx: Context) -> date:
    """The last business-local date inside the booking horizon (now + ``horizon_days``)."""
    return (ctx.now + timedelta(days=ctx.rules.horizon_days)).astimezone(ctx.rules.tz).date()


def bookable(slots: list[Slot], ctx: Context) -> list[Slot]:
    """Keep the slots that start between now + minimum notice and now + the horizon."""
    earliest = ctx.now + timedelta(minutes=ctx.rules.min_notice)
    latest = ctx.now + timedelta(days=ctx.rules.horizon_days)
    return [s for s in slots if earliest <= s.start <= latest]


def resolve_slot(ctx: Context, service_id: int, employee_id: int, day: date, hhmm: str) -> Slot:
    """Check service, employee and time against the grid rules and return the slot.

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours.
    """
    catalog, _seq = ctx.cache.snapshot(ctx.session, ctx.rules.tz)
    service = cached_service(catalog, service_id)
    staff = cached_staff(catalog, employee_id, service_id)
    return find_slot(
        staff.schedule,
        day,
        hhmm,
        duration_minutes=service.duration_minutes,
        step_minutes=ctx.rules.slot_step,
        tz=ctx.rules.tz,
        now=ctx.now,
        min_notice_minutes=ctx.rules.min_notice,
        horizon_days=ctx.rules.horizon_days,
    )
