"""The customer session table: bearer tokens of customers, stored only as hashes (SPEC §4, §8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from appointease.models import Base, UTCDateTime, utcnow


class CustomerSession(Base):
    """One signed-in customer: the SHA-256 of their bearer token, their email, its expiry.

    Built by migration ``0003_customers``. The token itself is never stored; logging
    out deletes the row.
    """

    __tablename__ = "customer_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
