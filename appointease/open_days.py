"""Free start times per day over a range of days (SPEC §4 ``GET /availability/days``).

``count_free`` is the rule, a pure function; ``free_days`` gathers its inputs from the
database. A start time is free when it is on the slot grid of at least one of the
staff in question, not before now + minimum notice, not after now + the booking horizon,
and no active appointment of that staff member overlaps it. Holds are left out on
purpose: they are short-lived, and a day must not look closed because visitors are
choosing times on it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from appointease.availability import Busy, Schedule, overlaps, slot_grid
from appointease.catalog import Rules, get_employee, get_service, list_staff, schedule_of
from appointease.slots import booked_intervals, day_bounds

#: The most days one request may cover (SPEC §4).
MAX_DAYS = 62


def count_free(
    staff: Sequence[tuple[Schedule, Sequence[Busy]]],
    first: date,
    last: date,
    *,
    duration_minutes: int,
    step_minutes: int,
    tz: ZoneInfo,
    now: datetime,
    min_notice_minutes: int,
    horizon_days: int,
) -> list[tuple[date, int]]:
    """Count the bookable start times of each day from ``first`` to ``last`` inclusive.

    Args:
        staff: per staff member, their schedule and their appointments (``Busy``, UTC)
            overlapping the range.
        now: the current aware instant. Minutes for the duration, step and notice; days
            for the horizon.

    Returns:
        ``[(day, free)]`` in date order; ``free`` counts distinct ``HH:MM`` start times
        free with at least one of ``staff`` (0 on closed and past days and past the
        horizon).
    """
    earliest = now + timedelta(minutes=min_notice_minutes)
    latest = now + timedelta(days=horizon_days)
    out = []
    day = first
    while day <= last:
        free: set[str] = set()
        for schedule, busy in staff:
            for slot in slot_grid(schedule, day, duration_minutes, step_minutes, tz):
                if earliest <= slot.start <= latest and not any(
                        overlaps(slot.start, slot.end, b.start, b.end) for b in busy):
                    free.add(slot.time)
        out.append((day, len(free)))
        day += timedelta(days=1)
    return out


def free_days(
    session: Session, rules: Rules, now: datetime, first: date, last: date,
    service_id: int, employee_id: int | None = None,
) -> dict:
    """Answer ``GET /availability/days`` for one service and one or all of its staff.

    Returns:
        ``{days: [{date, free}], bookable_until}``: one entry per day of the range;
        ``bookable_until`` is the last business-local date inside the booking horizon
        (the widget's date picker stops there).

    Raises:
        NotFound: unknown service or employee. ValidationFailed: the employee does not
        perform the service.
    """
    service = get_service(session, service_id)
    employees: Iterable = [get_employee(session, employee_id, service)] if employee_id else list_staff(session, service_id)
    start, end = day_bounds(first, rules)[0], day_bounds(last, rules)[1]
    staff = [(schedule_of(e), booked_intervals(session, e.id, start, end)) for e in employees]
    session.rollback()
    days = count_free(staff, first, last, duration_minutes=service.duration_minutes, step_minutes=rules.slot_step,
                      tz=rules.tz, now=now, min_notice_minutes=rules.min_notice, horizon_days=rules.horizon_days)
    until = (now + timedelta(days=rules.horizon_days)).astimezone(rules.tz).date()
    return {"days": [{"date": d, "free": n} for d, n in days], "bookable_until": until}
