"""Availability, selections/locks and the heartbeat (SPEC §4 public endpoints).

Plain functions over a SQLAlchemy ``Session``, a ``HoldStore`` and ``Rules``; the
views only parse, call one of these and dump.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.availability import (
    BOOKED,
    LOCKED,
    MINE,
    PROCESSING,
    Busy,
    Slot,
    find_slot,
    slot_grid,
    slot_states,
)
from appointease.catalog import Rules, get_employee, get_service, schedule_of
from appointease.errors import SlotTaken
from appointease.holds import LOCK, HoldInfo, HoldRequest, HoldStore
from appointease.models import ACTIVE_STATUSES, Appointment


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
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.start_at < end,
            Appointment.end_at > start,
        )
    ).all()
    return [Busy(s, e, "booked") for s, e in rows]


def _hold_busy(holds: list[HoldInfo]) -> list[Busy]:
    return [Busy(h.start, h.end, h.kind, h.client_id, h.time) for h in holds]


def availability(
    session: Session, store: HoldStore, rules: Rules, now: datetime,
    day: date, employee_id: int, service_id: int, client_id: str | None,
) -> dict:
    """Return the day's slots with their states for one employee and service.

    Slots earlier than now + minimum notice, or past the booking horizon, are left
    out (they cannot be booked).

    Returns:
        ``{date, employee_id, service_id, timezone, slots: [{time, start, status}]}``
        with ``start`` an aware UTC datetime and ``status`` one of SPEC §1 or ``mine``.

    Raises:
        NotFound: unknown service or employee. ValidationFailed: the employee does not
        perform the service. Unavailable: the hold store and its fallback are down.
    """
    service = get_service(session, service_id)
    employee = get_employee(session, employee_id, service)
    grid = slot_grid(schedule_of(employee), day, service.duration_minutes, rules.slot_step, rules.tz)
    earliest, latest = now + timedelta(minutes=rules.min_notice), now + timedelta(days=rules.horizon_days)
    grid = [s for s in grid if earliest <= s.start <= latest]
    start, end = day_bounds(day, rules)
    busy = booked_intervals(session, employee_id, start, end)
    session.rollback()
    busy += _hold_busy(store.holds_for(employee_id, day))
    return {
        "date": day,
        "employee_id": employee_id,
        "service_id": service_id,
        "timezone": rules.tz.key,
        "slots": [{"time": s.time, "start": s.start, "status": st} for s, st in slot_states(grid, busy, client_id)],
    }


def resolve_slot(
    session: Session, rules: Rules, now: datetime, service_id: int, employee_id: int, day: date, hhmm: str
) -> Slot:
    """Check service, employee and time against the grid rules and return the slot.

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours.
    """
    service = get_service(session, service_id)
    employee = get_employee(session, employee_id, service)
    return find_slot(
        schedule_of(employee), day, hhmm,
        duration_minutes=service.duration_minutes, step_minutes=rules.slot_step, tz=rules.tz,
        now=now, min_notice_minutes=rules.min_notice, horizon_days=rules.horizon_days,
    )


def hold_slot(
    session: Session, store: HoldStore, rules: Rules, now: datetime, kind: str,
    *, day: date, time: str, employee_id: int, service_id: int, client_id: str,
) -> HoldInfo:
    """Take a selection (``kind="selection"``) or a lock (``"lock"``) on a slot (SPEC §3).

    The client's previous hold, anywhere, is replaced.

    Returns:
        The stored ``HoldInfo`` (its ``expires_at`` is UTC).

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours: grid rules.
        SlotTaken: an active appointment overlaps. SlotHeld: another client's hold
        overlaps. Unavailable: no hold store reachable.
    """
    slot = resolve_slot(session, rules, now, service_id, employee_id, day, time)
    taken = bool(booked_intervals(session, employee_id, slot.start, slot.end))
    session.rollback()
    if taken:
        raise SlotTaken()
    ttl = rules.lock_ttl if kind == LOCK else rules.selection_ttl
    return store.acquire(HoldRequest(client_id, employee_id, day, time, slot.start, slot.end, kind, ttl))


def release_slot(store: HoldStore, *, day: date, time: str, employee_id: int, client_id: str) -> None:
    """Release the client's own hold on that slot; idempotent (SPEC §4 ``/slots/release``)."""
    store.release(client_id, employee_id, day, time)


def _version(payload: dict) -> str:
    """A short digest of what the widget paints; equal digests mean nothing changed."""
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def heartbeat(
    session: Session, store: HoldStore, rules: Rules, now: datetime,
    *, day: date, employee_id: int, client_id: str, service_id: int | None = None,
    selected_time: str | None = None, known_version: str | None = None,
) -> dict:
    """Answer one widget poll (SPEC §4 ``POST /heartbeat``).

    Renews the client's selection at ``selected_time``, then lists the grid times
    (slot length: the service's duration, else the slot step) that overlap an active
    appointment (``booked``), another client's lock (``locked``) or selection
    (``processing``), from the asking client's point of view. The client's own hold
    is ``mine``. No names, emails or other clients' ids are returned.

    Returns:
        The full answer ``{server_time, interval_seconds, date, employee_id, booked,
        locked, processing, mine, version, storage}`` (``storage``: ``redis`` or
        ``database``, the hold store that answered), or ``{changed: False, version,
        interval_seconds, server_time}`` when ``known_version`` equals ``version``.

    Raises:
        NotFound: unknown employee or service. Unavailable: no hold store reachable.
    """
    employee = get_employee(session, employee_id)
    duration = get_service(session, service_id).duration_minutes if service_id is not None else rules.slot_step
    grid = slot_grid(schedule_of(employee), day, duration, rules.slot_step, rules.tz)
    start, end = day_bounds(day, rules)
    busy = booked_intervals(session, employee_id, start, end)
    session.rollback()
    holds = store.poll(employee_id, day, client_id, selected_time, rules.selection_ttl)
    busy += _hold_busy(holds)
    lists: dict[str, list[str]] = {BOOKED: [], LOCKED: [], PROCESSING: []}
    for slot, state in slot_states(grid, busy, client_id):
        if state in lists:
            lists[state].append(slot.time)
    own = next((h for h in holds if h.client_id == client_id), None)
    mine = {"time": own.time, "kind": own.kind} if own else None
    # The version covers what is painted, not the renewed expiry, so a renewal
    # alone does not force a full answer.
    version = _version({"d": day.isoformat(), "e": employee_id, "s": service_id, **lists, MINE: mine})
    base = {"server_time": now, "interval_seconds": rules.heartbeat_interval, "version": version}
    if known_version is not None and known_version == version:
        return {"changed": False, **base}
    if own:
        mine["expires_at"] = own.expires_at
    # Which engine served the holds ("database" while Redis is down, SPEC §5.5).
    return {**base, "date": day, "employee_id": employee_id, **lists, "mine": mine, "storage": store.storage}
