"""Event feeds for polling clients (SPEC §4 ``GET /me/events``, ``GET /admin/events``).

A page is the events with ``seq > since`` in ``seq`` order (``events.events_since``);
``next_since`` is the last ``seq`` on the page, or ``since`` when the page is empty.
Because ``seq`` is gap-free and events commit in ``seq`` order, a client that always
passes back ``next_since`` sees every event exactly once, whoever made the change
(the customer, staff or an admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from appointease.context import Context
from appointease.events import events_since

#: Page size when the client gives none.
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class FeedEvent:
    """One event as a feed shows it; ``day``/``time`` (the appointment's start after the
    change) and ``occurred_at`` are business-local."""

    seq: int
    type: str
    reference: str
    status: str
    day: date
    time: str
    occurred_at: datetime


@dataclass(frozen=True)
class Feed:
    """One page of a feed and the cursor for the next request."""

    events: list[FeedEvent]
    next_since: int


def feed(
    ctx: Context, since: int, limit: int = DEFAULT_LIMIT, *, email: str | None = None, employee_id: int | None = None
) -> Feed:
    """Return the page of events after ``since`` (SPEC §4).

    Args:
        since: the last ``seq`` the client has seen (0 from the start).
        limit: page size (clamped to 1…``events.MAX_PAGE``).
        email: only this customer's appointments (case-insensitive).
        employee_id: only this staff member's appointments.
    """
    tz = ctx.rules.tz
    rows = events_since(ctx.session, since, limit=limit, email=email, employee_id=employee_id)
    events = []
    for e in rows:
        start = e.start_at.astimezone(tz)
        events.append(
            FeedEvent(
                e.seq,
                e.type,
                e.reference,
                e.status,
                start.date(),
                start.strftime("%H:%M"),
                e.occurred_at.astimezone(tz),
            )
        )
    return Feed(events, rows[-1].seq if rows else since)
