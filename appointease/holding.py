"""Selections and locks on slots (SPEC §3, §4 ``/slots/*``): the domain side of holding."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from appointease.context import Context
from appointease.errors import SlotTaken
from appointease.holds import LOCK, HoldInfo, HoldRequest
from appointease.slots import booked_intervals, resolve_slot


def hold_ttl(ctx: Context, kind: str) -> int:
    """Return the TTL in seconds a hold of ``kind`` gets (SPEC §3)."""
    return ctx.rules.lock_ttl if kind == LOCK else ctx.rules.selection_ttl


def hold_slot(
    ctx: Context, kind: str, *, day: date, time: str, employee_id: int, service_id: int, client_id: str
) -> HoldInfo:
    """Take a selection (``kind="selection"``) or a lock (``"lock"``) on a slot (SPEC §3).

    The client's previous hold, anywhere, is replaced. TTL: ``hold_ttl`` seconds.
    A hold racing a booking for overlapping time (SPEC §8): bookings take their own
    hold in the store before they commit, and a new hold looks for committed bookings
    again *after* it is taken, so one of the two always gets 409.

    Returns:
        The stored ``HoldInfo`` (its ``expires_at`` is UTC).

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours: grid rules.
        SlotTaken: an active appointment overlaps. SlotHeld: another client's hold
        overlaps (or a booking is being committed there). RateLimited: the caller's IP
        has too many live holds. Unavailable: no hold store reachable.
    """
    slot = resolve_slot(ctx, service_id, employee_id, day, time)
    request = HoldRequest(
        client_id, employee_id, day, time, slot.start, slot.end, kind, hold_ttl(ctx, kind), ctx.client_ip
    )
    hold = ctx.holds.acquire(request)
    # A fresh read (its own session: a new snapshot on SQLite) sees bookings committed
    # after this request began.
    with Session(ctx.session.get_bind()) as fresh:
        taken = bool(booked_intervals(fresh, employee_id, slot.start, slot.end))
    if taken:
        ctx.holds.release(client_id, employee_id, day, time)
        raise SlotTaken()
    return hold


def release_slot(ctx: Context, *, day: date, time: str, employee_id: int, client_id: str) -> None:
    """Release the client's own hold on that slot; idempotent (SPEC §4 ``/slots/release``)."""
    ctx.holds.release(client_id, employee_id, day, time)
