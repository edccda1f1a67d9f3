"""A day's live slot states (SPEC §1, §4): availability, the day overview and the heartbeat.

``day_states`` is the one computation of a day's slots for one staff member: the grid
(working hours, time off, the service's duration), minus times before now + minimum
notice or past the horizon, painted with appointments and holds from the asking
client's point of view. ``/availability`` and ``/heartbeat`` both use it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.catalog import get_employee, get_service, list_staff, schedule_of
from appointease.config import Rules
from appointease.context import Context
from appointease.errors import ValidationFailed
from appointease.grid import AVAILABLE, BOOKED, LOCKED, MINE, PROCESSING, Busy, Slot, find_slot, slot_grid, slot_states
from appointease.holds import HoldInfo
from appointease.lifecycle import ACTIVE
from appointease.models import Appointment

#: The longest range ``/availability/days`` answers, in days (SPEC §4).
MAX_DAYS = 62


def day_bounds(day: date, rules: Rules) -> tuple[datetime, datetime]:
    """Return the UTC instants of business-local midnight at ``day`` and the next day."""
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=rules.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=rules.tz).astimezone(UTC)
    return start, end


def booked_intervals(session: Session, employee_id: int, start: datetime, end: datetime) -> list[Busy]:
    """Return the employee's active appointments overlapping ``[start, end)`` (UTC) as ``Busy``."""
    rows = session.execute(
        select(Appointment.start_at, Appointment.end_at).where(
            Appointment.employee_id == employee_id,
            Appointment.status.in_(ACTIVE),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
    ).all()
    return [Busy(s, e, "booked") for s, e in rows]


def bookable(slots: list[Slot], ctx: Context) -> list[Slot]:
    """Keep the slots that start between now + minimum notice and now + the horizon."""
    earliest = ctx.now + timedelta(minutes=ctx.rules.min_notice)
    latest = ctx.now + timedelta(days=ctx.rules.horizon_days)
    return [s for s in slots if earliest <= s.start <= latest]


@dataclass(frozen=True)
class DayStates:
    """One staff member's day from one client's point of view.

    Attributes:
        slots: ``[(slot, state)]`` in start order; ``state`` is a SPEC §1 state or ``mine``.
        own: the asking client's live hold on this day, or None.
    """

    slots: list[tuple[Slot, str]]
    own: HoldInfo | None


def day_states(
    ctx: Context, day: date, employee_id: int, duration_minutes: int, client_id: str | None, holds: list[HoldInfo]
) -> DayStates:
    """Compute the day's bookable slots and their states (SPEC §1, §4).

    Args:
        duration_minutes: slot length: the service's duration, else the grid step.
        holds: the live holds on (employee, day), as the hold store returned them.

    Raises:
        NotFound: unknown or inactive employee.
    """
    employee = get_employee(ctx.session, employee_id)
    grid = bookable(slot_grid(schedule_of(employee), day, duration_minutes, ctx.rules.slot_step, ctx.rules.tz), ctx)
    start, end = day_bounds(day, ctx.rules)
    busy = booked_intervals(ctx.session, employee_id, start, end)
    busy += [Busy(h.start, h.end, h.kind, h.client_id, h.time) for h in holds]
    own = next((h for h in holds if client_id is not None and h.client_id == client_id), None)
    return DayStates(slot_states(grid, busy, client_id), own)


@dataclass(frozen=True)
class Availability:
    """``GET /availability``: the day's slots for one staff member and service."""

    day: date
    employee_id: int
    service_id: int
    timezone: str
    slots: list[dict]


def availability(ctx: Context, day: date, employee_id: int, service_id: int, client_id: str | None) -> Availability:
    """Return the day's bookable slots with their states (SPEC §4 ``GET /availability``).

    Slots before now + minimum notice or past the horizon are left out (they cannot be
    booked); ``slots`` items are ``{time: "HH:MM", start: aware UTC datetime, status}``.

    Raises:
        NotFound: unknown service or employee. ValidationFailed: the employee does not
        perform the service. Unavailable: the hold store and its fallback are down.
    """
    service = get_service(ctx.session, service_id)
    get_employee(ctx.session, employee_id, service)
    states = day_states(ctx, day, employee_id, service.duration_minutes, client_id, ctx.holds.holds(employee_id, day))
    slots = [{"time": s.time, "start": s.start, "status": st} for s, st in states.slots]
    return Availability(day, employee_id, service_id, ctx.rules.tz.key, slots)


def days_overview(ctx: Context, first: date, last: date, service_id: int, employee_id: int | None) -> list[dict]:
    """Count the bookable start times of each day (SPEC §4 ``GET /availability/days``).

    A start time counts when at least one staff member (``employee_id``, else every
    active one who performs the service) is free then: on the grid, inside the notice
    and horizon window, not overlapping an active appointment. Short-lived holds are
    not subtracted.

    Returns:
        ``[{date, free}]``, one per day from ``first`` to ``last`` inclusive.

    Raises:
        ValidationFailed: ``last`` before ``first`` or more than ``MAX_DAYS`` days.
        NotFound: unknown service or employee. ValidationFailed: the employee does not
        perform the service.
    """
    if last < first:
        raise ValidationFailed(fields={"to": ["Must not be before 'from'."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(fields={"to": [f"At most {MAX_DAYS} days per request."]})
    service = get_service(ctx.session, service_id)
    staff = [get_employee(ctx.session, employee_id, service)] if employee_id is not None else list_staff(ctx.session, service_id)
    range_start, _ = day_bounds(first, ctx.rules)
    _, range_end = day_bounds(last, ctx.rules)
    out = []
    schedules = {e.id: schedule_of(e) for e in staff}
    booked = {e.id: booked_intervals(ctx.session, e.id, range_start, range_end) for e in staff}
    day = first
    while day <= last:
        free: set[str] = set()
        for e in staff:
            grid = bookable(slot_grid(schedules[e.id], day, service.duration_minutes, ctx.rules.slot_step, ctx.rules.tz), ctx)
            free.update(s.time for s, st in slot_states(grid, booked[e.id], None) if st == AVAILABLE)
        out.append({"date": day, "free": len(free)})
        day += timedelta(days=1)
    return out


def resolve_slot(ctx: Context, service_id: int, employee_id: int, day: date, hhmm: str) -> Slot:
    """Check service, employee and time against the grid rules and return the slot.

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours.
    """
    service = get_service(ctx.session, service_id)
    employee = get_employee(ctx.session, employee_id, service)
    return find_slot(
        schedule_of(employee), day, hhmm,
        duration_minutes=service.duration_minutes, step_minutes=ctx.rules.slot_step, tz=ctx.rules.tz,
        now=ctx.now, min_notice_minutes=ctx.rules.min_notice, horizon_days=ctx.rules.horizon_days,
    )


def _version(payload: dict) -> str:
    """A short digest of what the widget paints; equal digests mean nothing changed."""
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


@dataclass(frozen=True)
class Heartbeat:
    """One heartbeat answer (SPEC §4 ``POST /heartbeat``).

    ``changed`` is False when the client's ``known_version`` is current: then only
    ``version``, ``interval_seconds`` and ``server_time`` are sent.
    """

    changed: bool
    version: str
    server_time: datetime
    interval_seconds: int
    day: date
    employee_id: int
    booked: list[str]
    locked: list[str]
    processing: list[str]
    mine: dict | None
    storage: str


def heartbeat(
    ctx: Context, *, day: date, employee_id: int, client_id: str, service_id: int | None = None,
    selected_time: str | None = None, known_version: str | None = None,
) -> Heartbeat:
    """Answer one widget poll (SPEC §4 ``POST /heartbeat``).

    Renews the client's selection at ``selected_time``, then lists the bookable grid
    times (slot length: the service's duration, else the slot step) that overlap an
    active appointment (``booked``), another client's lock (``locked``) or selection
    (``processing``). The client's own hold is ``mine`` (``{time, kind, expires_at}``).
    No names, emails or other clients' ids are returned.

    Raises:
        NotFound: unknown employee or service. Unavailable: no hold store reachable.
    """
    duration = get_service(ctx.session, service_id).duration_minutes if service_id is not None else ctx.rules.slot_step
    holds = ctx.holds.poll(employee_id, day, client_id, selected_time, ctx.rules.selection_ttl)
    states = day_states(ctx, day, employee_id, duration, client_id, holds)
    lists: dict[str, list[str]] = {BOOKED: [], LOCKED: [], PROCESSING: []}
    for slot, state in states.slots:
        if state in lists:
            lists[state].append(slot.time)
    own = states.own
    mine = {"time": own.time, "kind": own.kind} if own else None
    # The version covers what is painted, not the renewed expiry, so a renewal alone
    # does not force a full answer.
    version = _version({"d": day.isoformat(), "e": employee_id, "s": service_id, **lists, MINE: mine})
    changed = known_version is None or known_version != version
    if own:
        mine["expires_at"] = own.expires_at
    return Heartbeat(changed, version, ctx.now, ctx.rules.heartbeat_interval, day, employee_id,
                     lists[BOOKED], lists[LOCKED], lists[PROCESSING], mine, ctx.holds.storage)
