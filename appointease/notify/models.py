"""Notification tables: consumer cursors, the mail outbox, one-time codes, webhooks (SPEC §7).

Built by migration ``0005``. Every row here is delivery *state*; the event log
(``appointease.models.Event``) stays the source of what happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from appointease.models import Base, UTCDateTime, utcnow

MAIL_STATUSES = ("pending", "sent", "failed", "skipped")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class ConsumerCursor(Base):
    """How far one consumer of the event log has got: every ``seq`` ≤ ``last_seq`` is handled.

    Advanced in the same transaction that stores the consumer's work for those events
    (mail rows, webhook deliveries), so a crash repeats nothing and skips nothing.
    """

    __tablename__ = "notify_cursors"
    consumer: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailMessage(Base):
    """One email to send: its kind, recipient and what to build it from (never a secret).

    ``status``: ``pending`` (due at ``next_attempt_at``; a worker that claims it moves
    ``next_attempt_at`` ahead by a lease), ``sent`` (accepted by the SMTP server or
    written to the outbox folder), ``failed`` (refused permanently or retries used up),
    ``skipped`` (no longer worth sending: superseded code, past ``expires_at``).
    """

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON)
    event_seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        UniqueConstraint("kind", "event_seq", name="uq_mail_outbox_kind_event"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending','sent','failed','skipped')", name="status_known"),
    )


class OneTimeCode(Base):
    """The current sign-in code of one email address (SPEC §4 Customers), hashed.

    ``request_id`` ties the row to the mail that will carry its code: a new request
    replaces it, and the older mail is then skipped. ``code_hash`` stays empty until
    the worker makes the code at send time, so no plaintext code is ever stored.
    """

    __tablename__ = "otp_codes"
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)


class WebhookEndpoint(Base):
    """A registered webhook receiver (SPEC §7).

    ``events`` is a list of event types or ``["*"]``; ``secret_encrypted`` holds the
    Standard Webhooks secret encrypted with ``appointease.secrets.encrypt_secret``;
    only events with ``seq`` > ``created_after_seq`` are delivered to it.
    """

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_after_seq: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One event (or test message) for one endpoint; ``webhook_id`` is the same on every retry.

    ``status``: ``pending`` → ``delivered`` (a 2xx) or ``failed`` (retries used up, or
    ``410 Gone``). ``payload`` is the exact JSON body, fixed when the delivery is made.
    """

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_seq: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_response_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="WebhookAttempt.id"
    )
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_seq", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_lane", "status", "endpoint_id", "id"),
        CheckConstraint("status IN ('pending','delivered','failed')", name="status_known"),
    )


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: when, how long, the response code or the error."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
