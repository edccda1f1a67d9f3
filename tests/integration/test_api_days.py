"""``GET /availability/days`` over HTTP (SPEC §4) and the horizon in ``/availability``.

Demo data: Haircut (1) is done by Alex (1), Sam (2) and Jordan (3), Mon–Fri 09–17 (Sam
with a lunch break 12:30–13:30); Massage (3) by Sam and Jordan. ``workday`` is a Monday.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

DAYS = "/api/v1/availability/days"


def days(client, first: date, last: date, **params) -> dict:
    r = client.get(DAYS, query_string={"from": first.isoformat(), "to": last.isoformat(), "service_id": 1, **params})
    assert r.status_code == 200, r.get_json()
    return {d["date"]: d["free"] for d in r.get_json()["days"]}


def book(client, day: date, hhmm: str, employee_id: int) -> None:
    body = {"date": day.isoformat(), "time": hhmm, "employee_id": employee_id, "service_id": 1,
            "name": "Ann Example", "email": "ann@example.com"}
    assert client.post("/api/v1/appointments", json=body).status_code == 201


def test_week_shows_weekends_closed_and_weekdays_open(client, workday):
    week = days(client, workday, workday + timedelta(days=6))
    assert list(week) == [(workday + timedelta(days=i)).isoformat() for i in range(7)]
    assert list(week.values()) == [16, 16, 16, 16, 16, 0, 0]


def test_one_employee_and_bookings(client, workday):
    for hhmm in ("09:00", "09:30", "10:00"):
        book(client, workday, hhmm, employee_id=1)
    assert days(client, workday, workday, employee_id=1) == {workday.isoformat(): 13}
    assert days(client, workday, workday, employee_id=2) == {workday.isoformat(): 14}  # lunch break
    # Any staff member: Alex's booked times are still free with Jordan.
    assert days(client, workday, workday) == {workday.isoformat(): 16}


def test_past_days_and_days_past_the_horizon_are_zero(client, app):
    today = datetime.now(UTC).date()
    horizon = app.config["APPOINTEASE_HORIZON_DAYS"]
    answer = client.get(DAYS, query_string={"from": (today - timedelta(days=3)).isoformat(),
                                            "to": (today - timedelta(days=1)).isoformat(), "service_id": 1}).get_json()
    assert [d["free"] for d in answer["days"]] == [0, 0, 0]
    assert answer["bookable_until"] == (today + timedelta(days=horizon)).isoformat()
    beyond = today + timedelta(days=horizon + 1)
    assert set(days(client, beyond, beyond + timedelta(days=10)).values()) == {0}


def test_availability_lists_nothing_past_the_horizon(client, app, workday):
    far = workday + timedelta(days=7 * (app.config["APPOINTEASE_HORIZON_DAYS"] // 7 + 1))
    r = client.get("/api/v1/availability", query_string={"date": far.isoformat(), "employee_id": 1, "service_id": 1})
    assert r.status_code == 200 and r.get_json()["slots"] == []


@pytest.mark.parametrize("params, field", [
    ({"to": "2026-01-10", "service_id": 1}, "from"),
    ({"from": "2026-01-10", "to": "2026-01-09", "service_id": 1}, "to"),
    ({"from": "2026-01-01", "to": "2026-03-04", "service_id": 1}, "to"),  # 63 days
    ({"from": "2026-01-01", "to": "2026-01-02"}, "service_id"),
    ({"from": "yesterday", "to": "2026-01-02", "service_id": 1}, "from"),
    ({"from": "2026-01-01", "to": "2026-01-02", "service_id": 1, "employee_id": "x"}, "employee_id"),
    ({"from": "2026-01-01", "to": "2026-01-02", "service_id": 1, "extra": "1"}, "extra"),
])
def test_bad_queries_are_422_with_the_field(client, params, field):
    r = client.get(DAYS, query_string=params)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "validation_error" and field in err["fields"]


def test_unknown_service_or_employee_is_404_and_wrong_staff_422(client):
    q = {"from": "2026-01-05", "to": "2026-01-06"}
    assert client.get(DAYS, query_string={**q, "service_id": 99}).get_json()["error"]["code"] == "not_found"
    assert client.get(DAYS, query_string={**q, "service_id": 1, "employee_id": 99}).status_code == 404
    r = client.get(DAYS, query_string={**q, "service_id": 3, "employee_id": 1})  # Alex does no massage
    assert r.status_code == 422 and "employee_id" in r.get_json()["error"]["fields"]


def test_62_days_is_the_limit(client):
    first = date(2026, 1, 1)
    assert len(days(client, first, first + timedelta(days=61))) == 62
