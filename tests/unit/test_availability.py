"""The slot grid, the booking-time rules and slot states (``appointease.availability``).

Pure functions: no app, no database. Schedules are built by hand; the business time
zone is UTC unless a test is about daylight saving (Europe/Berlin).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from appointease.errors import OutsideHours, PastTime, TooFarAhead
from appointease.grid import (
    AVAILABLE,
    BOOKED,
    LOCKED,
    MINE,
    PROCESSING,
    Busy,
    Schedule,
    find_slot,
    local_to_utc,
    parse_hhmm,
    slot_grid,
    slot_states,
)

pytestmark = pytest.mark.engine_independent

TZ = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 11, 23)
SATURDAY = date(2026, 11, 28)
WEEKDAYS_9_TO_5 = Schedule(weekly={d: [(time(9), time(17))] for d in range(5)})
LUNCH = Schedule(weekly={d: [(time(9), time(12, 30)), (time(13, 30), time(17))] for d in range(5)})
# "Now" for find_slot: a week before MONDAY, so MONDAY is bookable by default.
NOW = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def times(slots) -> list[str]:
    return [s.time for s in slots]


def half_hours(first: str, last: str) -> list[str]:
    """Every HH:MM from ``first`` to ``last`` inclusive in 30-minute steps."""
    cur = datetime.combine(MONDAY, parse_hhmm(first))
    end = datetime.combine(MONDAY, parse_hhmm(last))
    out = []
    while cur <= end:
        out.append(cur.strftime("%H:%M"))
        cur += timedelta(minutes=30)
    return out


def utc(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=UTC)


def find(schedule=WEEKDAYS_9_TO_5, day=MONDAY, hhmm="10:00", *, duration=30, now=NOW, notice=0, horizon=90, tz=TZ):
    return find_slot(
        schedule,
        day,
        hhmm,
        duration_minutes=duration,
        step_minutes=30,
        tz=tz,
        now=now,
        min_notice_minutes=notice,
        horizon_days=horizon,
    )


# --- the slot grid ---------------------------------------------------------------


def test_grid_30_minute_service_runs_0900_to_1630():
    slots = slot_grid(WEEKDAYS_9_TO_5, MONDAY, 30, 30, TZ)
    assert times(slots) == half_hours("09:00", "16:30")
    assert slots[0].start == utc(MONDAY, 9) and slots[0].end == utc(MONDAY, 9, 30)
    assert slots[-1].end == utc(MONDAY, 17)


@pytest.mark.parametrize(
    ("duration", "last"),
    [(45, "16:00"), (60, "16:00"), (90, "15:30"), (480, "09:00")],
)
def test_longer_services_must_end_by_the_interval_end(duration, last):
    slots = slot_grid(WEEKDAYS_9_TO_5, MONDAY, duration, 30, TZ)
    assert times(slots) == half_hours("09:00", last)
    assert all(s.end - s.start == timedelta(minutes=duration) for s in slots)
    assert max(s.end for s in slots) <= utc(MONDAY, 17)


def test_service_longer_than_the_working_day_has_no_slots():
    assert slot_grid(WEEKDAYS_9_TO_5, MONDAY, 481, 30, TZ) == []


def test_lunch_break_leaves_a_gap_and_each_interval_has_its_own_end():
    thirty = times(slot_grid(LUNCH, MONDAY, 30, 30, TZ))
    assert thirty == half_hours("09:00", "12:00") + half_hours("13:30", "16:30")
    hour = times(slot_grid(LUNCH, MONDAY, 60, 30, TZ))
    # 12:00 would run into lunch; 11:30 ends exactly at 12:30.
    assert hour == half_hours("09:00", "11:30") + half_hours("13:30", "16:00")


def test_step_other_than_the_duration():
    slots = slot_grid(WEEKDAYS_9_TO_5, MONDAY, 30, 15, TZ)
    assert times(slots)[:3] == ["09:00", "09:15", "09:30"]
    assert times(slots)[-1] == "16:30"
    assert len(slots) == 31


def test_closed_weekend_day_has_no_slots():
    assert slot_grid(WEEKDAYS_9_TO_5, SATURDAY, 30, 30, TZ) == []


def test_time_off_days_have_no_slots_and_the_days_around_do():
    schedule = Schedule(
        weekly=WEEKDAYS_9_TO_5.weekly, time_off=((MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)),)
    )
    assert len(slot_grid(schedule, MONDAY, 30, 30, TZ)) == 16
    assert slot_grid(schedule, MONDAY + timedelta(days=1), 30, 30, TZ) == []  # first day, inclusive
    assert slot_grid(schedule, MONDAY + timedelta(days=2), 30, 30, TZ) == []  # last day, inclusive
    assert len(slot_grid(schedule, MONDAY + timedelta(days=3), 30, 30, TZ)) == 16


def test_normal_day_in_berlin_has_the_right_utc_offset():
    winter = slot_grid(WEEKDAYS_9_TO_5, MONDAY, 30, 30, BERLIN)  # CET, UTC+1
    assert winter[0].time == "09:00" and winter[0].start == utc(MONDAY, 8)
    assert winter[-1].end == utc(MONDAY, 16)
    summer_day = date(2026, 7, 6)  # a Monday, CEST, UTC+2
    summer = slot_grid(WEEKDAYS_9_TO_5, summer_day, 30, 30, BERLIN)
    assert summer[0].start == utc(summer_day, 7) and summer[0].start.tzinfo is not None
    assert len(summer) == 16


# --- daylight-saving days (Europe/Berlin) ------------------------------------------

SPRING = date(2026, 3, 29)  # 02:00 CET → 03:00 CEST: 02:00–02:59 does not exist
AUTUMN = date(2026, 10, 25)  # 03:00 CEST → 02:00 CET: 02:00–02:59 happens twice
NIGHT = Schedule(weekly={6: [(time(0), time(6))]})  # both days are Sundays


def test_spring_forward_skips_the_missing_wall_times():
    slots = slot_grid(NIGHT, SPRING, 30, 30, BERLIN)
    assert times(slots) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00", "05:30"]
    by_time = {s.time: s for s in slots}
    assert by_time["00:00"].start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # CET
    assert by_time["01:30"].start == utc(SPRING, 0, 30)
    assert by_time["03:00"].start == utc(SPRING, 1, 0)  # CEST
    assert by_time["05:30"].end == utc(SPRING, 4, 0)  # 06:00 CEST
    # Elapsed durations: every slot is 30 real minutes and slots never overlap.
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert all(a.end <= b.start for a, b in pairwise(slots))


def test_spring_forward_hour_long_slot_spans_the_jump_with_60_elapsed_minutes():
    slots = slot_grid(NIGHT, SPRING, 60, 30, BERLIN)
    by_time = {s.time: s for s in slots}
    # 01:30 CET + 60 min = 03:30 CEST on the wall, 60 minutes elapsed.
    assert by_time["01:30"].start == utc(SPRING, 0, 30) and by_time["01:30"].end == utc(SPRING, 1, 30)
    # The interval holds 5 real hours, so the last hour-long slot starts at 05:00.
    assert times(slots)[-1] == "05:00" and by_time["05:00"].end == utc(SPRING, 4)
    assert "02:00" not in by_time and "02:30" not in by_time


def test_fall_back_wall_times_are_unique_and_take_the_first_occurrence():
    slots = slot_grid(NIGHT, AUTUMN, 30, 30, BERLIN)
    labels = times(slots)
    assert labels == half_hours("00:00", "05:30")
    assert len(labels) == len(set(labels))
    by_time = {s.time: s for s in slots}
    assert by_time["00:00"].start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # CEST
    assert by_time["02:00"].start == utc(AUTUMN, 0, 0)  # first 02:00 (CEST)
    assert by_time["02:30"].start == utc(AUTUMN, 0, 30)
    assert by_time["03:00"].start == utc(AUTUMN, 2, 0)  # CET
    assert by_time["05:30"].end == utc(AUTUMN, 5, 0)  # 06:00 CET
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert [s.start for s in slots] == sorted(s.start for s in slots)


def test_fall_back_hour_long_slot_has_60_elapsed_minutes():
    slots = slot_grid(NIGHT, AUTUMN, 60, 30, BERLIN)
    by_time = {s.time: s for s in slots}
    assert by_time["02:30"].end - by_time["02:30"].start == timedelta(hours=1)
    assert by_time["05:00"].end == utc(AUTUMN, 5) and times(slots)[-1] == "05:00"


def test_find_slot_refuses_a_wall_time_skipped_by_spring_forward():
    now = datetime(2026, 3, 20, tzinfo=UTC)
    with pytest.raises(OutsideHours):
        find(NIGHT, SPRING, "02:30", now=now, tz=BERLIN)
    slot = find(NIGHT, SPRING, "03:00", now=now, tz=BERLIN)
    assert slot.start == utc(SPRING, 1)


def test_local_to_utc_on_dst_days():
    assert local_to_utc(SPRING, time(2, 15), BERLIN) is None
    assert local_to_utc(AUTUMN, time(2, 15), BERLIN) == utc(AUTUMN, 0, 15)
    assert local_to_utc(MONDAY, time(9), BERLIN) == utc(MONDAY, 8)


# --- find_slot rules --------------------------------------------------------------


def test_find_slot_returns_the_grid_slot():
    slot = find(hhmm="16:30")
    assert slot.time == "16:30" and slot.start == utc(MONDAY, 16, 30) and slot.end == utc(MONDAY, 17)
    assert find(hhmm="16:00", duration=60).end == utc(MONDAY, 17)


@pytest.mark.parametrize(
    ("schedule", "day", "hhmm", "duration"),
    [
        (WEEKDAYS_9_TO_5, MONDAY, "10:15", 30),  # off the 30-minute grid
        (WEEKDAYS_9_TO_5, MONDAY, "08:30", 30),  # before opening
        (WEEKDAYS_9_TO_5, MONDAY, "17:00", 30),  # at closing
        (WEEKDAYS_9_TO_5, MONDAY, "16:30", 45),  # would end after closing
        (LUNCH, MONDAY, "12:30", 30),  # lunch break
        (LUNCH, MONDAY, "12:00", 60),  # would run into lunch
        (WEEKDAYS_9_TO_5, SATURDAY, "10:00", 30),  # closed day
    ],
)
def test_find_slot_off_grid_or_outside_hours(schedule, day, hhmm, duration):
    with pytest.raises(OutsideHours):
        find(schedule, day, hhmm, duration=duration)


def test_find_slot_on_time_off():
    schedule = Schedule(weekly=WEEKDAYS_9_TO_5.weekly, time_off=((MONDAY, MONDAY),))
    with pytest.raises(OutsideHours):
        find(schedule, MONDAY, "10:00")
    assert find(schedule, MONDAY + timedelta(days=1), "10:00").time == "10:00"


def test_find_slot_past_time_and_minimum_notice():
    now = utc(MONDAY, 10, 5)
    with pytest.raises(PastTime):
        find(hhmm="10:00", now=now)
    with pytest.raises(PastTime):
        find(day=MONDAY - timedelta(days=7), hhmm="10:00", now=now)
    assert find(hhmm="10:30", now=now).time == "10:30"
    with pytest.raises(PastTime):  # 10:30 is within 60 minutes' notice of 10:05
        find(hhmm="10:30", now=now, notice=60)
    assert find(hhmm="11:30", now=now, notice=60).time == "11:30"
    assert find(hhmm="10:00", now=utc(MONDAY, 10)).time == "10:00"  # exactly now is allowed


def test_find_slot_beyond_the_horizon():
    now = utc(MONDAY, 10)
    assert find(day=MONDAY + timedelta(days=14), hhmm="10:00", now=now, horizon=14).time == "10:00"
    with pytest.raises(TooFarAhead):
        find(day=MONDAY + timedelta(days=14), hhmm="10:30", now=now, horizon=14)
    with pytest.raises(TooFarAhead):
        find(day=MONDAY + timedelta(days=91), hhmm="10:00", now=now)


@pytest.mark.parametrize("text", ["9:00", "25:00", "24:00", "10:60", "10-00", "ab:cd", "10:000", ""])
def test_parse_hhmm_refuses_bad_times(text):
    with pytest.raises(ValueError):
        parse_hhmm(text)


# --- slot states ------------------------------------------------------------------

ME, OTHER, THIRD = "client-me-0001", "client-other-01", "client-third-01"


def grid(duration=30):
    return slot_grid(WEEKDAYS_9_TO_5, MONDAY, duration, 30, TZ)


def states(slots, busy, client_id=ME) -> dict[str, str]:
    return {slot.time: state for slot, state in slot_states(slots, busy, client_id)}


def busy(kind, hhmm, minutes=30, client=None):
    start = datetime.combine(MONDAY, parse_hhmm(hhmm), tzinfo=UTC)
    return Busy(start, start + timedelta(minutes=minutes), kind, client, hhmm if client else None)


def test_everything_available_without_busy_intervals():
    assert set(states(grid(), []).values()) == {AVAILABLE}


def test_each_kind_of_busy_gives_its_state():
    result = states(
        grid(),
        [
            busy("booked", "09:00"),
            busy("lock", "10:00", client=OTHER),
            busy("selection", "11:00", client=THIRD),
            busy("selection", "12:00", client=ME),
        ],
    )
    assert result["09:00"] == BOOKED
    assert result["10:00"] == LOCKED
    assert result["11:00"] == PROCESSING
    assert result["12:00"] == MINE
    assert [t for t, s in result.items() if s != AVAILABLE] == ["09:00", "10:00", "11:00", "12:00"]


def test_booked_wins_over_holds_and_lock_over_selection():
    result = states(
        grid(),
        [
            busy("selection", "10:00", client=OTHER),
            busy("lock", "10:00", client=THIRD),
            busy("booked", "10:00"),
            busy("selection", "11:00", client=OTHER),
            busy("lock", "11:00", client=THIRD),
        ],
    )
    assert result["10:00"] == BOOKED
    assert result["11:00"] == LOCKED


def test_own_hold_is_mine_never_locked_or_processing():
    for kind in ("lock", "selection"):
        result = states(grid(), [busy(kind, "10:00", minutes=60, client=ME)])
        assert result["10:00"] == MINE
        # The rest of my own hour is not painted as someone else's hold.
        assert result["10:30"] == AVAILABLE
        assert LOCKED not in result.values() and PROCESSING not in result.values()


def test_own_hold_on_a_booked_slot_shows_booked():
    result = states(grid(), [busy("booked", "10:00"), busy("selection", "10:00", client=ME)])
    assert result["10:00"] == BOOKED


def test_anonymous_viewer_sees_every_hold_as_someone_elses():
    result = states(
        grid(), [busy("lock", "10:00", client=ME), busy("selection", "11:00", client=OTHER)], client_id=None
    )
    assert result["10:00"] == LOCKED and result["11:00"] == PROCESSING
    assert MINE not in result.values()


def test_overlap_uses_the_busy_duration():
    # A 60-minute booking at 10:00 blocks the 10:00 and 10:30 half-hour slots.
    result = states(grid(30), [busy("booked", "10:00", minutes=60)])
    assert [t for t, s in result.items() if s == BOOKED] == ["10:00", "10:30"]
    assert result["09:30"] == AVAILABLE and result["11:00"] == AVAILABLE


def test_overlap_uses_the_slot_duration():
    # For a 60-minute service, the 09:30 slot (09:30–10:30) also overlaps a 10:00 booking.
    result = states(grid(60), [busy("booked", "10:00", minutes=30)])
    assert [t for t, s in result.items() if s == BOOKED] == ["09:30", "10:00"]
    # A 45-minute service: 09:30–10:15 overlaps, 09:00–09:45 does not.
    result = states(grid(45), [busy("lock", "10:00", minutes=30, client=OTHER)])
    assert [t for t, s in result.items() if s == LOCKED] == ["09:30", "10:00"]


def test_adjacent_busy_interval_does_not_overlap():
    result = states(grid(30), [busy("booked", "10:30")])
    assert result["10:00"] == AVAILABLE and result["10:30"] == BOOKED and result["11:00"] == AVAILABLE


def test_states_keep_the_order_of_the_slots():
    slots = grid()
    assert [slot for slot, _ in slot_states(slots, [busy("booked", "12:00")], ME)] == slots
