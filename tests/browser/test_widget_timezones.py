"""The widget's dates and times follow the visitor (issue 16 point 3, SPEC §4 ``timezone``): the
visitor's locale decides 12- or 24-hour, zones are named as people say them (Intl long generic
names, never IANA ids), and the slot, the Continue button and the summary agree on the day in
the visitor's zone. The booking carries the visitor's zone to the server.

The business is in Europe/Berlin (``APPOINTEASE_TIMEZONE``); visitors are browser contexts with
their own ``timezone_id`` and ``locale``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from support.admin_kit import make_token
from support.widget_kit import (
    BROWSER,
    HAIRCUT,
    JORDAN,
    api,
    confirm,
    open_widget,
    pick,
    root,
    slot,
    to_details,
    to_review,
    to_time_step,
)

pytestmark = BROWSER

BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
#: Space characters ICU puts in times and ranges (thin space, narrow no-break space) match ``\s``.
S = r"\s*"


def starts(live, day: str) -> dict[str, datetime]:
    """Jordan's Haircut slots on ``day`` as the API gives them: business ``HH:MM`` → start instant."""
    r = api(live, "GET", "/availability", params={"date": day, "employee_id": JORDAN, "service_id": HAIRCUT})
    assert r.status_code == 200, r.text
    return {s["time"]: datetime.fromisoformat(s["start"]) for s in r.json()["slots"]}


def twelve_hour(moment: datetime) -> tuple[str, str]:
    """``("4:00", "AM")`` for en-US."""
    return f"{moment.hour % 12 or 12}:{moment:%M}", "AM" if moment.hour < 12 else "PM"


def us_range(start: datetime, zone: ZoneInfo) -> str:
    """A regex for en-US ``4:00 – 4:30 AM`` (or ``11:30 AM – 12:00 PM``) of a 30-minute slot."""
    a, b = start.astimezone(zone), (start + timedelta(minutes=30)).astimezone(zone)
    (ta, pa), (tb, pb) = twelve_hour(a), twelve_hour(b)
    left = f"{ta}{S}{pa}" if pa != pb else ta
    return f"{left}{S}–{S}{tb}{S}{pb}"


def summary_row(page: Page, label: str):
    return page.locator(".ae-summary div").filter(has=page.locator("dt", has_text=label)).locator("dd")


def test_new_york_visitor_gets_12_hour_times_and_generic_zone_names(start_live, visitor, appointments, workday):
    """en-US in America/New_York: "4:00 – 4:30 AM", "Eastern Time" and "Central European Time",
    no "America/New_York" or "Europe/Berlin" anywhere; the booking keeps America/New_York."""
    live = start_live(APPOINTEASE_TIMEZONE="Europe/Berlin")
    day = workday.isoformat()
    start = starts(live, day)["10:00"]
    page = visitor(timezone_id="America/New_York", locale="en-US")
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    expect(slot(page, "10:00").locator(".ae-slot-time")).to_have_text(re.compile(f"^{us_range(start, NEW_YORK)}$"))
    expect(page.locator(".ae-tz")).to_have_text(
        "Times are in your time zone (Eastern Time); the business is in Central European Time."
    )
    pick(page, "10:00")
    local = start.astimezone(NEW_YORK)
    hm, half = twelve_hour(local)
    expect(page.locator("[data-action='next']")).to_have_accessible_name(
        re.compile(f"^Continue – {local:%a}, {local:%b} {local.day}, {hm}{S}{half}$")
    )
    to_review(page)
    expect(summary_row(page, "Date")).to_have_text(f"{local:%A}, {local:%B} {local.day}, {local.year}")
    expect(summary_row(page, "Time")).to_have_text(
        re.compile(f"^{us_range(start, NEW_YORK)} Eastern Time \\({us_range(start, BERLIN)} Central European Time\\)$")
    )
    for raw in ("America/New_York", "Europe/Berlin"):
        expect(root(page)).not_to_contain_text(raw)
    confirm(page)
    expect(root(page)).not_to_contain_text("America/New_York")
    [booked] = appointments()
    assert booked.visitor_timezone == "America/New_York" and booked.start_at == start


def test_tokyo_visitor_sees_one_day_for_a_slot_past_midnight(start_live, visitor, app, workday):
    """A Berlin afternoon slot is after midnight in Tokyo: its label, the Continue button and the
    summary's date all say the Tokyo day (the next one), and the summary gives the Berlin time
    with its own day beside it."""
    week = [{"weekday": d, "start": "09:00", "end": "19:00"} for d in range(5)]  # late enough in summer too
    token = make_token(app, "admin")
    live = start_live(APPOINTEASE_TIMEZONE="Europe/Berlin")
    r = api(live, "PUT", f"/admin/staff/{JORDAN}/hours", json=week, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    day = workday.isoformat()
    # The first slot that Tokyo (8 h ahead in winter, 7 in summer) puts on the next day.
    time_, start = next((t, s) for t, s in starts(live, day).items() if s.astimezone(TOKYO).date() != workday)
    there, berlin = start.astimezone(TOKYO), start.astimezone(BERLIN)
    assert there.date() == workday + timedelta(days=1) and berlin.date() == workday
    tokyo_day = f"{there:%a} {there.day} {there:%b}"  # en-GB, e.g. "Tue 8 Dec"
    tokyo_range = f"{there:%H:%M}–{there + timedelta(minutes=30):%H:%M}"
    berlin_range = f"{berlin:%H:%M}–{berlin + timedelta(minutes=30):%H:%M}"

    page = visitor(timezone_id="Asia/Tokyo", locale="en-GB")
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    expect(slot(page, time_).locator(".ae-slot-time")).to_have_text(f"{tokyo_range} ({tokyo_day})")
    # The slot before it crosses Tokyo's midnight: two plain times, no dates (not formatRange's
    # "12/3/2026, 11:30 PM – 12/4/2026, 12:00 AM").
    before = (berlin - timedelta(minutes=30)).strftime("%H:%M")
    expect(slot(page, before).locator(".ae-slot-time")).to_have_text(
        f"{there - timedelta(minutes=30):%H:%M}\u2009–\u2009{there:%H:%M}"
    )
    pick(page, time_)
    expect(page.locator("[data-action='next']")).to_have_accessible_name(f"Continue – {tokyo_day}, {there:%H:%M}")
    to_details(page)
    expect(summary_row(page, "Date")).to_have_text(re.compile(f"^{there:%A},? {there.day} {there:%B} {there.year}$"))
    berlin_day = f"{berlin:%a} {berlin.day} {berlin:%b}"
    expect(summary_row(page, "Time")).to_have_text(
        f"{tokyo_range} Japan Standard Time ({berlin_range} Central European Time, {berlin_day})"
    )
