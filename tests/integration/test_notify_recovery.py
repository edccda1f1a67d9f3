"""A worker that dies after claiming work: the claim is a lease, so the work comes due again (at least once)."""

from __future__ import annotations

from appointease.extensions import db
from appointease.models import utcnow
from appointease.notify.consumers import EMAIL, WEBHOOKS, follow, queue_confirmations, queue_webhooks
from appointease.notify.models import MailMessage, WebhookDelivery
from appointease.notify.outbox import claim_due_mail
from appointease.notify.settings import NotifySettings
from appointease.notify.webhook_delivery import claim_head
from appointease.notify_cli import run_once

from support.notify_fixtures import book, register_webhook, rows


def test_a_mail_claimed_by_a_dead_worker_is_sent_after_its_lease(notify_app, smtp):
    settings = NotifySettings.from_config(notify_app.config)
    book(notify_app)
    with notify_app.app_context():  # a worker queues the mail, claims it, and dies before sending
        session = db.session()
        follow(session, EMAIL, queue_confirmations, utcnow())
        assert len(claim_due_mail(session, utcnow(), settings.mail_lease, limit=1)) == 1
        db.session.remove()
    assert run_once(notify_app).get("mail_sent", 0) == 0  # still leased: nobody else takes it
    later = utcnow() + settings.mail_lease
    assert run_once(notify_app, clock=lambda: later)["mail_sent"] == 1
    assert len(smtp.wait_for(1)) == 1
    [row] = rows(notify_app, MailMessage)
    assert row["status"] == "sent" and row["attempts"] == 2


def test_a_webhook_claimed_by_a_dead_worker_is_delivered_after_its_lease(make_app, receiver):
    app = make_app()
    settings = NotifySettings.from_config(app.config)
    endpoint_id, _ = register_webhook(app, receiver.url("/lease"))
    book(app)
    with app.app_context():
        session = db.session()
        follow(session, WEBHOOKS, queue_webhooks(settings.tz), utcnow())
        assert claim_head(session, (endpoint_id, False), utcnow(), settings.webhook_lease) is not None
        db.session.remove()
    assert run_once(app).get("webhook_delivered", 0) == 0
    later = utcnow() + settings.webhook_lease
    assert run_once(app, clock=lambda: later)["webhook_delivered"] == 1
    assert len(receiver.at("/lease")) == 1
    assert [(d["status"], d["attempts"]) for d in rows(app, WebhookDelivery)] == [("delivered", 2)]
