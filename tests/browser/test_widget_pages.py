"""The widget as visitors meet it (issue 12): inside a hostile theme, on a phone and a desktop,
audited by axe-core at every step, with a working calendar file at the end.

Screenshots of every step go to ``tests/artifacts/`` (or to the folder named by
``APPOINTEASE_SCREENSHOTS``, e.g. ``docs`` to refresh the pictures in docs/widget.md and the README).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import Page, expect

from support.widget_kit import (
    ARTIFACTS,
    BROWSER,
    DESKTOP,
    HAIRCUT,
    JORDAN,
    PAGES,
    PHONE,
    api,
    api_book,
    axe_violations,
    confirm,
    hold_body,
    off_screen,
    open_widget,
    pick,
    root,
    slot,
    to_details,
    widget_boxes,
)

pytestmark = BROWSER

SHOTS = Path(os.environ.get("APPOINTEASE_SCREENSHOTS") or ARTIFACTS)


def cms_page(cms, live, name: str) -> str:
    """Copy a test page from tests/browser/pages to the CMS origin, pointed at ``live``."""
    html = (
        (PAGES / name)
        .read_text()
        .replace("__API__", f"{live.url}/api/v1")
        .replace("__SCRIPT__", f"{live.url}/static/appointease.js")
        .replace("__CSS__", f"{live.url}/static/appointease.css")
    )
    target = cms.root / f"{live.port}-{name}"
    target.write_text(html)
    return f"{cms.url}/{target.name}"


def test_host_theme_css_changes_nothing(start_live, cms, visitor, workday):
    """``div{display:flex}``, ``*{font-size:20px}``, ``h2`` rules and friends: the widget's
    element boxes are the same as on a plain page, step by step (one page after the other,
    so both see the same slot states)."""
    live = start_live()
    day = workday.isoformat()

    def walk(name: str) -> dict:
        # Tall enough that the bottom bar rests in place (sticky, it would follow the viewport).
        page = visitor(viewport={"width": DESKTOP["width"], "height": 2400})
        open_widget(page, cms_page(cms, live, name))
        boxes = {}

        def record(step: str) -> None:
            expect(root(page)).to_have_attribute("data-step", step.split("-")[0])
            page.wait_for_timeout(300)  # the progress bar's transition settles
            boxes[step] = widget_boxes(page)

        record("service")
        page.locator(f"[data-service-id='{HAIRCUT}']").click()
        record("staff")
        to_time_step_from_staff(page, day)
        record("time")
        pick(page, "10:00")
        record("time-picked")
        to_details(page)
        record("details")
        if name != "plain.html":
            # Nothing of the widget's CSS leaks out, even with its stylesheet linked in the page's
            # head: the theme's own headings, buttons, paragraphs and boxes keep their looks.
            probe = "<h2 id=p1>Theme heading</h2><p id=p2>Text</p><button id=p3 aria-pressed=true>Go</button>"
            page.evaluate(f"document.body.insertAdjacentHTML('beforeend', '{probe}')")
            looks = page.evaluate("""() => { const s = (id) => getComputedStyle(document.getElementById(id));
                return [s('p1').color, s('p2').marginBottom, s('p3').backgroundColor, s('p2').boxSizing]; }""")
            assert looks == ["rgb(128, 0, 128)", "40px", "rgb(204, 0, 0)", "content-box"]
            # The theme really is hostile: it turns the page's own divs into flex rows at 20px.
            assert page.evaluate("getComputedStyle(document.querySelector('.site')).display") == "flex"
            assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") == "20px"
        page.goto("about:blank")  # leaving releases the lock at once (a beacon), for the next page
        return boxes

    plain = walk("plain.html")
    themed = walk("wordpress-theme.html")
    for step, a in plain.items():
        b = themed[step]
        assert a.keys() == b.keys(), (step, sorted(a.keys() ^ b.keys())[:10])
        diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
        assert not diff, (step, dict(list(diff.items())[:8]))
        assert len(a) >= 15  # a real comparison: the widget rendered


def shoot(page: Page, path: Path) -> None:
    """Screenshot the whole widget, its sticky bar where it rests: the window is made as tall
    as the page for the picture, then given back its size."""
    size = page.viewport_size
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], page.evaluate("document.body.scrollHeight"))}
    )
    page.locator("[data-appointease]").screenshot(path=str(path), animations="disabled")
    page.set_viewport_size(size)


def to_time_step_from_staff(page: Page, day: str) -> None:
    page.locator(f"[data-employee-id='{JORDAN}']").click()
    expect(root(page)).to_have_attribute("data-step", "time")
    expect(page.locator(".ae-day[aria-pressed='true']")).to_have_count(1)  # the first open day, preselected
    for _ in range(14):  # page the strip as a visitor would
        if page.locator(f".ae-day[data-date='{day}']").count():
            break
        page.locator("[data-action='later']").click()
    page.locator(f".ae-day[data-date='{day}']").click()
    expect(page.locator(f".ae-slots[data-date='{day}'] .ae-slot").first).to_be_visible()


@pytest.mark.parametrize("form", ["desktop", "phone"])
def test_whole_flow_fits_passes_axe_and_ends_with_a_working_ics(form, start_live, visitor, workday, appointments):
    """Every step: zero serious/critical axe violations, nothing off-screen sideways, a
    screenshot. On the phone the Continue bar is on screen right after a pick. The
    confirmation's .ics is a valid calendar with the booking's UID and times."""
    live = start_live(APPOINTEASE_SELECTION_TTL=120)  # the other visitors' API holds live on
    day = workday.isoformat()
    assert api_book(live, day, "09:00", JORDAN, client_id="other-booker-01").status_code == 201
    assert api(live, "POST", "/slots/lock", json=hold_body(day, "10:00", JORDAN, "other-locker-01")).status_code == 200
    assert (
        api(live, "POST", "/slots/select", json=hold_body(day, "11:00", JORDAN, "other-picker-01")).status_code == 200
    )

    page = visitor(**(PHONE if form == "phone" else {"viewport": DESKTOP}))
    open_widget(page, live.url + "/static/index.html")
    violations, n = [], iter(range(1, 20))

    def step(name: str) -> None:
        page.wait_for_timeout(350)  # transitions settle before measuring and the screenshot
        violations.extend(axe_violations(page, name))
        assert off_screen(page) == [], name
        SHOTS.mkdir(parents=True, exist_ok=True)
        shoot(page, SHOTS / f"widget-{form}-{next(n)}-{name}.png")

    step("service")
    page.locator(f"[data-service-id='{HAIRCUT}']").click()
    expect(root(page)).to_have_attribute("data-step", "staff")
    step("staff")
    to_time_step_from_staff(page, day)
    for t, st in {"09:00": "booked", "10:00": "locked", "11:00": "processing", "09:30": "available"}.items():
        expect(slot(page, t)).to_have_attribute("data-status", st)
    step("time")

    def top(t: str) -> float:  # in page coordinates (clicks scroll the window)
        return slot(page, t).evaluate("el => el.getBoundingClientRect().top + scrollY")

    before = top("09:30")
    pick(page, "14:00")
    assert top("09:30") == before  # the message appears in the bar: the grid does not move
    cont = page.locator("[data-action='next']")
    expect(cont).to_have_text(re.compile(r"^Continue – Mon \d+ \w+, 14:00$"))
    box = cont.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box  # sticky, on screen
    step("time-picked")
    if form == "phone":
        page.screenshot(path=str(SHOTS / "widget-phone-sticky-continue.png"), animations="disabled")
    to_details(page)
    page.locator("input[name=name]").fill("Grace Hopper")
    page.locator("input[name=email]").fill("grace@example.com")
    page.locator("input[name=phone]").fill("+44 20 7946 0000")
    step("details")
    page.locator("[data-action='next']").click()
    expect(root(page)).to_have_attribute("data-step", "review")
    step("review")
    ref = confirm(page)
    expect(page.locator("[data-email]")).to_have_text("An email is on its way to grace@example.com.")
    step("done")
    assert violations == []

    # Add to calendar: a real download of a valid iCalendar file for this booking.
    with page.expect_download() as dl:
        page.locator("[data-action='ics']").click()
    assert dl.value.suggested_filename == f"{ref}.ics"
    raw = Path(dl.value.path()).read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    apt = appointments()[-1]
    # The UID the confirmation email's .ics uses too (<reference>@<host>): calendars merge them.
    assert str(event["UID"]) == f"{ref}@127.0.0.1" and ref == apt.reference
    assert event.decoded("DTSTART") == apt.start_at.astimezone(event.decoded("DTSTART").tzinfo)
    assert event.decoded("DTEND") == apt.end_at.astimezone(event.decoded("DTEND").tzinfo)
    assert "Haircut" in str(event["SUMMARY"]) and ref in str(event["DESCRIPTION"])
    start = apt.start_at.strftime("%Y%m%dT%H%M%SZ")
    assert f"dates={start}%2F" in page.locator("[data-action='google']").get_attribute("href")
    manage = page.locator("[data-action='manage']").get_attribute("href")
    assert manage == f"{live.url}/manage" and requests.get(manage, timeout=10).status_code == 200
    outlook = page.locator("[data-action='outlook']").get_attribute("href")
    assert "startdt=" + datetime.fromisoformat(apt.start_at.isoformat()).strftime("%Y-%m-%dT%H") in outlook.replace(
        "%3A", ":"
    )
