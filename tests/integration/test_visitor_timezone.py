"""The visitor's time zone (SPEC §4 ``timezone``, issue 16 point 3): a booking keeps the zone the
widget showed its times in, and every email, ``.ics`` DESCRIPTION and appointment JSON uses it,
with the business zone (Europe/Berlin here) beside it; without one, the business zone alone.

End to end through the HTTP routes, the notification worker and a real SMTP server (or the
file outbox), on both engines.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import inspect

from appointease.notify_cli import run_once

from support.admin_kit import Caller, make_token
from support.customer_kit import latest_mail, outbox, sign_in

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def booking(day, time_: str) -> dict:
    """A ``POST /appointments`` body for Haircut with Alex (employee 1) at business-local ``time_``."""
    return {
        "service_id": 1,
        "employee_id": 1,
        "date": day.isoformat(),
        "time": time_,
        "name": "Ann",
        "email": "ann@example.com",
    }


def admin_list(app, client, day) -> list[dict]:
    """``GET /admin/appointments?date=`` with a fresh admin token."""
    r = Caller(client, make_token(app, "admin")).get("/appointments", query_string={"date": day.isoformat()})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def text_html_description(msg) -> tuple[str, str, str]:
    """The plain and HTML bodies of a confirmation and its calendar file's DESCRIPTION (unfolded)."""
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    content = part.get_content()
    event = icalendar.Calendar.from_ical(content if isinstance(content, str) else content.decode()).walk("VEVENT")[0]
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content(), str(event["DESCRIPTION"])


def hours(start: datetime, zone: ZoneInfo, minutes: int = 30) -> str:
    """``HH:MM–HH:MM`` of a slot starting at ``start``, read in ``zone``."""
    local = start.astimezone(zone)
    end = datetime.fromtimestamp(local.timestamp() + minutes * 60, zone)
    return f"{local:%H:%M}–{end:%H:%M}"


def day_of(start: datetime, zone: ZoneInfo) -> str:
    local = start.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def test_new_york_visitor_reads_new_york_time_with_berlin_beside_it(notify_app, smtp, workday):
    client = notify_app.test_client()
    r = client.post("/api/v1/appointments", json={**booking(workday, "10:00"), "timezone": "America/New_York"})
    assert r.status_code == 201, r.get_json()
    start = datetime.fromisoformat(r.get_json()["start"])
    assert start.astimezone(BERLIN).strftime("%H:%M") == "10:00"
    assert run_once(notify_app)["mail_sent"] == 1

    [mail] = smtp.wait_for(1)
    text, html, description = text_html_description(mail)
    # e.g. "Monday 7 December 2026, 04:00–04:30 New York time (10:00–10:30 in Berlin)"
    when = f"{day_of(start, NEW_YORK)}, {hours(start, NEW_YORK)} New York time (10:00–10:30 in Berlin)"
    assert f"  When:      {when}" in text.splitlines()
    assert f"<td>{when}</td>" in html
    assert description.startswith(f"{when}. Booking reference {r.get_json()['reference']}.")
    assert f"{start.astimezone(NEW_YORK):%H:%M} ({r.get_json()['reference']})" in mail["Subject"]  # the visitor's time
    assert "America/New_York" not in text and "Europe/Berlin" not in text  # zones as people name them


def test_without_a_timezone_the_business_zone_alone(notify_app, smtp, workday):
    r = notify_app.test_client().post("/api/v1/appointments", json=booking(workday, "10:00"))
    assert r.status_code == 201 and run_once(notify_app)["mail_sent"] == 1
    [mail] = smtp.wait_for(1)
    text, html, description = text_html_description(mail)
    when = f"{day_of(datetime.fromisoformat(r.get_json()['start']), BERLIN)}, 10:00–10:30 Berlin time"
    assert f"  When:      {when}" in text.splitlines() and f"<td>{when}</td>" in html
    assert description.startswith(f"{when}. Booking reference")
    assert " in Berlin" not in text and "New York" not in text


def test_the_zone_is_kept_in_the_json_and_through_a_reschedule_in_the_outbox(make_app, workday):
    """File-outbox mode (no SMTP_URL): the confirmation and the "moved" mail are both in the
    visitor's zone; the customer and admin JSON carry both zones."""
    app = make_app()
    client = app.test_client()
    r = client.post("/api/v1/appointments", json={**booking(workday, "10:00"), "timezone": "America/New_York"})
    assert r.status_code == 201, r.get_json()
    ref = r.get_json()["reference"]
    run_once(app)
    auth = sign_in(app, client, "ann@example.com")
    mine = client.get(f"/api/v1/appointments/{ref}", headers=auth).get_json()
    assert (mine["timezone"], mine["business_timezone"]) == ("America/New_York", "Europe/Berlin")

    moved = client.post(
        f"/api/v1/appointments/{ref}/reschedule", headers=auth, json={"date": workday.isoformat(), "time": "14:30"}
    )
    assert moved.status_code == 200 and moved.get_json()["timezone"] == "America/New_York"  # kept
    run_once(app)
    [listed] = admin_list(app, client, workday)
    assert (listed["timezone"], listed["business_timezone"]) == ("America/New_York", "Europe/Berlin")

    mail = latest_mail(app, "ann@example.com", "Booking moved")
    assert mail is not None, sorted(p.name for p in outbox(app).glob("*.eml"))
    start = datetime.fromisoformat(moved.get_json()["start"])
    when = f"{day_of(start, NEW_YORK)}, {hours(start, NEW_YORK)} New York time (14:30–15:00 in Berlin)"
    text, _, description = text_html_description(mail)
    assert f"  When:      {when}" in text.splitlines() and description.startswith(when)


def test_a_booking_without_a_zone_shows_null_and_the_business_zone(app, client, workday):
    ref = client.post("/api/v1/appointments", json=booking(workday, "11:00")).get_json()["reference"]
    [listed] = admin_list(app, client, workday)
    assert listed["reference"] == ref and listed["timezone"] is None and listed["business_timezone"] == "UTC"


@pytest.mark.parametrize(
    "zone, says",
    [
        ("Mars/Olympus_Mons", "Not a known IANA time zone"),
        ("america/new_york", "Not a known IANA time zone"),  # names are case-sensitive
        ("EST+5", "Not a known IANA time zone"),
        ("", "Not a known IANA time zone"),
        ("localtime", "Not a known IANA time zone"),  # the server's own zone file, not a zone name
        ("../../etc/passwd", "Not a known IANA time zone"),
        ("/etc/localtime", "Not a known IANA time zone"),
        ("Europe/" + "x" * 60, "Longer than maximum length 64"),
        (5, "Not a valid string"),
    ],
)
def test_an_unknown_zone_is_a_validation_error_on_the_timezone_field(client, workday, zone, says):
    r = client.post("/api/v1/appointments", json={**booking(workday, "10:00"), "timezone": zone})
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == ["timezone"]
    assert says in " ".join(error["fields"]["timezone"])


def test_a_known_zone_and_null_are_accepted(client, workday):
    for time_, zone in (("10:00", "Asia/Tokyo"), ("10:30", None), ("11:00", "UTC")):
        r = client.post("/api/v1/appointments", json={**booking(workday, time_), "timezone": zone})
        assert r.status_code == 201, (zone, r.get_json())


def test_migration_adds_and_drops_the_column(app):
    """Revision 0008_visitor_tz: the model's column exists after upgrade, goes on downgrade."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    from appointease.extensions import db

    from support.helpers import ROOT

    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("appointments")}

    with app.app_context():
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert [d for d in diffs if "visitor_timezone" in repr(d)] == []
        assert "visitor_timezone" in columns()
        downgrade(directory=str(ROOT / "migrations"), revision="0003_admin")
        assert "visitor_timezone" not in columns()
        upgrade(directory=str(ROOT / "migrations"))
        assert "visitor_timezone" in columns()
        db.engine.dispose()
