"""``POST /api/v1/appointments`` (SPEC §4): booking, holds, idempotency keys, references
and the event log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from appointease.extensions import db
from appointease.models import Appointment, Event

from support.helpers import CLIENT_A as A
from support.helpers import CLIENT_B as B
from support.helpers import Widget, assert_error, count_rows


@pytest.fixture
def w(client, workday):
    """The widget's calls on the test's working day."""
    return Widget(client, workday)


def test_booking_answers_201_with_the_appointment_and_its_location(app, w):
    r = w.book(w.booking("10:00", employee_id=3, service_id=2, phone="+44 20 7946 0000", notes="Left-handed"))
    assert r.status_code == 201
    body = r.get_json()
    year = datetime.now(UTC).year
    assert body == {
        "reference": f"APT-{year}-000001",
        "status": "confirmed",
        "service_id": 2,
        "employee_id": 3,
        "date": w.day,
        "time": "10:00",
        "start": f"{w.day}T10:00:00+00:00",
        "end": f"{w.day}T10:45:00+00:00",  # Colour consultation: 45 minutes
        "name": "Ann Example",
        "email": "ann@example.com",
    }
    assert r.headers["Location"] == f"/api/v1/appointments/{body['reference']}"
    with app.app_context():
        apt = db.session.scalars(select(Appointment)).one()
        assert (apt.customer_phone, apt.notes, apt.status) == ("+44 20 7946 0000", "Left-handed", "confirmed")
        assert apt.end_at - apt.start_at == timedelta(minutes=45)
        db.session.remove()


def test_references_and_events_count_up_without_gaps(app, w):
    refs = []
    for time, employee_id in [("09:00", 1), ("09:00", 3), ("13:30", 2)]:
        r = w.book(time=time, employee_id=employee_id)
        assert r.status_code == 201
        refs.append(r.get_json()["reference"])
    year = datetime.now(UTC).year
    assert all(re.fullmatch(r"APT-\d{4}-\d{6}", ref) for ref in refs)
    assert refs == [f"APT-{year}-00000{n}" for n in (1, 2, 3)]
    # A refused booking uses up neither a reference nor an event seq.
    assert_error(w.book(time="09:00", employee_id=1), 409, "slot_taken")
    assert w.book(time="11:00").get_json()["reference"] == f"APT-{year}-000004"
    with app.app_context():
        events = db.session.scalars(select(Event).order_by(Event.seq)).all()
        assert [e.seq for e in events] == [1, 2, 3, 4]
        assert [e.reference for e in events] == refs + [f"APT-{year}-000004"]
        assert {e.type for e in events} == {"appointment.created"} and {e.status for e in events} == {"confirmed"}
        db.session.remove()
    assert count_rows(app, Appointment) == 4


def test_booked_or_overlapping_slot_is_slot_taken(app, w):
    assert w.book(time="10:00", employee_id=3, service_id=3).status_code == 201  # 10:00–11:00
    assert_error(w.book(time="10:00", employee_id=3), 409, "slot_taken")
    assert_error(w.book(time="10:30", employee_id=3), 409, "slot_taken")
    assert_error(w.book(time="09:30", employee_id=3, service_id=3), 409, "slot_taken")
    assert w.book(time="11:00", employee_id=3).status_code == 201  # starts as the massage ends
    assert w.book(time="10:00", employee_id=1).status_code == 201  # another member of staff
    assert count_rows(app, Appointment) == 3


def test_another_clients_hold_blocks_the_booking(app, w):
    w.hold("lock", "10:00", A)
    assert_error(w.book(time="10:00", client_id=B), 409, "slot_held")
    assert_error(w.book(time="10:00"), 409, "slot_held")  # no client_id: everyone's hold counts
    assert_error(w.book(time="09:30", employee_id=1, service_id=2, client_id=B), 409, "slot_held")  # 45 min overlaps
    w.hold("select", "14:00", B, employee_id=3)
    assert_error(w.book(time="14:00", employee_id=3, client_id=A), 409, "slot_held")
    assert count_rows(app, Appointment) == 0
    # The holder itself books through its own lock.
    assert w.book(time="10:00", client_id=A).status_code == 201


def test_booking_releases_the_clients_hold_and_others_see_it_booked(w):
    w.hold("select", "10:00", A)
    w.hold("lock", "10:00", A)
    seen = w.beat(B, service_id=1)
    assert seen["locked"] == ["10:00"]
    assert w.book(time="10:00", client_id=A).status_code == 201
    mine = w.beat(A, service_id=1)
    assert mine["mine"] is None and mine["booked"] == ["10:00"]
    after = w.beat(B, service_id=1, known_version=seen["version"])
    assert after["booked"] == ["10:00"] and after["locked"] == [] and after["processing"] == []
    # A is free to hold another slot; its old hold no longer exists anywhere.
    w.hold("select", "11:00", B)
    w.hold("select", "11:30", A)


def test_idempotent_replay_returns_the_same_response_and_creates_nothing(app, w):
    body = w.booking("10:00", client_id=A)
    first = w.book(body, headers={"Idempotency-Key": "order-7f3a"})
    assert first.status_code == 201
    again = w.book(body, headers={"Idempotency-Key": "order-7f3a"})
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    # Same body in another key order is the same request.
    reordered = dict(reversed(list(body.items())))
    assert w.book(reordered, headers={"Idempotency-Key": "order-7f3a"}).get_json() == first.get_json()
    assert count_rows(app, Appointment) == 1 and count_rows(app, Event) == 1
    # A new key for the same slot is a new booking attempt, and the slot is taken.
    assert_error(w.book(body, headers={"Idempotency-Key": "order-other"}), 409, "slot_taken")


def test_x_idempotency_key_is_an_alias(app, w):
    body = w.booking("11:00")
    first = w.book(body, headers={"X-Idempotency-Key": "alias-key-1"})
    assert first.status_code == 201
    for headers in ({"X-Idempotency-Key": "alias-key-1"}, {"Idempotency-Key": "alias-key-1"}):
        again = w.book(body, headers=headers)
        assert again.status_code == 201 and again.get_json() == first.get_json()
    assert count_rows(app, Appointment) == 1


def test_same_key_with_another_body_is_refused(app, w):
    assert w.book(w.booking("10:00"), headers={"Idempotency-Key": "k-123"}).status_code == 201
    for changed in (w.booking("10:30"), w.booking("10:00", name="Someone Else"), w.booking("10:00", notes="x")):
        assert_error(w.book(changed, headers={"Idempotency-Key": "k-123"}), 422, "idempotency_key_reused")
    assert count_rows(app, Appointment) == 1


def test_idempotency_key_must_be_sane(app, w):
    err = assert_error(w.book(w.booking(), headers={"Idempotency-Key": "k" * 256}), 422, "validation_error")
    assert "Idempotency-Key" in err["fields"]
    assert w.book(w.booking(), headers={"Idempotency-Key": "k" * 255}).status_code == 201


def test_booking_validation_errors_name_the_fields(app, client, w):
    err = assert_error(client.post("/api/v1/appointments", json={}), 422, "validation_error")
    assert set(err["fields"]) == {"service_id", "employee_id", "date", "time", "name", "email"}
    for field, value in [
        ("email", "not-an-email"),
        ("email", "ann@"),
        ("name", ""),
        ("phone", "1" * 41),
        ("notes", "n" * 2001),
        ("client_id", "x"),
        ("name", None),
    ]:
        err = assert_error(w.book(w.booking(**{field: value})), 422, "validation_error")
        assert list(err["fields"]) == [field], (field, value)
    assert count_rows(app, Appointment) == 0


def test_booking_grid_rules(app, w, workday):
    assert_error(w.book(time="10:15"), 422, "outside_hours")
    assert_error(w.book(time="12:30", employee_id=2), 422, "outside_hours")
    assert_error(w.book(w.booking("10:00") | {"date": (workday + timedelta(days=6)).isoformat()}), 422, "outside_hours")
    assert_error(w.book(w.booking("10:00") | {"date": (workday - timedelta(days=14)).isoformat()}), 422, "past_time")
    assert_error(
        w.book(w.booking("10:00") | {"date": (workday + timedelta(days=100)).isoformat()}), 422, "too_far_ahead"
    )
    assert_error(w.book(service_id=99), 404, "not_found")
    assert_error(w.book(employee_id=99), 404, "not_found")
    assert "employee_id" in assert_error(w.book(employee_id=1, service_id=3), 422, "validation_error")["fields"]
    assert count_rows(app, Appointment) == 0 and count_rows(app, Event) == 0
