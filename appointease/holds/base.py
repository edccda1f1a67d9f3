"""The hold-store interfaces (SPEC §3 selections and locks) shared by every engine.

``HoldStore`` is what the request path needs (acquire, release, a day's holds, a
heartbeat's poll); ``HoldStats`` is what operations need (``/readyz``, ``/metrics``,
``/admin/debug``). Each engine implements both. (Widgets polling now are estimated
from the heartbeat rate, ``appointease.metrics``, not stored per poll.)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from appointease.errors import SlotHeld
from appointease.grid import overlaps

SELECTION, LOCK = "selection", "lock"


@dataclass(frozen=True)
class HoldRequest:
    """What a client asks to hold.

    Attributes:
        client_id: the opaque per-page-session id of the holder.
        employee_id: the staff member.
        day: business-local date of the slot.
        time: business-local ``HH:MM`` start.
        start, end: the slot as aware UTC instants (end = start + service duration).
        kind: ``selection`` or ``lock``.
        ttl_seconds: how long the hold lives unless renewed (selections) or released.
        ip: the client's IP for the per-IP hold cap (SPEC §8); None exempts the hold
            (a booking's own short hold).
        bounded: the hold counts against the client's hold life (``hold_life``); False
            for a booking's own short hold, which is never refused for the life or
            cut short by it (booking is not holding).
    """

    client_id: str
    employee_id: int
    day: date
    time: str
    start: datetime
    end: datetime
    kind: str
    ttl_seconds: int
    ip: str | None = None
    bounded: bool = True


@dataclass(frozen=True)
class HoldInfo:
    """A live hold as stored: the request's fields plus its UTC ``expires_at``.

    ``first_taken_at`` (UTC) is when the client's current hold life began (``hold_life``);
    None when the store does not bound hold lives. ``storage`` names the engine the hold
    is stored in (``database`` or ``redis``), as ``/slots/select`` reports it.
    """

    client_id: str
    employee_id: int
    day: date
    time: str
    start: datetime
    end: datetime
    kind: str
    expires_at: datetime
    first_taken_at: datetime | None = None
    storage: str = "database"


@dataclass(frozen=True)
class PollRequest:
    """What one heartbeat asks of the store (``HoldStore.poll``).

    Attributes:
        employee_ids: the staff members whose holds on ``day`` are listed, in this order.
        day: business-local date.
        client_id: the polling client; ``""`` for a listing that renews nothing.
        selected_time: business-local ``HH:MM`` of the client's selection to renew, or None.
        ttl_seconds: the renewed selection lives until now + this (the selection TTL).
        ip: the polling client's address (the Redis store keeps its per-IP cap index in
            step with a renewal); None when not known or not needed.
    """

    employee_ids: Sequence[int]
    day: date
    client_id: str = ""
    selected_time: str | None = None
    ttl_seconds: int = 0
    ip: str | None = None


@dataclass(frozen=True)
class PollResult:
    """What a poll found: ``holds`` ``{employee_id: [HoldInfo]}`` (every id asked for present)
    and ``storage``, the engine that served it (``database`` or ``redis``), as the heartbeat
    answer reports it."""

    holds: dict[int, list[HoldInfo]]
    storage: str


def hold_life(
    previous: tuple[datetime | None, datetime] | None,
    now: datetime,
    max_life_seconds: int,
    cooldown_seconds: int,
    bounded: bool = True,
) -> tuple[datetime, datetime | None]:
    """Decide a new hold's life (issue 16 point 8: locks cannot be kept forever).

    A client's holds — selections and locks, on any slot, however often re-taken or
    renewed by heartbeat — share one life from its first taking: no hold of the client
    expires later than ``first_taken_at + max_life_seconds``. The life continues while the
    client's last hold ended less than ``cooldown_seconds`` ago (a release counts as an
    end); once the life is over the client gets ``slot_held`` until that cool-down has
    passed, then a fresh life. Moving to another slot and back, or releasing and
    re-taking, therefore never starts a new life; a new ``client_id`` (a reloaded page)
    does, and the per-IP cap (SPEC §8) bounds how many of those one IP has at once.

    Args:
        previous: ``(first_taken_at, expires_at)`` of the client's last hold (live or
            ended), UTC, or None when the store remembers none.
        now: the store's current aware UTC instant.
        max_life_seconds: the longest life (``APPOINTEASE_LOCK_MAX_SECONDS``); 0: unbounded.
        cooldown_seconds: how long an ended life is remembered, seconds (the lock TTL).
        bounded: False for a booking's own hold: never refused, never capped; it keeps
            the life going (so a booking attempt cannot restart it).

    Returns:
        ``(first_taken_at, cap)``: the life's start and the latest expiry any hold of it
        may have (None: uncapped).

    Raises:
        SlotHeld: the client's life is over and its cool-down has not passed.
    """
    first = now
    if previous is not None:
        prev_first, prev_expires = previous
        if prev_first is not None and prev_expires + timedelta(seconds=cooldown_seconds) > now:
            first = prev_first
    if max_life_seconds <= 0 or not bounded:
        return first, None
    cap = first + timedelta(seconds=max_life_seconds)
    if now >= cap:
        raise SlotHeld()
    return first, cap


def held_by_other(holds: Iterable[HoldInfo], client_id: str | None, start: datetime, end: datetime) -> bool:
    """Return True when a hold of a client other than ``client_id`` overlaps ``[start, end)``.

    The one rule behind ``slot_held`` (SPEC §4), for every store and for booking.
    """
    return any(h.client_id != client_id and overlaps(h.start, h.end, start, end) for h in holds)


class HoldStore(ABC):
    """Selections and locks with TTLs; at most one hold per client (SPEC §3).

    Every implementation must be correct across processes and hosts: the check for a
    conflicting hold and the write are one atomic step, and no hold write rides on the
    caller's database transaction. (The one exception: on a Redis Cluster the release of
    the client's previous hold on another staff member or day is a step after the write,
    ``RedisHoldStore._acquire_per_slot``.) ``storage`` names the engine the next request would be
    served by (``database`` or ``redis``, ``/admin/debug``); what served a call is in its
    result (``HoldInfo.storage``, ``PollResult.storage``).
    """

    storage: str = "database"

    #: Most live holds one IP may have at once (``APPOINTEASE_MAX_HOLDS_PER_IP``; 0 = no cap).
    max_holds_per_ip: int = 0

    @abstractmethod
    def acquire(self, req: HoldRequest) -> HoldInfo:
        """Atomically take the hold, replacing the client's previous one (if any).

        The per-IP cap (SPEC §8) is checked atomically with the hold: a client's
        existing hold does not count against its own replacement.

        Raises:
            SlotHeld: another client's live hold overlaps ``[req.start, req.end)``.
            RateLimited: ``req.ip`` already has ``max_holds_per_ip`` live holds
                (``retry_after``: seconds until the first of them expires).
            Unavailable: the store cannot be reached.
        """

    @abstractmethod
    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        """Drop the client's hold on (employee, day[, time]); only the holder's own.

        Returns:
            True when a hold was removed; False when there was none (idempotent).
        """

    @abstractmethod
    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        """Return the live holds on (employee, day)."""

    @abstractmethod
    def poll(self, req: PollRequest) -> PollResult:
        """Serve one heartbeat in one round trip: renew the client's selection, list the holds.

        Renews the client's *selection* at ``req.selected_time`` (if given, on any of
        ``req.employee_ids``) to now + ``req.ttl_seconds`` (locks are never renewed, SPEC §3),
        and returns the live holds on each (employee, day). No write happens unless
        there is a live selection to renew (issue 8: no write per heartbeat).

        Returns:
            ``PollResult``: ``holds`` ``{employee_id: [HoldInfo]}`` with every id of
            ``req.employee_ids`` present, and the ``storage`` that served it.

        Raises:
            Unavailable: the store cannot be reached.
        """


class HoldStats(ABC):
    """Counting and health for operations (``/readyz``, ``/metrics``), off the request path."""

    @abstractmethod
    def ping(self) -> bool:
        """Return True when the store answers."""

    @abstractmethod
    def count_active(self) -> dict[str, int]:
        """Return live holds by kind, ``{"selection": n, "lock": m}``."""

    @abstractmethod
    def live_holds(self, limit: int = 200) -> list[HoldInfo]:
        """Return live holds of every staff member and day, soonest expiry first, at most
        ``limit`` (``/admin/debug``)."""
