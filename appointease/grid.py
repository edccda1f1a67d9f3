"""The slot grid and booking-time rules (SPEC §3): pure functions, no Flask, no database.

Wall times (``HH:MM``, working hours, dates) are business-local in ``tz``; every
instant these functions return is an aware UTC datetime. Durations are minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointease.errors import OutsideHours, PastTime, TooFarAhead

#: Slot states of SPEC §1, plus ``mine`` for the asking client's own hold (SPEC §4).
AVAILABLE, PROCESSING, LOCKED, BOOKED, MINE = "available", "processing", "locked", "booked", "mine"

DEFAULT_HOURS = ((time(9), time(17)),)


@dataclass(frozen=True)
class Schedule:
    """A plain snapshot of one employee's working hours and time off.

    Attributes:
        weekly: weekday (0 = Monday … 6 = Sunday) → list of (start, end) local wall times.
            A weekday that is absent is a closed day.
        time_off: inclusive (first_day, last_day) local date ranges.
    """

    weekly: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    time_off: tuple[tuple[date, date], ...] = ()

    def intervals_on(self, day: date) -> list[tuple[time, time]]:
        """Return the working intervals on ``day`` (empty on a closed day or time off)."""
        if any(first <= day <= last for first, last in self.time_off):
            return []
        return sorted(self.weekly.get(day.weekday(), []))


@dataclass(frozen=True)
class Slot:
    """One start time on the grid: ``time`` is local ``HH:MM``; ``start``/``end`` are UTC."""

    time: str
    start: datetime
    end: datetime


def parse_hhmm(value: str) -> time:
    """Parse a ``HH:MM`` 24-hour wall time.

    Raises:
        ValueError: not exactly two-digit hours 00–23 and minutes 00–59.
    """
    if len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise ValueError("time must be HH:MM")
    return time(int(value[:2]), int(value[3:]))


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime | None:
    """Convert a business-local wall time on ``day`` to a UTC instant.

    Returns None for a wall time that does not exist (skipped by a daylight-saving
    jump). An ambiguous wall time (clocks going back) takes its first occurrence
    (PEP 495 ``fold=0``).
    """
    naive = datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return instant


def _interval_end(day: date, end: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a working interval ends; a non-existent end wall time moves forward."""
    instant = local_to_utc(day, end, tz)
    if instant is None:  # e.g. an interval ending at 02:30 on a spring-forward night
        instant = datetime.combine(day, end).replace(tzinfo=tz).astimezone(UTC)
    return instant


def slot_grid(schedule: Schedule, day: date, duration_minutes: int, step_minutes: int, tz: ZoneInfo) -> list[Slot]:
    """Return the grid of start times for one employee, day and service (SPEC §3).

    Starts run from the start of each working interval every ``step_minutes``
    (wall-clock); a start is kept when start + ``duration_minutes`` (elapsed time)
    ends within the interval. Wall times that do not exist on a daylight-saving day
    are left out. Sorted by start instant.
    """
    slots: list[Slot] = []
    step = timedelta(minutes=step_minutes)
    duration = timedelta(minutes=duration_minutes)
    for start_wall, end_wall in schedule.intervals_on(day):
        limit = _interval_end(day, end_wall, tz)
        cursor = datetime.combine(day, start_wall)
        stop = datetime.combine(day, end_wall)
        while cursor < stop:
            start = local_to_utc(day, cursor.time(), tz)
            if start is not None and start + duration <= limit:
                slots.append(Slot(cursor.strftime("%H:%M"), start, start + duration))
            cursor += step
    slots.sort(key=lambda s: s.start)
    return slots


def find_slot(
    schedule: Schedule,
    day: date,
    hhmm: str,
    *,
    duration_minutes: int,
    step_minutes: int,
    tz: ZoneInfo,
    now: datetime,
    min_notice_minutes: int,
    horizon_days: int,
) -> Slot:
    """Check that ``hhmm`` on ``day`` may be held or booked, and return its slot.

    Rules, in order (SPEC §4 error table): the start must not be before
    ``now`` + minimum notice (``PastTime``), not after ``now`` + horizon
    (``TooFarAhead``), and must be on the grid (``OutsideHours``: off-grid, outside
    working hours, time off, closed day, or a wall time skipped by DST).

    Args:
        now: the current aware instant.

    Raises:
        PastTime, TooFarAhead, OutsideHours.
    """
    start = local_to_utc(day, parse_hhmm(hhmm), tz)
    if start is None:
        raise OutsideHours("That time does not exist on this day (daylight-saving change).")
    if start < now + timedelta(minutes=min_notice_minutes):
        raise PastTime()
    if start > now + timedelta(days=horizon_days):
        raise TooFarAhead()
    for slot in slot_grid(schedule, day, duration_minutes, step_minutes, tz):
        if slot.time == hhmm and slot.start == start:
            return slot
    raise OutsideHours()


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open interval overlap: [a_start, a_end) ∩ [b_start, b_end) is not empty."""
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True)
class Busy:
    """Something that blocks slots: an appointment (``kind="booked"``) or a hold.

    Attributes:
        start, end: UTC instants (half-open).
        kind: ``booked``, ``lock`` or ``selection``.
        client_id: the holder of a hold; None for appointments.
        time: local ``HH:MM`` the hold was taken at (holds only).
    """

    start: datetime
    end: datetime
    kind: str
    client_id: str | None = None
    time: str | None = None


_KIND_STATE = {"booked": BOOKED, "lock": LOCKED, "selection": PROCESSING}
_PRECEDENCE = {BOOKED: 3, LOCKED: 2, PROCESSING: 1}


def slot_states(slots: Iterable[Slot], busy: Iterable[Busy], client_id: str | None) -> list[tuple[Slot, str]]:
    """Give every slot its state from the asking client's point of view (SPEC §1, §4).

    A slot overlapping an appointment is ``booked``; the slot at the client's own
    hold time is ``mine``; otherwise an overlap with another client's lock is
    ``locked`` and with another client's selection ``processing``; else
    ``available``. The client's own holds never make a slot locked or processing.

    Returns:
        ``[(slot, state)]`` in the order of ``slots``.
    """
    busy = list(busy)
    own_times = {b.time for b in busy if client_id is not None and b.client_id == client_id}
    others = [b for b in busy if b.client_id is None or b.client_id != client_id]
    out = []
    for slot in slots:
        state = AVAILABLE
        rank = 0
        for b in others:
            candidate = _KIND_STATE[b.kind]
            if _PRECEDENCE[candidate] > rank and overlaps(slot.start, slot.end, b.start, b.end):
                state, rank = candidate, _PRECEDENCE[candidate]
        if state != BOOKED and slot.time in own_times:
            state = MINE
        out.append((slot, state))
    return out
