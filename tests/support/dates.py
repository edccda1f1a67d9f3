"""The days tests book on, as functions of today (issue 16).

Every date-relative test takes its dates from here, through the ``workday`` and
``strip_workday`` fixtures (``tests/conftest.py``) or ``notify_fixtures.monday``. Because they
are plain functions of ``today``, ``tests/unit/test_test_dates.py`` checks their promises for
fourteen consecutive todays (every weekday twice), cheaply and on every run; the seven-day
stage (``scripts/seven-days.sh``) then runs the tests themselves with the clock moved.
"""

from __future__ import annotations

from datetime import date, timedelta

#: Days ahead the earliest test day lies: past the demo's minimum notice whatever the hour.
MIN_DAYS_AHEAD = 2
#: The widget's strip shows days in pages of this many, starting at today (SPEC §1).
STRIP_PAGE_DAYS = 7


def workday_after(today: date) -> date:
    """Return the first Monday at least ``MIN_DAYS_AHEAD`` days after ``today`` (2–8 days
    ahead): every demo staff member works 09:00–17:00 business-local on it."""
    day = today + timedelta(days=MIN_DAYS_AHEAD)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def strip_workday_after(today: date) -> date:
    """Return the first Monday–Thursday at least ``MIN_DAYS_AHEAD`` days after ``today`` whose
    next day is on the same page of the widget's strip: for tests that step from one day to
    the next on screen. Not always a Monday: when today is a Tuesday every Monday ends a page."""
    day = today + timedelta(days=MIN_DAYS_AHEAD)
    while day.weekday() > 3 or (day - today).days % STRIP_PAGE_DAYS == STRIP_PAGE_DAYS - 1:
        day += timedelta(days=1)
    return day
