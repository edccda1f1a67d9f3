"""The heartbeat's version covers the set of bookable times, not only the painted lists
(SPEC §4; issue 16 point 2): a catalogue change reaches a widget polling with
``known_version`` or ``If-None-Match`` at its next poll, as a full answer whose ``times``
no longer hold the vanished times.

Everything here goes through ``POST /heartbeat``, never ``/availability``: the widget
only polls the heartbeat once a day is shown.
"""

from __future__ import annotations

import pytest

from support.admin_kit import ALEX, HAIRCUT, JORDAN, SAM, ok
from support.helpers import Widget

WATCHER = "watcher-times-0001"


def grid(first: str, last: str) -> list[str]:
    """Every half hour from ``first`` to ``last`` inclusive (``HH:MM``, the 30-min grid)."""
    to_min = lambda t: int(t[:2]) * 60 + int(t[3:])  # noqa: E731
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(to_min(first), to_min(last) + 1, 30)]


@pytest.fixture
def w(client, workday):
    """The widget's polls of Alex's haircut times on the test's working day."""
    return Widget(client, workday, client_id=WATCHER, employee_id=ALEX, service_id=HAIRCUT)


def changed_answer(w: Widget, known: str, **extra) -> dict:
    """Poll with ``known_version`` and with ``If-None-Match``; assert both are full answers
    (200, no ``changed: false``) with a version other than ``known``; return the answer."""
    by_version = w.heartbeat(service_id=HAIRCUT, known_version=known, **extra)
    by_etag = w.heartbeat(service_id=HAIRCUT, headers={"If-None-Match": f'"{known}"'}, **extra)
    assert by_version.status_code == 200 and by_etag.status_code == 200, (by_version.data, by_etag.status_code)
    answer = by_version.get_json()
    assert "changed" not in answer and answer["version"] != known, answer
    assert by_etag.headers["ETag"] == f'"{answer["version"]}"'
    assert {**by_etag.get_json(), "server_time": None} == {**answer, "server_time": None}
    return answer


def unchanged(w: Widget, known: str, **extra) -> None:
    """Assert the short answer and the 304 for a current version."""
    assert w.beat(service_id=HAIRCUT, known_version=known, **extra)["changed"] is False
    assert w.heartbeat(service_id=HAIRCUT, headers={"If-None-Match": f'"{known}"'}, **extra).status_code == 304


def test_shrunk_hours_and_time_off_reach_a_polling_widget(admin, w, workday):
    first = w.beat(service_id=HAIRCUT)
    unchanged(w, first["version"])

    week = [{"weekday": workday.weekday(), "start": "09:00", "end": "12:00"}]
    ok(admin.put(f"/staff/{ALEX}/hours", json=week))
    shrunk = changed_answer(w, first["version"])
    assert first["times"] == grid("09:00", "16:30") and first["duration_minutes"] == 30
    assert shrunk["times"] == grid("09:00", "11:30")
    assert shrunk["booked"] == shrunk["locked"] == shrunk["processing"] == []
    unchanged(w, shrunk["version"])

    day = workday.isoformat()
    ok(admin.post(f"/staff/{ALEX}/time-off", json={"start_date": day, "end_date": day}), 201)
    off = changed_answer(w, shrunk["version"])
    assert off["times"] == []
    unchanged(w, off["version"])


def test_a_new_service_duration_changes_the_version(admin, w):
    first = w.beat(service_id=HAIRCUT)
    ok(admin.patch(f"/services/{HAIRCUT}", json={"duration_minutes": 60}))
    longer = changed_answer(w, first["version"])
    assert longer["duration_minutes"] == 60 and longer["times"] == grid("09:00", "16:00")


def test_several_staff_one_version_covers_each_ones_times(admin, w, workday):
    ids = [ALEX, SAM, JORDAN]
    first = w.beat(employee_ids=ids, service_id=HAIRCUT)
    unchanged(w, first["version"], employee_ids=ids)

    week = [{"weekday": workday.weekday(), "start": "14:00", "end": "15:00"}]
    ok(admin.put(f"/staff/{JORDAN}/hours", json=week))
    shrunk = changed_answer(w, first["version"], employee_ids=ids)
    before = {s["employee_id"]: s["times"] for s in first["staff"]}
    assert before[JORDAN] == grid("09:00", "16:30")
    after = {s["employee_id"]: s["times"] for s in shrunk["staff"]}
    assert after == {**before, JORDAN: ["14:00", "14:30"]}

    # A staff member deactivated while the widget shows "any available" paints no times;
    # the poll still answers for the others.
    ok(admin.patch(f"/staff/{SAM}", json={"active": False}))
    gone = changed_answer(w, shrunk["version"], employee_ids=ids)
    assert {s["employee_id"]: s["times"] for s in gone["staff"]} == {**after, SAM: []}
    unchanged(w, gone["version"], employee_ids=ids)
