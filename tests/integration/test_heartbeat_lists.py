"""The heartbeat's lists (SPEC §4 ``POST /heartbeat``), seen from the asking client.

Holds and bookings are made through the public API; the heartbeat is asked both over
HTTP and by calling ``appointease.live.heartbeat`` directly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from appointease import live
from appointease.config import build_rules
from appointease.context import Context
from appointease.extensions import db

from support.helpers import Widget

ME, OTHER, THIRD = "client-me-000001", "client-other-0002", "client-third-0003"


@pytest.fixture
def api(client, workday):
    """The widget's calls on the test's working day (client ME unless told otherwise)."""
    return Widget(client, workday, client_id=ME)


def lists(answer: dict) -> tuple[list, list, list]:
    return answer["booked"], answer["locked"], answer["processing"]


def test_quiet_day_has_empty_lists(api):
    answer = api.beat()
    assert lists(answer) == ([], [], [])
    assert answer["mine"] is None
    assert answer["date"] == api.day and answer["employee_id"] == 1
    assert answer["interval_seconds"] == 5
    assert isinstance(answer["version"], str) and answer["version"]
    assert datetime.fromisoformat(answer["server_time"]).tzinfo is not None


def test_each_list_from_the_asking_clients_view(api):
    api.booked("09:00")
    api.hold("lock", "10:00", OTHER)
    api.hold("select", "11:00", THIRD)
    api.hold("select", "12:00", ME)
    answer = api.beat(ME)
    assert lists(answer) == (["09:00"], ["10:00"], ["11:00"])
    assert answer["mine"]["time"] == "12:00" and answer["mine"]["kind"] == "selection"
    # OTHER sees its own lock as mine and ME's selection as processing.
    answer = api.beat(OTHER)
    assert lists(answer) == (["09:00"], [], ["11:00", "12:00"])
    assert answer["mine"]["time"] == "10:00" and answer["mine"]["kind"] == "lock"
    # Other employees are not affected.
    assert lists(api.beat(ME, employee_id=3)) == ([], [], [])


def test_own_hold_is_in_mine_never_in_locked_or_processing(api):
    held = api.hold("lock", "14:00", ME, employee_id=3, service_id=3)  # a 60-minute lock
    answer = api.beat(ME, employee_id=3, service_id=1)
    assert lists(answer) == ([], [], [])
    assert answer["mine"] == {"time": "14:00", "kind": "lock", "expires_at": held["expires_at"]}
    # Everyone else sees both half-hours of that hour as locked.
    assert api.beat(OTHER, employee_id=3, service_id=1)["locked"] == ["14:00", "14:30"]


def test_selection_then_lock_moves_between_lists(api):
    api.hold("select", "10:00", OTHER)
    assert api.beat(ME)["processing"] == ["10:00"]
    api.hold("lock", "10:00", OTHER)
    answer = api.beat(ME)
    assert answer["processing"] == [] and answer["locked"] == ["10:00"]


def test_listed_times_use_the_services_duration_or_the_grid_step(api, subtests):
    api.booked("10:00", employee_id=3, service_id=3)  # 10:00–11:00
    api.hold("lock", "14:00", OTHER, employee_id=3, service_id=1)  # 14:00–14:30
    api.hold("select", "16:00", THIRD, employee_id=3, service_id=1)  # 16:00–16:30
    half_hour = (["10:00", "10:30"], ["14:00"], ["16:00"])
    longer = (["09:30", "10:00", "10:30"], ["13:30", "14:00"], ["15:30", "16:00"])
    for service_id, expected in [
        (None, half_hour),  # no service: slots one grid step (30 min) long
        (1, half_hour),  # Haircut, 30 minutes
        (2, longer),  # Colour consultation, 45 minutes: 09:30–10:15 overlaps 10:00
        (3, longer),  # Massage, 60 minutes
    ]:
        with subtests.test(service_id=service_id):
            extra = {} if service_id is None else {"service_id": service_id}
            assert lists(api.beat(ME, employee_id=3, **extra)) == expected


def test_lunch_break_times_are_never_listed(api):
    # Sam (2) works 09:00–12:30 and 13:30–17:00; a 60-minute Massage at 11:30 ends at lunch.
    api.booked("11:30", employee_id=2, service_id=3)
    answer = api.beat(ME, employee_id=2)
    assert answer["booked"] == ["11:30", "12:00"]
    assert "12:30" not in json.dumps(answer) and "13:00" not in json.dumps(answer)


def test_unchanged_answer_when_known_version_matches(api):
    first = api.beat(ME, service_id=1)
    same = api.beat(ME, service_id=1, known_version=first["version"])
    assert set(same) == {"changed", "version", "interval_seconds", "server_time"}
    assert same["changed"] is False and same["version"] == first["version"]
    assert same["interval_seconds"] == 5
    # Something changes: the next poll with the old version gets the full answer.
    api.hold("select", "13:00", OTHER)
    full = api.beat(ME, service_id=1, known_version=first["version"])
    assert full.get("changed", True) is not False
    assert full["processing"] == ["13:00"] and full["version"] != first["version"]
    # …and with the new version it is quiet again.
    again = api.beat(ME, service_id=1, known_version=full["version"])
    assert again["changed"] is False
    # A booking is a change too.
    api.booked("15:00")
    booked = api.beat(ME, service_id=1, known_version=full["version"])
    assert booked["booked"] == ["15:00"]


def test_a_stale_or_foreign_version_gets_the_full_answer(api):
    answer = api.beat(ME, known_version="not-a-version")
    assert "booked" in answer and "changed" not in answer
    other_day_version = api.beat(ME, employee_id=2)["version"]
    assert "booked" in api.beat(ME, employee_id=1, known_version=other_day_version)


def test_renewing_ones_own_selection_alone_does_not_change_the_version(api):
    api.hold("select", "10:00", ME)
    first = api.beat(ME, selected_time="10:00")
    assert first["mine"]["time"] == "10:00"
    again = api.beat(ME, selected_time="10:00", known_version=first["version"])
    assert again["changed"] is False


def test_own_selection_changes_the_version_for_me_and_for_others(api):
    mine_before = api.beat(ME)["version"]
    other_before = api.beat(OTHER)["version"]
    api.hold("select", "10:00", ME)
    mine_after = api.beat(ME, known_version=mine_before)
    assert mine_after["mine"]["time"] == "10:00"
    other_after = api.beat(OTHER, known_version=other_before)
    assert other_after["processing"] == ["10:00"]


def test_no_personal_data_in_the_answer(api):
    api.booked("09:00", name="Zebedee Quartermaine", email="zebedee.q@example.org", client_id=OTHER)
    api.hold("lock", "10:00", THIRD)
    api.hold("select", "11:00", "client-fourth-04")
    api.hold("select", "12:00", ME)
    for extra in ({}, {"service_id": 1}, {"selected_time": "12:00"}):
        r = api.heartbeat(ME, **extra)
        assert r.status_code == 200
        text = r.get_data(as_text=True)
        for secret in (
            "Zebedee",
            "Quartermaine",
            "zebedee.q@example.org",
            "example.org",
            OTHER,
            THIRD,
            "client-fourth-04",
            "Alex Morgan",
            "Alex",
        ):
            assert secret not in text
        # The asking client is not echoed back either: nothing names a client.
        assert ME not in text
    answer = api.beat(ME)
    spec_keys = {
        "server_time",
        "interval_seconds",
        "version",
        "date",
        "employee_id",
        "booked",
        "locked",
        "processing",
        "mine",
    }
    # Besides SPEC §4's keys: the hold store, and the day's bookable times with their slot
    # length (what the version covers, so the widget can drop times that vanished).
    assert spec_keys <= set(answer) and set(answer) - spec_keys <= {"storage", "times", "duration_minutes"}
    assert answer.get("storage", "database") in ("database", "redis")
    assert set(answer["mine"]) == {"time", "kind", "expires_at"}


def test_heartbeat_function_directly(app, api):
    api.booked("09:00")
    api.hold("select", "10:00", OTHER)
    api.hold("lock", "11:00", ME)
    rules = build_rules(app.config)
    store = app.extensions["appointease.holds"]
    with app.app_context():
        now = datetime.now(UTC)
        ctx = Context(db.session(), store, rules, now)
        day = datetime.fromisoformat(api.day).date()
        answer = live.heartbeat(ctx, day=day, employee_id=1, client_id=ME, service_id=1)
        assert answer.changed
        assert (answer.booked, answer.locked, answer.processing) == (["09:00"], [], ["10:00"])
        assert answer.mine["time"] == "11:00" and answer.mine["kind"] == "lock"
        assert answer.server_time == now and answer.interval_seconds == rules.heartbeat_interval
        quiet = live.heartbeat(ctx, day=day, employee_id=1, client_id=ME, service_id=1, known_version=answer.version)
        assert not quiet.changed and quiet.version == answer.version
        db.session.remove()


def test_heartbeat_on_a_closed_day_is_empty(api, workday):
    saturday = (workday + timedelta(days=5)).isoformat()
    answer = api.beat(ME, date=saturday)
    assert lists(answer) == ([], [], []) and answer["date"] == saturday
