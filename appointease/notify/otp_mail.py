"""One-time sign-in codes (SPEC §4 Customers): requested in a web request, made and mailed by the worker.

No plaintext code is ever stored. :func:`request_code` (called by ``POST /auth/otp``
in its transaction) stores only *that a code was asked for* and queues an
``otp_code`` mail. The worker's mail lane, within about one poll interval
(``APPOINTEASE_WORKER_POLL_SECONDS``, 0.5 s), calls the renderer here: it draws six
random digits, commits their keyed hash (``appointease.secrets.hash_secret``) with a
10-minute expiry, and only then sends them. A retry after a failed send draws a new
code. :func:`verify_code` (for ``POST /auth/verify``) checks a code in constant time,
counts wrong tries and burns the code after the fifth, and uses a right code up.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from appointease.db import upsert, write_transaction
from appointease.notify.messages import otp_message
from appointease.notify.models import MailMessage, OneTimeCode
from appointease.notify.outbox import enqueue_mail, register_renderer
from appointease.notify.settings import NotifySettings
from appointease.secrets import SecretKey, hash_secret, verify_secret

KIND = "otp_code"
#: A code is valid this long after it is made (SPEC §4: 10 minutes).
CODE_TTL = timedelta(minutes=10)
#: Wrong tries that burn a code (SPEC §4: burnt after 5 wrong tries).
MAX_TRIES = 5


def normalize_email(email: str) -> str:
    """Return the key a customer's codes are stored under: trimmed, lower-case."""
    return email.strip().lower()


def _digest(email: str, code: str, secret_key: SecretKey) -> str:
    return hash_secret(f"{email}\n{code}", purpose="otp", secret_key=secret_key)


def request_code(session: Session, email: str, now: datetime) -> None:
    """Ask for a new code for ``email`` in the caller's transaction (the caller commits).

    Replaces any earlier code of that address at once (its hash is cleared, its tries
    reset) and queues the mail; an earlier mail still queued is then skipped. The
    worker makes and sends the code; if it cannot within :data:`CODE_TTL`, it gives up.
    Rate limits are the caller's (SPEC §8).
    """
    key = normalize_email(email)
    request_id = secrets.token_hex(8)
    values = {
        "email": key,
        "request_id": request_id,
        "code_hash": None,
        "requested_at": now,
        "expires_at": None,
        "tries": 0,
    }
    session.execute(upsert(session, OneTimeCode, values, ["email"], [k for k in values if k != "email"]))
    enqueue_mail(session, key, KIND, {"request_id": request_id}, expires_at=now + CODE_TTL, now=now)


def verify_code(session: Session, email: str, code: str, now: datetime, *, secret_key: SecretKey) -> bool:
    """Check ``code`` for ``email``; the caller runs this in a write transaction and commits.

    ``secret_key`` is the app's ``SECRET_KEY`` (``str`` or ``bytes``), the key the worker
    hashed the code under (``NotifySettings.secret_key``).

    Run it inside :func:`appointease.db.write_transaction` so concurrent tries are
    counted one after the other (the row is locked ``FOR UPDATE`` on PostgreSQL).

    Returns:
        True for the current, unexpired, unburnt code — which is then used up (a
        second verify with it fails). False otherwise; a wrong code adds one try and
        the fifth wrong try burns the code.
    """
    key = normalize_email(email)
    row = session.scalars(select(OneTimeCode).where(OneTimeCode.email == key).with_for_update()).first()
    given = code.strip() if isinstance(code, str) else ""
    if row is None or row.code_hash is None or row.expires_at is None:
        dummy = _digest(key, "------", secret_key)
        verify_secret(f"{key}\n{given}", dummy, purpose="otp", secret_key=secret_key)  # same work either way
        return False
    if row.expires_at <= now or row.tries >= MAX_TRIES:
        return False
    if verify_secret(f"{key}\n{given}", row.code_hash, purpose="otp", secret_key=secret_key):
        session.delete(row)
        return True
    row.tries += 1
    return False


def render_code(session: Session, mail: MailMessage, settings: NotifySettings, now: datetime) -> EmailMessage | None:
    """Make the code for a queued ``otp_code`` mail, commit its hash, and return the message.

    The code is hashed under ``settings.secret_key`` (the app's ``SECRET_KEY``).

    Returns None (mail skipped) when a newer request replaced this one or the code was
    already used.
    """
    request_id = mail.payload.get("request_id")
    recipient, mail_id = mail.recipient, mail.id
    code = f"{secrets.randbelow(10**6):06d}"
    with write_transaction(session):
        row = session.scalars(select(OneTimeCode).where(OneTimeCode.email == recipient).with_for_update()).first()
        if row is None or row.request_id != request_id:
            return None
        row.code_hash = _digest(recipient, code, settings.secret_key)
        row.expires_at = now + CODE_TTL
        row.tries = 0
    return otp_message(
        recipient,
        code,
        settings,
        message_id=f"otp-{mail_id}-{secrets.token_hex(4)}",
        now=now,
        valid_minutes=int(CODE_TTL.total_seconds() // 60),
    )


register_renderer(KIND, render_code)
