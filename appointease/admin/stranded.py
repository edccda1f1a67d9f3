"""Which upcoming appointments a catalogue or schedule change leaves stranded (SPEC §4).

Such changes are allowed — the appointments are kept — but the admin is told their
references so the customers can be contacted.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.lifecycle import ACTIVE
from appointease.models import Appointment


def upcoming(
    session: Session, now: datetime, *, employee_id: int | None = None, service_id: int | None = None
) -> list[Appointment]:
    """Return active appointments that have not ended by ``now`` (UTC), soonest first.

    Args:
        employee_id, service_id: only that staff member's / that service's, when given.
    """
    stmt = select(Appointment).where(Appointment.status.in_(ACTIVE), Appointment.end_at > now)
    if employee_id is not None:
        stmt = stmt.where(Appointment.employee_id == employee_id)
    if service_id is not None:
        stmt = stmt.where(Appointment.service_id == service_id)
    return list(session.scalars(stmt.order_by(Appointment.start_at, Appointment.id)))


def outside_hours(
    appointments: list[Appointment], weekly: dict[int, list[tuple[time, time]]], tz: ZoneInfo
) -> list[str]:
    """Return the references of appointments not inside one working interval of their weekday.

    Args:
        weekly: weekday (0 = Monday) → ``[(start, end)]`` business-local wall times.
        tz: the business time zone.
    """
    out = []
    for apt in appointments:
        start, end = apt.start_at.astimezone(tz), apt.end_at.astimezone(tz)
        fits = start.date() == end.date() and any(
            s <= start.time() and end.time() <= e for s, e in weekly.get(start.weekday(), [])
        )
        if not fits:
            out.append(apt.reference)
    return out


def on_days(appointments: list[Appointment], first: date, last: date, tz: ZoneInfo) -> list[str]:
    """Return the references of appointments touching business-local days ``first``…``last``."""
    return [
        a.reference
        for a in appointments
        if a.start_at.astimezone(tz).date() <= last and a.end_at.astimezone(tz).date() >= first
    ]


def references(appointments: list[Appointment]) -> list[str]:
    """Return the references, in the given order."""
    return [a.reference for a in appointments]
