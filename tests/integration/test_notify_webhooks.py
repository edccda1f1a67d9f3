"""Signed webhooks (SPEC §7) against a real HTTP receiver: signature, retries, 410, order, isolation."""

from __future__ import annotations

import json
import time
from itertools import pairwise

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from appointease.errors import NotFound, ValidationFailed
from appointease.extensions import db
from appointease.notify import (
    delete_endpoint,
    delivery_json,
    endpoint_json,
    list_deliveries,
    list_endpoints,
    register_endpoint,
    send_test,
)
from appointease.notify.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from appointease.notify_cli import run_once

from support.customer_kit import APPOINTMENT_FIELDS
from support.notify_fixtures import book, register_webhook, rows, running_worker, set_status, wait_until


@pytest.fixture
def app(make_app):
    """The app, mail to the outbox folder (these tests are about webhooks)."""
    return make_app()


def deliveries(app, endpoint_id: int) -> list[dict]:
    with app.app_context():
        out = [delivery_json(d) for d in list_deliveries(db.session(), endpoint_id)]
        db.session.remove()
    return out


def statuses(app, endpoint_id: int) -> list[str]:
    return [d["status"] for d in rows(app, WebhookDelivery, WebhookDelivery.endpoint_id == endpoint_id)]


def test_a_booking_is_posted_signed_with_the_spec_body(app, receiver):
    endpoint_id, secret = register_webhook(app, receiver.url("/hook"))
    assert secret.startswith("whsec_")
    apt = book(app, "10:00", email="ann@example.com")
    assert run_once(app)["webhook_delivered"] == 1
    [req] = receiver.at("/hook")
    payload = Webhook(secret).verify(req.body, req.headers)
    assert payload["type"] == "appointment.created" and payload["seq"] == 1
    assert set(payload) == {"seq", "type", "occurred_at", "appointment"}
    assert set(payload["appointment"]) == set(APPOINTMENT_FIELDS)
    assert payload["appointment"]["reference"] == apt["reference"]
    assert payload["appointment"]["start"] == apt["start"] and payload["appointment"]["service_name"] == "Haircut"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["webhook-id"].startswith("msg_")
    assert abs(int(req.headers["webhook-timestamp"]) - time.time()) < 30
    with pytest.raises(WebhookVerificationError):  # another secret does not verify
        Webhook("whsec_" + "A" * 43 + "=").verify(req.body, req.headers)
    with pytest.raises(WebhookVerificationError):  # nor does an altered body
        Webhook(secret).verify(req.body.replace(b"Haircut", b"Massage"), req.headers)
    [d] = deliveries(app, endpoint_id)
    assert d["status"] == "delivered" and d["attempts"] == 1 and d["webhook_id"] == req.headers["webhook-id"]
    assert d["attempt_log"][0]["response_code"] == 200 and d["attempt_log"][0]["error"] is None
    stored = rows(app, WebhookEndpoint)[0]["secret_encrypted"]
    assert secret not in stored and secret.removeprefix("whsec_") not in stored


def test_a_500_is_retried_with_the_same_webhook_id_until_it_succeeds(app, receiver):
    receiver.script("/flaky", statuses=[500, 503, 200])
    endpoint_id, secret = register_webhook(app, receiver.url("/flaky"))
    book(app)
    with running_worker(app):
        reqs = receiver.wait_for("/flaky", 3)
        wait_until(lambda: statuses(app, endpoint_id) == ["delivered"], what="delivered")
    assert [r.status for r in reqs] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in reqs}) == 1
    assert reqs[1].arrived - reqs[0].answered >= 0.15  # waited for the back-off (0.2 s, then 0.3 s)
    assert reqs[2].arrived - reqs[1].answered >= 0.25
    for r in reqs:
        Webhook(secret).verify(r.body, r.headers)
    [d] = deliveries(app, endpoint_id)
    assert [a["response_code"] for a in d["attempt_log"]] == [500, 503, 200] and d["attempts"] == 3


def test_a_timeout_is_an_error_and_is_retried(make_app, receiver):
    app = make_app(APPOINTEASE_WEBHOOK_TIMEOUT=0.5)
    receiver.script("/slow-once", statuses=[200], delays=[1.5, 0])
    endpoint_id, _ = register_webhook(app, receiver.url("/slow-once"))
    book(app)
    with running_worker(app):
        wait_until(lambda: statuses(app, endpoint_id) == ["delivered"], what="delivered after a timeout")
    [d] = deliveries(app, endpoint_id)
    first, second = d["attempt_log"]
    assert first["response_code"] is None and "timed out" in first["error"] and first["duration_ms"] < 1400
    assert second["response_code"] == 200


def test_retries_end_in_failed_and_the_next_event_goes_on(app, receiver):
    receiver.script("/down", statuses=[500, 500, 500, 500, 200])
    endpoint_id, _ = register_webhook(app, receiver.url("/down"))
    ref = book(app)["reference"]
    set_status(app, ref, "checked_in")
    with running_worker(app):
        wait_until(lambda: statuses(app, endpoint_id) == ["failed", "delivered"], what="failed, then next")
    reqs = receiver.at("/down")
    types = [json.loads(r.body)["type"] for r in reqs]
    assert types == ["appointment.created"] * 4 + ["appointment.checked_in"]  # 1 try + 3 retries
    assert len(rows(app, WebhookAttempt)) == 5


def test_410_gone_disables_the_endpoint(app, receiver):
    receiver.script("/gone", statuses=[410])
    endpoint_id, _ = register_webhook(app, receiver.url("/gone"))
    book(app, "09:00")
    run_once(app)
    [endpoint] = rows(app, WebhookEndpoint)
    assert not endpoint["active"] and "410" in endpoint["disabled_reason"]
    assert statuses(app, endpoint_id) == ["failed"]
    book(app, "10:00")
    run_once(app)
    assert len(receiver.at("/gone")) == 1  # nothing more is sent to it
    with app.app_context():
        assert endpoint_json(list_endpoints(db.session())[0])["active"] is False
        db.session.remove()


def test_one_endpoint_gets_events_in_seq_order_even_across_retries(app, receiver):
    receiver.script("/ordered", statuses=[500, 200])
    register_webhook(app, receiver.url("/ordered"))
    refs = [book(app, t)["reference"] for t in ("09:00", "10:00", "11:00")]
    set_status(app, refs[0], "cancelled")
    with running_worker(app):
        reqs = receiver.wait_for("/ordered", 5)
    seqs = [json.loads(r.body)["seq"] for r in reqs]
    assert seqs == [1, 1, 2, 3, 4]
    assert [json.loads(r.body)["type"] for r in reqs][-1] == "appointment.cancelled"
    assert all(later.arrived >= earlier.answered for earlier, later in pairwise(reqs))  # one at a time


def test_a_slow_receiver_does_not_delay_another_endpoint(make_app, receiver):
    # The three events are in the log before the worker starts, so the only race left is the
    # one under test: the slow endpoint holds its first delivery for 4 s, and all three of the
    # fast endpoint's deliveries must be answered inside that window.
    app = make_app(APPOINTEASE_WEBHOOK_TIMEOUT=8.0)
    receiver.script("/slow", delays=[4.0])
    slow_id, _ = register_webhook(app, receiver.url("/slow"))
    fast_id, _ = register_webhook(app, receiver.url("/fast"))
    for t in ("09:00", "10:00", "11:00"):
        book(app, t)
    with running_worker(app):
        fast = receiver.wait_for("/fast", 3, timeout=15)
        slow = receiver.wait_for("/slow", 1, timeout=15)
    assert fast[-1].answered < slow[0].answered  # while the slow receiver still held its first delivery
    assert [json.loads(r.body)["seq"] for r in fast] == [1, 2, 3]
    assert statuses(app, fast_id) == ["delivered"] * 3
    assert statuses(app, slow_id)[0] == "delivered"


def test_an_endpoint_gets_only_events_after_its_registration_and_of_its_types(app, receiver):
    book(app, "09:00")
    register_webhook(app, receiver.url("/all"))
    register_webhook(app, receiver.url("/cancels"), events=["appointment.cancelled"])
    ref = book(app, "10:00")["reference"]
    set_status(app, ref, "cancelled")
    run_once(app)
    assert [json.loads(r.body)["seq"] for r in receiver.at("/all")] == [2, 3]
    assert [json.loads(r.body)["type"] for r in receiver.at("/cancels")] == ["appointment.cancelled"]


def test_send_test_posts_a_webhook_test_message(app, receiver):
    endpoint_id, secret = register_webhook(app, receiver.url("/test"))
    with app.app_context():
        send_test(db.session(), endpoint_id)
        db.session.remove()
    run_once(app)
    [req] = receiver.at("/test")
    body = Webhook(secret).verify(req.body, req.headers)
    assert body["type"] == "webhook.test" and body["seq"] is None and body["appointment"] is None
    assert deliveries(app, endpoint_id)[0]["type"] == "webhook.test"


def test_a_test_message_does_not_wait_behind_a_failing_event(make_app, receiver):
    app = make_app(APPOINTEASE_WEBHOOK_RETRY_SCHEDULE=(60,))  # the retry stays out of this test
    receiver.script("/mixed", statuses=[500, 200])
    endpoint_id, _ = register_webhook(app, receiver.url("/mixed"))
    book(app)
    run_once(app)  # the event failed once; its retry is 60 s away
    with app.app_context():
        send_test(db.session(), endpoint_id)
        db.session.remove()
    run_once(app)
    assert [json.loads(r.body)["type"] for r in receiver.at("/mixed")] == ["appointment.created", "webhook.test"]


def test_admin_functions_validate_list_and_delete(app, receiver):
    with app.app_context():
        session = db.session()
        for url, events in (
            ("ftp://x.test/", ["*"]),
            ("not a url", ["*"]),
            ("http://x.test/", []),
            ("http://x.test/", ["appointment.exploded"]),
            ("http:///nohost", ["*"]),
        ):
            with pytest.raises(ValidationFailed) as err:
                register_endpoint(session, url, events, secret_key=app.config["SECRET_KEY"])
            assert err.value.fields
        endpoint, secret = register_endpoint(
            session,
            receiver.url("/x"),
            ["appointment.created"] * 2,
            secret_key=app.config["SECRET_KEY"],
            allow_private=True,
        )
        assert endpoint.events == ["appointment.created"]
        listed = [endpoint_json(e) for e in list_endpoints(session)]
        assert listed == [
            {
                "id": endpoint.id,
                "url": receiver.url("/x"),
                "events": ["appointment.created"],
                "active": True,
                "disabled_reason": None,
                "created_at": listed[0]["created_at"],
            }
        ]
        assert secret not in json.dumps(listed)
        send_test(session, endpoint.id)
        delete_endpoint(session, endpoint.id)
        assert list_endpoints(session) == []
        for call in (
            lambda: delete_endpoint(session, endpoint.id),
            lambda: list_deliveries(session, endpoint.id),
            lambda: send_test(session, endpoint.id),
        ):
            with pytest.raises(NotFound):
                call()
        db.session.remove()
    assert rows(app, WebhookDelivery) == []


def test_two_workers_deliver_every_mail_and_webhook_exactly_once(make_app, receiver, tmp_path):
    app_a, app_b = make_app(), make_app()
    register_webhook(app_a, receiver.url("/once"))
    for t in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30"):
        book(app_a, t, email=f"c{t[:2]}{t[3:]}@example.com")
    with running_worker(app_a), running_worker(app_b):
        receiver.wait_for("/once", 6)
        wait_until(lambda: len(list((tmp_path / "outbox").glob("*.eml"))) == 6, what="six mails")
        time.sleep(0.5)  # time for any duplicate to show up
    assert sorted(json.loads(r.body)["seq"] for r in receiver.at("/once")) == [1, 2, 3, 4, 5, 6]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 6
