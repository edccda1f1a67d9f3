"""``GET /me/events`` (SPEC §4 Customers): the customer's own changes in ``seq`` order,
none skipped or repeated across pages from any cursor, including staff changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from appointease import changes
from appointease.auth.actor import Actor
from appointease.context import Context
from appointease.extensions import db
from appointease.models import utcnow

from support.customer_kit import ALEX, JORDAN, MASSAGE, book, error_code, sign_in

ANN, BOB = "ann@example.com", "bob@example.com"


@pytest.fixture(autouse=True)
def _outbox(app, tmp_path):
    app.config["APPOINTEASE_OUTBOX_DIR"] = str(tmp_path / "outbox")


def domain_ctx(app) -> Context:
    return Context(db.session(), app.extensions["appointease.holds"], app.extensions["appointease.rules"], utcnow())


def history(app, client, workday):
    """Interleave Ann's and Bob's changes, some made by staff and an admin; return Ann's expected feed."""
    a1 = book(client, workday, "09:00")
    book(client, workday, "09:30", email_=BOB)
    a2 = book(client, workday, "10:00", email_="ANN@example.com", employee_id=JORDAN, service_id=MASSAGE)
    b2 = book(client, workday, "11:00", email_=BOB)
    with app.app_context():
        changes.reschedule(domain_ctx(app), a1["reference"], changes.NewSlot(workday, "13:00"), Actor.staff(ALEX))
        changes.cancel(domain_ctx(app), b2["reference"], Actor.admin())
        changes.cancel(domain_ctx(app), a2["reference"], Actor.admin())
        db.session.remove()
    a3 = book(client, workday + timedelta(days=1), "15:30")
    return [
        (1, "appointment.created", a1["reference"], "confirmed", workday.isoformat(), "09:00"),
        (3, "appointment.created", a2["reference"], "confirmed", workday.isoformat(), "10:00"),
        (5, "appointment.rescheduled", a1["reference"], "confirmed", workday.isoformat(), "13:00"),
        (7, "appointment.cancelled", a2["reference"], "cancelled", workday.isoformat(), "10:00"),
        (8, "appointment.created", a3["reference"], "confirmed", (workday + timedelta(days=1)).isoformat(), "15:30"),
    ]


def test_the_feed_shows_my_changes_with_their_time(app, client, workday):
    expected = history(app, client, workday)
    ann = sign_in(app, client, ANN)
    r = client.get("/api/v1/me/events", headers=ann)
    assert r.status_code == 200
    body = r.get_json()
    assert [
        (e["seq"], e["type"], e["reference"], e["status"], e["date"], e["time"]) for e in body["events"]
    ] == expected
    assert body["next_since"] == 8
    assert set(body["events"][0]) == {"seq", "type", "reference", "status", "date", "time", "occurred_at"}
    assert body["events"][0]["occurred_at"].endswith("+00:00")
    empty = client.get("/api/v1/me/events?since=8", headers=ann).get_json()
    assert empty == {"events": [], "next_since": 8}
    assert client.get("/api/v1/me/events?since=1000", headers=ann).get_json() == {"events": [], "next_since": 1000}


def test_pages_from_every_cursor_skip_nothing_and_repeat_nothing(app, client, workday):
    expected = [e[0] for e in history(app, client, workday)]
    ann = sign_in(app, client, ANN)
    for limit in (1, 2, 3, 500):
        for start in range(10):
            seen, since = [], start
            for _ in range(20):
                page = client.get(f"/api/v1/me/events?since={since}&limit={limit}", headers=ann).get_json()
                assert len(page["events"]) <= limit
                seen += [e["seq"] for e in page["events"]]
                if not page["events"]:
                    assert page["next_since"] == since
                    break
                assert page["next_since"] == page["events"][-1]["seq"]
                since = page["next_since"]
            assert seen == [s for s in expected if s > start], (limit, start)


def test_events_after_the_last_page_appear_on_the_next_poll(app, client, workday):
    ann = sign_in(app, client, ANN)
    first = book(client, workday, "09:00")
    page = client.get("/api/v1/me/events", headers=ann).get_json()
    assert [e["reference"] for e in page["events"]] == [first["reference"]]
    client.post(f"/api/v1/appointments/{first['reference']}/cancel", headers=ann)
    nxt = client.get(f"/api/v1/me/events?since={page['next_since']}", headers=ann).get_json()
    assert [(e["type"], e["status"]) for e in nxt["events"]] == [("appointment.cancelled", "cancelled")]


@pytest.mark.parametrize("query", ["since=-1", "since=abc", "limit=0", "limit=501", "limit=1.5", "after=3"])
def test_bad_cursors_are_validation_errors(app, client, query):
    ann = sign_in(app, client, ANN)
    r = client.get(f"/api/v1/me/events?{query}", headers=ann)
    assert r.status_code == 422 and error_code(r) == "validation_error"
