"""Customer changes reach the customer's mailbox (SPEC §4 Customers + §7): the events that
cancel and reschedule append carry what the notification worker needs, end to end through
the HTTP routes, the worker and a real SMTP server, in a business zone with daylight saving."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from appointease.notify_cli import run_once

from support.customer_kit import code_from

TZ = "Europe/Berlin"  # notify_app's business zone


def calendar_of(msg) -> icalendar.Calendar:
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    content = part.get_content()
    return icalendar.Calendar.from_ical(content if isinstance(content, str) else content.decode())


def test_moved_and_cancelled_through_the_routes_send_updated_calendar_entries(notify_app, smtp, workday):
    client = notify_app.test_client()
    day = workday.isoformat()
    r = client.post(
        "/api/v1/appointments",
        json={
            "service_id": 1,
            "employee_id": 1,
            "date": day,
            "time": "10:00",
            "name": "Ann",
            "email": "Ann@Example.com",
        },
    )
    ref = r.get_json()["reference"]
    assert client.post("/api/v1/auth/otp", json={"email": "ann@example.com"}).status_code == 202
    run_once(notify_app)
    [otp] = [m for m in smtp.messages if "sign-in code" in m["Subject"]]
    assert otp["To"] == "ann@example.com"
    token = client.post("/api/v1/auth/verify", json={"email": "ann@example.com", "code": code_from(otp)}).get_json()
    auth = {"Authorization": f"Bearer {token['token']}"}

    new_start = datetime.fromisoformat(f"{day}T14:30").replace(tzinfo=ZoneInfo(TZ))
    moved = client.post(f"/api/v1/appointments/{ref}/reschedule", headers=auth, json={"date": day, "time": "14:30"})
    assert moved.status_code == 200 and moved.get_json()["start"] == new_start.isoformat()  # business-local
    run_once(notify_app)
    assert client.post(f"/api/v1/appointments/{ref}/cancel", headers=auth).status_code == 200
    run_once(notify_app)

    mails = [m for m in smtp.messages if m["Subject"].startswith("Booking")]
    assert [m["Subject"].split(":")[0] for m in mails] == ["Booking confirmed", "Booking moved", "Booking cancelled"]
    assert all(m["To"] == "Ann@Example.com" for m in mails)
    assert "14:30" in mails[1].get_body(("plain",)).get_content()
    cals = [calendar_of(m) for m in mails]
    events = [c.walk("VEVENT")[0] for c in cals]
    assert [str(c["METHOD"]) for c in cals] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["UID"]) for e in events}) == 1
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert events[1].decoded("DTSTART") == new_start and events[1]["DTSTART"].params["TZID"] == TZ
    assert str(events[2]["STATUS"]) == "CANCELLED"
