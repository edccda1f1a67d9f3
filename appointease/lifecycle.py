"""Appointment statuses and the allowed status changes (SPEC §3), shared by models,
booking and schemas."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """An appointment's status (SPEC §3). Stored as its string value."""

    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Statuses that block the slot (SPEC §3 "Active").
ACTIVE = (Status.CONFIRMED, Status.CHECKED_IN)

#: Allowed changes (SPEC §3); ``checked_in`` → ``no_show`` is deliberately absent.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.CONFIRMED: frozenset({Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}),
    Status.CHECKED_IN: frozenset({Status.COMPLETED}),
}


def can_change(current: str, new: str) -> bool:
    """Return True when SPEC §3 allows ``current`` → ``new``."""
    return Status(new) in TRANSITIONS.get(Status(current), frozenset())
