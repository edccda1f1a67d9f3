"""The hold-store interface (SPEC §3 selections and locks) shared by every engine."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from appointease.availability import overlaps

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
    """

    client_id: str
    employee_id: int
    day: date
    time: str
    start: datetime
    end: datetime
    kind: str
    ttl_seconds: int


@dataclass(frozen=True)
class HoldInfo:
    """A live hold as stored: the request's fields plus its UTC ``expires_at``."""

    client_id: str
    employee_id: int
    day: date
    time: str
    start: datetime
    end: datetime
    kind: str
    expires_at: datetime


def held_by_other(holds: Iterable[HoldInfo], client_id: str | None, start: datetime, end: datetime) -> bool:
    """Return True when a hold of a client other than ``client_id`` overlaps ``[start, end)``.

    The one rule behind ``slot_held`` (SPEC §4), for every store and for booking.
    """
    return any(h.client_id != client_id and overlaps(h.start, h.end, start, end) for h in holds)


class HoldStore(ABC):
    """Selections and locks with TTLs; at most one hold per client (SPEC §3).

    Every implementation must be correct across processes and hosts: the check for
    a conflicting hold and the write are one atomic step. ``storage`` names the
    engine as reported by ``/slots/select`` (``database`` or ``redis``).
    """

    storage: str = "database"

    @abstractmethod
    def acquire(self, req: HoldRequest) -> HoldInfo:
        """Atomically take the hold, replacing the client's previous one (if any).

        Raises:
            SlotHeld: another client's live hold overlaps ``[req.start, req.end)``.
            Unavailable: the store cannot be reached.
        """

    @abstractmethod
    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        """Drop the client's hold on (employee, day[, time]); only the holder's own.

        Returns:
            True when a hold was removed; False when there was none (idempotent).
        """

    @abstractmethod
    def holds_for(self, employee_id: int, day: date, renew: tuple[str, str, int] | None = None) -> list[HoldInfo]:
        """Return the live holds on (employee, day), optionally renewing one first.

        Args:
            renew: ``(client_id, time, ttl_seconds)``: extend that client's *selection*
                at ``time`` to now + ttl (heartbeat renewal, SPEC §4). Locks are never
                renewed.
        """

    @abstractmethod
    def client_hold(self, client_id: str) -> HoldInfo | None:
        """Return the client's live hold wherever it is, or None."""

    @abstractmethod
    def ping(self) -> bool:
        """Return True when the store answers (``/readyz``)."""

    @abstractmethod
    def count_active(self) -> dict[str, int]:
        """Return live holds by kind, ``{"selection": n, "lock": m}`` (``/metrics``)."""

    @abstractmethod
    def poll(self, employee_id: int, day: date, client_id: str, selected_time: str | None, ttl_seconds: int) -> list[HoldInfo]:
        """Serve one heartbeat in one round trip: renew, note the poller, list the holds.

        Renews the client's *selection* at ``selected_time`` (if given) to now +
        ``ttl_seconds``, records that ``client_id`` polled now (pollers gauge), and
        returns the live holds on (employee, day), as ``holds_for`` does.
        """

    @abstractmethod
    def count_pollers(self, window_seconds: int = 15) -> int:
        """Return how many distinct clients polled in the last ``window_seconds``."""
