"""Customer bearer tokens (SPEC §4 Customers): issue, authenticate, revoke. No Flask.

A token is ``secrets.token_urlsafe(32)`` (256 random bits), shown to the customer
once; the database keeps only its SHA-256, so a copy of the database signs nobody in.
A plain (unkeyed) hash is enough here because the token has full entropy: there is
nothing to guess offline. Lookups go by the hash; the final comparison is
``hmac.compare_digest`` (constant time).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from appointease.auth.actor import Actor, normalize_email
from appointease.auth.models import CustomerSession
from appointease.errors import Unauthorized

#: Longest token text looked up; anything longer is refused before hashing.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token (plain text: return it to the customer, never log it) and its expiry (UTC)."""

    token: str
    expires_at: datetime


def token_digest(token: str) -> str:
    """Return the stored form of ``token``: its SHA-256 as 64 hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, email: str, now: datetime, days: int) -> IssuedToken:
    """Create a session for ``email`` in the caller's write transaction (the caller commits).

    Args:
        email: the customer's address (normalised here).
        now: aware UTC instant.
        days: validity (``APPOINTEASE_SESSION_DAYS``, SPEC §4: 30 by default).

    Expired sessions of every customer are purged on the way (an indexed range delete).
    """
    session.execute(delete(CustomerSession).where(CustomerSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    session.add(
        CustomerSession(
            token_hash=token_digest(token), email=normalize_email(email), created_at=now, expires_at=expires_at
        )
    )
    return IssuedToken(token, expires_at)


def _find(session: Session, token: str) -> CustomerSession | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(token)
    row = session.scalars(select(CustomerSession).where(CustomerSession.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def authenticate(session: Session, token: str, now: datetime) -> Actor:
    """Return the customer a bearer token belongs to.

    Raises:
        Unauthorized: unknown, revoked (logged out) or expired token.
    """
    row = _find(session, token)
    if row is None or row.expires_at <= now:
        raise Unauthorized()
    return Actor.customer(row.email)


def revoke_token(session: Session, token: str) -> bool:
    """Delete the session of ``token`` in the caller's write transaction.

    Returns:
        True when a session was deleted.
    """
    row = _find(session, token)
    if row is None:
        return False
    session.delete(row)
    return True
