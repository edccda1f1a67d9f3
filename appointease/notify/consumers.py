"""Following the event log: each consumer turns new events into work rows under a durable cursor.

The event log is the outbox (SPEC §7): a booking, reschedule or cancel commits its
event with the change; nothing is sent in the request. Here a consumer reads the
events after its cursor in ``seq`` order, stores what must be sent for them (mail
rows, webhook deliveries) and moves its cursor **in the same transaction** — so a
crash either keeps both or neither, and no event is skipped or handled twice.

Event ``seq`` values are handed out under a row lock on the counter that is held to
commit, so events commit in ``seq`` order: reading ``seq > cursor`` never passes over
one that commits later. Several workers may run: on PostgreSQL the cursor row is
taken ``FOR UPDATE SKIP LOCKED`` (a second worker skips instead of waiting); on
SQLite the ``BEGIN IMMEDIATE`` write transaction serialises them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, tzinfo
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.db import dialect_insert, write_transaction
from appointease.models import Appointment, Event
from appointease.notify.content import appointment_at
from appointease.notify.messages import CONFIRMATION_TYPES, confirmation_message
from appointease.notify.models import ConsumerCursor, MailMessage, WebhookDelivery, WebhookEndpoint
from appointease.notify.outbox import enqueue_mail, register_renderer
from appointease.notify.settings import NotifySettings

EMAIL = "email"
WEBHOOKS = "webhooks"
BATCH = 200

Handler = Callable[[Session, list[Event], datetime], None]


def ensure_cursor(session: Session, consumer: str, now: datetime) -> None:
    """Create ``consumer``'s cursor at the newest event if it has none (so history is not replayed).

    Migration ``0005`` creates the cursors of :data:`EMAIL` and :data:`WEBHOOKS`; this
    covers a consumer added later. Commits.
    """
    with write_transaction(session):
        newest = session.scalar(select(func.coalesce(func.max(Event.seq), 0)))
        stmt = dialect_insert(session)(ConsumerCursor).values(consumer=consumer, last_seq=newest, updated_at=now)
        session.execute(stmt.on_conflict_do_nothing(index_elements=["consumer"]))


def follow(session: Session, consumer: str, handle: Handler, now: datetime, limit: int = BATCH) -> int:
    """Hand the events after ``consumer``'s cursor to ``handle`` and advance the cursor (commits).

    Args:
        handle: called as ``handle(session, events, now)`` inside the write transaction;
            it adds rows and must not commit.
        limit: at most this many events per call.

    Returns:
        How many events were handled (0 when none were new or another worker holds
        the cursor).
    """
    last = session.scalar(select(ConsumerCursor.last_seq).where(ConsumerCursor.consumer == consumer))
    if last is None:
        ensure_cursor(session, consumer, now)
        return 0
    newer = session.scalar(select(Event.seq).where(Event.seq > last).limit(1))
    session.rollback()  # end the read; the write below starts fresh
    if newer is None:
        return 0
    with write_transaction(session):
        cursor = session.scalars(
            select(ConsumerCursor).where(ConsumerCursor.consumer == consumer).with_for_update(skip_locked=True)
        ).first()
        if cursor is None:
            return 0
        after = select(Event).where(Event.seq > cursor.last_seq)
        events = list(session.scalars(after.order_by(Event.seq).limit(limit)))
        if events:
            handle(session, events, now)
            cursor.last_seq = events[-1].seq
            cursor.updated_at = now
    return len(events)


def queue_confirmations(session: Session, events: list[Event], now: datetime) -> None:
    """Email consumer: one ``appointment`` mail to the customer per created/rescheduled/cancelled event."""
    for event in events:
        if event.type not in CONFIRMATION_TYPES:
            continue
        email = session.scalar(select(Appointment.customer_email).where(Appointment.id == event.appointment_id))
        enqueue_mail(session, email, "appointment", {"event_seq": event.seq}, event_seq=event.seq, now=now)


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Tell whether ``endpoint`` subscribed to ``event_type`` (its list, or ``["*"]``)."""
    return "*" in endpoint.events or event_type in endpoint.events


def webhook_body(seq: int | None, type_: str, occurred_at: datetime, appointment: dict | None) -> str:
    """Return the exact JSON body of a delivery: ``{seq, type, occurred_at, appointment}`` (SPEC §7)."""
    body = {"seq": seq, "type": type_, "occurred_at": occurred_at.isoformat(), "appointment": appointment}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def new_webhook_id() -> str:
    """Return a fresh ``webhook-id`` (Standard Webhooks: unique per message, kept across retries)."""
    return f"msg_{secrets.token_hex(12)}"


def queue_webhooks(tz: tzinfo) -> Handler:
    """Webhook consumer: one delivery per (active endpoint that wants the event, event after its registration).

    The body is fixed here, as the appointment was at that event, so every retry
    sends the same bytes.
    """

    def handle(session: Session, events: list[Event], now: datetime) -> None:
        endpoints = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))))
        for event in events:
            targets = [e for e in endpoints if event.seq > e.created_after_seq and wants(e, event.type)]
            if not targets:
                continue
            body = webhook_body(
                event.seq, event.type, event.occurred_at.astimezone(tz), appointment_at(session, event, tz).as_json()
            )
            for endpoint in targets:
                session.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event_seq=event.seq,
                        type=event.type,
                        webhook_id=new_webhook_id(),
                        payload=body,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )

    return handle


def render_confirmation(
    session: Session, mail: MailMessage, settings: NotifySettings, now: datetime
) -> EmailMessage | None:
    """Renderer of ``appointment`` mails: the confirmation for the event in ``payload["event_seq"]``."""
    event = session.get(Event, mail.payload["event_seq"])
    if event is None:
        return None
    at = appointment_at(session, event, settings.tz)
    return confirmation_message(at, settings, message_id=f"apt-{mail.id}-{event.seq}", now=now)


register_renderer("appointment", render_confirmation)
