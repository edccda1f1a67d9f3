"""Webhook admin routes (SPEC §4 "Staff and admin", §7) against a real HTTP receiver: the
secret shown once, signed deliveries and every attempt listed, retries, 410, test, delete."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from appointease.notify_cli import run_once

from support.admin_kit import ALEX, Caller, book, error, make_token, ok
from support.notify_fixtures import running_worker, wait_until


@pytest.fixture
def app(make_app):
    """The app with the notification tests' fast retry schedule (0.2 s, 0.3 s, 0.5 s)."""
    return make_app()


@pytest.fixture
def admin(app) -> Caller:
    return Caller(app.test_client(), make_token(app, "admin"))


def register(admin, url, events=("*",)) -> dict:
    return ok(admin.post("/webhooks", json={"url": url, "events": list(events)}), 201)


def test_registration_shows_the_secret_once_and_it_verifies_deliveries(app, admin, receiver, workday):
    created = register(admin, receiver.url("/crm"))
    assert created["secret"].startswith("whsec_") and created["active"] is True
    assert created["events"] == ["*"] and created["disabled_reason"] is None
    listed = ok(admin.get("/webhooks"))
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    assert created["secret"] not in str(listed)

    apt = book(app.test_client(), workday.isoformat(), "10:00")
    ok(admin.post(f"/appointments/{apt['reference']}/status", json={"status": "checked_in"}))
    assert run_once(app)["webhook_delivered"] == 2
    reqs = receiver.at("/crm")
    payloads = [Webhook(created["secret"]).verify(r.body, r.headers) for r in reqs]
    assert [(p["seq"], p["type"], p["appointment"]["reference"]) for p in payloads] == [
        (1, "appointment.created", apt["reference"]),
        (2, "appointment.checked_in", apt["reference"]),
    ]

    deliveries = ok(admin.get(f"/webhooks/{created['id']}/deliveries"))
    assert [(d["seq"], d["type"], d["status"], d["attempts"]) for d in deliveries] == [
        (2, "appointment.checked_in", "delivered", 1),
        (1, "appointment.created", "delivered", 1),
    ]
    assert [d["webhook_id"] for d in reversed(deliveries)] == [r.headers["webhook-id"] for r in reqs]
    first = deliveries[1]
    assert first["next_attempt_at"] is None and first["finished_at"] and first["last_response_code"] == 200
    assert [(a["response_code"], a["error"]) for a in first["attempt_log"]] == [(200, None)]
    assert first["attempt_log"][0]["duration_ms"] >= 0 and first["attempt_log"][0]["attempted_at"]


def test_every_attempt_of_a_retried_delivery_is_listed(app, admin, receiver, workday):
    receiver.script("/flaky", statuses=[500, 503, 200])
    hook = register(admin, receiver.url("/flaky"), ["appointment.created"])
    book(app.test_client(), workday.isoformat())
    with running_worker(app):
        receiver.wait_for("/flaky", 3)
        wait_until(
            lambda: ok(admin.get(f"/webhooks/{hook['id']}/deliveries"))[0]["status"] == "delivered", what="delivered"
        )
    [d] = ok(admin.get(f"/webhooks/{hook['id']}/deliveries"))
    assert d["attempts"] == 3 and [a["response_code"] for a in d["attempt_log"]] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in receiver.at("/flaky")}) == 1


def test_410_gone_disables_the_endpoint(app, admin, receiver, workday):
    receiver.script("/gone", statuses=[410])
    hook = register(admin, receiver.url("/gone"))
    book(app.test_client(), workday.isoformat())
    run_once(app)
    [listed] = ok(admin.get("/webhooks"))
    assert listed["active"] is False and "410" in listed["disabled_reason"]
    [d] = ok(admin.get(f"/webhooks/{hook['id']}/deliveries"))
    assert d["status"] == "failed" and d["last_response_code"] == 410


def test_test_message_is_queued_then_delivered_signed(app, admin, receiver):
    hook = register(admin, receiver.url("/ping"))
    queued = ok(admin.post(f"/webhooks/{hook['id']}/test"), 202)
    assert (queued["type"], queued["status"], queued["seq"], queued["attempts"]) == ("webhook.test", "pending", None, 0)
    assert queued["next_attempt_at"] is not None
    run_once(app)
    [req] = receiver.at("/ping")
    assert Webhook(hook["secret"]).verify(req.body, req.headers)["type"] == "webhook.test"
    assert ok(admin.get(f"/webhooks/{hook['id']}/deliveries"))[0]["status"] == "delivered"


def test_delete_stops_deliveries(app, admin, receiver, workday):
    hook = register(admin, receiver.url("/old"))
    assert admin.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert ok(admin.get("/webhooks")) == []
    book(app.test_client(), workday.isoformat())
    run_once(app)
    assert receiver.at("/old") == []
    error(admin.get(f"/webhooks/{hook['id']}/deliveries"), 404, "not_found")


def test_deliveries_limit(app, admin, receiver, workday):
    hook = register(admin, receiver.url("/many"))
    for t in ("09:00", "10:00", "11:00"):
        book(app.test_client(), workday.isoformat(), t)
    run_once(app)
    assert [d["seq"] for d in ok(admin.get(f"/webhooks/{hook['id']}/deliveries?limit=2"))] == [3, 2]
    for bad in ("0", "501", "x"):
        assert (
            "limit"
            in error(admin.get(f"/webhooks/{hook['id']}/deliveries?limit={bad}"), 422, "validation_error")["fields"]
        )


@pytest.mark.parametrize(
    "body,field",
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "", "events": ["*"]}, "url"),
        ({"url": "https://example.com/" + "x" * 2000, "events": ["*"]}, "url"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["appointment.deleted"]}, "events.0"),
        ({"url": "https://example.com/x", "events": "*"}, "events"),
        ({"url": "https://example.com/x"}, "events"),
        ({"url": "https://example.com/x", "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
def test_registration_is_validated(admin, body, field):
    assert field in error(admin.post("/webhooks", json=body), 422, "validation_error")["fields"]
    assert ok(admin.get("/webhooks")) == []


def test_unknown_endpoint_is_404(admin):
    error(admin.delete("/webhooks/77"), 404, "not_found")
    error(admin.get("/webhooks/77/deliveries"), 404, "not_found")
    error(admin.post("/webhooks/77/test"), 404, "not_found")


def test_staff_tokens_may_not_manage_webhooks(app):
    staff = Caller(app.test_client(), make_token(app, "staff", ALEX))
    for method, path in [
        ("get", "/webhooks"),
        ("post", "/webhooks"),
        ("delete", "/webhooks/1"),
        ("get", "/webhooks/1/deliveries"),
        ("post", "/webhooks/1/test"),
    ]:
        error(getattr(staff, method)(path), 403, "forbidden")
