"""Working hours and time off (SPEC §3, §4): whole-week PUT with validation, time off
list/add/delete, ``affected`` references, and availability/heartbeats at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from support.admin_kit import ALEX, HAIRCUT, SAM, book, error, ok


def times(client, day, employee_id=ALEX):
    r = client.get(f"/api/v1/availability?date={day}&employee_id={employee_id}&service_id={HAIRCUT}")
    return [s["time"] for s in ok(r)["slots"]]


def beat(client, day, employee_id=ALEX):
    r = client.post(
        "/api/v1/heartbeat",
        json={"date": day, "employee_id": employee_id, "client_id": "watcher-0001", "service_id": HAIRCUT},
    )
    return ok(r)


def test_get_hours_shows_the_stored_week(admin):
    assert ok(admin.get(f"/staff/{SAM}/hours")) == {
        "employee_id": SAM,
        "hours": [
            iv
            for d in range(5)
            for iv in (
                {"weekday": d, "start": "09:00", "end": "12:30"},
                {"weekday": d, "start": "13:30", "end": "17:00"},
            )
        ],
    }
    error(admin.get("/staff/99/hours"), 404, "not_found")


def test_put_replaces_the_whole_week_and_shows_at_once(admin, client, workday):
    monday, tuesday, saturday = workday, workday + timedelta(days=1), workday + timedelta(days=5)
    week = [
        {"weekday": 0, "start": "13:00", "end": "15:00"},
        {"weekday": 0, "start": "08:00", "end": "09:00"},
        {"weekday": 5, "start": "10:00", "end": "11:00"},
    ]
    answer = ok(admin.put(f"/staff/{ALEX}/hours", json=week))
    assert answer == {
        "employee_id": ALEX,
        "affected": [],
        "hours": [
            {"weekday": 0, "start": "08:00", "end": "09:00"},
            {"weekday": 0, "start": "13:00", "end": "15:00"},
            {"weekday": 5, "start": "10:00", "end": "11:00"},
        ],
    }
    assert ok(admin.get(f"/staff/{ALEX}/hours"))["hours"] == answer["hours"]
    assert times(client, monday.isoformat()) == ["08:00", "08:30", "13:00", "13:30", "14:00", "14:30"]
    assert times(client, tuesday.isoformat()) == []
    assert times(client, saturday.isoformat()) == ["10:00", "10:30"]


def test_shrinking_hours_lists_the_stranded_appointments(admin, client, workday):
    day = workday.isoformat()
    early = book(client, day, "09:00")
    late = book(client, day, "16:30")
    next_week = book(client, (workday + timedelta(days=7)).isoformat(), "16:00")
    cancelled = book(client, day, "15:00")
    ok(admin.post(f"/appointments/{cancelled['reference']}/status", json={"status": "cancelled"}))
    assert beat(client, day)["booked"] == ["09:00", "16:30"]
    week = [{"weekday": d, "start": "09:00", "end": "16:00"} for d in range(5)]
    answer = ok(admin.put(f"/staff/{ALEX}/hours", json=week))
    assert answer["affected"] == [late["reference"], next_week["reference"]]
    assert early["reference"] not in answer["affected"]
    # The stranded appointment stays, but is off the grid: the next heartbeat no longer paints it.
    assert beat(client, day)["booked"] == ["09:00"]
    assert ok(admin.get(f"/appointments/{late['reference']}"))["status"] == "confirmed"


def test_an_appointment_straddling_two_intervals_is_stranded(admin, client, workday):
    ref = book(client, workday.isoformat(), "12:00")["reference"]
    week = [{"weekday": 0, "start": "09:00", "end": "12:15"}, {"weekday": 0, "start": "12:15", "end": "17:00"}]
    assert ok(admin.put(f"/staff/{ALEX}/hours", json=week))["affected"] == [ref]


BAD_WEEKS = [
    ([{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:59", "end": "13:00"}], "_schema"),
    ([{"weekday": 2, "start": "09:00", "end": "17:00"}, {"weekday": 2, "start": "10:00", "end": "11:00"}], "_schema"),
    ([{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "09:00", "end": "12:00"}], "_schema"),
    ([{"weekday": 0, "start": "12:00", "end": "12:00"}], "0.end"),
    ([{"weekday": 0, "start": "13:00", "end": "12:00"}], "0.end"),
    ([{"weekday": 7, "start": "09:00", "end": "12:00"}], "0.weekday"),
    ([{"weekday": -1, "start": "09:00", "end": "12:00"}], "0.weekday"),
    ([{"weekday": "0", "start": "09:00", "end": "12:00"}], "0.weekday"),
    ([{"weekday": 0, "start": "9:00", "end": "12:00"}], "0.start"),
    ([{"weekday": 0, "start": "09:00", "end": "24:00"}], "0.end"),
    ([{"weekday": 0, "start": "09:00"}], "0.end"),
    ([{"weekday": 0, "start": "09:00", "end": "12:00", "note": "x"}], "0.note"),
    ([{"weekday": 0, "start": "09:00", "end": "12:00"}, "Tuesday"], "1._schema"),
    ([], "_schema"),
]


@pytest.mark.parametrize("week,field", BAD_WEEKS)
def test_hours_are_validated(admin, client, workday, week, field):
    before = ok(admin.get(f"/staff/{ALEX}/hours"))
    fields = error(admin.put(f"/staff/{ALEX}/hours", json=week), 422, "validation_error")["fields"]
    assert field in fields, fields
    assert ok(admin.get(f"/staff/{ALEX}/hours")) == before


def test_overlap_message_names_the_day_and_intervals(admin):
    week = [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}]
    fields = error(admin.put(f"/staff/{ALEX}/hours", json=week), 422, "validation_error")["fields"]
    assert fields == {"_schema": ["Monday: 09:00–12:00 overlaps 11:00–13:00."]}


def test_touching_intervals_are_fine(admin):
    week = [{"weekday": 3, "start": "09:00", "end": "12:00"}, {"weekday": 3, "start": "12:00", "end": "17:00"}]
    assert len(ok(admin.put(f"/staff/{ALEX}/hours", json=week))["hours"]) == 2


@pytest.mark.parametrize("raw", ['{"weekday": 0, "start": "09:00", "end": "12:00"}', '"x"', "[", ""])
def test_hours_body_must_be_a_json_array(admin, raw):
    error(admin.put(f"/staff/{ALEX}/hours", data=raw, content_type="application/json"), 400, "invalid_json")


def test_hours_of_an_unknown_staff_member_is_404(admin):
    error(admin.put("/staff/99/hours", json=[{"weekday": 0, "start": "09:00", "end": "12:00"}]), 404, "not_found")


# ------------------------------------------------------------------ time off


def test_time_off_closes_the_days_and_lists_stranded_bookings(admin, client, workday):
    monday, tuesday, wednesday = (workday + timedelta(days=n) for n in range(3))
    on_monday = book(client, monday.isoformat(), "10:00")
    on_tuesday = book(client, tuesday.isoformat(), "11:00")
    book(client, wednesday.isoformat(), "11:00")
    book(client, monday.isoformat(), "10:00", employee_id=SAM)
    assert beat(client, monday.isoformat())["booked"] == ["10:00"]
    added = ok(
        admin.post(
            f"/staff/{ALEX}/time-off",
            json={"start_date": monday.isoformat(), "end_date": tuesday.isoformat(), "reason": "Training"},
        ),
        201,
    )
    assert added == {
        "id": added["id"],
        "employee_id": ALEX,
        "start_date": monday.isoformat(),
        "end_date": tuesday.isoformat(),
        "reason": "Training",
        "affected": [on_monday["reference"], on_tuesday["reference"]],
    }
    assert times(client, monday.isoformat()) == [] and times(client, tuesday.isoformat()) == []
    assert times(client, wednesday.isoformat())
    assert beat(client, monday.isoformat())["booked"] == []
    r = client.post(
        "/api/v1/slots/select",
        json={
            "date": tuesday.isoformat(),
            "time": "14:00",
            "employee_id": ALEX,
            "service_id": HAIRCUT,
            "client_id": "visitor-0001",
        },
    )
    error(r, 422, "outside_hours")
    assert ok(admin.get(f"/staff/{ALEX}/time-off")) == [{k: v for k, v in added.items() if k != "affected"}]

    assert admin.delete(f"/staff/{ALEX}/time-off/{added['id']}").status_code == 204
    assert times(client, tuesday.isoformat())
    assert beat(client, monday.isoformat())["booked"] == ["10:00"]
    assert ok(admin.get(f"/staff/{ALEX}/time-off")) == []


def test_time_off_lists_in_date_order_and_reason_is_optional(admin):
    ok(admin.post(f"/staff/{SAM}/time-off", json={"start_date": "2031-05-01", "end_date": "2031-05-01"}), 201)
    ok(
        admin.post(
            f"/staff/{SAM}/time-off", json={"start_date": "2031-01-01", "end_date": "2031-01-07", "reason": None}
        ),
        201,
    )
    listed = ok(admin.get(f"/staff/{SAM}/time-off"))
    assert [(t["start_date"], t["reason"]) for t in listed] == [("2031-01-01", None), ("2031-05-01", None)]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"start_date": "2031-01-02", "end_date": "2031-01-01"}, "end_date"),
        ({"start_date": "2031-01-01"}, "end_date"),
        ({"start_date": "2031-02-30", "end_date": "2031-03-01"}, "start_date"),
        ({"start_date": "01/01/2031", "end_date": "2031-03-01"}, "start_date"),
        ({"start_date": "0001-01-01", "end_date": "2031-03-01"}, "start_date"),
        ({"start_date": "2031-01-01", "end_date": "2031-01-01", "reason": "x" * 201}, "reason"),
        ({"start_date": "2031-01-01", "end_date": "2031-01-01", "why": "x"}, "why"),
    ],
)
def test_time_off_is_validated(admin, body, field):
    assert field in error(admin.post(f"/staff/{ALEX}/time-off", json=body), 422, "validation_error")["fields"]


def test_time_off_errors(admin):
    body = {"start_date": "2031-01-01", "end_date": "2031-01-01"}
    error(admin.post("/staff/99/time-off", json=body), 404, "not_found")
    error(admin.get("/staff/99/time-off"), 404, "not_found")
    error(admin.delete(f"/staff/{ALEX}/time-off/12345"), 404, "not_found")
    mine = ok(admin.post(f"/staff/{ALEX}/time-off", json=body), 201)
    error(admin.delete(f"/staff/{SAM}/time-off/{mine['id']}"), 404, "not_found")  # not Sam's
    assert len(ok(admin.get(f"/staff/{ALEX}/time-off"))) == 1
