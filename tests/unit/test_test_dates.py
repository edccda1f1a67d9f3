"""The test days keep their promises whatever today is (issue 16).

``support.dates`` gives every date-relative test its days. Here its two functions are checked
for fourteen consecutive todays from the real one (every weekday twice), against the demo's
own rules: ``appointease.commands.WEEKDAYS`` (the demo staff's working days), the default
``APPOINTEASE_HORIZON_DAYS`` and the widget's strip pages (``support.dates.STRIP_PAGE_DAYS``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from appointease.commands import WEEKDAYS
from appointease.config import load_config

from support.dates import MIN_DAYS_AHEAD, STRIP_PAGE_DAYS, strip_workday_after, workday_after

TODAYS = [date.today() + timedelta(days=n) for n in range(14)]


@pytest.fixture(scope="module")
def horizon_days(tmp_path_factory) -> int:
    return load_config(str(tmp_path_factory.mktemp("instance")), env={})["APPOINTEASE_HORIZON_DAYS"]


@pytest.mark.parametrize("today", TODAYS, ids=lambda d: d.strftime("%a"))
def test_the_workday_is_a_monday_every_demo_staff_works_two_to_eight_days_ahead(today, horizon_days):
    day = workday_after(today)
    ahead = (day - today).days
    assert day.weekday() == 0 and day.weekday() in WEEKDAYS
    assert MIN_DAYS_AHEAD <= ahead <= MIN_DAYS_AHEAD + 6 < horizon_days
    # the first such Monday: no earlier day in range is one
    assert all((today + timedelta(days=n)).weekday() != 0 for n in range(MIN_DAYS_AHEAD, ahead))


@pytest.mark.parametrize("today", TODAYS, ids=lambda d: d.strftime("%a"))
def test_the_strip_workday_and_its_next_day_are_working_days_on_one_strip_page(today, horizon_days):
    day = strip_workday_after(today)
    ahead = (day - today).days
    assert MIN_DAYS_AHEAD <= ahead < horizon_days
    assert {day.weekday(), (day + timedelta(days=1)).weekday()} <= set(WEEKDAYS)
    assert ahead // STRIP_PAGE_DAYS == (ahead + 1) // STRIP_PAGE_DAYS  # both on one page
