"""Confirmation emails (SPEC §7) through a real SMTP server: content, calendar files, retries, restarts."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from appointease.notify.models import MailMessage
from appointease.notify_cli import run_once

from support.notify_fixtures import TZ, book, monday, reschedule, rows, running_worker, set_status, wait_until


def calendar_of(msg) -> icalendar.Calendar:
    """The parsed ``.ics`` attachment of a message (exactly one)."""
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(
        parts[0].get_content() if isinstance(parts[0].get_content(), str) else parts[0].get_content().decode()
    )


def bodies(msg) -> tuple[str, str]:
    """The text and HTML bodies of a message."""
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


def test_booking_reschedule_cancel_send_three_confirmations_with_one_calendar_entry(notify_app, smtp):
    apt = book(notify_app, "10:00", email="ann@example.com", name="Ann <Example>")
    ref = apt["reference"]
    assert run_once(notify_app)["mail_sent"] == 1
    new_start = datetime.combine(monday(), datetime.min.time(), ZoneInfo(TZ)).replace(hour=14, minute=30)
    reschedule(notify_app, ref, new_start.astimezone(UTC))
    assert run_once(notify_app)["mail_sent"] == 1
    set_status(notify_app, ref, "cancelled")
    assert run_once(notify_app)["mail_sent"] == 1

    created, moved, cancelled = smtp.wait_for(3)
    assert [m["To"] for m in (created, moved, cancelled)] == ["ann@example.com"] * 3
    assert created["From"] == "Example Salon <bookings@example-salon.test>"
    assert created["Subject"].startswith("Booking confirmed: Haircut")
    assert moved["Subject"].startswith("Booking moved: Haircut")
    assert cancelled["Subject"].startswith("Booking cancelled: Haircut")

    text, html = bodies(created)
    day = monday()
    for expected in (
        ref,
        "Haircut",
        "Alex Morgan",
        f"{day.day} {day:%B %Y}, 10:00–10:30 Berlin time",
        "https://booking.example-salon.test/manage",
    ):
        assert expected in text, expected
        assert expected.replace("<", "&lt;") in html
    assert "Ann &lt;Example&gt;" in html and "Ann <Example>" not in html  # user text escaped in HTML
    assert "14:30–15:00" in bodies(moved)[0]

    cals = [calendar_of(m) for m in (created, moved, cancelled)]
    events = [c.walk("VEVENT")[0] for c in cals]
    assert [str(c["METHOD"]) for c in cals] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for e in events} == {f"{ref}@booking.example-salon.test"}
    sequences = [int(e["SEQUENCE"]) for e in events]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    first_start = events[0].decoded("DTSTART")
    assert events[0]["DTSTART"].params["TZID"] == TZ and first_start.tzinfo is not None
    assert first_start == datetime.fromisoformat(apt["start"])  # the same instant
    assert first_start.astimezone(ZoneInfo(TZ)).strftime("%H:%M") == "10:00"
    assert events[1].decoded("DTSTART") == new_start and events[1].decoded("DTEND") == new_start + timedelta(minutes=30)
    assert [c.walk("VTIMEZONE")[0]["TZID"] for c in cals] == [TZ] * 3
    assert "ann@example.com" in str(events[0]["ATTENDEE"])
    assert "bookings@example-salon.test" in str(events[0]["ORGANIZER"])
    for msg, method in zip((created, moved, cancelled), ("REQUEST", "REQUEST", "CANCEL"), strict=True):
        part = next(msg.iter_attachments())
        assert part.get_param("method") == method and part.get_filename() == "appointment.ics"


def test_check_in_and_other_status_changes_send_no_email(notify_app, smtp):
    ref = book(notify_app)["reference"]
    set_status(notify_app, ref, "checked_in")
    set_status(notify_app, ref, "completed")
    assert run_once(notify_app)["mail_sent"] == 1
    assert len(smtp.wait_for(1)) == 1 and smtp.messages[0]["Subject"].startswith("Booking confirmed")


def test_smtp_down_is_retried_with_back_off_and_nothing_is_lost(notify_app, smtp):
    smtp.stop()
    refs = [
        book(notify_app, t, email=f"c{i}@example.com")["reference"] for i, t in enumerate(("09:00", "10:00", "11:00"))
    ]
    first = run_once(notify_app)
    assert first["mail_retry"] == 3 and first["mail_sent"] == 0
    pending = rows(notify_app, MailMessage)
    assert [(r["status"], r["attempts"]) for r in pending] == [("pending", 1)] * 3
    assert all("Connection" in r["last_error"] or "refused" in r["last_error"] for r in pending)
    assert all(r["next_attempt_at"] > datetime.now(UTC) for r in pending)  # backed off, not hammered
    assert run_once(notify_app)["mail_sent"] == 0  # not due yet

    smtp.start()
    with running_worker(notify_app):
        got = smtp.wait_for(3)
        wait_until(lambda: all(r["status"] == "sent" for r in rows(notify_app, MailMessage)), what="all sent")
    assert sorted(m["To"] for m in got) == ["c0@example.com", "c1@example.com", "c2@example.com"]
    assert all(ref in "".join(m["Subject"] for m in got) for ref in refs)
    assert all(r["attempts"] == 2 for r in rows(notify_app, MailMessage))


def test_a_restarted_worker_sends_nothing_twice(notify_app, smtp, make_app):
    book(notify_app, "09:00")
    book(notify_app, "10:00")
    with running_worker(notify_app):
        smtp.wait_for(2)
        wait_until(lambda: [r["status"] for r in rows(notify_app, MailMessage)] == ["sent"] * 2, what="sent")
    book(notify_app, "11:00")
    restarted = make_app(SMTP_URL=smtp.url)  # a new process would build a new app like this
    assert run_once(restarted)["mail_sent"] == 1
    assert run_once(restarted).get("mail_sent", 0) == 0
    assert len(smtp.messages) == 3
    assert len({m["Message-ID"] for m in smtp.messages}) == 3


def test_permanent_refusal_fails_that_mail_only_and_a_4xx_is_retried(make_app, smtp):
    # The 4xx mail's retry comes due after 5 s: never inside the first run_once, however slow
    # the machine (0.2 s did, once, under load), and well inside the worker's wait below.
    notify_app = make_app(SMTP_URL=smtp.url, APPOINTEASE_MAIL_RETRY_SCHEDULE=(5, 0.3, 0.5))
    smtp.refuse["gone@example.com"] = "550 5.1.1 No such user"
    smtp.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    book(notify_app, "09:00", email="gone@example.com")
    book(notify_app, "10:00", email="busy@example.com")
    book(notify_app, "11:00", email="fine@example.com")
    tally = run_once(notify_app)
    assert (tally["mail_failed"], tally["mail_retry"], tally["mail_sent"]) == (1, 1, 1)
    by_to = {r["recipient"]: r for r in rows(notify_app, MailMessage)}
    assert by_to["gone@example.com"]["status"] == "failed" and "550" in by_to["gone@example.com"]["last_error"]
    assert by_to["busy@example.com"]["status"] == "pending"
    del smtp.refuse["busy@example.com"]
    with running_worker(notify_app):
        wait_until(lambda: len(smtp.to("busy@example.com")) == 1, timeout=30, what="the 4xx mail retried")
    assert [m["To"] for m in smtp.messages] == ["fine@example.com", "busy@example.com"]
    assert rows(notify_app, MailMessage, MailMessage.recipient == "gone@example.com")[0]["attempts"] == 1


def test_retries_end_after_the_schedule(notify_app, smtp):
    smtp.refuse["busy@example.com"] = "452 4.2.2 Mailbox full"
    book(notify_app, email="busy@example.com")
    with running_worker(notify_app):
        wait_until(lambda: [r["status"] for r in rows(notify_app, MailMessage)] == ["failed"], what="retries used up")
    row = rows(notify_app, MailMessage)[0]
    assert row["attempts"] == 4  # the first try + one per schedule entry (0.2, 0.3, 0.5 s)
    assert smtp.messages == []


def test_without_smtp_url_messages_are_eml_files_and_a_log_line(make_app, tmp_path, caplog):
    app = make_app()
    ref = book(app)["reference"]
    with caplog.at_level(logging.INFO, logger="appointease.notify.mailer"):
        assert run_once(app)["mail_sent"] == 1
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1 and files[0].name.endswith("-mail1.eml")
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "ann@example.com" and ref in msg["Subject"]
    assert ref in calendar_of(msg).walk("VEVENT")[0]["UID"]
    lines = [r.getMessage() for r in caplog.records if "ann@example.com" in r.getMessage()]
    assert len(lines) == 1 and ref in lines[0] and str(files[0]) in lines[0]


def test_a_booking_that_failed_sends_nothing(notify_app, smtp):
    book(notify_app)
    r = notify_app.test_client().post(
        "/api/v1/appointments",
        json={
            "service_id": 1,
            "employee_id": 1,
            "date": monday().isoformat(),
            "time": "10:00",
            "name": "Bob",
            "email": "bob@example.com",
        },
    )
    assert r.status_code == 409  # slot taken: rolled back, no event, no mail
    assert run_once(notify_app)["mail_sent"] == 1
    assert [m["To"] for m in smtp.wait_for(1)] == ["ann@example.com"]
