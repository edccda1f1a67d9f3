"""Idempotency-Key records (draft-ietf-httpapi-idempotency-key-header), one implementation.

A write that accepts an ``Idempotency-Key`` stores its result in the same transaction
as the change. A repeat with the same key and the same request body gets the stored
result and changes nothing; the same key with another body is
``idempotency_key_reused`` (422); the same key while the first request still runs is
``idempotency_in_progress`` (409). Keys are scoped by method + route + principal, so a
booking and a cancel sharing a key never collide, and records older than
``Rules.idempotency_retention_hours`` are ignored and purged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from appointease.db import try_advisory_lock
from appointease.errors import IdempotencyInProgress, IdempotencyKeyReused
from appointease.models import IdempotencyRecord


def request_hash(data: dict) -> str:
    """Return a stable SHA-256 of a parsed request body (keys sorted; dates as ISO text)."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key bound to the request it came with.

    Attributes:
        key: the header value (already validated by the HTTP layer).
        scope: ``"<METHOD> <route> <principal>"``; the principal is ``public`` for
            anonymous routes.
        digest: ``request_hash`` of the parsed body (plus path arguments).
    """

    key: str
    scope: str
    digest: str

    @property
    def record_key(self) -> str:
        """The stored primary key: a SHA-256 of scope and key (fixed length, no raw key)."""
        return hashlib.sha256(f"{self.scope}\n{self.key}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredResult:
    """A stored response: the HTTP status and the domain result's JSON-safe record."""

    status: int
    record: dict


def lookup(session: Session, idem: IdempotencyKey, now: datetime, retention_hours: int) -> StoredResult | None:
    """Return the stored result for ``idem``, or None when there is none (or it expired).

    Raises:
        IdempotencyKeyReused: the key was used with a different body.
    """
    row = session.get(IdempotencyRecord, idem.record_key)
    if row is None or row.created_at < now - timedelta(hours=retention_hours):
        return None
    if row.request_hash != idem.digest:
        raise IdempotencyKeyReused()
    return StoredResult(row.response_status, row.response_body)


def claim(session: Session, idem: IdempotencyKey) -> None:
    """Serialise requests with the same key inside the current write transaction.

    On PostgreSQL a transaction-scoped advisory lock, tried without waiting; on SQLite
    the ``BEGIN IMMEDIATE`` write lock already serialises writers.

    Raises:
        IdempotencyInProgress: another request with this key holds it right now.
    """
    if not try_advisory_lock(session, "idempotency", idem.record_key):
        raise IdempotencyInProgress()


def remember(
    session: Session, idem: IdempotencyKey, status: int, record: dict, now: datetime, retention_hours: int
) -> None:
    """Store the result in the current write transaction and purge expired records.

    The purge is a range delete on the ``created_at`` index: usually no rows.
    """
    session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=retention_hours))
    )
    session.add(
        IdempotencyRecord(
            key=idem.record_key, request_hash=idem.digest, response_status=status, response_body=record, created_at=now
        )
    )
