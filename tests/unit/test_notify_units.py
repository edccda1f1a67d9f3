"""Notification building blocks without a database: SMTP_URL forms, error classes, messages, calendars, secrets."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from appointease.config import load_config
from appointease.notify.content import AppointmentAt, one_line
from appointease.notify.ics import appointment_ics
from appointease.notify.mailer import PermanentMailError, TemporaryMailError, classify, parse_smtp_url
from appointease.notify.messages import confirmation_message, otp_message
from appointease.notify.settings import NotifySettings
from appointease.secrets import decrypt_secret, encrypt_secret, hash_secret, verify_secret

KEY = "unit-test-secret-key"


def settings(tz: str = "Europe/Berlin", **extra) -> NotifySettings:
    cfg = load_config(
        "/tmp/unused",
        {
            "APPOINTEASE_TIMEZONE": tz,
            "APPOINTEASE_BUSINESS_NAME": "Salon 9",
            "MAIL_FROM": "desk@salon.test",
            "APPOINTEASE_PUBLIC_URL": "https://book.salon.test/",
        },
    )
    cfg.update(extra)
    return NotifySettings.from_config(cfg)


def appointment(type_: str = "appointment.created", tz: str = "Europe/Berlin", start=None, **extra) -> AppointmentAt:
    start = start or datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 in Berlin, the first day of summer time
    values = {
        "seq": 7,
        "type": type_,
        "occurred_at": datetime(2026, 3, 1, 12, tzinfo=UTC),
        "sequence": 2,
        "reference": "APT-2026-000042",
        "status": "confirmed",
        "service_id": 1,
        "service_name": "Haircut",
        "employee_id": 1,
        "employee_name": "Alex Morgan",
        "start": start,
        "end": start + timedelta(minutes=30),
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": None,
        "notes": None,
        "tz": ZoneInfo(tz),
    }
    values.update(extra)
    return AppointmentAt(**values)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.test", ("smtp", "mail.test", 25, None, None)),
        ("smtp://mail.test:2525", ("smtp", "mail.test", 2525, None, None)),
        ("smtp+starttls://user%40x.test:p%3Ass@mail.test", ("smtp+starttls", "mail.test", 587, "user@x.test", "p:ss")),
        ("smtps://u:pw@mail.test", ("smtps", "mail.test", 465, "u", "pw")),
    ],
)
def test_smtp_url_forms(url, expected):
    s = parse_smtp_url(url)
    assert (s.scheme, s.host, s.port, s.username, s.password) == expected
    assert "pw" not in repr(s) and "p:ss" not in repr(s)


@pytest.mark.parametrize("url", ["http://mail.test", "smtp://", "smtp://mail.test:port", "mail.test:25"])
def test_malformed_smtp_urls_are_refused(url):
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_errors_are_classified_for_retry():
    assert isinstance(classify(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")})), PermanentMailError)
    assert isinstance(classify(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")})), TemporaryMailError)
    assert isinstance(classify(smtplib.SMTPDataError(554, b"spam")), PermanentMailError)
    assert isinstance(classify(smtplib.SMTPDataError(421, b"busy")), TemporaryMailError)
    assert isinstance(classify(smtplib.SMTPSenderRefused(550, b"no", "f@x")), TemporaryMailError)
    refused = classify(ConnectionRefusedError(111, "Connection refused"))
    assert isinstance(refused, TemporaryMailError) and refused.unreachable
    assert classify(TimeoutError("timed out")).unreachable


def test_header_values_lose_line_breaks():
    assert one_line("Haircut\r\nBcc: victim@example.com") == "Haircut Bcc: victim@example.com"
    at = appointment(service_name="Cut\r\nBcc: victim@example.com", name="Ann\nX")
    msg = confirmation_message(at, settings(), message_id="m1", now=datetime.now(UTC))
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)  # as a receiver reads it
    assert parsed["Bcc"] is None and "Bcc: victim" in parsed["Subject"] and parsed["To"] == "ann@example.com"


def test_calendar_keeps_the_business_zone_across_daylight_saving():
    cal = icalendar.Calendar.from_ical(appointment_ics(appointment(), settings()))
    event = cal.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert event.decoded("DTSTART").astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z") == "10:00 CEST"
    assert int(event["SEQUENCE"]) == 2 and str(cal["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "APT-2026-000042@book.salon.test"


def test_calendar_in_utc_uses_z_times_and_cancel_method():
    raw = appointment_ics(appointment("appointment.cancelled", tz="UTC", status="cancelled"), settings("UTC"))
    assert b"DTSTART:20260329T080000Z" in raw and b"VTIMEZONE" not in raw
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal["METHOD"]) == "CANCEL" and str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_when_line_names_the_zone_and_local_time():
    msg = confirmation_message(appointment(), settings(), message_id="m1", now=datetime.now(UTC))
    text = msg.get_body(("plain",)).get_content()
    assert "Sunday 29 March 2026, 10:00–10:30 Berlin time\n" in text  # no visitor zone: the business's alone
    assert "Europe/Berlin" not in text and msg["Subject"].endswith("on Sun 29 Mar 2026 10:00 (APT-2026-000042)")


@pytest.mark.parametrize(
    "visitor, business, utc, when",
    [
        # New York is on summer time three weeks before Berlin: 6 hours apart that day.
        (
            "America/New_York",
            "Europe/Berlin",
            "08:00",
            "Sunday 29 March 2026, 04:00–04:30 New York time (10:00–10:30 in Berlin)",
        ),
        # 17:30 in Berlin is already the next day in Tokyo: the business's date is said too.
        (
            "Asia/Tokyo",
            "Europe/Berlin",
            "15:30",
            "Monday 30 March 2026, 00:30–01:00 Tokyo time (Sunday 29 March, 17:30–18:00 in Berlin)",
        ),
        (
            "Asia/Calcutta",
            "UTC",
            "08:00",
            "Sunday 29 March 2026, 13:30–14:00 Kolkata time (08:00–08:30 in UTC)",
        ),  # an alias
        (
            "America/Argentina/Buenos_Aires",
            "Etc/UTC",
            "08:00",
            "Sunday 29 March 2026, 05:00–05:30 Buenos Aires time (08:00–08:30 in UTC)",
        ),
        (
            "Europe/Berlin",
            "Europe/Berlin",
            "08:00",
            "Sunday 29 March 2026, 10:00–10:30 Berlin time",
        ),  # the same zone: once
        ("UTC", "Etc/UTC", "08:00", "Sunday 29 March 2026, 08:00–08:30 UTC"),  # two names of one zone: once
    ],
)
def test_when_line_shows_the_visitors_zone_with_the_business_zone_beside_it(visitor, business, utc, when):
    at = appointment(tz=business, visitor_tz=ZoneInfo(visitor), start=datetime.fromisoformat(f"2026-03-29T{utc}Z"))
    msg = confirmation_message(at, settings(business), message_id="m1", now=datetime.now(UTC))
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert f"When:      {when}\n" in text and f"<td>{when}</td>" in html
    event = icalendar.Calendar.from_ical(appointment_ics(at, settings(business))).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).startswith(f"{when}. Booking reference APT-2026-000042.")
    assert event.decoded("DTSTART") == at.start  # the calendar entry is the same instant whatever the wording
    seen = at.start.astimezone(ZoneInfo(visitor))
    assert msg["Subject"].endswith(f" on {seen:%a} {seen.day} {seen:%b %Y %H:%M} (APT-2026-000042)")  # the visitor's


def test_the_code_is_the_only_six_digit_run_even_with_digits_in_the_business_name():
    msg = otp_message(
        "ann@example.com",
        "004217",
        settings(APPOINTEASE_BUSINESS_NAME="Salon 123456"),
        message_id="otp-1",
        now=datetime.now(UTC),
    )
    assert re.findall(r"\b\d{6}\b", msg.get_body(("plain",)).get_content()) == ["004217"]
    assert "004217" not in msg["Subject"]
    with pytest.raises(ValueError):
        otp_message("ann@example.com", "12345", settings(), message_id="x", now=datetime.now(UTC))


def test_secret_hashes_are_keyed_by_purpose_and_key():
    digest = hash_secret("123456", purpose="otp", secret_key=KEY)
    assert len(digest) == 64 and digest != hash_secret("123456", purpose="session", secret_key=KEY)
    assert digest != hash_secret("123456", purpose="otp", secret_key="another key")
    assert verify_secret("123456", digest, purpose="otp", secret_key=KEY)
    assert not verify_secret("123457", digest, purpose="otp", secret_key=KEY)
    assert not verify_secret("123456", None, purpose="otp", secret_key=KEY)


def test_encrypted_secrets_round_trip_only_under_the_same_key():
    token = encrypt_secret("whsec_abc", secret_key=KEY)
    assert "abc" not in token and decrypt_secret(token, secret_key=KEY) == "whsec_abc"
    with pytest.raises(ValueError):
        decrypt_secret(token, secret_key="another key")


def test_retry_schedules_are_configurable_and_validated():
    cfg = load_config("/tmp/unused", {"APPOINTEASE_WEBHOOK_RETRY_SCHEDULE": "1, 2,3.5"})
    assert cfg["APPOINTEASE_WEBHOOK_RETRY_SCHEDULE"] == (1.0, 2.0, 3.5)
    assert sum(load_config("/tmp/unused", {})["APPOINTEASE_WEBHOOK_RETRY_SCHEDULE"]) >= 24 * 3600
    for bad in ("1,x", "-1"):
        with pytest.raises(ValueError):
            load_config("/tmp/unused", {"APPOINTEASE_WEBHOOK_RETRY_SCHEDULE": bad})
