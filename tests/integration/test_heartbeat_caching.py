"""The heartbeat's HTTP caching, several staff in one poll, and caches never stale past a
commit or a catalogue change (SPEC §4, §5.2; issue 8)."""

from __future__ import annotations

import json
from datetime import time

import pytest

from appointease.extensions import db
from appointease.models import Appointment, Employee, TimeOff, WorkingHours

from support.helpers import Widget, assert_error

ME = "client-cache-0001"


@pytest.fixture
def w(client, workday):
    """The widget's calls on the test's working day, as client ME."""
    return Widget(client, workday, client_id=ME)


def test_full_answers_carry_an_etag_and_if_none_match_gets_304(w):
    first = w.heartbeat()
    assert first.status_code == 200 and first.headers["ETag"] == f'"{first.get_json()["version"]}"'
    again = w.heartbeat(headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    # A list of tags, one of them current, also matches (RFC 9110 §13.1.2).
    assert w.heartbeat(headers={"If-None-Match": f'"old", {first.headers["ETag"]}'}).status_code == 304
    w.booked("10:00")
    changed = w.heartbeat(headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["booked"] == ["10:00"]


def test_the_unchanged_answer_is_small(w):
    version = w.beat()["version"]
    quiet = w.heartbeat(known_version=version)
    assert set(quiet.get_json()) == {"changed", "version", "interval_seconds", "server_time"}
    assert len(quiet.data) <= 120, quiet.data


def test_a_304_still_renews_the_selection(w):
    held = w.hold("select", "10:00")
    first = w.heartbeat(selected_time="10:00")
    again = w.heartbeat(headers={"If-None-Match": first.headers["ETag"]}, selected_time="10:00")
    assert again.status_code == 304
    mine = w.beat()["mine"]
    assert mine["expires_at"] > held["expires_at"]


def test_several_staff_in_one_poll(w):
    w.booked("09:00", employee_id=2)
    w.hold("lock", "10:00", "client-other-0002", employee_id=3)
    w.hold("select", "11:00", employee_id=2)
    answer = w.beat(employee_ids=[3, 1, 2], service_id=1)
    assert [s["employee_id"] for s in answer["staff"]] == [3, 1, 2]
    by_id = {s["employee_id"]: s for s in answer["staff"]}
    assert (
        by_id[2]["booked"] == ["09:00"]
        and by_id[3]["locked"] == ["10:00"]
        and by_id[1] == {"employee_id": 1, "booked": [], "locked": [], "processing": [], "times": by_id[3]["times"]}
    )
    assert answer["mine"]["employee_id"] == 2 and answer["mine"]["time"] == "11:00"
    assert "booked" not in answer and "employee_id" not in answer
    assert "client-other" not in json.dumps(answer)
    quiet = w.beat(employee_ids=[3, 1, 2], service_id=1, known_version=answer["version"])
    assert quiet["changed"] is False


def test_bad_staff_lists_are_422(client, w, subtests):
    for name, body in {
        "neither": {},
        "both": {"employee_id": 1, "employee_ids": [1]},
        "empty": {"employee_ids": []},
        "too many": {"employee_ids": list(range(1, 22))},
        "not ints": {"employee_ids": ["1"]},
    }.items():
        with subtests.test(name):
            r = client.post("/api/v1/heartbeat", json={"date": w.day, "client_id": ME, **body})
            assert_error(r, 422, "validation_error")
    assert_error(w.heartbeat(employee_ids=[1, 99]), 404, "not_found")


def test_booked_cache_is_never_stale_past_a_commit(app, w):
    """A cancel written straight to the database (as staff tools will) shows at the next poll,
    because every appointment change appends an event and the cache follows the event seq."""
    booked = w.booked("10:00")
    assert w.beat()["booked"] == ["10:00"]
    with app.app_context():
        from appointease.db import write_transaction
        from appointease.events import append_event
        from appointease.models import utcnow

        with write_transaction(db.session()) as session:
            apt = session.query(Appointment).filter_by(reference=booked["reference"]).one()
            apt.status = "cancelled"
            session.flush()
            append_event(session, apt, "appointment.cancelled", utcnow())
        db.session.remove()
    assert w.beat()["booked"] == []


def test_catalogue_changes_show_at_the_next_poll(app, w, workday):
    assert "10:00" in w.statuses()
    with app.app_context():
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday))
        db.session.commit()
        db.session.remove()
    assert w.statuses() == {}
    with app.app_context():
        db.session.query(TimeOff).delete()
        alex = db.session.get(Employee, 1)
        alex.working_hours = [WorkingHours(weekday=workday.weekday(), start_time=time(14), end_time=time(15))]
        db.session.commit()
        db.session.remove()
    assert list(w.statuses()) == ["14:00", "14:30"]
    with app.app_context():
        db.session.get(Employee, 1).active = False
        db.session.commit()
        db.session.remove()
    assert_error(w.heartbeat(), 404, "not_found")


def test_a_rolled_back_change_bumps_nothing(app, workday):
    from appointease.cache import LiveCache

    with app.app_context():
        before = LiveCache.versions(db.session())
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday))
        db.session.flush()
        db.session.rollback()
        after = LiveCache.versions(db.session())
        db.session.remove()
    assert before == after
