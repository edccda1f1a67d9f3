"""A customer's appointments (SPEC §4 Customers): list, read, cancel, reschedule.

Every call is signed in with a real emailed code (``customer_kit.sign_in``). Time is
moved by replacing the request clock (``appointease.api.common.utcnow``); the demo
business zone is UTC.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from appointease import changes
from appointease.appointments import get as get_appointment
from appointease.auth.actor import Actor
from appointease.context import Context
from appointease.errors import Forbidden, NotFound
from appointease.extensions import db
from appointease.models import Appointment, Event, utcnow

from support.customer_kit import (
    ALEX,
    APPOINTMENT_FIELDS,
    COLOUR,
    HAIRCUT,
    JORDAN,
    MASSAGE,
    SAM,
    book,
    db_appointments,
    error_code,
    event_types,
    heartbeat,
    sign_in,
)

ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.fixture(autouse=True)
def _outbox(app, tmp_path):
    app.config["APPOINTEASE_OUTBOX_DIR"] = str(tmp_path / "outbox")


@pytest.fixture
def ann(app, client):
    return sign_in(app, client, ANN)


@pytest.fixture
def bob(app, client):
    return sign_in(app, client, BOB)


def at(monkeypatch, instant):
    monkeypatch.setattr("appointease.api.common.utcnow", lambda: instant)


def cutoff(app, minutes: int) -> None:
    rules = app.extensions["appointease.rules"]
    app.extensions["appointease.rules"] = dataclasses.replace(rules, cancel_cutoff=minutes)


def move(client, headers, reference, **body):
    return client.post(f"/api/v1/appointments/{reference}/reschedule", json=body, headers=headers)


def cancel(client, headers, reference, **kw):
    return client.post(f"/api/v1/appointments/{reference}/cancel", headers=headers, **kw)


def domain_ctx(app) -> Context:
    return Context(db.session(), app.extensions["appointease.holds"], app.extensions["appointease.rules"], utcnow())


# ---------------------------------------------------------------- reading


def test_my_appointments_are_mine_only_soonest_first_in_full(app, client, workday, ann):
    late = book(client, workday, "15:00", email_="Ann@Example.com", phone="+44 20 7946 0000", notes="Window seat")
    early = book(client, workday, "09:30", employee_id=JORDAN, service_id=MASSAGE)
    next_week = book(client, workday + timedelta(days=7), "09:00")
    book(client, workday, "11:00", email_=BOB)
    r = client.get("/api/v1/me/appointments", headers=ann)
    assert r.status_code == 200
    body = r.get_json()
    assert [a["reference"] for a in body] == [early["reference"], late["reference"], next_week["reference"]]
    assert list(body[1]) == APPOINTMENT_FIELDS
    assert body[1] == {
        "reference": late["reference"],
        "status": "confirmed",
        "service_id": HAIRCUT,
        "service_name": "Haircut",
        "employee_id": ALEX,
        "employee_name": "Alex Morgan",
        "date": workday.isoformat(),
        "time": "15:00",
        "start": f"{workday.isoformat()}T15:00:00+00:00",
        "end": f"{workday.isoformat()}T15:30:00+00:00",
        "name": "Ann Example",
        "email": "Ann@Example.com",
        "phone": "+44 20 7946 0000",
        "notes": "Window seat",
        "timezone": None,  # none given at booking
        "business_timezone": "UTC",
    }
    assert body[0]["service_name"] == "Massage" and body[0]["employee_name"] == "Jordan Lee"
    assert body[0]["phone"] is None and body[0]["notes"] is None


def test_upcoming_leaves_out_appointments_that_are_over(app, client, workday, ann):
    future = book(client, workday, "10:00")
    with app.app_context():
        start = datetime.combine(utcnow().date() - timedelta(days=3), time(10), tzinfo=UTC)
        db.session.add(
            Appointment(
                reference="APT-2000-000001",
                service_id=HAIRCUT,
                employee_id=ALEX,
                start_at=start,
                end_at=start + timedelta(minutes=30),
                customer_name="Ann",
                customer_email=ANN,
                status="completed",
                created_at=start - timedelta(days=1),
            )
        )
        db.session.commit()
        db.session.remove()
    every = client.get("/api/v1/me/appointments", headers=ann).get_json()
    assert [a["reference"] for a in every] == ["APT-2000-000001", future["reference"]]
    upcoming = client.get("/api/v1/me/appointments?upcoming=true", headers=ann).get_json()
    assert [a["reference"] for a in upcoming] == [future["reference"]]
    for bad in ("upcoming=maybe", "since=3"):
        r = client.get(f"/api/v1/me/appointments?{bad}", headers=ann)
        assert r.status_code == 422 and error_code(r) == "validation_error", bad


def test_an_appointment_is_readable_by_its_customer_only(client, workday, ann, bob):
    mine = book(client, workday, "10:00")
    r = client.get(f"/api/v1/appointments/{mine['reference']}", headers=ann)
    assert r.status_code == 200 and list(r.get_json()) == APPOINTMENT_FIELDS
    assert r.get_json()["reference"] == mine["reference"]
    theirs = client.get(f"/api/v1/appointments/{mine['reference']}", headers=bob)
    missing = client.get("/api/v1/appointments/APT-1999-999999", headers=bob)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json() == missing.get_json()  # references cannot be probed
    assert error_code(theirs) == "not_found"


# ---------------------------------------------------------------- cancel


def test_cancel_frees_the_slot_for_every_heartbeat_at_once(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    assert "10:00" in heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 200
    assert r.get_json()["status"] == "cancelled" and list(r.get_json()) == APPOINTMENT_FIELDS
    assert "10:00" not in heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]
    assert event_types(app) == [("appointment.created", apt["reference"]), ("appointment.cancelled", apt["reference"])]
    book(client, workday, "10:00", email_=BOB)  # the time can be booked again


def test_cancel_twice_is_an_invalid_transition(client, workday, ann):
    apt = book(client, workday, "10:00")
    assert cancel(client, ann, apt["reference"]).status_code == 200
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 409 and error_code(r) == "invalid_transition"


def test_only_confirmed_appointments_can_be_cancelled(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    with app.app_context():
        db.session.scalars(select(Appointment)).one().status = "checked_in"
        db.session.commit()
        db.session.remove()
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 409 and error_code(r) == "invalid_transition"


def test_nobody_cancels_someone_elses_appointment(app, client, workday, bob):
    apt = book(client, workday, "10:00")
    r = cancel(client, bob, apt["reference"])
    assert r.status_code == 404 and error_code(r) == "not_found"
    assert [a["status"] for a in db_appointments(app)] == ["confirmed"]
    assert len(event_types(app)) == 1


def test_cancel_after_the_cutoff_is_too_late(app, client, workday, ann, monkeypatch):
    apt = book(client, workday, "10:00")
    start = datetime.combine(workday, time(10), tzinfo=UTC)
    cutoff(app, 60)
    at(monkeypatch, start - timedelta(minutes=59, seconds=59))
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 422 and error_code(r) == "too_late" and r.get_json()["error"]["message"]
    at(monkeypatch, start - timedelta(minutes=60, seconds=1))
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_with_no_cutoff_cancel_is_refused_once_started(app, client, workday, ann, monkeypatch):
    apt = book(client, workday, "10:00")
    at(monkeypatch, datetime.combine(workday, time(10, 0, 1), tzinfo=UTC))
    r = cancel(client, ann, apt["reference"])
    assert r.status_code == 422 and error_code(r) == "too_late"
    assert [a["status"] for a in db_appointments(app)] == ["confirmed"]


def test_cancel_with_an_idempotency_key_happens_once(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    headers = {**ann, "Idempotency-Key": "cancel-1"}
    first = cancel(client, headers, apt["reference"])
    again = cancel(client, headers, apt["reference"])
    assert first.status_code == again.status_code == 200 and first.get_json() == again.get_json()
    assert [t for t, _ in event_types(app)] == ["appointment.created", "appointment.cancelled"]
    other = book(client, workday, "11:00")
    r = cancel(client, headers, other["reference"])  # same key, another appointment
    assert r.status_code == 422 and error_code(r) == "idempotency_key_reused"


# ---------------------------------------------------------------- reschedule


def test_reschedule_moves_the_appointment_and_keeps_its_reference(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    assert "10:00" in heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]  # warms the caches
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="14:30")
    assert r.status_code == 200
    body = r.get_json()
    assert body["reference"] == apt["reference"] and body["time"] == "14:30" and body["status"] == "confirmed"
    assert body["start"] == f"{workday.isoformat()}T14:30:00+00:00" and list(body) == APPOINTMENT_FIELDS
    states = heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]
    assert "10:00" not in states and "14:30" in states
    assert len(db_appointments(app)) == 1
    assert event_types(app)[-1] == ("appointment.rescheduled", apt["reference"])


def test_reschedule_to_another_staff_member_and_day(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    tuesday = workday + timedelta(days=1)
    assert "09:00" not in heartbeat(client, tuesday, SAM, service_id=HAIRCUT)["booked"]  # warms the caches
    assert "10:00" in heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]
    r = move(client, ann, apt["reference"], date=tuesday.isoformat(), time="09:00", employee_id=SAM)
    assert r.status_code == 200
    assert (r.get_json()["employee_id"], r.get_json()["employee_name"], r.get_json()["date"]) == (
        SAM,
        "Sam Rivera",
        tuesday.isoformat(),
    )
    assert "10:00" not in heartbeat(client, workday, ALEX, service_id=HAIRCUT)["booked"]
    assert "09:00" in heartbeat(client, tuesday, SAM, service_id=HAIRCUT)["booked"]


def test_reschedule_into_its_own_old_interval(app, client, workday, ann):
    """A 60-minute massage moved 30 minutes later overlaps its own old time: allowed (one row,
    so PostgreSQL's exclusion constraint compares the new interval with other rows only)."""
    apt = book(client, workday, "10:00", employee_id=JORDAN, service_id=MASSAGE)
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="10:30")
    assert r.status_code == 200 and r.get_json()["end"] == f"{workday.isoformat()}T11:30:00+00:00"
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="10:00")
    assert r.status_code == 200
    [row] = db_appointments(app)
    assert row["start_at"] == datetime.combine(workday, time(10), tzinfo=UTC)


def test_reschedule_to_the_same_slot_changes_nothing(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="10:00")
    assert r.status_code == 200 and r.get_json()["time"] == "10:00"
    assert [t for t, _ in event_types(app)] == ["appointment.created"]


def test_reschedule_onto_a_booked_slot_changes_nothing(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    book(client, workday, "11:00", email_=BOB, employee_id=ALEX, service_id=COLOUR)  # 11:00–11:45
    before = db_appointments(app)
    for hhmm in ("11:00", "11:30", "10:30"):  # 10:30–11:00 is free: only the 45-minute overlap counts
        r = move(client, ann, apt["reference"], date=workday.isoformat(), time=hhmm)
        if hhmm == "10:30":
            assert r.status_code == 200
            continue
        assert r.status_code == 409 and error_code(r) == "slot_taken", hhmm
        assert db_appointments(app) == before
    assert [t for t, _ in event_types(app)] == ["appointment.created", "appointment.created", "appointment.rescheduled"]


def test_another_clients_hold_blocks_a_reschedule_but_my_own_does_not(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    slot = {"date": workday.isoformat(), "time": "15:00", "employee_id": ALEX, "service_id": HAIRCUT}
    assert client.post("/api/v1/slots/lock", json={**slot, "client_id": "someone-else-01"}).status_code == 200
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="15:00", client_id="ann-widget-0001")
    assert r.status_code == 409 and error_code(r) == "slot_held"
    assert (
        client.post("/api/v1/slots/select", json={**slot, "time": "16:00", "client_id": "ann-widget-0001"}).status_code
        == 200
    )
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="16:00", client_id="ann-widget-0001")
    assert r.status_code == 200 and r.get_json()["time"] == "16:00"
    assert heartbeat(client, workday, ALEX, client_id="ann-widget-0001", service_id=HAIRCUT)["mine"] is None


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"time": "10:15"}, 422, "outside_hours"),
        ({"time": "18:00"}, 422, "outside_hours"),
        ({"days": 5, "time": "10:00"}, 422, "outside_hours"),  # Saturday
        ({"days": -14, "time": "10:00"}, 422, "past_time"),
        ({"days": 200, "time": "10:00"}, 422, "too_far_ahead"),
        ({"time": "10:00", "employee_id": 99}, 404, "not_found"),
        ({"time": "25:00"}, 422, "validation_error"),
        ({"time": "10:00", "employee_id": "2"}, 422, "validation_error"),
        ({"time": "10:00", "colour": "red"}, 422, "validation_error"),
    ],
)
def test_reschedule_follows_the_booking_rules(app, client, workday, ann, body, status, code):
    apt = book(client, workday, "10:00")
    body = {"date": (workday + timedelta(days=body.pop("days", 0))).isoformat(), **body}
    r = move(client, ann, apt["reference"], **body)
    assert r.status_code == status and error_code(r) == code, r.get_json()
    assert db_appointments(app)[0]["start_at"] == datetime.combine(workday, time(10), tzinfo=UTC)


def test_reschedule_to_staff_who_do_not_perform_the_service(client, workday, ann):
    apt = book(client, workday, "10:00", employee_id=JORDAN, service_id=MASSAGE)
    r = move(client, ann, apt["reference"], date=workday.isoformat(), time="10:00", employee_id=ALEX)
    assert r.status_code == 422 and error_code(r) == "validation_error"


def test_reschedule_needs_a_json_object(client, workday, ann):
    apt = book(client, workday, "10:00")
    r = client.post(f"/api/v1/appointments/{apt['reference']}/reschedule", data="[1]", headers=ann)
    assert r.status_code == 400 and error_code(r) == "invalid_json"
    r = move(client, ann, apt["reference"])
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"date", "time"}


def test_reschedule_of_a_cancelled_or_started_appointment_is_refused(app, client, workday, ann, monkeypatch):
    gone = book(client, workday, "10:00")
    cancel(client, ann, gone["reference"])
    r = move(client, ann, gone["reference"], date=workday.isoformat(), time="11:00")
    assert r.status_code == 409 and error_code(r) == "invalid_transition"
    apt = book(client, workday, "12:00")
    cutoff(app, 24 * 60)
    at(monkeypatch, datetime.combine(workday - timedelta(days=1), time(12, 30), tzinfo=UTC))
    r = move(client, ann, apt["reference"], date=(workday + timedelta(days=1)).isoformat(), time="12:00")
    assert r.status_code == 422 and error_code(r) == "too_late"


def test_nobody_reschedules_someone_elses_appointment(app, client, workday, bob):
    apt = book(client, workday, "10:00")
    r = move(client, bob, apt["reference"], date=workday.isoformat(), time="11:00")
    assert r.status_code == 404 and error_code(r) == "not_found"
    assert db_appointments(app)[0]["start_at"] == datetime.combine(workday, time(10), tzinfo=UTC)


def test_reschedule_with_an_idempotency_key(app, client, workday, ann):
    apt = book(client, workday, "10:00")
    headers = {**ann, "Idempotency-Key": "move-1"}
    first = move(client, headers, apt["reference"], date=workday.isoformat(), time="11:00")
    again = move(client, headers, apt["reference"], date=workday.isoformat(), time="11:00")
    assert first.status_code == again.status_code == 200 and first.get_json() == again.get_json()
    assert [t for t, _ in event_types(app)].count("appointment.rescheduled") == 1
    r = move(client, headers, apt["reference"], date=workday.isoformat(), time="12:00")
    assert r.status_code == 422 and error_code(r) == "idempotency_key_reused"
    bad = move(client, {**ann, "Idempotency-Key": "\x01"}, apt["reference"], date=workday.isoformat(), time="12:00")
    assert bad.status_code == 422 and error_code(bad) == "validation_error"


# ---------------------------------------------------------------- who may act (reused by the admin routes)


def test_the_actor_decides_who_may_see_and_change(app, client, workday):
    apt = book(client, workday, "10:00")
    ref = apt["reference"]
    with app.app_context():
        with pytest.raises(NotFound):
            get_appointment(domain_ctx(app), ref, Actor.customer(BOB))
        with pytest.raises(Forbidden):
            changes.cancel(domain_ctx(app), ref, Actor.staff(JORDAN))
        assert get_appointment(domain_ctx(app), ref, Actor.customer(" ANN@EXAMPLE.COM")).reference == ref
        moved = changes.reschedule(domain_ctx(app), ref, changes.NewSlot(workday, "11:00"), Actor.staff(ALEX))
        assert moved.time == "11:00" and moved.employee_name == "Alex Morgan"
        assert changes.cancel(domain_ctx(app), ref, Actor.admin()).status == "cancelled"
        db.session.remove()
    with app.app_context():
        assert [e.type for e in db.session.scalars(select(Event).order_by(Event.seq))] == [
            "appointment.created",
            "appointment.rescheduled",
            "appointment.cancelled",
        ]
        db.session.remove()
