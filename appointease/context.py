"""The per-request domain context: database session, hold store, rules and clock.

Built once per request by the HTTP layer (``appointease.api.common.domain``) or by a
test or command, and passed as the first argument of every domain function, so
domain code never reaches for Flask globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from appointease.cache import LiveCache
from appointease.config import Rules
from appointease.holds import HoldStore


@dataclass(frozen=True)
class Context:
    """What a domain function needs.

    Attributes:
        session: the request's SQLAlchemy session. Domain functions read through it and
            open write transactions with ``appointease.db.write_transaction``; nothing
            else commits or rolls back.
        holds: the hold store (it uses its own connections, never ``session``'s).
        rules: booking rules (SPEC §6).
        now: the request's instant, aware UTC (one clock reading per request).
        cache: the process's ``LiveCache`` (a fresh, empty one when not given: correct,
            just uncached).
        client_ip: the caller's address (SPEC §8 per-IP hold cap), None off the web.
    """

    session: Session
    holds: HoldStore
    rules: Rules
    now: datetime
    cache: LiveCache = field(default_factory=LiveCache)
    client_ip: str | None = None
