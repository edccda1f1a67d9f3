"""The widget's slot endpoints over HTTP (SPEC §4): ``/availability``, ``/slots/select``,
``/slots/lock``, ``/slots/release`` and ``/heartbeat``, including the hold life cycle
(selection TTL 2 s in the test config, renewed by heartbeats).
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, time, timedelta

import pytest

from appointease.extensions import db
from appointease.models import TimeOff

from support.helpers import CLIENT_A as A
from support.helpers import CLIENT_B as B
from support.helpers import CLIENT_C as C
from support.helpers import Widget, assert_error, half_hours, make_employee, make_service


@pytest.fixture
def w(client, workday):
    """The widget's calls on the test's working day (client A unless told otherwise)."""
    return Widget(client, workday)


def storage(app) -> str:
    return "redis" if app.config["REDIS_URL"] else "database"


# --- GET /availability ------------------------------------------------------------


def test_availability_lists_the_grid_with_every_status(w):
    w.booked("09:00")
    assert w.lock("10:00", B).status_code == 200
    assert w.select("11:00", C).status_code == 200
    assert w.select("12:00", A).status_code == 200
    r = w.availability(client_id=A)
    assert r.status_code == 200
    body = r.get_json()
    assert {k: body[k] for k in ("date", "employee_id", "service_id", "timezone")} == {
        "date": w.day,
        "employee_id": 1,
        "service_id": 1,
        "timezone": "UTC",
    }
    assert [s["time"] for s in body["slots"]] == half_hours("09:00", "16:30")
    assert body["slots"][0]["start"] == f"{w.day}T09:00:00+00:00"
    statuses = {s["time"]: s["status"] for s in body["slots"]}
    assert {t: s for t, s in statuses.items() if s != "available"} == {
        "09:00": "booked",
        "10:00": "locked",
        "11:00": "processing",
        "12:00": "mine",
    }


def test_availability_without_client_id_shows_every_hold_as_someone_elses(w):
    w.select("12:00", A)
    w.lock("13:00", A, employee_id=3)  # replaces the selection
    assert w.statuses(employee_id=3)["13:00"] == "locked"
    assert w.statuses(employee_id=1)["12:00"] == "available"
    assert w.statuses(employee_id=3, client_id=A)["13:00"] == "mine"
    assert w.statuses(employee_id=3, client_id=B)["13:00"] == "locked"


def test_availability_uses_the_service_duration(w):
    w.booked("10:00", employee_id=2, service_id=1)  # Sam, 10:00–10:30
    statuses = w.statuses(employee_id=2, service_id=3)  # 60-minute Massage
    assert list(statuses) == half_hours("09:00", "11:30") + half_hours("13:30", "16:00")
    assert [t for t, s in statuses.items() if s == "booked"] == ["09:30", "10:00"]


@pytest.mark.date_relative
def test_availability_for_today_leaves_out_past_times(app, w):
    today = datetime.now(UTC).date()
    with app.app_context():
        service = make_service(db.session, minutes=30)
        night_owl = make_employee(db.session, [service], hours={today.weekday(): [(time(0), time(23, 30))]})
        ids = {"employee_id": night_owl.id, "service_id": service.id}
        db.session.commit()
        db.session.remove()
    grid = [datetime.combine(today, time.fromisoformat(t), tzinfo=UTC) for t in half_hours("00:00", "23:00")]
    before = datetime.now(UTC)
    r = w.availability(day=today.isoformat(), **ids)
    after = datetime.now(UTC)
    assert r.status_code == 200
    listed = [datetime.fromisoformat(s["start"]) for s in r.get_json()["slots"]]
    assert all(start >= before for start in listed)
    assert [s for s in grid if s >= after] == [s for s in listed if s >= after]
    assert grid[0] not in listed  # midnight has passed
    # Booking or holding a time that has passed is refused.
    assert_error(w.select("00:00", day=today.isoformat(), **ids), 422, "past_time")


def test_availability_on_a_closed_day_or_time_off_is_empty(app, w, workday):
    saturday = (workday + timedelta(days=5)).isoformat()
    r = w.availability(day=saturday)
    assert r.status_code == 200 and r.get_json()["slots"] == []
    with app.app_context():
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday, reason="training"))
        db.session.commit()
        db.session.remove()
    assert w.statuses(employee_id=1) == {}
    assert len(w.statuses(employee_id=3)) == 16  # others still work
    assert len(w.statuses(employee_id=1, day=(workday + timedelta(days=1)).isoformat())) == 16


def test_staff_without_working_hours_work_monday_to_friday_nine_to_five(app, w, workday):
    """A member of staff with no working hours recorded gets the default week (09:00–17:00)."""
    with app.app_context():
        service = make_service(db.session, minutes=30)
        ids = {"employee_id": make_employee(db.session, [service], hours={}).id, "service_id": service.id}
        db.session.commit()
        db.session.remove()
    for offset in range(5):  # workday is a Monday
        day = (workday + timedelta(days=offset)).isoformat()
        assert list(w.statuses(day=day, **ids)) == half_hours("09:00", "16:30"), day
    for offset in (5, 6):
        assert w.statuses(day=(workday + timedelta(days=offset)).isoformat(), **ids) == {}


def test_availability_unknown_ids_are_404(w):
    assert_error(w.availability(employee_id=99), 404, "not_found")
    assert_error(w.availability(service_id=99), 404, "not_found")


def test_availability_for_a_service_the_employee_does_not_perform_is_422(w):
    err = assert_error(w.availability(employee_id=1, service_id=3), 422, "validation_error")
    assert "employee_id" in err["fields"]


def test_availability_bad_query_is_422(client, subtests):
    for query in [
        "date=2026-02-30&employee_id=1&service_id=1",
        "date=2026-13-01&employee_id=1&service_id=1",
        "date=tomorrow&employee_id=1&service_id=1",
        "date=9999-12-31&employee_id=1&service_id=1",
        "employee_id=1&service_id=1",
        "date=2026-11-23&employee_id=x&service_id=1",
        "date=2026-11-23&employee_id=1&service_id=0",
        "date=2026-11-23&employee_id=1&service_id=1&client_id=short",
        "date=2026-11-23&employee_id=1&service_id=1&colour=red",
    ]:
        with subtests.test(query=query):
            err = assert_error(client.get(f"/api/v1/availability?{query}"), 422, "validation_error")
            assert err["fields"]


# --- POST /slots/select, /slots/lock -----------------------------------------------


def test_select_answers_the_selection(app, w):
    before = datetime.now(UTC)
    r = w.select("10:00", A, employee_id=3, service_id=3)
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"kind", "date", "time", "employee_id", "expires_at", "ttl_seconds", "storage"}
    assert (body["kind"], body["date"], body["time"], body["employee_id"]) == ("selection", w.day, "10:00", 3)
    assert body["ttl_seconds"] == 2 and body["storage"] == storage(app)
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(seconds=1) < expires < datetime.now(UTC) + timedelta(seconds=3)


def test_lock_answers_the_lock(app, w):
    before = datetime.now(UTC)
    r = w.lock("10:00", A)
    assert r.status_code == 200
    body = r.get_json()
    assert (body["kind"], body["time"], body["ttl_seconds"], body["storage"]) == ("lock", "10:00", 600, storage(app))
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(seconds=598) < expires < datetime.now(UTC) + timedelta(seconds=602)


def test_another_client_cannot_select_or_lock_a_held_slot(w):
    assert w.select("10:00", A, employee_id=3).status_code == 200
    assert_error(w.select("10:00", B, employee_id=3), 409, "slot_held")
    assert_error(w.lock("10:00", B, employee_id=3), 409, "slot_held")
    # A 60-minute Massage at 09:30 would overlap A's 10:00–10:30.
    assert_error(w.select("09:30", B, employee_id=3, service_id=3), 409, "slot_held")
    # Adjacent slots and other staff are free.
    assert w.select("10:30", B, employee_id=3).status_code == 200
    assert w.select("10:00", C, employee_id=1).status_code == 200


def test_a_lock_blocks_others_and_the_holder_can_move_on(w):
    assert w.lock("14:00", A).status_code == 200
    assert_error(w.select("14:00", B), 409, "slot_held")
    # A selecting elsewhere replaces its lock: the slot is free again.
    assert w.select("15:00", A).status_code == 200
    assert w.select("14:00", B).status_code == 200


def test_selecting_another_slot_releases_the_previous_one(w):
    assert w.select("10:00", A).status_code == 200
    assert w.select("11:00", A).status_code == 200
    assert w.beat(B)["processing"] == ["11:00"]
    assert w.select("10:00", B).status_code == 200


def test_locking_ones_own_selection_turns_it_into_a_lock(w):
    assert w.select("10:00", A).status_code == 200
    assert w.beat(B)["processing"] == ["10:00"]
    assert w.lock("10:00", A).status_code == 200
    hb = w.beat(B)
    assert hb["processing"] == [] and hb["locked"] == ["10:00"]
    assert w.beat(A)["mine"]["kind"] == "lock"


def test_holding_a_booked_slot_is_slot_taken(w):
    w.booked("10:00", employee_id=3)
    assert_error(w.select("10:00", A, employee_id=3), 409, "slot_taken")
    assert_error(w.lock("10:00", A, employee_id=3), 409, "slot_taken")
    assert_error(w.select("09:30", A, employee_id=3, service_id=3), 409, "slot_taken")  # 60 min overlaps
    assert w.select("10:30", A, employee_id=3).status_code == 200


def grid_rules(hold, workday):
    """Assert every grid-rule error of one hold endpoint (``w.select`` or ``w.lock``)."""
    for time_, kw in [
        ("08:30", {}),  # before opening
        ("10:15", {}),  # off the grid
        ("17:00", {}),  # closing time
        ("16:30", {"employee_id": 3, "service_id": 3}),  # a 60-minute service would end at 17:30
        ("12:30", {"employee_id": 2}),  # Sam's lunch break
        ("10:00", {"day": (workday + timedelta(days=5)).isoformat()}),  # Saturday
    ]:
        err = assert_error(hold(time_, **kw), 422, "outside_hours")
        assert "fields" not in err
    assert_error(hold("10:00", day=(workday - timedelta(days=14)).isoformat()), 422, "past_time")
    assert_error(hold("10:00", day=(workday + timedelta(days=120)).isoformat()), 422, "too_far_ahead")
    assert_error(hold("10:00", employee_id=99), 404, "not_found")
    assert_error(hold("10:00", service_id=99), 404, "not_found")
    err = assert_error(hold("10:00", employee_id=1, service_id=3), 422, "validation_error")
    assert "employee_id" in err["fields"]


def test_grid_rules_for_holds(w, workday, subtests):
    for endpoint in ("select", "lock"):
        with subtests.test(endpoint=endpoint):
            grid_rules(getattr(w, endpoint), workday)
    # Nothing was held by any of these.
    hb = w.beat(B)
    assert hb["processing"] == [] and hb["locked"] == []


def test_time_off_is_outside_hours(app, w, workday):
    with app.app_context():
        db.session.add(TimeOff(employee_id=1, start_date=workday, end_date=workday + timedelta(days=1)))
        db.session.commit()
        db.session.remove()
    assert_error(w.select("10:00", employee_id=1), 422, "outside_hours")
    assert w.select("10:00", employee_id=3).status_code == 200


def test_select_validation_errors_name_the_fields(client, w):
    err = assert_error(client.post("/api/v1/slots/select", json={"date": w.day}), 422, "validation_error")
    assert {"time", "employee_id", "service_id", "client_id"} <= set(err["fields"])
    err = assert_error(
        client.post("/api/v1/slots/select", json={**w.slot("10:00"), "client_id": "a b"}), 422, "validation_error"
    )
    assert set(err["fields"]) == {"client_id"}


# --- POST /slots/release ------------------------------------------------------------


def test_release_frees_the_slot_and_is_idempotent(w):
    assert w.select("10:00", A).status_code == 200
    r = w.release("10:00", A)
    assert r.status_code == 204 and r.get_data() == b""
    assert w.release("10:00", A).status_code == 204
    assert w.beat(B)["processing"] == []
    assert w.select("10:00", B).status_code == 200


def test_release_never_frees_another_clients_hold(w):
    assert w.lock("10:00", A).status_code == 200
    assert w.release("10:00", B).status_code == 204
    assert_error(w.select("10:00", C), 409, "slot_held")
    assert w.beat(B)["locked"] == ["10:00"]


def test_release_with_the_wrong_time_keeps_the_hold(w):
    assert w.select("10:00", A).status_code == 200
    assert w.release("10:30", A).status_code == 204
    assert w.release("10:00", A, employee_id=2).status_code == 204
    assert w.beat(A)["mine"]["time"] == "10:00"


def test_release_validation(client, w):
    err = assert_error(
        client.post("/api/v1/slots/release", json={"date": w.day, "employee_id": 1}), 422, "validation_error"
    )
    assert {"time", "client_id"} <= set(err["fields"])


# --- POST /heartbeat and the hold life cycle ---------------------------------------


def test_heartbeat_errors(client, w):
    r = client.post("/api/v1/heartbeat", json={"date": w.day, "employee_id": 99, "client_id": A})
    assert_error(r, 404, "not_found")
    r = client.post("/api/v1/heartbeat", json={"date": w.day, "employee_id": 1, "client_id": A, "service_id": 99})
    assert_error(r, 404, "not_found")
    r = client.post("/api/v1/heartbeat", json={"date": w.day, "employee_id": 1})
    assert "client_id" in assert_error(r, 422, "validation_error")["fields"]
    r = client.post(
        "/api/v1/heartbeat", json={"date": w.day, "employee_id": 1, "client_id": A, "selected_time": "9:00"}
    )
    assert "selected_time" in assert_error(r, 422, "validation_error")["fields"]


def test_heartbeat_renews_the_selection_and_it_expires_after_polling_stops(w):
    """SPEC §5.3: a selection lives while its widget polls, and ends TTL seconds after."""
    assert w.select("10:00", A).status_code == 200
    # A polls every second for ~3 s: longer than the 2 s TTL, still held.
    for _ in range(3):
        _time.sleep(1)
        hb = w.beat(A, selected_time="10:00", service_id=1)
        assert hb["mine"]["time"] == "10:00" and hb["mine"]["kind"] == "selection"
        assert_error(w.select("10:00", B), 409, "slot_held")
    assert w.beat(B)["processing"] == ["10:00"]
    # A stops polling (B keeps polling, which renews nothing of A's).
    _time.sleep(1.2)
    assert w.beat(B, selected_time="10:00")["processing"] == ["10:00"]
    _time.sleep(1.2)
    hb = w.beat(B)
    assert hb["processing"] == [] and hb["mine"] is None
    assert w.select("10:00", B).status_code == 200
    assert w.beat(A)["processing"] == ["10:00"] and w.beat(A)["mine"] is None


# --- a lock's bounded life (issue 16 point 8) ------------------------------------------


@pytest.fixture
def short_life_client(database_url, redis_url):
    """A test client of an app whose locks last 2 s and whose hold life is 3 s (then a 2 s cool-down)."""
    from appointease import create_app
    from appointease.commands import seed_catalogue

    from support.helpers import TEST_CONFIG

    config = {**TEST_CONFIG, "APPOINTEASE_LOCK_TTL": 2, "APPOINTEASE_LOCK_MAX_SECONDS": 3}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, **config})
    with app.app_context():
        seed_catalogue(db.session())
        db.session.remove()
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_relocking_a_slot_cannot_keep_it_past_the_max_life(short_life_client, workday):
    """Issue 16 point 8: re-locking the same slot reset its 10 minutes, so 20 locks never ended."""
    w = Widget(short_life_client, workday)
    first = w.hold("lock", "10:00")
    taken = datetime.fromisoformat(first["expires_at"]) - timedelta(seconds=2)
    _time.sleep(1.2)
    again = w.hold("lock", "10:00")  # at 1.2 s: would run to 3.2 s, but the life ends at 3 s
    assert abs((datetime.fromisoformat(again["expires_at"]) - (taken + timedelta(seconds=3))).total_seconds()) < 0.1
    _time.sleep(max(0.0, (taken + timedelta(seconds=3.15) - datetime.now(UTC)).total_seconds()))
    assert w.statuses()["10:00"] == "available"
    # The same client is refused for the cool-down (the widget says "held" and offers other times)…
    assert_error(w.lock("10:00"), 409, "slot_held")
    assert_error(w.select("11:00"), 409, "slot_held")
    # …while another visitor can take the freed slot at once.
    assert w.lock("10:00", B).status_code == 200
