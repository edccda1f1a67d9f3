"""Selections and locks on slots (SPEC §3, §4 ``/slots/*``): the domain side of holding."""
from __future__ import annotations

from datetime import date

from appointease.context import Context
from appointease.errors import SlotTaken
from appointease.holds import LOCK, HoldInfo, HoldRequest
from appointease.live import booked_intervals, resolve_slot


def hold_slot(ctx: Context, kind: str, *, day: date, time: str, employee_id: int, service_id: int, client_id: str) -> HoldInfo:
    """Take a selection (``kind="selection"``) or a lock (``"lock"``) on a slot (SPEC §3).

    The client's previous hold, anywhere, is replaced. TTL: ``rules.lock_ttl`` for a
    lock, ``rules.selection_ttl`` for a selection (seconds).

    Returns:
        The stored ``HoldInfo`` (its ``expires_at`` is UTC).

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours: grid rules.
        SlotTaken: an active appointment overlaps. SlotHeld: another client's hold
        overlaps. Unavailable: no hold store reachable.
    """
    slot = resolve_slot(ctx, service_id, employee_id, day, time)
    if booked_intervals(ctx.session, employee_id, slot.start, slot.end):
        raise SlotTaken()
    return ctx.holds.acquire(HoldRequest(client_id, employee_id, day, time, slot.start, slot.end, kind, hold_ttl(ctx, kind)))


def hold_ttl(ctx: Context, kind: str) -> int:
    """Return the TTL in seconds a hold of ``kind`` gets (SPEC §3)."""
    return ctx.rules.lock_ttl if kind == LOCK else ctx.rules.selection_ttl


def release_slot(ctx: Context, *, day: date, time: str, employee_id: int, client_id: str) -> None:
    """Release the client's own hold on that slot; idempotent (SPEC §4 ``/slots/release``)."""
    ctx.holds.release(client_id, employee_id, day, time)
