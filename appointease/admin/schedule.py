"""Working hours and time off (SPEC §3, §4 ``/admin/staff/<id>/hours`` and ``/time-off``).

A PUT replaces the whole week; time off is whole business-local days, inclusive. Both
take effect for availability and heartbeats at the commit: the write bumps the catalogue
version in its transaction (``catalog``'s flush hook), which every process's cache checks
on its next request. A change that strands upcoming appointments is allowed; the answer
lists their references (``affected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise

from sqlalchemy import select

from appointease.admin.catalogue import employee_row
from appointease.admin.stranded import on_days, outside_hours, upcoming
from appointease.context import Context
from appointease.db import advisory_lock, write_transaction
from appointease.errors import NotFound, ValidationFailed
from appointease.grid import DEFAULT_HOURS
from appointease.models import TimeOff, WorkingHours

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Interval:
    """One working interval: weekday 0 (Monday)–6 (Sunday), local wall times, end after start."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Week:
    """A staff member's week, sorted by weekday and start; ``affected`` as the module says."""

    employee_id: int
    hours: tuple[Interval, ...]
    affected: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimeOffInfo:
    """A time-off range (inclusive business-local dates); ``affected`` when just added."""

    id: int
    employee_id: int
    start_date: date
    end_date: date
    reason: str | None
    affected: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: TimeOff, affected: list[str] | tuple = ()) -> TimeOffInfo:
        """View a ``TimeOff`` row."""
        return cls(row.id, row.employee_id, row.start_date, row.end_date, row.reason, tuple(affected))


def week_problems(intervals: list[Interval]) -> list[str]:
    """Return what is wrong with a week, in words (empty when it is valid).

    Rules (SPEC §4): weekday 0–6; end after start; no two intervals of one day overlap
    (touching, e.g. 09:00–12:00 and 12:00–17:00, is fine); at least one interval.
    """
    if not intervals:
        return ["Give at least one working interval; use time off or deactivate the staff member to close."]
    problems = []
    for iv in intervals:
        if not 0 <= iv.weekday <= 6:
            problems.append(f"Weekday {iv.weekday} is not 0 (Monday) to 6 (Sunday).")
        elif iv.end <= iv.start:
            problems.append(
                f"{WEEKDAY_NAMES[iv.weekday]} {iv.start:%H:%M}–{iv.end:%H:%M}: the end must be after the start."
            )
    valid = sorted(
        (iv for iv in intervals if 0 <= iv.weekday <= 6 and iv.start < iv.end), key=lambda iv: (iv.weekday, iv.start)
    )
    for a, b in pairwise(valid):
        if a.weekday == b.weekday and b.start < a.end:
            problems.append(
                f"{WEEKDAY_NAMES[a.weekday]}: {a.start:%H:%M}–{a.end:%H:%M} overlaps {b.start:%H:%M}–{b.end:%H:%M}."
            )
    return problems


def _week(employee) -> tuple[Interval, ...]:
    """The stored week, sorted; no rows means the default Mon–Fri 09:00–17:00 (SPEC §3)."""
    rows = [(w.weekday, w.start_time, w.end_time) for w in employee.working_hours]
    if not rows:
        rows = [(d, s, e) for d in range(5) for s, e in DEFAULT_HOURS]
    return tuple(Interval(d, s, e) for d, s, e in sorted(rows))


def get_week(ctx: Context, employee_id: int) -> Week:
    """Return the week a staff member works (the default Mon–Fri 09–17 when none was set).

    Raises:
        NotFound: unknown staff member.
    """
    return Week(employee_id, _week(employee_row(ctx.session, employee_id)))


def set_week(ctx: Context, employee_id: int, intervals: list[Interval]) -> Week:
    """Replace a staff member's whole week.

    Returns:
        The new week; ``affected`` lists upcoming active appointments no longer inside
        one working interval of their day.

    Raises:
        NotFound: unknown staff member. ValidationFailed: ``week_problems`` found some.
    """
    problems = week_problems(intervals)
    if problems:
        raise ValidationFailed(fields={"_schema": problems})
    with write_transaction(ctx.session) as session:
        advisory_lock(session, "employee", employee_id)  # serialised with bookings for an exact list
        employee = employee_row(session, employee_id)
        employee.working_hours = [
            WorkingHours(weekday=iv.weekday, start_time=iv.start, end_time=iv.end) for iv in intervals
        ]
        weekly: dict[int, list] = {}
        for iv in intervals:
            weekly.setdefault(iv.weekday, []).append((iv.start, iv.end))
        affected = outside_hours(upcoming(session, ctx.now, employee_id=employee_id), weekly, ctx.rules.tz)
        session.flush()
        return Week(employee_id, _week(employee), tuple(affected))


def list_time_off(ctx: Context, employee_id: int) -> list[TimeOffInfo]:
    """Return a staff member's time off, earliest first. Raises NotFound (unknown staff member)."""
    employee_row(ctx.session, employee_id)
    rows = ctx.session.scalars(
        select(TimeOff).where(TimeOff.employee_id == employee_id).order_by(TimeOff.start_date, TimeOff.id)
    )
    return [TimeOffInfo.of(r) for r in rows]


def add_time_off(
    ctx: Context, employee_id: int, start_date: date, end_date: date, reason: str | None = None
) -> TimeOffInfo:
    """Add whole days off, ``start_date`` to ``end_date`` inclusive.

    Returns:
        The range; ``affected`` lists upcoming active appointments on those days.

    Raises:
        NotFound: unknown staff member. ValidationFailed: ``end_date`` before ``start_date``.
    """
    if end_date < start_date:
        raise ValidationFailed(fields={"end_date": ["Must not be before start_date."]})
    with write_transaction(ctx.session) as session:
        advisory_lock(session, "employee", employee_id)
        employee_row(session, employee_id)
        row = TimeOff(employee_id=employee_id, start_date=start_date, end_date=end_date, reason=reason)
        session.add(row)
        session.flush()
        affected = on_days(upcoming(session, ctx.now, employee_id=employee_id), start_date, end_date, ctx.rules.tz)
        return TimeOffInfo.of(row, affected)


def delete_time_off(ctx: Context, employee_id: int, time_off_id: int) -> None:
    """Remove a time-off range; its days become bookable again at once.

    Raises:
        NotFound: unknown staff member, or no such range of theirs.
    """
    with write_transaction(ctx.session) as session:
        employee_row(session, employee_id)
        row = session.get(TimeOff, time_off_id)
        if row is None or row.employee_id != employee_id:
            raise NotFound("Unknown time off.")
        session.delete(row)
