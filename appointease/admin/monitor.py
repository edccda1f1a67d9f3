"""What staff dashboards watch (SPEC §4): the event feed, a day's live holds, the debug view.

Holds never show a client id in full: ``client`` is its first ``CLIENT_PREFIX``
characters and an ellipsis, enough to tell two holds apart and useless to act as them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from appointease import feeds
from appointease.auth.principal import Principal
from appointease.context import Context
from appointease.errors import ValidationFailed
from appointease.feeds import Feed
from appointease.holds import HoldInfo, HoldStats
from appointease.models import Employee, Event

CLIENT_PREFIX = 4
#: "Polling now" means polled within this many seconds (``metrics.POLLER_WINDOW``).
POLLER_WINDOW_SECONDS = 15
#: The most holds ``/admin/debug`` lists.
DEBUG_HOLDS = 200


def feed(ctx: Context, actor: Principal, since: int, limit: int) -> Feed:
    """Return events with ``seq > since`` in ``seq`` order (SPEC §4 ``/admin/events``).

    The same feed as ``/me/events`` (``feeds.feed``), so no event is skipped or repeated
    across pages; a staff token sees only its own employee's events.
    """
    return feeds.feed(ctx, since, limit, employee_id=actor.scope(None))


@dataclass(frozen=True)
class HoldView:
    """A live selection or lock as dashboards show it (no full client id)."""

    kind: str
    employee_id: int
    day: date
    time: str
    start: datetime
    end: datetime
    expires_at: datetime
    seconds_left: int
    client: str

    @classmethod
    def of(cls, hold: HoldInfo, ctx: Context) -> HoldView:
        """View a hold at ``ctx.now``; ``seconds_left`` is rounded up (a live hold has ≥ 1)."""
        tz = ctx.rules.tz
        left = max(1, math.ceil((hold.expires_at - ctx.now).total_seconds()))
        return cls(
            hold.kind,
            hold.employee_id,
            hold.day,
            hold.time,
            hold.start.astimezone(tz),
            hold.end.astimezone(tz),
            hold.expires_at.astimezone(tz),
            left,
            hold.client_id[:CLIENT_PREFIX] + "…",
        )


def day_holds(ctx: Context, actor: Principal, day: date, employee_id: int | None) -> list[HoldView]:
    """Return the live holds on one staff member's day, by start time (the staff day view).

    Args:
        employee_id: whose day; a staff token may leave it out (its own).

    Raises:
        Forbidden: a staff token asked for another staff member.
        ValidationFailed: an admin token gave no ``employee_id``.
        Unavailable: no hold store reachable.
    """
    employee_id = actor.scope(employee_id)
    if employee_id is None:
        raise ValidationFailed(fields={"employee_id": ["Required for an admin token."]})
    holds = [h for h in ctx.holds.holds(employee_id, day) if h.expires_at > ctx.now]
    return [HoldView.of(h, ctx) for h in sorted(holds, key=lambda h: (h.start, h.kind))]


@dataclass(frozen=True)
class Debug:
    """``GET /admin/debug``: pollers (an estimate), live hold counts and the holds themselves."""

    server_time: datetime
    storage: str
    pollers: int
    poller_window_seconds: int
    selections: int
    locks: int
    holds: list[HoldView]


def debug(ctx: Context, stats: HoldStats, actor: Principal, pollers: float) -> Debug:
    """Describe live activity (SPEC §4 ``/admin/debug``).

    Args:
        stats: the hold store's statistics side.
        pollers: the estimate of widgets polling now (``metrics.pollers_estimate``: the
            heartbeat rate over the last ``POLLER_WINDOW_SECONDS``, across workers).

    Counts are business-wide, while a staff token's ``holds`` list only its own employee's.

    Raises:
        Unavailable: no hold store reachable.
    """
    counts = stats.count_active()
    holds = [h for h in stats.live_holds(DEBUG_HOLDS) if actor.is_admin or h.employee_id == actor.employee_id]
    return Debug(
        ctx.now,
        ctx.holds.storage,
        round(pollers),
        POLLER_WINDOW_SECONDS,
        counts.get("selection", 0),
        counts.get("lock", 0),
        [HoldView.of(h, ctx) for h in holds],
    )


@dataclass(frozen=True)
class Me:
    """Who a token is (``GET /admin/me``), so the day view knows whose day to show, and
    ``latest_seq``: the newest event's ``seq`` (0 when none), where a dashboard that has
    just loaded its data starts following ``/admin/events``."""

    token_id: int
    role: str
    employee_id: int | None
    employee_name: str | None
    name: str | None
    latest_seq: int


def whoami(ctx: Context, actor: Principal) -> Me:
    """Describe the calling token; ``employee_name`` for a staff token's staff member."""
    employee = ctx.session.get(Employee, actor.employee_id) if actor.employee_id is not None else None
    latest = ctx.session.scalar(select(func.max(Event.seq))) or 0
    return Me(actor.token_id, actor.role, actor.employee_id, employee.name if employee else None, actor.name, latest)
