"""The event log (SPEC §3 "Event"): gap-free counters, appending events, reading feeds.

Every committed change to an appointment appends one ``Event`` in the same transaction,
numbered by a gap-free counter, so a feed that reads ``seq > since`` in order never
skips or repeats an event. The customer feed, the admin feed and the notification
worker all read through ``events_since``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.db import dialect_insert
from appointease.models import Appointment, Counter, Event

#: The longest page a feed returns (``limit`` is clamped to it).
MAX_PAGE = 500


def next_value(session: Session, name: str) -> int:
    """Increment the named counter inside the current transaction and return its new value.

    Gap-free: the increment rolls back with the transaction. Concurrent writers queue
    on the counter row (PostgreSQL row lock; SQLite's single writer).
    """
    stmt = (
        dialect_insert(session)(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return session.execute(stmt).scalar_one()


def append_event(session: Session, appointment: Appointment, type_: str, now: datetime) -> Event:
    """Append the event for a change of ``appointment`` in the current (write) transaction.

    Args:
        appointment: the appointment after the change (flushed, so it has an id).
        type_: ``appointment.<what>``, e.g. ``appointment.created``.
        now: the aware UTC instant of the change.

    Returns:
        The pending ``Event`` (its ``seq`` assigned).
    """
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


def events_since(
    session: Session, since: int, *, limit: int = 100, email: str | None = None, employee_id: int | None = None
) -> list[Event]:
    """Return committed events with ``seq > since`` in ``seq`` order, at most ``limit``.

    Args:
        since: the last ``seq`` the reader has seen (0 for the start).
        limit: page size, clamped to 1…``MAX_PAGE``.
        email: only events of appointments booked by this customer email, matched
            case-insensitively (``/me/events``).
        employee_id: only events of this staff member (a staff token's ``/admin/events``).

    Returns:
        The events; the next cursor is the last one's ``seq`` (or ``since`` when empty).
    """
    stmt = select(Event).where(Event.seq > since).order_by(Event.seq).limit(max(1, min(limit, MAX_PAGE)))
    if email is not None:
        stmt = stmt.join(Appointment, Appointment.id == Event.appointment_id).where(
            func.lower(Appointment.customer_email) == email.strip().lower()
        )
    if employee_id is not None:
        stmt = stmt.where(Event.employee_id == employee_id)
    return list(session.scalars(stmt))
