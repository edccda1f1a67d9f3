"""Staff and admin appointments (SPEC §3 life cycle, §4 ``/admin/appointments``): the day's
list and filters, staff scoping, and every status change of the state machine."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from appointease.extensions import db
from appointease.lifecycle import Status
from appointease.models import Appointment, Event

from support.admin_kit import ALEX, COLOUR, HAIRCUT, JORDAN, SAM, book, error, ok

#: SPEC §3: confirmed → checked_in → completed; confirmed → cancelled | no_show.
ALLOWED = {
    ("confirmed", "checked_in"),
    ("confirmed", "cancelled"),
    ("confirmed", "no_show"),
    ("checked_in", "completed"),
}
#: How to bring a fresh (confirmed) appointment into each status.
PATH_TO = {
    "confirmed": [],
    "checked_in": ["checked_in"],
    "completed": ["checked_in", "completed"],
    "cancelled": ["cancelled"],
    "no_show": ["no_show"],
}


def heartbeat(client, day, employee_id) -> list[str]:
    """The booked times a watching widget's heartbeat paints."""
    body = {"date": day, "employee_id": employee_id, "client_id": "watcher-0001"}
    return ok(client.post("/api/v1/heartbeat", json=body))["booked"]


def set_status(caller, reference, status):
    return caller.post(f"/appointments/{reference}/status", json={"status": status})


def test_day_list_is_full_json_in_start_order(admin, client, workday):
    day = workday.isoformat()
    late = book(client, day, "15:00", employee_id=JORDAN, service_id=COLOUR, phone="+44 1", notes="Window seat")
    early = book(client, day, "09:00", employee_id=SAM)
    book(client, (workday + timedelta(days=1)).isoformat(), "09:00")
    listed = ok(admin.get(f"/appointments?date={day}"))
    assert [a["reference"] for a in listed] == [early["reference"], late["reference"]]
    assert listed[1] == {
        "reference": late["reference"],
        "status": "confirmed",
        "service_id": COLOUR,
        "service_name": "Colour consultation",
        "employee_id": JORDAN,
        "employee_name": "Jordan Lee",
        "date": day,
        "time": "15:00",
        "start": late["start"],
        "end": late["end"],
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": "+44 1",
        "notes": "Window seat",
        "timezone": None,  # none given at booking
        "business_timezone": "UTC",
    }
    assert ok(admin.get(f"/appointments/{late['reference']}")) == listed[1]


def test_day_list_filters_by_employee_and_status(admin, client, workday):
    day = workday.isoformat()
    a = book(client, day, "09:00", employee_id=ALEX)
    b = book(client, day, "10:00", employee_id=ALEX)
    c = book(client, day, "10:00", employee_id=SAM)
    ok(set_status(admin, b["reference"], "checked_in"))

    def refs(query):
        return [x["reference"] for x in ok(admin.get(f"/appointments?date={day}{query}"))]

    assert refs(f"&employee_id={ALEX}") == [a["reference"], b["reference"]]
    assert refs("&status=checked_in") == [b["reference"]]
    assert refs(f"&status=confirmed&employee_id={SAM}") == [c["reference"]]
    assert refs("&status=no_show") == []


def test_business_time_zone_decides_the_day(app, admin, client, workday):
    app.extensions["appointease.rules"] = replace(app.extensions["appointease.rules"], tz=ZoneInfo("Pacific/Auckland"))
    ref = book(client, workday.isoformat(), "09:00")["reference"]
    listed = ok(admin.get(f"/appointments?date={workday.isoformat()}"))
    assert [(x["reference"], x["time"]) for x in listed] == [(ref, "09:00")]
    assert listed[0]["start"].endswith("+13:00") or listed[0]["start"].endswith("+12:00")


@pytest.mark.parametrize(
    "query,field",
    [
        ("", "date"),
        ("date=2026-13-01", "date"),
        ("date=2026-11-23&employee_id=x", "employee_id"),
        ("date=2026-11-23&status=done", "status"),
        ("date=2026-11-23&page=2", "page"),
    ],
)
def test_day_list_query_is_validated(admin, query, field):
    assert field in error(admin.get(f"/appointments?{query}"), 422, "validation_error")["fields"]


def test_staff_token_sees_and_changes_only_its_own(staff, admin, client, workday):
    day = workday.isoformat()
    mine = book(client, day, "09:00", employee_id=ALEX)
    theirs = book(client, day, "09:00", employee_id=SAM)
    assert [a["reference"] for a in ok(staff.get(f"/appointments?date={day}"))] == [mine["reference"]]
    assert [a["reference"] for a in ok(staff.get(f"/appointments?date={day}&employee_id={ALEX}"))] == [
        mine["reference"]
    ]
    error(staff.get(f"/appointments?date={day}&employee_id={SAM}"), 403, "forbidden")
    error(staff.get(f"/appointments/{theirs['reference']}"), 403, "forbidden")
    error(set_status(staff, theirs["reference"], "checked_in"), 403, "forbidden")
    assert ok(admin.get(f"/appointments/{theirs['reference']}"))["status"] == "confirmed"
    assert ok(set_status(staff, mine["reference"], "checked_in"))["status"] == "checked_in"
    error(staff.get("/appointments/APT-2000-000001"), 404, "not_found")


@pytest.mark.parametrize("current,new", list(itertools.product([s.value for s in Status], repeat=2)))
def test_state_machine_every_pair(app, admin, client, workday, current, new):
    day = workday.isoformat()
    ref = book(client, day, "11:00")["reference"]
    for step in PATH_TO[current]:
        ok(set_status(admin, ref, step))
    r = set_status(admin, ref, new)
    with app.app_context():
        status = db.session.scalar(select(Appointment.status).where(Appointment.reference == ref))
        events = db.session.scalars(select(Event.type).order_by(Event.seq)).all()
        db.session.remove()
    if (current, new) in ALLOWED:
        assert ok(r)["status"] == new and status == new
        assert events[-1] == f"appointment.{new}" and len(events) == 1 + len(PATH_TO[current]) + 1
    else:
        assert error(r, 409, "invalid_transition")["message"]
        assert status == current and len(events) == 1 + len(PATH_TO[current])


def test_cancel_and_no_show_free_the_slot_at_once(admin, client, workday):
    day = workday.isoformat()
    first = book(client, day, "10:00")
    second = book(client, day, "11:00")

    def beat():
        return heartbeat(client, day, ALEX)

    assert beat() == ["10:00", "11:00"]
    ok(set_status(admin, first["reference"], "cancelled"))
    ok(set_status(admin, second["reference"], "no_show"))
    assert beat() == []
    assert book(client, day, "10:00")["status"] == "confirmed"


def test_checked_in_keeps_blocking_the_slot(admin, client, workday):
    day = workday.isoformat()
    ref = book(client, day, "10:00")["reference"]
    ok(set_status(admin, ref, "checked_in"))
    r = client.post(
        "/api/v1/appointments",
        json={
            "service_id": HAIRCUT,
            "employee_id": ALEX,
            "date": day,
            "time": "10:00",
            "name": "Bo",
            "email": "bo@example.com",
        },
    )
    error(r, 409, "slot_taken")


@pytest.mark.parametrize(
    "body,code,status",
    [
        ({"status": "done"}, "validation_error", 422),
        ({}, "validation_error", 422),
        ({"status": "checked_in", "by": "me"}, "validation_error", 422),
        ({"status": None}, "validation_error", 422),
    ],
)
def test_status_body_is_validated(admin, client, workday, body, code, status):
    ref = book(client, workday.isoformat())["reference"]
    error(admin.post(f"/appointments/{ref}/status", json=body), status, code)


def test_status_of_unknown_appointment_is_404(admin):
    error(set_status(admin, "APT-2026-999999", "checked_in"), 404, "not_found")
    error(admin.get("/appointments/APT-2026-999999"), 404, "not_found")
    error(
        admin.post("/appointments/APT-2026-999999/status", data="nope", content_type="application/json"),
        400,
        "invalid_json",
    )


# ------------------------------------------------- cancel and reschedule (the customer routes' semantics)


def test_admin_cancel_frees_the_slot_and_is_idempotent(app, admin, client, workday):
    day = workday.isoformat()
    ref = book(client, day, "10:00", employee_id=SAM)["reference"]
    key = {"Idempotency-Key": "admin-cancel-1"}
    first = ok(admin.post(f"/appointments/{ref}/cancel", headers=key))
    again = ok(admin.post(f"/appointments/{ref}/cancel", headers=key))
    assert first == again and first["status"] == "cancelled" and first["employee_name"] == "Sam Rivera"
    with app.app_context():
        assert db.session.scalars(select(Event.type).order_by(Event.seq)).all() == [
            "appointment.created",
            "appointment.cancelled",
        ]
        db.session.remove()
    error(admin.post(f"/appointments/{ref}/cancel"), 409, "invalid_transition")
    assert book(client, day, "10:00", employee_id=SAM)["status"] == "confirmed"


def test_admin_reschedule_moves_to_another_time_and_staff_member(admin, client, workday):
    day = workday.isoformat()
    ref = book(client, day, "10:00", employee_id=ALEX)["reference"]
    moved = ok(
        admin.post(f"/appointments/{ref}/reschedule", json={"date": day, "time": "14:00", "employee_id": JORDAN})
    )
    assert (moved["reference"], moved["time"], moved["employee_id"], moved["employee_name"]) == (
        ref,
        "14:00",
        JORDAN,
        "Jordan Lee",
    )

    def beat(employee_id):
        return heartbeat(client, day, employee_id)

    assert beat(ALEX) == [] and beat(JORDAN) == ["14:00"]
    other = book(client, day, "15:00", employee_id=JORDAN)["reference"]
    error(admin.post(f"/appointments/{other}/reschedule", json={"date": day, "time": "14:00"}), 409, "slot_taken")
    error(admin.post(f"/appointments/{other}/reschedule", json={"date": day, "time": "07:00"}), 422, "outside_hours")
    assert (
        "date"
        in error(admin.post(f"/appointments/{other}/reschedule", json={"time": "16:00"}), 422, "validation_error")[
            "fields"
        ]
    )
    error(admin.post("/appointments/APT-2026-999999/reschedule", json={"date": day, "time": "16:00"}), 404, "not_found")


def test_staff_cancel_and_reschedule_only_their_own(staff, client, workday):
    day = workday.isoformat()
    mine = book(client, day, "10:00", employee_id=ALEX)["reference"]
    theirs = book(client, day, "10:00", employee_id=SAM)["reference"]
    error(staff.post(f"/appointments/{theirs}/cancel"), 403, "forbidden")
    error(staff.post(f"/appointments/{theirs}/reschedule", json={"date": day, "time": "11:00"}), 403, "forbidden")
    error(
        staff.post(f"/appointments/{mine}/reschedule", json={"date": day, "time": "11:00", "employee_id": SAM}),
        403,
        "forbidden",
    )
    assert ok(staff.post(f"/appointments/{mine}/reschedule", json={"date": day, "time": "11:00"}))["time"] == "11:00"
    assert ok(staff.post(f"/appointments/{mine}/cancel"))["status"] == "cancelled"


def test_cancel_after_the_cut_off_is_too_late_for_admins_too(app, admin, client, workday):
    app.extensions["appointease.rules"] = replace(app.extensions["appointease.rules"], cancel_cutoff=60 * 24 * 30)
    ref = book(client, workday.isoformat(), "10:00")["reference"]
    error(admin.post(f"/appointments/{ref}/cancel"), 422, "too_late")
    error(set_status(admin, ref, "cancelled"), 422, "too_late")
    assert ok(set_status(admin, ref, "no_show"))["status"] == "no_show"


def test_status_change_honours_an_idempotency_key(app, admin, client, workday):
    ref = book(client, workday.isoformat(), "10:00")["reference"]
    key = {"Idempotency-Key": "check-in-1"}
    first = admin.post(f"/appointments/{ref}/status", json={"status": "checked_in"}, headers=key)
    again = admin.post(f"/appointments/{ref}/status", json={"status": "checked_in"}, headers=key)
    assert ok(first) == ok(again)
    error(
        admin.post(f"/appointments/{ref}/status", json={"status": "completed"}, headers=key),
        422,
        "idempotency_key_reused",
    )
    with app.app_context():
        assert db.session.scalars(select(Event.type).order_by(Event.seq)).all() == [
            "appointment.created",
            "appointment.checked_in",
        ]
        db.session.remove()


def test_a_staff_check_in_shows_in_the_customers_feed(app, staff, client, workday):
    """Changes made by staff reach the customer's own feed (SPEC §4 ``/me/events``)."""
    from support.customer_kit import (
        sign_in,  # the customers engineer's helper: OTP through the real mail path
    )

    ref = book(client, workday.isoformat(), "10:00", email="carol@example.com")["reference"]
    ok(set_status(staff, ref, "checked_in"))
    feed = ok(client.get("/api/v1/me/events", headers=sign_in(app, client, "carol@example.com")))
    assert [(e["type"], e["reference"], e["status"]) for e in feed["events"]] == [
        ("appointment.created", ref, "confirmed"),
        ("appointment.checked_in", ref, "checked_in"),
    ]
