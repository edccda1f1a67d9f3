"""Changing a booked appointment: cancel and reschedule (SPEC §4 Customers, §5.1).

Each change is one write transaction on behalf of an ``Actor`` (a customer, an admin
or a member of staff): the row is locked, the access rule, the status (only
``confirmed`` may change) and the cut-off (``APPOINTEASE_CANCEL_CUTOFF_MINUTES``
before the start) are checked, the appointment is updated and its event appended, and
the Idempotency-Key record stored — all or nothing. A reschedule updates the one
appointment row in place (same reference), so the old slot is freed and the new one
taken in the same instant; on PostgreSQL the exclusion constraint compares the new
interval with *other* rows only, and the per-employee advisory lock (as in
``booking.book``) serialises it with bookings for that staff member.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appointease import idempotency
from appointease.appointments import AppointmentDetails, locate
from appointease.auth.actor import Actor
from appointease.booking import BOOKING_HOLD_SECONDS, EXCLUSION_VIOLATION
from appointease.context import Context
from appointease.db import advisory_lock, write_transaction
from appointease.errors import InvalidTransition, SlotTaken, TooLate, Unavailable
from appointease.events import append_event
from appointease.holds import LOCK, HoldRequest
from appointease.idempotency import IdempotencyKey
from appointease.lifecycle import ACTIVE, Status
from appointease.models import Appointment
from appointease.slots import resolve_slot

log = logging.getLogger(__name__)

CANCELLED, RESCHEDULED = "appointment.cancelled", "appointment.rescheduled"


@dataclass(frozen=True)
class NewSlot:
    """Where to move an appointment (SPEC §4 ``POST /appointments/<reference>/reschedule``).

    Attributes:
        day, time: business-local date and ``HH:MM``.
        employee_id: the new staff member, or None to keep the current one.
        client_id: the caller's widget id: its own selection or lock on the new slot
            does not block the move (and is released after it); anyone else's does.
    """

    day: date
    time: str
    employee_id: int | None = None
    client_id: str | None = None


def _replay(ctx: Context, idem: IdempotencyKey | None) -> AppointmentDetails | None:
    """The stored result of an earlier request with this Idempotency-Key, if any."""
    if idem is None:
        return None
    stored = idempotency.lookup(ctx.session, idem, ctx.now, ctx.rules.idempotency_retention_hours)
    return AppointmentDetails.from_record(stored.record) if stored else None


def _claim(ctx: Context, idem: IdempotencyKey | None) -> AppointmentDetails | None:
    """Inside the write transaction: serialise twins of this key, then replay if one finished."""
    if idem is None:
        return None
    idempotency.claim(ctx.session, idem)
    return _replay(ctx, idem)


def _remember(ctx: Context, idem: IdempotencyKey | None, view: AppointmentDetails) -> None:
    if idem is not None:
        idempotency.remember(ctx.session, idem, 200, view.to_record(), ctx.now, ctx.rules.idempotency_retention_hours)


def check_changeable(apt: Appointment, actor: Actor, now: datetime, cutoff_minutes: int) -> None:
    """Refuse a change of ``apt`` that SPEC §4 does not allow.

    Raises:
        InvalidTransition: the appointment is not ``confirmed`` (checked first).
        TooLate: ``now`` is after its start minus ``cutoff_minutes`` (unless the
            actor is exempt from the cut-off).
    """
    if apt.status != Status.CONFIRMED:
        raise InvalidTransition(f"Only a confirmed appointment can be changed; this one is {apt.status}.")
    if actor.enforce_cutoff and now > apt.start_at - timedelta(minutes=cutoff_minutes):
        raise TooLate()


def cancel(ctx: Context, reference: str, actor: Actor, idem: IdempotencyKey | None = None) -> AppointmentDetails:
    """Cancel an appointment in one transaction; its slot is free for the next heartbeat.

    Args:
        actor: who cancels; decides which appointments are visible (``Actor.may_act_on``).
        idem: the request's Idempotency-Key: a repeat returns the stored answer.

    Returns:
        The appointment with status ``cancelled``; an ``appointment.cancelled`` event
        was appended in the same transaction.

    Raises:
        NotFound / Forbidden: not visible to ``actor``. InvalidTransition: not
        ``confirmed``. TooLate: past the cut-off. IdempotencyKeyReused,
        IdempotencyInProgress: as for booking.
    """
    if done := _replay(ctx, idem):
        return done
    with write_transaction(ctx.session) as session:
        if done := _claim(ctx, idem):
            return done
        apt = locate(session, reference, actor, for_update=True)
        check_changeable(apt, actor, ctx.now, ctx.rules.cancel_cutoff)
        apt.status = Status.CANCELLED
        session.flush()
        append_event(session, apt, CANCELLED, ctx.now)
        view = AppointmentDetails.build(apt, ctx)
        _remember(ctx, idem, view)
    return view


def _overlaps_another(session: Session, apt_id: int, employee_id: int, start: datetime, end: datetime) -> bool:
    """Tell whether an active appointment other than ``apt_id`` of ``employee_id`` overlaps ``[start, end)``."""
    return (
        session.scalar(
            select(Appointment.id)
            .where(
                Appointment.employee_id == employee_id,
                Appointment.status.in_(ACTIVE),
                Appointment.start_at < end,
                Appointment.end_at > start,
                Appointment.id != apt_id,
            )
            .limit(1)
        )
        is not None
    )


def reschedule(
    ctx: Context, reference: str, new: NewSlot, actor: Actor, idem: IdempotencyKey | None = None
) -> AppointmentDetails:
    """Move an appointment to another slot, keeping its reference, in one transaction.

    The new slot must pass the booking rules (grid, notice, horizon) for the
    appointment's service, must not overlap another client's hold (the caller's own
    ``new.client_id`` hold is fine) nor another active appointment. Moving to the
    slot it already has changes nothing and appends no event.

    Returns:
        The appointment at its new time; an ``appointment.rescheduled`` event was
        appended in the same transaction.

    Raises:
        NotFound / Forbidden: not visible to ``actor`` (also an unknown new
        employee: NotFound). InvalidTransition, TooLate: as ``cancel``.
        ValidationFailed, PastTime, TooFarAhead, OutsideHours: the new slot's grid
        rules. SlotHeld: another client holds it, or a booking of it is in flight.
        SlotTaken: booked meanwhile (also PostgreSQL's exclusion constraint, SQLSTATE
        23P01). Unavailable: no hold store reachable.
        IdempotencyKeyReused, IdempotencyInProgress.
    """
    if done := _replay(ctx, idem):
        return done
    current = locate(ctx.session, reference, actor)
    check_changeable(current, actor, ctx.now, ctx.rules.cancel_cutoff)
    employee_id = new.employee_id or current.employee_id
    slot = resolve_slot(ctx, current.service_id, employee_id, new.day, new.time)
    # Like a booking (booking.book, SPEC §8): take a short hold on the new slot in the hold
    # store first, so another client's hold (or a booking in flight) makes this 409
    # slot_held and a hold taken after it sees the move. Under the caller's client_id it
    # replaces the caller's own selection, which therefore never blocks.
    holder = new.client_id or f"reschedule-{uuid.uuid4().hex}"
    ctx.holds.acquire(
        HoldRequest(
            holder, employee_id, new.day, new.time, slot.start, slot.end, LOCK, BOOKING_HOLD_SECONDS, bounded=False
        )
    )
    try:
        with write_transaction(ctx.session) as session:
            if done := _claim(ctx, idem):
                return done
            apt = locate(session, reference, actor, for_update=True)
            check_changeable(apt, actor, ctx.now, ctx.rules.cancel_cutoff)
            advisory_lock(session, "employee", employee_id)
            if _overlaps_another(session, apt.id, employee_id, slot.start, slot.end):
                raise SlotTaken()
            if (apt.employee_id, apt.start_at, apt.end_at) != (employee_id, slot.start, slot.end):
                apt.employee_id, apt.start_at, apt.end_at = employee_id, slot.start, slot.end
                session.flush()
                append_event(session, apt, RESCHEDULED, ctx.now)
            view = AppointmentDetails.build(apt, ctx)
            _remember(ctx, idem, view)
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotTaken() from None
        if done := _replay(ctx, idem):  # a concurrent twin with the same key committed first
            return done
        raise
    finally:
        # After the commit, or on failure: the move's hold (the caller's selection it
        # replaced included) goes.
        try:
            ctx.holds.release(holder, employee_id, new.day)
        except Unavailable:  # it expires by itself within BOOKING_HOLD_SECONDS
            log.warning("could not release a reschedule's hold; it will expire")
    return view
