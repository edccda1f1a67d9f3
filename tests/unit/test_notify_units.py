"""Notification building blocks without a database: SMTP_URL forms, error classes, messages, calendars, secrets."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest

from appointease.config import load_config
from appointease.notify import addresses
from appointease.notify.addresses import ascii_domain, ascii_headers, envelope_of
from appointease.notify.content import AppointmentAt, one_line
from appointease.notify.ics import appointment_ics
from appointease.notify.mailer import (
    PermanentMailError,
    TemporaryMailError,
    classify,
    connection_error,
    parse_smtp_url,
    wire_envelope,
)
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


def test_only_connection_failures_are_unreachable():
    """A refusal of one message concerns it alone; the batch is deferred only when the connection fails."""
    one_message = [
        smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}),
        smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")}),
        smtplib.SMTPDataError(554, b"spam"),
        smtplib.SMTPDataError(452, b"full"),
        smtplib.SMTPSenderRefused(550, b"no", "f@x"),
        smtplib.SMTPSenderRefused(552, b"too big", "f@x"),
        smtplib.SMTPNotSupportedError("needs SMTPUTF8"),
        smtplib.SMTPResponseException(554, b"no"),
    ]
    assert [classify(e).unreachable for e in one_message] == [False] * len(one_message)
    assert isinstance(classify(smtplib.SMTPSenderRefused(552, b"too big", "f@x")), PermanentMailError)
    assert isinstance(classify(smtplib.SMTPNotSupportedError("needs SMTPUTF8")), PermanentMailError)
    assert isinstance(classify(smtplib.SMTPResponseException(554, b"no")), PermanentMailError)
    connection = [
        smtplib.SMTPServerDisconnected("gone"),
        smtplib.SMTPConnectError(554, b"go away"),
        smtplib.SMTPAuthenticationError(535, b"bad"),
        smtplib.SMTPRecipientsRefused({"a@x": (421, b"closing")}),
        smtplib.SMTPDataError(421, b"closing"),
        OSError(101, "Network is unreachable"),
    ]
    assert [classify(e).unreachable for e in connection] == [True] * len(connection)
    starttls_missing = connection_error(smtplib.SMTPNotSupportedError("STARTTLS extension not supported"))
    assert starttls_missing.unreachable and not starttls_missing.permanent
    assert "login refused: 535" in str(connection_error(smtplib.SMTPAuthenticationError(535, b"secret?")))


def test_idn_domains_become_a_labels_with_uts46_or_the_stdlib_codec(monkeypatch):
    assert ascii_domain("exämple.com") == ascii_domain("EXÄMPLE.com") == "xn--exmple-cua.com"
    assert ascii_domain("faß.de") == "xn--fa-hia.de"  # IDNA 2008 keeps ß (IDNA 2003 maps it to "ss")
    assert ascii_domain("Example.COM") == "Example.COM"  # ASCII is left alone
    for invalid in ("☃.com", "-bäd.com", "ex ample.cöm"):  # a symbol is not allowed in IDNA 2008
        with pytest.raises(ValueError):
            ascii_domain(invalid)
    monkeypatch.setattr(addresses, "_idna", None)  # without the idna package: the stdlib's IDNA 2003
    assert ascii_domain("exämple.com") == "xn--exmple-cua.com"
    assert ascii_domain("faß.de") == "fass.de"
    assert ascii_domain("☃.com") == "xn--n3h.com"


def test_the_envelope_and_ascii_headers_carry_a_labels_and_keep_display_names():
    msg = EmailMessage()
    msg["From"] = "Café Müller <bookings@müller.example>"
    msg["To"] = "jöhn@exämple.com"
    msg.set_content("hi")
    envelope = envelope_of(msg)
    assert envelope.sender == "bookings@xn--mller-kva.example" and envelope.recipients == ("jöhn@xn--exmple-cua.com",)
    assert envelope.smtputf8 and not envelope.sender_smtputf8
    wire = ascii_headers(msg)
    assert wire is not msg and msg["To"] == "jöhn@exämple.com"  # the original is untouched
    assert wire["From"].addresses[0].display_name == "Café Müller"
    assert wire["From"].addresses[0].domain == "xn--mller-kva.example"
    ascii_only = EmailMessage()
    ascii_only["From"], ascii_only["To"] = "a@example.com", "b@example.com"
    assert ascii_headers(ascii_only) is ascii_only and not envelope_of(ascii_only).smtputf8


def test_a_bad_recipient_domain_fails_its_message_and_a_bad_sender_domain_every_message():
    bad_to = EmailMessage()
    bad_to["From"], bad_to["To"] = "a@example.com", "x@☃.com"
    with pytest.raises(PermanentMailError, match="not a valid internationalised domain name"):
        wire_envelope(bad_to)
    bad_from = EmailMessage()
    bad_from["From"], bad_from["To"] = "a@☃.com", "x@example.com"
    with pytest.raises(TemporaryMailError, match="check MAIL_FROM") as caught:
        wire_envelope(bad_from)
    assert caught.value.unreachable


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
