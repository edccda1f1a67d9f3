"""Free start times per day (``appointease.open_days.count_free``): pure, no app, no database."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from appointease.availability import Busy, Schedule
from appointease.open_days import count_free

UTC_TZ = ZoneInfo("UTC")
MONDAY = date(2026, 11, 23)
WEEKDAYS = Schedule(weekly={d: [(time(9), time(17))] for d in range(5)})
MORNINGS = Schedule(weekly={d: [(time(9), time(12))] for d in range(6)})  # Mon–Sat 09–12
NOW = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def count(staff, first=MONDAY, last=MONDAY + timedelta(days=6), **kw):
    opts = {"duration_minutes": 30, "step_minutes": 30, "tz": UTC_TZ, "now": NOW, "min_notice_minutes": 0,
            "horizon_days": 90, **kw}
    return count_free(staff, first, last, **opts)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=UTC)


def test_closed_days_count_zero_open_days_count_their_grid():
    days = dict(count([(WEEKDAYS, [])]))
    assert list(days) == [MONDAY + timedelta(days=i) for i in range(7)]
    assert [days[MONDAY + timedelta(days=i)] for i in range(7)] == [16, 16, 16, 16, 16, 0, 0]


def test_appointments_take_their_overlapping_starts_away():
    busy = [Busy(at(MONDAY, 10), at(MONDAY, 11), "booked")]  # 10:00 and 10:30 gone
    assert count([(WEEKDAYS, busy)], last=MONDAY) == [(MONDAY, 14)]
    # 60 minutes: 15 starts (09:00–16:00); 09:30, 10:00 and 10:30 run into the appointment.
    assert count([(WEEKDAYS, busy)], last=MONDAY, duration_minutes=60) == [(MONDAY, 12)]


def test_any_staff_counts_distinct_times_free_with_someone():
    fully_booked = [Busy(at(MONDAY, 9), at(MONDAY, 17), "booked")]
    staff = [(WEEKDAYS, fully_booked), (MORNINGS, [])]
    days = dict(count(staff))
    assert days[MONDAY] == 6                           # only the mornings person, 09:00–11:30
    assert days[MONDAY + timedelta(days=1)] == 16      # union: the 6 morning times are not counted twice
    assert days[MONDAY + timedelta(days=5)] == 6       # Saturday: mornings only


def test_past_notice_and_horizon_give_zero():
    now = at(MONDAY, 12, 10)
    days = dict(count([(WEEKDAYS, [])], first=MONDAY - timedelta(days=1), last=MONDAY + timedelta(days=2),
                      now=now, min_notice_minutes=60, horizon_days=1))
    assert days[MONDAY - timedelta(days=1)] == 0       # the past
    assert days[MONDAY] == 7                           # 13:30 … 16:30 (13:10 + 60 min notice)
    assert days[MONDAY + timedelta(days=1)] == 7       # up to 12:10 tomorrow: 09:00 … 12:00
    assert days[MONDAY + timedelta(days=2)] == 0       # past the horizon


def test_days_follow_the_business_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: Monday counts, Sunday does not.
    night = Schedule(weekly={0: [(time(0), time(1))]})
    days = dict(count([(night, [])], first=MONDAY - timedelta(days=1), last=MONDAY, tz=berlin))
    assert days == {MONDAY - timedelta(days=1): 0, MONDAY: 2}
