"""``GET /availability/days`` and the one day computation shared by availability and
the heartbeat (SPEC §4; issue 7 point 5, issue 12 point 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from appointease.extensions import db
from appointease.models import TimeOff

from support.helpers import Widget, assert_error

#: Demo staff work Mon–Fri 09:00–17:00 (Sam: lunch 12:30–13:30); Haircut is 30 min.
FULL_DAY_HAIRCUT = 16


def days(client, first: date, last: date, **params) -> list[dict]:
    query = {"from": first.isoformat(), "to": last.isoformat(), "service_id": 1, **params}
    r = client.get("/api/v1/availability/days", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["days"]


def test_one_entry_per_day_and_closed_days_are_zero(client, workday):
    answer = days(client, workday, workday + timedelta(days=6))
    assert [d["date"] for d in answer] == [(workday + timedelta(days=i)).isoformat() for i in range(7)]
    assert [d["free"] for d in answer] == [FULL_DAY_HAIRCUT] * 5 + [0, 0]


def test_bookings_reduce_a_staff_members_count_but_not_the_union(client, workday):
    Widget(client, workday).booked("10:00", employee_id=1)
    assert days(client, workday, workday, employee_id=1) == [
        {"date": workday.isoformat(), "free": FULL_DAY_HAIRCUT - 1}
    ]
    # Someone else still does a haircut at 10:00.
    assert days(client, workday, workday) == [{"date": workday.isoformat(), "free": FULL_DAY_HAIRCUT}]


def test_held_times_are_not_counted_free(client, workday):
    """Issue 16 point 8: a day held in full by other visitors' locks read as all free."""
    w = Widget(client, workday)
    assert w.lock("10:00", "client-days-lock-01", employee_id=1).status_code == 200
    assert w.select("11:00", "client-days-sel-001", employee_id=1).status_code == 200
    assert days(client, workday, workday, employee_id=1) == [
        {"date": workday.isoformat(), "free": FULL_DAY_HAIRCUT - 2}
    ]
    # Every staff member held at 10:00: one start time fewer for the service.
    for employee_id, client_id in ((2, "client-days-lock-02"), (3, "client-days-lock-03")):
        assert w.lock("10:00", client_id, employee_id=employee_id).status_code == 200
    assert days(client, workday, workday) == [{"date": workday.isoformat(), "free": FULL_DAY_HAIRCUT - 1}]


def test_time_off_closes_the_day_for_that_staff_member(app, client, workday):
    with app.app_context():
        for employee_id in (1, 2, 3):
            db.session.add(TimeOff(employee_id=employee_id, start_date=workday, end_date=workday))
        db.session.commit()
        db.session.remove()
    assert days(client, workday, workday)[0]["free"] == 0


@pytest.mark.date_relative
def test_past_days_and_days_past_the_horizon_are_zero(client):
    today = datetime.now(UTC).date()
    answer = days(client, today - timedelta(days=10), today - timedelta(days=1))
    assert all(d["free"] == 0 for d in answer)
    far = today + timedelta(days=100)
    assert all(d["free"] == 0 for d in days(client, far, far + timedelta(days=6)))


def test_answer_names_the_last_bookable_day(app, client, workday):
    """``bookable_until`` (the widget's date-picker limit): the last day inside the horizon."""
    r = client.get(
        "/api/v1/availability/days",
        query_string={"from": workday.isoformat(), "to": workday.isoformat(), "service_id": 1},
    )
    horizon = app.config["APPOINTEASE_HORIZON_DAYS"]
    assert r.get_json()["bookable_until"] == (datetime.now(UTC) + timedelta(days=horizon)).date().isoformat()


@pytest.mark.date_relative
def test_availability_leaves_out_days_past_the_horizon(client):
    far = datetime.now(UTC).date() + timedelta(days=120)
    far += timedelta(days=(7 - far.weekday()) % 7)  # a Monday
    r = client.get("/api/v1/availability", query_string={"date": far.isoformat(), "employee_id": 1, "service_id": 1})
    assert r.status_code == 200 and r.get_json()["slots"] == []


def test_heartbeat_and_availability_agree_on_which_times_exist(app, client, workday):
    """Both use one day computation: a time left out of availability never shows in a heartbeat."""
    app.config["APPOINTEASE_MIN_NOTICE_MINUTES"] = 0
    w = Widget(client, workday, client_id="client-days-0001")
    w.booked("09:00", employee_id=1)
    booked = [t for t, status in w.statuses(employee_id=1, service_id=1).items() if status == "booked"]
    assert booked == w.beat(employee_id=1, service_id=1)["booked"] == ["09:00"]


def test_bad_ranges_are_422(client, workday, subtests):
    cases = {
        "to before from": {"from": workday.isoformat(), "to": (workday - timedelta(days=1)).isoformat()},
        "more than 62 days": {"from": workday.isoformat(), "to": (workday + timedelta(days=62)).isoformat()},
        "missing to": {"from": workday.isoformat()},
        "bad date": {"from": "2026-02-30", "to": workday.isoformat()},
    }
    for name, query in cases.items():
        with subtests.test(name):
            r = client.get("/api/v1/availability/days", query_string={**query, "service_id": 1})
            assert_error(r, 422, "validation_error")
    r = client.get(
        "/api/v1/availability/days",
        query_string={"from": workday.isoformat(), "to": workday.isoformat(), "service_id": 99},
    )
    assert_error(r, 404, "not_found")


def test_exactly_62_days_are_answered(client, workday):
    assert len(days(client, workday, workday + timedelta(days=61))) == 62
