"""The booking transaction, idempotency keys, status changes and the event log (SPEC §3–§5).

A booking is one database transaction: grid rules → no overlapping active appointment
→ insert appointment, its event and its idempotency record → commit. Holds are
released only after the commit (SPEC §5.2 "broadcast after commit").
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from appointease.catalog import Rules
from appointease.db import advisory_lock, dialect_insert, try_advisory_lock, write_transaction
from appointease.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    SlotHeld,
    SlotTaken,
    Unavailable,
)
from appointease.holds import HoldStore, held_by_other
from appointease.models import Appointment, Counter, Event, IdempotencyRecord
from appointease.slots import booked_intervals, resolve_slot

log = logging.getLogger(__name__)

#: Allowed status changes (SPEC §3); anything else is ``invalid_transition``.
TRANSITIONS = {
    "confirmed": {"checked_in", "cancelled", "no_show"},
    "checked_in": {"completed"},
}
EXCLUSION_VIOLATION = "23P01"  # PostgreSQL SQLSTATE exclusion_violation


def next_value(session: Session, name: str) -> int:
    """Increment the named counter inside the current transaction and return its new value.

    Gap-free: the increment rolls back with the transaction. Concurrent writers
    queue on the counter row (PostgreSQL row lock; SQLite's single writer).
    """
    stmt = (
        dialect_insert(session)(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return session.execute(stmt).scalar_one()


def append_event(session: Session, appointment: Appointment, type_: str, now: datetime) -> Event:
    """Append the event for a committed-to-be change of ``appointment`` (same transaction)."""
    event = Event(
        seq=next_value(session, "event_seq"),
        type=type_,
        appointment_id=appointment.id,
        reference=appointment.reference,
        employee_id=appointment.employee_id,
        status=appointment.status,
        start_at=appointment.start_at,
        occurred_at=now,
    )
    session.add(event)
    return event


def request_hash(data: dict) -> str:
    """Return a stable SHA-256 of a parsed request body (keys sorted; dates as ISO text)."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, dict]:
    if record.request_hash != digest:
        raise IdempotencyKeyReused()
    return record.response_status, record.response_body


def _appointment_body(apt: Appointment, rules: Rules) -> dict:
    local = apt.start_at.astimezone(rules.tz)
    return {
        "reference": apt.reference,
        "status": apt.status,
        "service_id": apt.service_id,
        "employee_id": apt.employee_id,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "start": local.isoformat(),
        "end": apt.end_at.astimezone(rules.tz).isoformat(),
        "name": apt.customer_name,
        "email": apt.customer_email,
    }


def book(
    session: Session, store: HoldStore, rules: Rules, now: datetime, data: dict, idempotency_key: str | None = None
) -> tuple[int, dict]:
    """Book an appointment in one transaction (SPEC §4 ``POST /appointments``, §5.1).

    Args:
        data: the validated body: ``service_id, employee_id, date (date), time
            ("HH:MM"), name, email`` and optional ``phone, notes, client_id``.
        idempotency_key: the ``Idempotency-Key`` header, if any. A repeat with the
            same key and body returns the stored response and creates nothing.

    Returns:
        ``(201, body)`` for a new or replayed booking; body as ``_appointment_body``.

    Raises:
        NotFound, ValidationFailed, PastTime, TooFarAhead, OutsideHours: grid rules.
        SlotHeld: another client's hold overlaps. SlotTaken: an active appointment
        overlaps (also on PostgreSQL's exclusion constraint, SQLSTATE 23P01).
        IdempotencyKeyReused: same key, other body. IdempotencyInProgress: same key
        still running elsewhere (PostgreSQL).
    """
    digest = request_hash(data)
    if idempotency_key:
        record = session.get(IdempotencyRecord, idempotency_key)
        if record is not None:
            return _replay(record, digest)
    slot = resolve_slot(session, rules, now, data["service_id"], data["employee_id"], data["date"], data["time"])
    session.rollback()
    client_id = data.get("client_id")
    if held_by_other(store.holds_for(data["employee_id"], data["date"]), client_id, slot.start, slot.end):
        raise SlotHeld()
    try:
        with write_transaction(session):
            if idempotency_key:
                if not try_advisory_lock(session, "idempotency", idempotency_key):
                    raise IdempotencyInProgress()
                record = session.get(IdempotencyRecord, idempotency_key)
                if record is not None:
                    return _replay(record, digest)
            advisory_lock(session, "employee", data["employee_id"])
            if booked_intervals(session, data["employee_id"], slot.start, slot.end):
                raise SlotTaken()
            year = now.astimezone(rules.tz).year
            apt = Appointment(
                reference=f"APT-{year}-{next_value(session, f'reference:{year}'):06d}",
                service_id=data["service_id"],
                employee_id=data["employee_id"],
                start_at=slot.start,
                end_at=slot.end,
                customer_name=data["name"],
                customer_email=data["email"],
                customer_phone=data.get("phone"),
                notes=data.get("notes"),
                status="confirmed",
                created_at=now,
            )
            session.add(apt)
            session.flush()
            append_event(session, apt, "appointment.created", now)
            body = _appointment_body(apt, rules)
            if idempotency_key:
                session.add(IdempotencyRecord(
                    key=idempotency_key, request_hash=digest, response_status=201, response_body=body, created_at=now
                ))
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise SlotTaken() from None
        if idempotency_key:  # a concurrent twin committed first: answer as it did
            record = session.get(IdempotencyRecord, idempotency_key)
            session.rollback()
            if record is not None:
                return _replay(record, digest)
        raise
    if client_id:
        try:
            store.release(client_id, data["employee_id"], data["date"])
        except Unavailable:  # the hold expires by itself; the booking stands
            log.warning("could not release hold of a booked client; it will expire")
    return 201, body


def change_status(session: Session, rules: Rules, now: datetime, reference: str, status: str) -> dict:
    """Move an appointment to ``status`` and append its event (SPEC §3 life cycle).

    Returns:
        The appointment body as after booking, with the new status.

    Raises:
        NotFound: unknown reference. InvalidTransition: not allowed from the current
        status (e.g. ``checked_in`` → ``no_show``). SlotTaken: re-activating would overlap.
    """
    with write_transaction(session):
        apt = session.scalars(select(Appointment).where(Appointment.reference == reference)).first()
        if apt is None:
            raise NotFound("Unknown appointment.")
        if status not in TRANSITIONS.get(apt.status, set()):
            raise InvalidTransition(f"Cannot change an appointment from {apt.status} to {status}.")
        apt.status = status
        session.flush()
        append_event(session, apt, f"appointment.{status}", now)
        body = _appointment_body(apt, rules)
    return body
