"""Bearer API tokens for staff and admins: create, list, revoke, authenticate (SPEC §4).

A token is ``aet_`` + 43 URL-safe characters (256 random bits, ``secrets``). It is shown
once, at creation; the database keeps only its SHA-256 (hex), so a copy of the database
cannot be used to call the API. Lookup is by that digest, and the stored digest is
compared with ``hmac.compare_digest`` (constant time). Tokens are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from appointease.auth.principal import ADMIN, ROLES, STAFF, Principal
from appointease.db import write_transaction
from appointease.errors import NotFound, Unauthorized, ValidationFailed
from appointease.models import Base, Employee, UTCDateTime, utcnow

TOKEN_PREFIX = "aet_"
#: Longest token text we bother hashing; anything longer cannot be one of ours.
MAX_TOKEN_LENGTH = 200


class ApiToken(Base):
    """A staff or admin API token, stored as its SHA-256 digest (never in clear)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("role IN ('admin','staff')", name="role_known"),
        CheckConstraint("role = 'admin' OR employee_id IS NOT NULL", name="staff_has_employee"),
    )

    def principal(self) -> Principal:
        """The principal this token stands for."""
        return Principal(self.id, self.role, self.employee_id if self.role == STAFF else None, self.name)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its digest); ``token`` is the secret, set only when just created."""

    id: int
    role: str
    employee_id: int | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = None

    @classmethod
    def of(cls, row: ApiToken, token: str | None = None) -> TokenInfo:
        """View an ``ApiToken`` row."""
        return cls(row.id, row.role, row.employee_id, row.name, row.created_at, row.revoked_at, token)


def token_digest(token: str) -> str:
    """Return the SHA-256 hex digest stored for ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    session: Session, role: str, employee_id: int | None = None, name: str | None = None, now: datetime | None = None
) -> TokenInfo:
    """Create a token; commits.

    Args:
        role: ``admin`` or ``staff``.
        employee_id: required for ``staff`` (the staff member it acts for); refused for ``admin``.
        name: an optional label (at most 200 characters) shown by ``list-tokens``.

    Returns:
        The new token; its ``token`` is the only copy of the secret: show it once.

    Raises:
        ValidationFailed: unknown role, a staff token without an employee, an admin
            token with one, or a name longer than 200 characters.
        NotFound: ``employee_id`` names no staff member.
    """
    problems: dict[str, list[str]] = {}
    if role not in ROLES:
        problems["role"] = [f"Must be one of: {', '.join(ROLES)}."]
    elif role == STAFF and employee_id is None:
        problems["employee_id"] = ["A staff token needs the staff member it acts for."]
    elif role == ADMIN and employee_id is not None:
        problems["employee_id"] = ["An admin token acts for everyone; leave the employee out."]
    if name is not None and len(name) > 200:
        problems["name"] = ["At most 200 characters."]
    if problems:
        raise ValidationFailed(fields=problems)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction(session):
        if employee_id is not None and session.get(Employee, employee_id) is None:
            raise NotFound("Unknown staff member.")
        row = ApiToken(
            name=name, role=role, employee_id=employee_id, token_hash=token_digest(token), created_at=now or utcnow()
        )
        session.add(row)
        session.flush()
        return TokenInfo.of(row, token)


def list_tokens(session: Session) -> list[TokenInfo]:
    """Return every token (revoked ones included), oldest first. Digests are never shown."""
    return [TokenInfo.of(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> TokenInfo:
    """Revoke a token at once (its next request gets 401); commits. Revoking twice is harmless.

    Raises:
        NotFound: no token has that id.
    """
    with write_transaction(session):
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound("Unknown token.")
        if row.revoked_at is None:
            row.revoked_at = now or utcnow()
        return TokenInfo.of(row)


def authenticate(session: Session, presented: str | None) -> Principal:
    """Return the principal of a presented bearer token.

    Raises:
        Unauthorized: no token, or one that is unknown or revoked (SPEC §4: 401).
    """
    if not presented or len(presented) > MAX_TOKEN_LENGTH:
        raise Unauthorized()
    digest = token_digest(presented)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        raise Unauthorized()
    return row.principal()
