"""Internationalised addresses and per-message refusals through real SMTP servers (issue 16 point 7).

One aiosmtpd server without SMTPUTF8 (aiosmtpd's default) and one with it
(``enable_SMTPUTF8=True``). An address with a non-ASCII domain is sent in IDNA
A-labels to either; a non-ASCII local part only with SMTPUTF8, else that one message
fails. A refusal of one message never holds back the others queued beside it.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from appointease.notify.models import MailMessage
from appointease.notify_cli import run_once

from support.notify_fixtures import book, rows
from support.receivers import SMTPCapture

JOHN = "jöhn@exämple.com"
JOHN_WIRE = "jöhn@xn--exmple-cua.com"  # the domain in IDNA A-labels (RFC 5891)
NEEDS_SMTPUTF8 = "recipient needs SMTPUTF8, which the server does not offer"
HOURS = [f"{h:02d}:00" for h in range(9, 17)]  # 8 free slots of Alex Morgan on a working day


@pytest.fixture
def smtp_plain():
    """A real SMTP server that does not offer SMTPUTF8."""
    server = SMTPCapture(enable_SMTPUTF8=False).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_utf8():
    """A real SMTP server that offers SMTPUTF8 (RFC 6531)."""
    server = SMTPCapture(enable_SMTPUTF8=True).start()
    yield server
    server.stop()


def ask_code(app, address: str) -> None:
    """``POST /api/v1/auth/otp`` for ``address``: queues a sign-in code mail."""
    r = app.test_client().post("/api/v1/auth/otp", json={"email": address})
    assert r.status_code == 202, r.get_json()


def by_recipient(app) -> dict[str, dict]:
    return {r["recipient"]: r for r in rows(app, MailMessage)}


def raw_to_line(raw: bytes) -> bytes:
    """The ``To:`` header line of a raw message."""
    return next(line for line in raw.splitlines() if line.lower().startswith(b"to:"))


def test_an_address_needing_smtputf8_fails_alone_and_the_eight_beside_it_are_sent(make_app, smtp_plain):
    app = make_app(SMTP_URL=smtp_plain.url)
    ask_code(app, JOHN)  # queued first: the attack's poisoned head of the queue
    others = [f"guest{i}@example.com" for i in range(len(HOURS))]
    for hour, address in zip(HOURS, others, strict=True):
        book(app, hour, email=address)

    tally = run_once(app)

    assert (tally["mail_sent"], tally["mail_failed"], tally["mail_retry"]) == (8, 1, 0)
    assert sorted(m["To"] for m in smtp_plain.messages) == sorted(others)
    state = by_recipient(app)
    assert state[JOHN]["status"] == "failed" and state[JOHN]["attempts"] == 1
    assert state[JOHN]["last_error"] == NEEDS_SMTPUTF8
    assert all(state[a]["status"] == "sent" and state[a]["attempts"] == 1 for a in others)


def test_with_smtputf8_the_code_goes_with_its_utf8_local_part_and_idna_domain(make_app, smtp_utf8):
    app = make_app(SMTP_URL=smtp_utf8.url)
    ask_code(app, JOHN)
    assert run_once(app)["mail_sent"] == 1
    [delivery] = smtp_utf8.deliveries
    assert delivery.rcpt_tos == [JOHN_WIRE]
    assert "SMTPUTF8" in [o.upper() for o in delivery.mail_options]
    assert raw_to_line(delivery.raw) == f"To: {JOHN}".encode()  # UTF-8 (RFC 6532), no RFC 2047 words
    assert smtp_utf8.messages[0]["Subject"].startswith("Your sign-in code")
    assert by_recipient(app)[JOHN]["status"] == "sent"


def test_an_idn_domain_is_sent_in_a_labels_to_a_server_without_smtputf8(make_app, smtp_plain):
    app = make_app(SMTP_URL=smtp_plain.url)
    book(app, "09:00", email="x@exämple.com")
    assert run_once(app)["mail_sent"] == 1
    [delivery] = smtp_plain.deliveries
    assert delivery.rcpt_tos == ["x@xn--exmple-cua.com"]
    assert "SMTPUTF8" not in [o.upper() for o in delivery.mail_options]
    assert raw_to_line(delivery.raw) == b"To: x@xn--exmple-cua.com"
    assert delivery.raw.isascii()


def test_refusals_in_one_batch_touch_only_their_own_message(make_app, smtp_plain):
    smtp_plain.refuse["gone@example.com"] = "550 5.1.1 No such user"
    smtp_plain.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    # a retry a minute away: it cannot come due again before run_once ends, however slow the machine
    app = make_app(SMTP_URL=smtp_plain.url, APPOINTEASE_MAIL_RETRY_SCHEDULE=(60, 60, 60))
    ask_code(app, JOHN)
    addresses = ["gone@example.com", "busy@example.com", "a@example.com", "b@example.com"]
    for hour, address in zip(HOURS[: len(addresses)], addresses, strict=True):
        book(app, hour, email=address)

    tally = run_once(app)

    assert (tally["mail_sent"], tally["mail_failed"], tally["mail_retry"]) == (2, 2, 1)
    state = by_recipient(app)
    assert state[JOHN]["status"] == "failed" and state[JOHN]["last_error"] == NEEDS_SMTPUTF8
    assert state["gone@example.com"]["status"] == "failed" and "550" in state["gone@example.com"]["last_error"]
    busy = state["busy@example.com"]
    assert busy["status"] == "pending" and busy["attempts"] == 1 and "451" in busy["last_error"]
    assert state["a@example.com"]["status"] == state["b@example.com"]["status"] == "sent"
    assert sorted(m["To"] for m in smtp_plain.messages) == ["a@example.com", "b@example.com"]


def test_the_outbox_file_has_a_readable_utf8_to_line(make_app, tmp_path):
    app = make_app()  # no SMTP_URL: .eml files
    ask_code(app, JOHN)
    assert run_once(app)["mail_sent"] == 1
    [path] = (tmp_path / "outbox").glob("*.eml")
    raw = path.read_bytes()
    assert raw_to_line(raw) == f"To: {JOHN}".encode()
    assert b"=?utf-8?" not in raw_to_line(raw)
    assert email.message_from_bytes(raw, policy=email.policy.default)["To"] == JOHN


def test_a_message_too_large_for_the_server_fails_alone(make_app):
    """``552`` to ``MAIL FROM … SIZE=`` (RFC 1870): the confirmation with its calendar file is
    over the limit and fails at once; the small sign-in code queued beside it is sent."""
    server = SMTPCapture(data_size_limit=2500).start()
    try:
        app = make_app(SMTP_URL=server.url)
        book(app, "09:00", email="big@example.com")  # text + HTML + .ics: about 4100 bytes
        ask_code(app, "small@example.com")  # about 1250 bytes
        tally = run_once(app)
        assert (tally["mail_sent"], tally["mail_failed"], tally["mail_retry"]) == (1, 1, 0)
        state = by_recipient(app)
        assert state["big@example.com"]["status"] == "failed" and "552" in state["big@example.com"]["last_error"]
        assert [m["To"] for m in server.messages] == ["small@example.com"]
    finally:
        server.stop()
