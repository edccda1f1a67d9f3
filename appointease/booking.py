"""The booking transaction (SPEC §4 ``POST /appointments``, §5.1).

A booking is one database transaction: grid rules → no overlapping active appointment
→ insert the appointment, its event and its idempotency record → commit. Holds are
released only after the commit (SPEC §5.2 "broadcast after commit").
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from appointease import idempotency
from appointease.context import Context
from appointease.db import advisory_lock, write_transaction
from appointease.errors import SlotTaken
from appointease.events import append_event, next_value
from appointease.holds import LOCK, HoldRequest
from appointease.idempotency import IdempotencyKey
from appointease.lifecycle import Status
from appointease.models import Appointment
from appointease.slots import booked_intervals, resolve_slot

log = logging.getLogger(__name__)

EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE exclusion_violation
#: Lifetime of the hold a booking takes while it commits, in seconds (released at once after).
BOOKING_HOLD_SECONDS = 30


@dataclass(frozen=True)
class BookingRequest:
    """A validated booking (SPEC §4 ``POST /appointments`` body).

    ``day``/``time`` are business-local; ``time`` is ``HH:MM``. ``timezone`` is the
    visitor's IANA zone (already validated), kept with the appointment for its emails.
    """

    service_id: int
    employee_id: int
    day: date
    time: str
    name: str
    email: str
    phone: str | None = None
    notes: str | None = None
    client_id: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class AppointmentView:
    """An appointment as the API shows it; ``start``/``end`` are business-local aware datetimes.

    ``timezone`` is the visitor's IANA zone given at booking (or None), ``business_timezone``
    the business's (SPEC §4). ``to_record``/``from_record`` turn it into JSON-safe data and
    back, for the idempotency store.
    """

    reference: str
    status: Status
    service_id: int
    employee_id: int
    start: datetime
    end: datetime
    name: str
    email: str
    phone: str | None = None
    notes: str | None = None
    timezone: str | None = None
    business_timezone: str | None = None

    @property
    def day(self) -> date:
        """The business-local date of the start."""
        return self.start.date()

    @property
    def time(self) -> str:
        """The business-local ``HH:MM`` of the start."""
        return self.start.strftime("%H:%M")

    @classmethod
    def of(cls, apt: Appointment, ctx: Context) -> AppointmentView:
        """View ``apt`` with its instants in the business time zone."""
        tz = ctx.rules.tz
        return cls(
            apt.reference,
            Status(apt.status),
            apt.service_id,
            apt.employee_id,
            apt.start_at.astimezone(tz),
            apt.end_at.astimezone(tz),
            apt.customer_name,
            apt.customer_email,
            apt.customer_phone,
            apt.notes,
            apt.visitor_timezone,
            getattr(tz, "key", str(tz)),
        )

    def to_record(self) -> dict:
        """Return the view as JSON-safe data (instants as ISO 8601 with offset)."""
        return {
            **self.__dict__,
            "status": str(self.status),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    @classmethod
    def from_record(cls, record: dict) -> AppointmentView:
        """Rebuild a view stored with ``to_record``."""
        return cls(
            **{
                **record,
                "status": Status(record["status"]),
                "start": datetime.fromisoformat(record["start"]),
                "end": datetime.fromisoformat(record["end"]),
            }
        )


def book(ctx: Context, req: BookingRequest, idem: IdempotencyKey | None = None) -> AppointmentView:
    """Book an appointment in one transaction (SPEC §4 ``POST /appointments``, §5.1).

    Args:
        req: the validated booking.
        idem: the request's Idempotency-Key, if any. A repeat with the same key and
            body returns the stored result and creates nothing.

    Returns:
        The booked (or, on a replay, the originally booked) appointment.

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours: grid rules.
        SlotHeld: another client's hold overlaps. SlotTaken: an active appointment
        overlaps (also on PostgreSQL's exclusion constraint, SQLSTATE 23P01).
        IdempotencyKeyReused: same key, other body. IdempotencyInProgress: same key
        still running elsewhere (PostgreSQL).
    """
    retention = ctx.rules.idempotency_retention_hours
    if idem is not None and (stored := idempotency.lookup(ctx.session, idem, ctx.now, retention)):
        return AppointmentView.from_record(stored.record)
    slot = resolve_slot(ctx, req.service_id, req.employee_id, req.day, req.time)
    # The booking's own hold (SPEC §8): another client's hold or booking in flight makes
    # this one 409 slot_held, and a hold taken after it sees the booking (holding.py).
    holder = _booking_holder(req, idem)
    ctx.holds.acquire(
        HoldRequest(
            holder, req.employee_id, req.day, req.time, slot.start, slot.end, LOCK, BOOKING_HOLD_SECONDS, bounded=False
        )
    )
    try:
        with write_transaction(ctx.session) as session:
            if idem is not None:
                idempotency.claim(session, idem)
                if stored := idempotency.lookup(session, idem, ctx.now, retention):
                    return AppointmentView.from_record(stored.record)
            advisory_lock(session, "employee", req.employee_id)
            if booked_intervals(session, req.employee_id, slot.start, slot.end):
                raise SlotTaken()
            year = ctx.now.astimezone(ctx.rules.tz).year
            apt = Appointment(
                reference=f"APT-{year}-{next_value(session, f'reference:{year}'):06d}",
                service_id=req.service_id,
                employee_id=req.employee_id,
                start_at=slot.start,
                end_at=slot.end,
                customer_name=req.name,
                customer_email=req.email,
                customer_phone=req.phone,
                notes=req.notes,
                visitor_timezone=req.timezone,
                status=Status.CONFIRMED,
                created_at=ctx.now,
            )
            session.add(apt)
            session.flush()
            append_event(session, apt, "appointment.created", ctx.now)
            view = AppointmentView.of(apt, ctx)
            if idem is not None:
                idempotency.remember(session, idem, 201, view.to_record(), ctx.now, retention)
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotTaken() from None
        # A concurrent twin with the same key committed first: answer as it did.
        if idem is not None and (stored := idempotency.lookup(ctx.session, idem, ctx.now, retention)):
            return AppointmentView.from_record(stored.record)
        raise
    finally:
        # After the commit (SPEC §5.2), or on failure: the booking's hold (and so the
        # client's own hold, which it replaced) goes.
        try:
            ctx.holds.release(holder, req.employee_id, req.day)
        except Exception:  # a store that went down: the hold expires within BOOKING_HOLD_SECONDS
            log.warning("could not release a booking's hold; it will expire", exc_info=True)
    return view


def _booking_holder(req: BookingRequest, idem: IdempotencyKey | None) -> str:
    """Who holds the slot while a booking commits: the visitor's client id, else one id per
    Idempotency-Key (so a retry after a failure takes over its own earlier hold instead of
    being refused by it), else a fresh one."""
    if req.client_id:
        return req.client_id
    if idem is not None:
        return f"booking-{idem.record_key[:40]}"
    return f"booking-{uuid.uuid4().hex}"
