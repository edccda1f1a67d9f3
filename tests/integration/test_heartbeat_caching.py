"""The heartbeat's HTTP caching, several staff in one poll, and caches never stale past a
commit or a catalogue change (SPEC §4, §5.2; issue 8)."""
from __future__ import annotations

import json
from datetime import time

from appointease.extensions import db
from appointease.models import Appointment, Employee, TimeOff, WorkingHours

ME = "client-cache-0001"


def beat(client, day, headers=None, **body):
    return client.post("/api/v1/heartbeat", json={"date": day, "client_id": ME, **body}, headers=headers or {})


def book(client, day, time_, employee_id=1, service_id=1):
    r = client.post("/api/v1/appointments", json={"service_id": service_id, "employee_id": employee_id, "date": day,
                                                   "time": time_, "name": "Ann Example", "email": "ann@example.com"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_full_answers_carry_an_etag_and_if_none_match_gets_304(client, workday):
    day = workday.isoformat()
    first = beat(client, day, employee_id=1)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{first.get_json()["version"]}"'
    again = beat(client, day, {"If-None-Match": first.headers["ETag"]}, employee_id=1)
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    # A list of tags, one of them current, also matches (RFC 9110 §13.1.2).
    assert beat(client, day, {"If-None-Match": f'"old", {first.headers["ETag"]}'}, employee_id=1).status_code == 304
    book(client, day, "10:00")
    changed = beat(client, day, {"If-None-Match": first.headers["ETag"]}, employee_id=1)
    assert changed.status_code == 200 and changed.get_json()["booked"] == ["10:00"]


def test_the_unchanged_answer_is_small(client, workday):
    day = workday.isoformat()
    version = beat(client, day, employee_id=1).get_json()["version"]
    quiet = beat(client, day, employee_id=1, known_version=version)
    assert set(quiet.get_json()) == {"changed", "version", "interval_seconds", "server_time"}
    assert len(quiet.data) <= 120, quiet.data


def test_a_304_still_renews_the_selection(app, client, workday):
    day = workday.isoformat()
    slot = {"date": day, "time": "10:00", "employee_id": 1, "service_id": 1, "client_id": ME}
    held = client.post("/api/v1/slots/select", json=slot).get_json()
    first = beat(client, day, employee_id=1, selected_time="10:00")
    again = beat(client, day, {"If-None-Match": first.headers["ETag"]}, employee_id=1, selected_time="10:00")
    assert again.status_code == 304
    mine = beat(client, day, employee_id=1).get_json()["mine"]
    assert mine["expires_at"] > held["expires_at"]


def test_several_staff_in_one_poll(client, workday):
    day = workday.isoformat()
    book(client, day, "09:00", employee_id=2)
    other = {"date": day, "time": "10:00", "employee_id": 3, "service_id": 1, "client_id": "client-other-0002"}
    assert client.post("/api/v1/slots/lock", json=other).status_code == 200
    mine = {"date": day, "time": "11:00", "employee_id": 2, "service_id": 1, "client_id": ME}
    assert client.post("/api/v1/slots/select", json=mine).status_code == 200
    answer = beat(client, day, employee_ids=[3, 1, 2], service_id=1).get_json()
    assert [s["employee_id"] for s in answer["staff"]] == [3, 1, 2]
    by_id = {s["employee_id"]: s for s in answer["staff"]}
    assert by_id[2]["booked"] == ["09:00"] and by_id[3]["locked"] == ["10:00"] and by_id[1] == {
        "employee_id": 1, "booked": [], "locked": [], "processing": []}
    assert answer["mine"]["employee_id"] == 2 and answer["mine"]["time"] == "11:00"
    assert "booked" not in answer and "employee_id" not in answer
    assert "client-other" not in json.dumps(answer)
    quiet = beat(client, day, employee_ids=[3, 1, 2], service_id=1, known_version=answer["version"]).get_json()
    assert quiet["changed"] is False


def test_bad_staff_lists_are_422(client, workday, subtests):
    day = workday.isoformat()
    for name, body in {"neither": {}, "both": {"employee_id": 1, "employee_ids": [1]}, "empty": {"employee_ids": []},
                       "too many": {"employee_ids": list(range(1, 22))}, "not ints": {"employee_ids": ["1"]}}.items():
        with subtests.test(name):
            r = beat(client, day, **body)
            assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert beat(client, day, employee_ids=[1, 99]).status_code == 404


def test_booked_cache_is_never_stale_past_a_commit(app, client, workday):
    """A cancel written straight to the database (as staff tools will) shows at the next poll,
    because every appointment change appends an event and the cache follows the event seq."""
    day = workday.isoformat()
    booked = book(client, day, "10:00")
    assert beat(client, day, employee_id=1).get_json()["booked"] == ["10:00"]
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
    assert beat(client, day, employee_id=1).get_json()["booked"] == []


def test_catalogue_changes_show_at_the_next_poll(app, client, workday):
    day = workday.isoformat()
    assert "10:00" in [s["time"] for s in client.get(
        f"/api/v1/availability?date={day}&employee_id=1&service_id=1").get_json()["slots"]]
    with app.app_context():
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday))
        db.session.commit()
        db.session.remove()
    assert client.get(f"/api/v1/availability?date={day}&employee_id=1&service_id=1").get_json()["slots"] == []
    with app.app_context():
        db.session.query(TimeOff).delete()
        alex = db.session.get(Employee, 1)
        alex.working_hours = [WorkingHours(weekday=workday.weekday(), start_time=time(14), end_time=time(15))]
        db.session.commit()
        db.session.remove()
    slots = client.get(f"/api/v1/availability?date={day}&employee_id=1&service_id=1").get_json()["slots"]
    assert [s["time"] for s in slots] == ["14:00", "14:30"]
    with app.app_context():
        db.session.get(Employee, 1).active = False
        db.session.commit()
        db.session.remove()
    assert beat(client, day, employee_id=1).status_code == 404


def test_a_rolled_back_change_bumps_nothing(app, client, workday):
    from appointease.cache import LiveCache

    with app.app_context():
        before = LiveCache.versions(db.session())
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday))
        db.session.flush()
        db.session.rollback()
        after = LiveCache.versions(db.session())
        db.session.remove()
    assert before == after
