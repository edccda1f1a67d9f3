"""One-time sign-in codes (SPEC §4 Customers): made and mailed by the worker, stored only hashed."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from appointease.db import write_transaction
from appointease.extensions import db
from appointease.models import utcnow
from appointease.notify import request_code, verify_code
from appointease.notify.models import MailMessage, OneTimeCode
from appointease.notify_cli import run_once

from support.notify_fixtures import rows, running_worker


def ask(app, email: str, now=None) -> None:
    """What ``POST /auth/otp`` does: request a code in one transaction."""
    with app.app_context():
        session = db.session()
        with write_transaction(session):
            request_code(session, email, now or utcnow())
        db.session.remove()


def check(app, email: str, code: str, now=None) -> bool:
    """What ``POST /auth/verify`` does: verify in one write transaction (tries are committed)."""
    with app.app_context():
        session = db.session()
        with write_transaction(session):
            ok = verify_code(session, email, code, now or utcnow(), secret_key=app.config["SECRET_KEY"])
        db.session.remove()
    return ok


def code_in(msg) -> str:
    """The code: the only run of six digits in the text body."""
    runs = re.findall(r"\d+", msg.get_body(("plain",)).get_content())
    six = [r for r in runs if len(r) == 6]
    assert len(six) == 1 and all(len(r) != 6 or r == six[0] for r in runs)
    return six[0]


def test_the_code_arrives_within_a_second_and_works_once(make_app, smtp):
    notify_app = make_app(SMTP_URL=smtp.url, APPOINTEASE_WORKER_POLL_SECONDS=0.5)  # the default interval
    with running_worker(notify_app):
        time.sleep(0.6)  # the worker is idle, between two polls
        started = time.monotonic()
        ask(notify_app, "Ann@Example.com ")
        msg = smtp.wait_for(1, timeout=5)[0]
        elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    assert msg["To"] == "ann@example.com" and msg["Subject"] == "Your sign-in code for Example Salon"
    code = code_in(msg)
    assert code not in msg["Subject"] and code in msg.get_body(("html",)).get_content()
    assert check(notify_app, "ann@example.com", code)
    assert not check(notify_app, "ann@example.com", code)  # used up


def test_the_code_is_never_stored_in_plain_text(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    code = code_in(smtp.wait_for(1)[0])
    stored = repr(rows(notify_app, OneTimeCode)) + repr(rows(notify_app, MailMessage))
    assert code not in stored
    [row] = rows(notify_app, OneTimeCode)
    assert len(row["code_hash"]) == 64 and row["tries"] == 0


def test_five_wrong_tries_burn_the_code(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    code = code_in(smtp.wait_for(1)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [check(notify_app, "ann@example.com", wrong) for _ in range(5)] == [False] * 5
    assert not check(notify_app, "ann@example.com", code)


def test_four_wrong_tries_still_let_the_right_code_in(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    code = code_in(smtp.wait_for(1)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert not any(check(notify_app, "ann@example.com", wrong) for _ in range(4))
    assert check(notify_app, "ann@example.com", code)


def test_a_code_expires_after_ten_minutes(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    code = code_in(smtp.wait_for(1)[0])
    assert not check(notify_app, "ann@example.com", code, now=utcnow() + timedelta(minutes=10, seconds=1))
    assert check(notify_app, "ann@example.com", code, now=utcnow() + timedelta(minutes=9))


def test_a_new_request_replaces_the_previous_code(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    old = code_in(smtp.wait_for(1)[0])
    ask(notify_app, "ann@example.com")
    run_once(notify_app)
    new = code_in(smtp.wait_for(2)[1])
    if old != new:  # one chance in a million that they are equal
        assert not check(notify_app, "ann@example.com", old)
    assert check(notify_app, "ann@example.com", new)


def test_a_request_replaced_before_sending_sends_only_the_newest(notify_app, smtp):
    ask(notify_app, "ann@example.com")
    ask(notify_app, "ann@example.com")
    tally = run_once(notify_app)
    assert (tally["mail_sent"], tally["mail_skipped"]) == (1, 1)
    assert check(notify_app, "ann@example.com", code_in(smtp.wait_for(1)[0]))


def test_unknown_email_and_no_code_yet_are_refused(notify_app, smtp):
    assert not check(notify_app, "nobody@example.com", "123456")
    ask(notify_app, "ann@example.com")
    assert not check(notify_app, "ann@example.com", "123456")  # the worker has not made a code yet
    assert not check(notify_app, "ann@example.com", "")


def test_a_code_mail_not_sent_within_its_validity_is_dropped(notify_app, smtp):
    smtp.stop()
    ask(notify_app, "ann@example.com", now=utcnow() - timedelta(minutes=11))
    assert run_once(notify_app)["mail_skipped"] == 1
    assert [r["status"] for r in rows(notify_app, MailMessage)] == ["skipped"]


def test_a_failed_send_is_retried_with_a_new_code(notify_app, smtp):
    smtp.stop()
    ask(notify_app, "ann@example.com")
    assert run_once(notify_app)["mail_retry"] == 1
    smtp.start()
    with running_worker(notify_app):
        msg = smtp.wait_for(1)[0]
    assert check(notify_app, "ann@example.com", code_in(msg))
