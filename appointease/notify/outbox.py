"""The mail outbox: rows to send, claimed by a worker, sent at least once with back-off (SPEC §7).

A request (or the event consumer) calls :func:`enqueue_mail` inside its own transaction;
nothing is sent then. The worker's mail lane calls :func:`send_due_mail`: it claims due
rows (a conditional ``UPDATE`` that moves ``next_attempt_at`` ahead by a lease, so two
workers never take the same row, and a worker that dies mid-send lets it come due
again), builds each message with the renderer registered for its ``kind``, hands it to
the transport and commits the outcome right after each message. A restart therefore
re-sends nothing the server already accepted, apart from the one message whose
acceptance had not been committed when the process died (at least once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appointease.db import write_transaction
from appointease.models import utcnow
from appointease.notify.content import one_line
from appointease.notify.mailer import MailError, Transport
from appointease.notify.models import MailMessage
from appointease.notify.settings import NotifySettings

log = logging.getLogger(__name__)

#: A renderer builds the message for one row, or returns None when it is no longer
#: worth sending (the row is then ``skipped``). It may write to the database (the
#: one-time code does) and must commit what it writes.
Renderer = Callable[[Session, MailMessage, NotifySettings, datetime], "EmailMessage | None"]
_RENDERERS: dict[str, Renderer] = {}

BATCH = 20  # rows claimed at once when the server is unreachable: BATCH × 5


def register_renderer(kind: str, renderer: Renderer) -> None:
    """Make ``kind`` sendable: :func:`send_due_mail` builds its messages with ``renderer``."""
    _RENDERERS[kind] = renderer


def enqueue_mail(
    session: Session,
    to: str,
    kind: str,
    payload: dict,
    *,
    event_seq: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> MailMessage:
    """Add one email to the outbox in the caller's transaction (the caller commits).

    Args:
        to: the recipient address (a single address; CR/LF are removed).
        kind: a registered kind: ``"appointment"`` (payload ``{"event_seq": n}``) or
            ``"otp_code"`` (use :func:`appointease.notify.otp_mail.request_code` instead).
        payload: JSON-able facts the renderer needs — never a secret: rows are plain text.
        event_seq: the event it is about (at most one mail per kind and event).
        expires_at: give up (status ``skipped``) if not sent by then.

    Returns:
        The new, pending :class:`MailMessage` (flushed, so it has an ``id``).

    Raises:
        ValueError: unknown ``kind`` or an empty recipient.
    """
    if kind not in _RENDERERS:
        raise ValueError(f"unknown mail kind {kind!r}")
    recipient = one_line(to)
    if not recipient:
        raise ValueError("a mail needs a recipient")
    row = MailMessage(
        kind=kind,
        recipient=recipient,
        payload=payload,
        event_seq=event_seq,
        status="pending",
        attempts=0,
        next_attempt_at=now or utcnow(),
        expires_at=expires_at,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def mail_due(session: Session, now: datetime) -> bool:
    """Tell whether any mail is due now (one indexed query; the worker's cheap poll)."""
    stmt = select(MailMessage.id).where(MailMessage.status == "pending", MailMessage.next_attempt_at <= now).limit(1)
    return session.scalar(stmt) is not None


def claim_due_mail(session: Session, now: datetime, lease: timedelta, limit: int = BATCH) -> list[int]:
    """Claim up to ``limit`` due rows for this worker (commits) and return their ids, oldest first.

    Each claim adds one to ``attempts`` and pushes ``next_attempt_at`` to ``now + lease``.
    """
    claimed = []
    with write_transaction(session):
        due = select(MailMessage.id).where(MailMessage.status == "pending", MailMessage.next_attempt_at <= now)
        for mail_id in session.scalars(due.order_by(MailMessage.id).limit(limit)).all():
            result = session.execute(
                update(MailMessage)
                .where(MailMessage.id == mail_id, MailMessage.status == "pending", MailMessage.next_attempt_at <= now)
                .values(next_attempt_at=now + lease, attempts=MailMessage.attempts + 1)
            )
            if result.rowcount == 1:
                claimed.append(mail_id)
    return claimed


def _finish(session: Session, mail_id: int, **values) -> None:
    with write_transaction(session):
        session.execute(update(MailMessage).where(MailMessage.id == mail_id).values(**values))


def _retry_or_fail(session: Session, row_id: int, attempts: int, error: MailError, schedule, now: datetime) -> str:
    if error.permanent or attempts > len(schedule):
        _finish(session, row_id, status="failed", last_error=str(error)[:500])
        return "failed"
    delay = timedelta(seconds=schedule[attempts - 1])
    _finish(session, row_id, next_attempt_at=now + delay, last_error=str(error)[:500])
    return "retry"


def _send_one(
    session: Session, mail_id: int, transport: Transport, settings: NotifySettings, clock: Callable[[], datetime]
) -> tuple[str, MailError | None]:
    """Build and send one claimed row; commit its outcome. Returns (tally key, error if any)."""
    row = session.get(MailMessage, mail_id)
    attempts, now = row.attempts, clock()
    if row.expires_at is not None and row.expires_at <= now:
        _finish(session, mail_id, status="skipped", last_error="expired before it could be sent")
        return "skipped", None
    renderer = _RENDERERS.get(row.kind)
    try:
        msg = renderer(session, row, settings, now) if renderer else None
    except LookupError as exc:  # what it is about is gone: nothing to retry
        _finish(session, mail_id, status="failed", last_error=str(exc)[:500])
        return "failed", None
    if msg is None:
        _finish(session, mail_id, status="skipped", last_error="nothing to send")
        return "skipped", None
    session.rollback()  # no transaction stays open across the network
    try:
        transport.send(msg, ident=f"mail{mail_id}")
    except MailError as exc:
        log.warning("mail %s to %s not sent (attempt %s): %s", mail_id, msg["To"], attempts, exc)
        return _retry_or_fail(session, mail_id, attempts, exc, settings.mail_retry_schedule, clock()), exc
    _finish(session, mail_id, status="sent", sent_at=clock(), last_error=None)
    return "sent", None


def send_due_mail(
    session: Session,
    transport: Transport,
    settings: NotifySettings,
    lease: timedelta,
    clock: Callable[[], datetime] = utcnow,
    keep_going: Callable[[], bool] = lambda: True,
) -> dict[str, int]:
    """Send every mail due now, one claimed row at a time, committing each outcome at once.

    Each row is claimed for ``lease`` (long enough for one message, however slow the
    server): if this process dies mid-send, the row comes due again when the lease
    ends. It stops when ``keep_going()`` turns false (the worker's stop flag).

    A temporary failure schedules the next try ``settings.mail_retry_schedule[n-1]``
    seconds after the n-th attempt; when the schedule is used up, or on a permanent
    refusal, the row is ``failed``. When the server cannot be reached at all, every
    other due row is rescheduled with the same error (one attempt each) instead of
    each waiting for its own connection time-out.

    Returns:
        Counts: ``{"sent", "retry", "failed", "skipped"}``.
    """
    tally = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    while keep_going() and (ids := claim_due_mail(session, clock(), lease, limit=1)):
        outcome, error = _send_one(session, ids[0], transport, settings, clock)
        tally[outcome] += 1
        if error is not None and error.unreachable:
            for mail_id in claim_due_mail(session, clock(), lease, limit=BATCH * 5):
                attempts = session.get(MailMessage, mail_id).attempts
                tally[_retry_or_fail(session, mail_id, attempts, error, settings.mail_retry_schedule, clock())] += 1
            break
    return tally
