"""The read model of a day's slots (SPEC §1, §4): availability, the day overview and the heartbeat.

``day_states`` is the one computation of a day's slots for one staff member: the grid
(working hours, time off, the service's duration), minus times before now + minimum
notice or past the horizon, painted with appointments and holds from the asking
client's point of view. ``/availability``, ``/availability/days`` and ``/heartbeat``
all use it. Checking one requested slot before it is taken is ``appointease.slots``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from appointease.catalog import Catalog, StaffEntry, cached_service, cached_staff
from appointease.context import Context
from appointease.errors import NotFound, ValidationFailed
from appointease.grid import AVAILABLE, BOOKED, LOCKED, PROCESSING, Busy, Slot, slot_states
from appointease.holds import HoldInfo, PollRequest
from appointease.slots import bookable, booked_intervals, day_bounds

#: The longest range ``/availability/days`` answers, in days (SPEC §4).
MAX_DAYS = 62


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
    ctx: Context,
    catalog: Catalog,
    seq: int,
    staff: StaffEntry,
    day: date,
    duration_minutes: int,
    client_id: str | None,
    holds: list[HoldInfo],
) -> DayStates:
    """Compute one staff member's bookable slots on ``day`` and their states (SPEC §1, §4).

    The one day computation behind ``/availability`` and ``/heartbeat``: the grid
    (working hours, time off, ``duration_minutes``), minus times before now + minimum
    notice or past the horizon, painted with active appointments (cached per ``seq``,
    the event log's position read in this request) and ``holds``.

    Args:
        catalog, seq: the snapshot and event position from ``LiveCache.versions`` of this request.
        duration_minutes: slot length: the service's duration, else the grid step.
        holds: the live holds on (staff, day), as the hold store returned them.
    """
    grid = bookable(
        ctx.cache.grid(catalog.version, staff, day, duration_minutes, ctx.rules.slot_step, ctx.rules.tz), ctx
    )
    start, end = day_bounds(day, ctx.rules)
    busy = (
        list(ctx.cache.booked(seq, staff.id, day, lambda: booked_intervals(ctx.session, staff.id, start, end)))
        if grid
        else []
    )
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
    catalog, seq = ctx.cache.snapshot(ctx.session, ctx.rules.tz, shared=True)
    service = cached_service(catalog, service_id)
    staff = cached_staff(catalog, employee_id, service_id)
    states = day_states(
        ctx, catalog, seq, staff, day, service.duration_minutes, client_id, ctx.holds.holds(employee_id, day)
    )
    slots = [{"time": s.time, "start": s.start, "status": st} for s, st in states.slots]
    return Availability(day, employee_id, service_id, ctx.rules.tz.key, slots)


def days_overview(ctx: Context, first: date, last: date, service_id: int, employee_id: int | None) -> list[dict]:
    """Count the bookable start times of each day (SPEC §4 ``GET /availability/days``).

    A start time counts when at least one staff member (``employee_id``, else every
    active one who performs the service) is free then: on the grid, inside the notice
    and horizon window, not overlapping an active appointment, and not held by a live
    selection or lock (anyone's: the answer is the same for every visitor), so a day
    held in full reads 0 (issue 16 point 8). Holds are read, one hold-store round trip
    per day, only on days with a free time left after the appointments.

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
    catalog, seq = ctx.cache.snapshot(ctx.session, ctx.rules.tz, shared=True)
    service = cached_service(catalog, service_id)
    if employee_id is not None:
        staff = [cached_staff(catalog, employee_id, service_id)]
    else:
        staff = [s for s in catalog.staff.values() if s.active and service_id in s.service_ids]
    out = []
    day = first
    while day <= last:
        free = _free_times(ctx, catalog, seq, staff, day, service.duration_minutes, {})
        if free and staff:
            holds = ctx.holds.poll(PollRequest([m.id for m in staff], day)).holds
            if any(holds.values()):
                free = _free_times(ctx, catalog, seq, staff, day, service.duration_minutes, holds)
        out.append({"date": day, "free": len(free)})
        day += timedelta(days=1)
    return out


def _free_times(
    ctx: Context,
    catalog: Catalog,
    seq: int,
    staff: list[StaffEntry],
    day: date,
    duration_minutes: int,
    holds: dict[int, list[HoldInfo]],
) -> set[str]:
    """The ``HH:MM`` times of ``day`` at which at least one of ``staff`` is available,
    given the live ``holds`` per staff id (``days_overview``)."""
    free: set[str] = set()
    for member in staff:
        states = day_states(ctx, catalog, seq, member, day, duration_minutes, None, holds.get(member.id, []))
        free.update(slot.time for slot, state in states.slots if state == AVAILABLE)
    return free


def _version(payload) -> str:
    """A short digest of what the widget paints; equal digests mean nothing changed."""
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


@dataclass(frozen=True)
class StaffLists:
    """One staff member's painted times in a heartbeat (``HH:MM``, business-local).

    ``times`` is every bookable start time of the day (the grid after hours, time off,
    the slot length, notice and horizon), in order; the other lists are subsets of it.
    """

    employee_id: int
    booked: list[str]
    locked: list[str]
    processing: list[str]
    times: list[str]


@dataclass(frozen=True)
class Heartbeat:
    """One heartbeat answer (SPEC §4 ``POST /heartbeat``).

    ``changed`` is False when the client's ``known_version`` is current: the answer is
    then the short one, whose keys ``schemas.HeartbeatOut`` alone decides (SPEC §4:
    ``changed``, ``version``, ``interval_seconds``, ``server_time``); every field is
    still filled in, for callers other than the HTTP view. With one staff
    member (``employee_id``), ``booked``/``locked``/``processing``/``times`` are theirs;
    with several (``employee_ids``), ``staff`` lists each in the order asked.
    ``duration_minutes`` is the slot length the times were computed with.
    """

    changed: bool
    version: str
    server_time: datetime
    interval_seconds: int
    day: date
    storage: str
    mine: dict | None
    duration_minutes: int
    employee_id: int | None = None
    booked: list[str] | None = None
    locked: list[str] | None = None
    processing: list[str] | None = None
    times: list[str] | None = None
    staff: list[StaffLists] | None = None


def heartbeat(
    ctx: Context,
    *,
    day: date,
    client_id: str,
    employee_id: int | None = None,
    employee_ids: list[int] | None = None,
    service_id: int | None = None,
    selected_time: str | None = None,
    known_version: str | None = None,
) -> Heartbeat:
    """Answer one widget poll (SPEC §4 ``POST /heartbeat``).

    Renews the client's selection at ``selected_time``, then lists, per staff member,
    the bookable grid times (``times``; slot length ``duration_minutes``: the service's
    duration, else the slot step) and those that overlap an active appointment
    (``booked``), another client's lock (``locked``) or selection (``processing``). The
    client's own hold is ``mine`` (``{time, kind, expires_at[, employee_id]}``). No
    names, emails or other clients' ids are returned. Costs one versions query, one
    hold-store round trip and, only after a change, catalogue/appointment reads
    (``appointease.cache``).

    ``version`` digests everything the widget paints (SPEC §4): the times themselves
    (so shrunk hours, time off, a new duration or a time passing the notice window
    give a full answer at the next poll), the three lists, the duration and ``mine``.

    Args:
        employee_id: one staff member; or ``employee_ids``: 1–20 of them ("any
            available"), where a staff member deactivated since the widget listed them
            paints no times (the others keep being polled) instead of failing the poll.

    Raises:
        NotFound: unknown employee (with ``employee_id``: or inactive) or service.
        Unavailable: no hold store reachable.
    """
    multi = employee_ids is not None
    ids = list(dict.fromkeys(employee_ids)) if multi else [employee_id]
    catalog, seq = ctx.cache.snapshot(ctx.session, ctx.rules.tz, shared=True)
    duration = cached_service(catalog, service_id).duration_minutes if service_id is not None else ctx.rules.slot_step
    staff = [catalog.staff.get(i) if multi else cached_staff(catalog, i) for i in ids]
    if None in staff:
        raise NotFound("Unknown staff member.")
    polled = ctx.holds.poll(PollRequest(ids, day, client_id, selected_time, ctx.rules.selection_ttl, ctx.client_ip))
    painted, own = [], None
    for member in staff:
        states = (
            day_states(ctx, catalog, seq, member, day, duration, client_id, polled.holds.get(member.id, []))
            if member.active
            else DayStates([], None)
        )
        lists: dict[str, list[str]] = {BOOKED: [], LOCKED: [], PROCESSING: []}
        for slot, state in states.slots:
            if state in lists:
                lists[state].append(slot.time)
        times = [slot.time for slot, _state in states.slots]
        painted.append(StaffLists(member.id, lists[BOOKED], lists[LOCKED], lists[PROCESSING], times))
        own = own or states.own
    mine = {"time": own.time, "kind": own.kind} if own else None
    if mine and multi:
        mine["employee_id"] = own.employee_id
    # The version covers what is painted, not the renewed expiry, so a renewal alone
    # does not force a full answer.
    version = _version([day.isoformat(), service_id, duration, [p.__dict__ for p in painted], mine])
    changed = known_version is None or known_version != version
    if own:
        mine["expires_at"] = own.expires_at
    base = {
        "changed": changed,
        "version": version,
        "server_time": ctx.now,
        "interval_seconds": ctx.rules.heartbeat_interval,
        "day": day,
        "storage": polled.storage,
        "mine": mine,
        "duration_minutes": duration,
    }
    if multi:
        return Heartbeat(**base, staff=painted)
    one = painted[0]
    return Heartbeat(
        **base,
        employee_id=one.employee_id,
        booked=one.booked,
        locked=one.locked,
        processing=one.processing,
        times=one.times,
    )
