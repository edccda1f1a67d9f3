"""The customers' manage page (``/manage``) in a real headless Chromium against gunicorn.

Everything is real and on 127.0.0.1: gunicorn (2 workers) on the test's database, the
notification worker (in a thread of this process) mailing to an aiosmtpd capture
server, and one browser context per visitor. The sign-in code is read from the
captured email, exactly as a customer would read it.

Demo data: services 1 Haircut 30 min; staff 1 Alex; Mon–Fri 09–17 UTC. ``workday`` is a
Monday 2–8 days ahead.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from support.chromium_kit import ARTIFACTS, Contexts, axe_violations
from support.customer_kit import ALEX, HAIRCUT, code_from, db_appointments
from support.gunicorn_server import GunicornServer
from support.notify_fixtures import running_worker
from support.receivers import SMTPCapture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

SELECTION_TTL = 4  # seconds
INTERVAL = 2  # seconds between heartbeats
LIVE_MS = 6_000  # another visitor sees a change within a poll or two
TOKEN_KEY = "appointease.manage"


@pytest.fixture
def visitor(browser):
    """``visitor(**context_options)`` → a page in a fresh context (its own sessionStorage; UTC and
    en-GB unless ``timezone_id``/``locale`` say otherwise); ``page.errors`` collects problems."""
    with Contexts(browser) as contexts:
        yield lambda **options: watched(contexts.page(viewport={"width": 900, "height": 1100}, **options))


def watched(page: Page) -> Page:
    """Give ``page`` an ``errors`` list of script errors and failed requests (the page links
    its own icon, so not even the browser's ``/favicon.ico`` probe may fail)."""
    page.errors = []
    page.on(
        "console",
        lambda m: m.type == "error" and "Failed to load resource" not in m.text and page.errors.append(m.text),
    )
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "response",
        lambda r: r.status >= 400 and page.errors.append(f"{r.status} {r.url}"),
    )
    return page


@pytest.fixture
def smtp():
    server = SMTPCapture().start()
    yield server
    server.stop()


@pytest.fixture
def serve(app, database_url, redis_url, smtp, tmp_path):
    """Factory: ``serve(**env)`` → gunicorn on the test's database (``env`` added to its
    environment), and the notification worker mailing to ``smtp`` (sign-in codes)."""
    app.config.update(SMTP_URL=smtp.url, APPOINTEASE_WORKER_POLL_SECONDS=0.2)
    with contextlib.ExitStack() as stack:

        def start(**extra) -> GunicornServer:
            env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "APPOINTEASE_SELECTION_TTL": str(SELECTION_TTL),
                "APPOINTEASE_HEARTBEAT_INTERVAL": str(INTERVAL),
                "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
                "SMTP_URL": smtp.url,
                **extra,
            }
            server = stack.enter_context(GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log"))
            stack.enter_context(running_worker(app))  # stopped first, then the server
            return server

        yield start


@pytest.fixture
def live(serve):
    """gunicorn (business zone UTC) and the notification worker."""
    return serve()


def api_book(live, day: str, time_: str, email: str, **extra) -> str:
    r = requests.post(
        f"{live.url}/api/v1/appointments",
        timeout=10,
        json={
            "service_id": HAIRCUT,
            "employee_id": ALEX,
            "date": day,
            "time": time_,
            "name": email.split("@")[0].title(),
            "email": email,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["reference"]


def mailed_code(smtp, email: str, seen: int) -> str:
    """Wait for the ``seen+1``-th sign-in mail to ``email``; return its code."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        codes = [m for m in smtp.to(email) if "sign-in code" in m["Subject"]]
        if len(codes) > seen:
            return code_from(codes[seen])
        time.sleep(0.05)
    raise AssertionError(f"no sign-in code mailed to {email}")


def sign_in(page: Page, live, smtp, email: str) -> None:
    """Open /manage, ask for a code, type the mailed code: the list of appointments shows."""
    seen = len([m for m in smtp.to(email) if "sign-in code" in m["Subject"]])
    page.goto(live.url + "/manage")
    expect(page.locator("#manage")).to_have_attribute("data-view", "signin")
    page.fill("#m-email", email)
    page.click("#m-send")
    expect(page.locator("#m-code-form")).to_be_visible()
    page.fill("#m-code", mailed_code(smtp, email, seen))
    page.click("#m-verify")
    expect(page.locator("#manage")).to_have_attribute("data-view", "list")
    expect(page.locator("#m-who")).to_have_text(email)


def item(page: Page, reference: str):
    return page.locator(f".m-item[data-reference='{reference}']")


def slot(page: Page, time_: str):
    return page.locator(f"#m-slots .ae-slot[data-time='{time_}']")


def open_move(page: Page, reference: str, day: str) -> None:
    item(page, reference).locator("[data-action='reschedule']").click()
    expect(page.locator("#manage")).to_have_attribute("data-view", "move")
    expect(page.locator(f"#m-days [data-date='{day}']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#m-slots .ae-slot").first).to_be_visible()


def test_sign_in_with_the_mailed_code_and_reschedule_live(live, visitor, smtp, app, workday):
    day = workday.isoformat()
    ann_ref = api_book(live, day, "10:00", "ann@example.com")
    bob_ref = api_book(live, day, "11:00", "bob@example.com")
    ann, bob = visitor(), visitor()
    sign_in(ann, live, smtp, "ann@example.com")
    expect(ann.locator(".m-item")).to_have_count(1)
    expect(item(ann, ann_ref).locator(".m-item-when")).to_contain_text("10:00")
    token = ann.evaluate(f"JSON.parse(sessionStorage.getItem('{TOKEN_KEY}')).token")
    assert len(token) >= 43 and ann.evaluate("localStorage.length") == 0

    sign_in(bob, live, smtp, "bob@example.com")
    open_move(bob, bob_ref, day)  # Bob watches Alex's Monday: his own 11:00, Ann's 10:00
    expect(slot(bob, "11:00")).to_have_attribute("data-status", "current")
    expect(slot(bob, "10:00")).to_have_attribute("data-status", "booked")

    open_move(ann, ann_ref, day)
    expect(slot(ann, "10:00")).to_have_attribute("data-status", "current")
    slot(ann, "14:30").click()
    expect(slot(ann, "14:30")).to_have_attribute("data-status", "mine")
    expect(slot(bob, "14:30")).to_have_attribute("data-status", "processing", timeout=LIVE_MS)
    expect(ann.locator("#m-confirm")).to_contain_text("14:30")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ann.screenshot(path=str(ARTIFACTS / "manage-move.png"), full_page=True, animations="disabled")
    violations = axe_violations(ann, "move")  # serious/critical, incl. WCAG 2.5.3 name mismatches
    ann.click("#m-confirm")

    expect(ann.locator("#manage")).to_have_attribute("data-view", "list")
    expect(ann.locator("#m-msg")).to_contain_text(f"{ann_ref} is now on")
    expect(item(ann, ann_ref).locator(".m-item-when")).to_contain_text("14:30")
    ann.screenshot(path=str(ARTIFACTS / "manage-list.png"), full_page=True, animations="disabled")
    violations += axe_violations(ann, "list")
    assert violations == []
    # The second visitor's live grid: the old time is free, the new one booked.
    expect(slot(bob, "10:00")).to_have_attribute("data-status", "available", timeout=LIVE_MS)
    expect(slot(bob, "14:30")).to_have_attribute("data-status", "booked", timeout=LIVE_MS)
    beat = requests.post(
        f"{live.url}/api/v1/heartbeat",
        timeout=10,
        json={"date": day, "employee_id": ALEX, "client_id": "observer-0001", "service_id": HAIRCUT},
    ).json()
    assert "10:00" not in beat["booked"] and {"11:00", "14:30"} <= set(beat["booked"])
    moved = [a for a in db_appointments(app) if a["reference"] == ann_ref]
    assert [(a["start_at"].strftime("%H:%M"), a["status"]) for a in moved] == [("14:30", "confirmed")]
    # The worker mails the reschedule confirmation with the new time.
    deadline = time.monotonic() + 10
    while not [m for m in smtp.to("ann@example.com") if "14:30" in m.get_body(("plain",)).get_content()]:
        assert time.monotonic() < deadline, "no reschedule confirmation"
        time.sleep(0.05)
    assert ann.errors == [] and bob.errors == []


def test_cancel_sign_out_and_the_token_stays_in_this_tab(live, visitor, smtp, app, workday):
    day = workday.isoformat()
    ref = api_book(live, day, "09:00", "ann@example.com")
    watcher = visitor()
    bob_ref = api_book(live, day, "16:00", "bob@example.com")
    sign_in(watcher, live, smtp, "bob@example.com")
    open_move(watcher, bob_ref, day)
    expect(slot(watcher, "09:00")).to_have_attribute("data-status", "booked")

    ann = visitor()
    sign_in(ann, live, smtp, "ann@example.com")
    ann.reload()  # sessionStorage keeps the sign-in for this tab
    expect(ann.locator("#manage")).to_have_attribute("data-view", "list")
    item(ann, ref).locator("[data-action='cancel']").click()
    expect(item(ann, ref)).to_contain_text("Cancel this appointment?")
    item(ann, ref).locator("[data-action='confirm-cancel']").click()
    expect(ann.locator("#m-msg")).to_contain_text(f"{ref} on")
    expect(ann.locator(f".m-item[data-reference='{ref}']")).to_have_count(0)  # cancelled ones are hidden
    ann.check("#m-past")
    expect(item(ann, ref).locator(".m-badge")).to_have_text("cancelled")
    expect(slot(watcher, "09:00")).to_have_attribute("data-status", "available", timeout=LIVE_MS)

    other_tab = visitor()  # a new browser context: no token there
    other_tab.goto(live.url + "/manage")
    expect(other_tab.locator("#manage")).to_have_attribute("data-view", "signin")

    token = ann.evaluate(f"JSON.parse(sessionStorage.getItem('{TOKEN_KEY}')).token")
    ann.click("#m-logout")
    expect(ann.locator("#manage")).to_have_attribute("data-view", "signin")
    assert ann.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None
    r = requests.get(f"{live.url}/api/v1/me/appointments", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 401
    assert ann.errors == [] and watcher.errors == []


def test_a_wrong_code_is_refused_and_a_new_one_works(live, visitor, smtp):
    page = visitor()
    page.goto(live.url + "/manage")
    page.fill("#m-email", "carol@example.com")
    page.click("#m-send")
    code = mailed_code(smtp, "carol@example.com", 0)
    page.fill("#m-code", f"{(int(code) + 1) % 10**6:06d}")
    page.click("#m-verify")
    expect(page.locator("#m-msg")).to_contain_text("wrong or has expired")
    page.click("#m-resend")
    page.fill("#m-code", mailed_code(smtp, "carol@example.com", 1))
    page.click("#m-verify")
    expect(page.locator("#manage")).to_have_attribute("data-view", "list")
    expect(page.locator(".m-items")).to_contain_text("no upcoming appointments")


def us_range(start: datetime, zone: ZoneInfo) -> str:
    """A regex for en-US ``4:00 – 4:30 AM`` of a 30-minute slot (ICU's thin spaces match ``\\s``)."""
    a, b = start.astimezone(zone), (start + timedelta(minutes=30)).astimezone(zone)
    hm = [f"{x.hour % 12 or 12}:{x:%M}" for x in (a, b)]
    half = ["AM" if x.hour < 12 else "PM" for x in (a, b)]
    left = hm[0] if half[0] == half[1] else rf"{hm[0]}\s*{half[0]}"
    return rf"{left}\s*–\s*{hm[1]}\s*{half[1]}"


def test_times_in_the_booked_zone_with_the_business_zone_beside_them(serve, visitor, smtp, app, workday):
    """Issue 16: a New York visitor of a Berlin business reads their appointment, the move
    grid and the move button in New York time (12-hour, en-US), with Berlin beside it, zones
    named as people say them; the move keeps the zone."""
    live = serve(APPOINTEASE_TIMEZONE="Europe/Berlin")
    day = workday.isoformat()
    new_york, berlin = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
    ref = api_book(live, day, "10:00", "ann@example.com", timezone="America/New_York")
    start = datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=berlin)
    local = start.astimezone(new_york)

    page = visitor(timezone_id="America/New_York", locale="en-US")
    sign_in(page, live, smtp, "ann@example.com")
    when = f"{local:%A}, {local:%B} {local.day}, {local.year}, {us_range(start, new_york)} Eastern Time"
    beside = rf"\({us_range(start, berlin)} Central European Time\)"
    expect(item(page, ref).locator(".m-item-when")).to_have_text(re.compile(f"^{when} {beside}$"))
    expect(page.locator("#manage")).not_to_contain_text("America/New_York")

    open_move(page, ref, day)
    expect(page.locator("#m-tz")).to_have_text("Times are in Eastern Time; the business is in Central European Time.")
    expect(page.locator("#m-current")).to_contain_text(re.compile(f"{when} {beside}"))
    expect(slot(page, "10:00").locator(".ae-slot-time")).to_have_text(re.compile(f"^{us_range(start, new_york)}$"))
    later = start.replace(hour=14, minute=30)
    there = later.astimezone(new_york)
    slot(page, "14:30").click()
    expect(slot(page, "14:30")).to_have_attribute("data-status", "mine")
    hm = f"{there.hour % 12 or 12}:{there:%M}"
    expect(page.locator("#m-confirm")).to_have_text(
        re.compile(rf"^Move to {there:%A}, {there:%B} {there.day}, {there.year}, {hm}\s*{there:%p}$")
    )
    page.click("#m-confirm")
    expect(page.locator("#manage")).to_have_attribute("data-view", "list")
    moved = rf"{us_range(later, new_york)} Eastern Time \({us_range(later, berlin)} Central European Time\)"
    expect(item(page, ref).locator(".m-item-when")).to_have_text(re.compile(moved))
    [row] = db_appointments(app)
    assert row["visitor_timezone"] == "America/New_York" and row["start_at"] == later  # kept through the move
    assert page.errors == []
