"""What dashboards poll (SPEC §4): ``/admin/events`` (every event exactly once across pages,
staff scoping), ``/admin/holds`` (a day's live holds) and ``/admin/debug``."""

from __future__ import annotations

import pytest

from support.admin_kit import ALEX, HAIRCUT, JORDAN, SAM, book, error, ok


def read_all(caller, since=0, limit=3):
    """Follow the feed page by page; return every event and the pages' sizes."""
    seen, sizes = [], []
    while True:
        page = ok(caller.get(f"/events?since={since}&limit={limit}"))
        sizes.append(len(page["events"]))
        if not page["events"]:
            assert page["next_since"] == since
            return seen, sizes
        assert page["next_since"] == page["events"][-1]["seq"]
        seen += page["events"]
        since = page["next_since"]


def make_history(admin, client, day):
    refs = [
        book(client, day, t, employee_id=e)["reference"]
        for t, e in [("09:00", ALEX), ("09:00", SAM), ("10:00", ALEX), ("11:00", JORDAN), ("12:00", ALEX)]
    ]
    for ref, status in [
        (refs[0], "checked_in"),
        (refs[0], "completed"),
        (refs[1], "no_show"),
        (refs[2], "cancelled"),
        (refs[3], "checked_in"),
    ]:
        ok(admin.post(f"/appointments/{ref}/status", json={"status": status}))
    return refs


def test_feed_delivers_every_event_exactly_once_across_pages_from_every_cursor(admin, client, workday):
    refs = make_history(admin, client, workday.isoformat())
    everything, _ = read_all(admin, limit=500)
    assert [e["seq"] for e in everything] == list(range(1, 11))
    assert [e["type"] for e in everything] == ["appointment.created"] * 5 + [
        "appointment.checked_in",
        "appointment.completed",
        "appointment.no_show",
        "appointment.cancelled",
        "appointment.checked_in",
    ]
    assert everything[5] == {
        "seq": 6,
        "type": "appointment.checked_in",
        "reference": refs[0],
        "status": "checked_in",
        "date": workday.isoformat(),
        "time": "09:00",
        "occurred_at": everything[5]["occurred_at"],
    }
    for since in range(11):
        for limit in (1, 2, 3, 7):
            got, sizes = read_all(admin, since, limit)
            assert [e["seq"] for e in got] == list(range(since + 1, 11)), (since, limit)
            assert all(s <= limit for s in sizes)


def test_me_tells_where_the_feed_is(admin, client, workday):
    assert ok(admin.get("/me"))["latest_seq"] == 0
    make_history(admin, client, workday.isoformat())
    me = ok(admin.get("/me"))
    assert me["latest_seq"] == 10 and me["role"] == "admin" and me["employee_id"] is None
    assert ok(admin.get(f"/events?since={me['latest_seq']}")) == {"events": [], "next_since": 10}


def test_feed_pages_continue_with_events_committed_meanwhile(admin, client, workday):
    day = workday.isoformat()
    book(client, day, "09:00")
    first = ok(admin.get("/events?limit=10"))
    book(client, day, "10:00")
    second = ok(admin.get(f"/events?since={first['next_since']}&limit=10"))
    assert [e["seq"] for e in first["events"] + second["events"]] == [1, 2]


def test_staff_feed_has_only_its_own_employee(staff, admin, client, workday):
    make_history(admin, client, workday.isoformat())
    refs = {a["reference"] for a in ok(admin.get(f"/appointments?date={workday.isoformat()}&employee_id={ALEX}"))}
    got, _ = read_all(staff, limit=2)
    assert {e["reference"] for e in got} == refs and len(refs) == 3
    assert [e["type"] for e in got] == ["appointment.created"] * 3 + [
        "appointment.checked_in",
        "appointment.completed",
        "appointment.cancelled",
    ]


@pytest.mark.parametrize(
    "query,field",
    [
        ("since=-1", "since"),
        ("since=x", "since"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("after=3", "after"),
        ("since=99999999999", "since"),
    ],
)
def test_feed_query_is_validated(admin, query, field):
    assert field in error(admin.get(f"/events?{query}"), 422, "validation_error")["fields"]


def hold(client, kind, day, time, employee_id, client_id):
    r = client.post(
        f"/api/v1/slots/{kind}",
        json={"date": day, "time": time, "employee_id": employee_id, "service_id": HAIRCUT, "client_id": client_id},
    )
    return ok(r)


def test_day_holds_show_live_selections_and_locks_without_client_ids(admin, staff, client, workday):
    day = workday.isoformat()
    hold(client, "select", day, "10:00", ALEX, "c0ffee00-aaaa-bbbb")
    hold(client, "lock", day, "11:00", ALEX, "deadbeef-cccc-dddd")
    hold(client, "select", day, "10:00", SAM, "feedface-eeee-ffff")
    got = ok(admin.get(f"/holds?date={day}&employee_id={ALEX}"))
    assert [(h["kind"], h["time"], h["employee_id"], h["date"], h["client"]) for h in got] == [
        ("selection", "10:00", ALEX, day, "c0ff…"),
        ("lock", "11:00", ALEX, day, "dead…"),
    ]
    assert 1 <= got[0]["seconds_left"] <= 2 and 590 <= got[1]["seconds_left"] <= 600
    assert "c0ffee00" not in str(got) and "deadbeef" not in str(got)
    assert ok(staff.get(f"/holds?date={day}")) == ok(staff.get(f"/holds?date={day}&employee_id={ALEX}"))
    assert len(ok(staff.get(f"/holds?date={day}"))) == 2
    error(staff.get(f"/holds?date={day}&employee_id={SAM}"), 403, "forbidden")
    assert "employee_id" in error(admin.get(f"/holds?date={day}"), 422, "validation_error")["fields"]
    assert "date" in error(admin.get(f"/holds?employee_id={ALEX}"), 422, "validation_error")["fields"]


def test_debug_counts_pollers_and_lists_holds_with_seconds_left(admin, staff, client, workday):
    day = workday.isoformat()
    hold(client, "select", day, "10:00", ALEX, "c0ffee00-aaaa-bbbb")
    hold(client, "lock", day, "11:00", SAM, "deadbeef-cccc-dddd")
    before = ok(admin.get("/debug"))["pollers"]
    # Three widgets polling every 5 s for 15 s: 9 heartbeats, estimated as 3 more pollers
    # (the estimate is this process's heartbeat rate; earlier tests' polls may still count).
    for _ in range(3):
        for cid in ("poller-0001", "poller-0002", "poller-0003"):
            ok(client.post("/api/v1/heartbeat", json={"date": day, "employee_id": ALEX, "client_id": cid}))
    got = ok(admin.get("/debug"))
    # (an older heartbeat leaving the 15 s window meanwhile may take one away)
    assert 2 <= got["pollers"] - before <= 3 and got["poller_window_seconds"] == 15
    assert (got["selections"], got["locks"]) == (1, 1)
    assert got["storage"] in ("redis", "database") and got["server_time"]
    assert [(h["kind"], h["employee_id"], h["time"], h["client"]) for h in got["holds"]] == [
        ("selection", ALEX, "10:00", "c0ff…"),
        ("lock", SAM, "11:00", "dead…"),
    ]
    assert all(h["seconds_left"] >= 1 for h in got["holds"])
    assert "c0ffee00" not in str(got) and "deadbeef" not in str(got)
    # A staff token sees the business-wide estimate but only its own employee's holds.
    mine = ok(staff.get("/debug"))
    assert mine["pollers"] == got["pollers"] and [h["employee_id"] for h in mine["holds"]] == [ALEX]


def test_debug_forgets_released_holds(admin, client, workday):
    day = workday.isoformat()
    hold(client, "lock", day, "11:00", ALEX, "deadbeef-cccc-dddd")
    ok(
        client.post(
            "/api/v1/slots/release",
            json={"date": day, "time": "11:00", "employee_id": ALEX, "client_id": "deadbeef-cccc-dddd"},
        ),
        204,
    )
    got = ok(admin.get("/debug"))
    assert (got["selections"], got["locks"], got["holds"]) == (0, 0, [])
