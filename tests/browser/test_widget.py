"""The booking widget in a real headless Chromium against a live gunicorn (SPEC §1, §4).

Each test gets its own migrated, seeded database (the ``app`` fixture), a gunicorn with two
workers on it (short selection TTL and heartbeat interval keep the tests quick), and one
browser context per visitor. Everything listens on 127.0.0.1; every wait is bounded.

The fixtures live in this module: they serve only these tests.

Demo data: services 1 Haircut 30 min, 2 Colour 45, 3 Massage 60; staff 1 Alex (1, 2),
2 Sam (1, 3), 3 Jordan (1, 2, 3); Mon–Fri 09–17 UTC. ``workday`` is a Monday 2–8 days ahead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from helpers import ROOT, need
from live import GunicornServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"

SELECTION_TTL = 4  # seconds (APPOINTEASE_SELECTION_TTL)
INTERVAL = 2  # seconds (APPOINTEASE_HEARTBEAT_INTERVAL)
LIVE_MS = 6_000  # SPEC: other visitors see a change within ~one 5 s poll; we allow 6 s
TAKEN = "That time was just booked by someone else. Please choose another time."
STATUSES = ("available", "processing", "locked", "booked", "mine")

HAIRCUT, ALEX, JORDAN = 1, 1, 3


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module (never a downloaded browser)."""
    need(os.access(CHROMIUM, os.X_OK), "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def visitor(browser):
    """Factory: ``visitor()`` → a page in a fresh context (own sessionStorage, own client_id)."""
    contexts = []

    def make():
        ctx = browser.new_context(timezone_id="UTC", locale="en-GB", viewport={"width": 900, "height": 1000})
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        with contextlib.suppress(Exception):  # the test closed it already
            ctx.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class StaticSite:
    """A second origin: ``http.server`` on another 127.0.0.1 port, in a thread."""

    def __init__(self, root: Path):
        self.root = root
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def cms(tmp_path_factory):
    """The "CMS" origin the widget is embedded on in the cross-origin test."""
    with StaticSite(tmp_path_factory.mktemp("cms")) as site:
        yield site


@pytest.fixture
def start_live(app, database_url, redis_url, cms, tmp_path):
    """Factory: gunicorn (2 workers) on this test's seeded database; ``**env`` overrides."""
    servers = []

    def start(**overrides) -> GunicornServer:
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,  # None (dropped) in the embedded matrix
            "APPOINTEASE_SELECTION_TTL": SELECTION_TTL,
            "APPOINTEASE_HEARTBEAT_INTERVAL": INTERVAL,
            "APPOINTEASE_MIN_NOTICE_MINUTES": 0,
            "APPOINTEASE_CORS_ORIGINS": cms.url,
            **overrides,
        }
        server = GunicornServer(
            {k: None if v is None else str(v) for k, v in env.items()},
            workers=2,
            log_path=tmp_path / f"gunicorn{len(servers)}.log",
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def live(start_live) -> GunicornServer:
    return start_live()


@pytest.fixture
def appointments(database_url):
    """``appointments()`` → the committed appointments (ORM rows, detached)."""
    from appointease.models import Appointment

    engine = create_engine(database_url)

    def rows():
        with Session(engine, expire_on_commit=False) as s:
            return list(s.scalars(select(Appointment).order_by(Appointment.id)))

    yield rows
    engine.dispose()


# ---------------------------------------------------------------- helpers


def api(live: GunicornServer, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, f"{live.url}/api/v1{path}", timeout=10, **kw)


def api_book(live, day, time_, employee_id, client_id, name="Phone Caller") -> requests.Response:
    body = {
        "service_id": HAIRCUT,
        "employee_id": employee_id,
        "date": day,
        "time": time_,
        "name": name,
        "email": "caller@example.com",
        "client_id": client_id,
    }
    return api(live, "POST", "/appointments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})


def hold_body(day, time_, employee_id, client_id) -> dict:
    return {"date": day, "time": time_, "employee_id": employee_id, "service_id": HAIRCUT, "client_id": client_id}


def root(page: Page):
    return page.locator(".ae").first


def slot(page: Page, time_: str):
    return page.locator(f".ae-slot[data-time='{time_}']")


def client_id(page: Page) -> str:
    return page.evaluate("sessionStorage.getItem('appointease.client_id')")


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    expect(root(page)).to_have_attribute("data-step", "service")


def to_time_step(page: Page, day: str, employee_id, service_id: int = HAIRCUT) -> None:
    """service → staff → date: leaves the page on the time step with the slots painted."""
    ae = root(page)
    page.locator(f"[data-service-id='{service_id}']").click()
    expect(ae).to_have_attribute("data-step", "staff")
    page.locator(f"[data-employee-id='{employee_id}']").click()
    expect(ae).to_have_attribute("data-step", "date")
    day_button = page.locator(f"[data-date='{day}']")
    if day_button.count():
        day_button.click()
    else:  # not in the 14-day strip: the date input (fill fires input + change)
        page.locator("input[name=date]").fill(day)
    expect(ae).to_have_attribute("data-step", "time")
    expect(page.locator(".ae-slot").first).to_be_visible()


def pick(page: Page, time_: str) -> None:
    """Select a time (POST /slots/select): it turns "mine" and the step stays on time."""
    slot(page, time_).click()
    expect(slot(page, time_)).to_have_attribute("data-status", "mine")
    expect(root(page)).to_have_attribute("data-step", "time")
    expect(page.locator("[data-action='next']")).to_be_enabled()


def to_review(page: Page, name="Ada Lovelace", email="ada@example.com") -> None:
    """time → details → review (entering review takes the lock)."""
    ae = root(page)
    page.locator("[data-action='next']").click()
    expect(ae).to_have_attribute("data-step", "details")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=phone]").fill("+44 20 7946 0000")
    page.locator("textarea[name=notes]").fill("Browser test")
    page.locator("[data-action='next']").click()
    expect(ae).to_have_attribute("data-step", "review")
    expect(page.locator("[data-action='confirm']")).to_be_enabled()


def confirm(page: Page) -> str:
    page.locator("[data-action='confirm']").click()
    expect(root(page)).to_have_attribute("data-step", "done")
    ref = page.locator(".ae-reference").get_attribute("data-reference")
    assert ref and ref.startswith("APT-")
    return ref


def book_in_widget(page: Page, day: str, employee_id, time_: str, name="Ada Lovelace") -> str:
    to_time_step(page, day, employee_id)
    pick(page, time_)
    to_review(page, name=name)
    return confirm(page)


# ---------------------------------------------------------------- tests


def test_one_visitor_books_end_to_end(live, visitor, workday, appointments):
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    day = workday.isoformat()

    ref = book_in_widget(page, day, ALEX, "10:00")

    expect(page.locator(".ae-reference")).to_have_text(ref)
    rows = appointments()
    assert len(rows) == 1
    apt = rows[0]
    assert (apt.reference, apt.service_id, apt.employee_id, apt.status) == (ref, HAIRCUT, ALEX, "confirmed")
    assert (apt.customer_name, apt.customer_email, apt.notes) == ("Ada Lovelace", "ada@example.com", "Browser test")
    assert apt.start_at.date() == workday and apt.start_at.strftime("%H:%M") == "10:00"
    assert (apt.end_at - apt.start_at).total_seconds() == 30 * 60


def test_second_visitor_sees_processing_locked_booked_live(live, visitor, workday, appointments):
    day = workday.isoformat()
    a, b = visitor(), visitor()
    for page in (b, a):  # B is watching the time step before A starts
        open_widget(page, live.url + "/static/index.html")
    to_time_step(b, day, JORDAN)
    expect(slot(b, "10:00")).to_have_attribute("data-status", "available")
    selects_by_b = []
    b.on("request", lambda r: "/slots/select" in r.url and selects_by_b.append(r.url))

    to_time_step(a, day, JORDAN)
    pick(a, "10:00")
    expect(slot(b, "10:00")).to_have_attribute("data-status", "processing", timeout=LIVE_MS)

    to_review(a)
    expect(slot(b, "10:00")).to_have_attribute("data-status", "locked", timeout=LIVE_MS)

    ref = confirm(a)
    expect(slot(b, "10:00")).to_have_attribute("data-status", "booked", timeout=LIVE_MS)
    expect(slot(b, "10:00")).to_be_disabled()

    # B cannot take it: the disabled button ignores clicks; no hold is requested or created.
    slot(b, "10:00").click(force=True)
    b.wait_for_timeout(500)
    assert selects_by_b == []
    expect(slot(b, "10:00")).to_have_attribute("data-status", "booked")
    expect(root(b)).to_have_attribute("data-step", "time")
    expect(b.locator("[data-action='next']")).to_be_disabled()
    r = api(
        live,
        "GET",
        "/availability",
        params={"date": day, "employee_id": JORDAN, "service_id": HAIRCUT, "client_id": client_id(b)},
    )
    assert r.status_code == 200
    statuses = {s["time"]: s["status"] for s in r.json()["slots"]}
    assert statuses["10:00"] == "booked" and "mine" not in statuses.values()
    assert [x.reference for x in appointments()] == [ref]


def test_closed_tab_frees_the_slot_within_ttl(live, visitor, workday):
    day = workday.isoformat()
    a, b = visitor(), visitor()
    for page in (b, a):
        open_widget(page, live.url + "/static/index.html")
    to_time_step(b, day, JORDAN)
    to_time_step(a, day, JORDAN)
    pick(a, "11:00")
    expect(slot(b, "11:00")).to_have_attribute("data-status", "processing", timeout=LIVE_MS)

    # While A's tab is open its heartbeats renew the selection: B never sees it lapse.
    seen = set()
    until = time.monotonic() + SELECTION_TTL + 1
    while time.monotonic() < until:
        seen.add(slot(b, "11:00").get_attribute("data-status"))
        b.wait_for_timeout(200)
    assert seen == {"processing"}

    a.context.close()  # the tab (and its window) goes away while holding the selection
    closed = time.monotonic()
    expect(slot(b, "11:00")).to_have_attribute(
        "data-status", "available", timeout=(SELECTION_TTL + INTERVAL + 1.5) * 1000
    )
    assert time.monotonic() - closed <= SELECTION_TTL + INTERVAL + 1.5
    slot(b, "11:00").click()
    expect(slot(b, "11:00")).to_have_attribute("data-status", "mine")


def test_booked_elsewhere_while_on_review_returns_to_time_step(live, visitor, workday, appointments):
    """Another client books A's time while A is on the review step.

    A's review lock blocks every other client's booking (409 ``slot_held``, SPEC §4), so a
    booking can only slip in once the lock has gone (in real life: it expired). The test
    makes that happen at once by releasing A's lock with A's client_id, then books the
    time with another client; should A's widget re-lock in between, it simply repeats.
    """
    day = workday.isoformat()
    a = visitor()
    open_widget(a, live.url + "/static/index.html")
    to_time_step(a, day, JORDAN)
    pick(a, "10:00")
    to_review(a)
    a_cid = client_id(a)

    for _ in range(5):
        api(
            live,
            "POST",
            "/slots/release",
            json={"date": day, "time": "10:00", "employee_id": JORDAN, "client_id": a_cid},
        )
        r = api_book(live, day, "10:00", JORDAN, client_id=str(uuid.uuid4()))
        if r.status_code != 409 or r.json()["error"]["code"] != "slot_held":
            break
    assert r.status_code == 201, r.text

    expect(root(a)).to_have_attribute("data-step", "time", timeout=LIVE_MS)
    expect(a.locator(".ae-msg")).to_have_text(TAKEN)
    expect(slot(a, "10:00")).to_have_attribute("data-status", "booked")
    expect(a.locator("[data-action='next']")).to_be_disabled()
    rows = appointments()
    assert len(rows) == 1 and rows[0].customer_name == "Phone Caller"


def test_cross_origin_embed_books(live, cms, visitor, workday, appointments):
    api_base = f"{live.url}/api/v1"
    page_file = cms.root / f"embed-{live.port}.html"
    page_file.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>A CMS page</title></head><body>"
        "<h1>Book with us</h1>"
        f"<div data-appointease data-api='{api_base}'></div>"
        f"<script src='{live.url}/static/appointease.js' defer></script>"
        "</body></html>"
    )
    page = visitor()
    cors_errors = []
    page.on(
        "console",
        lambda m: m.type == "error" and ("CORS" in m.text or "Access-Control" in m.text) and cors_errors.append(m.text),
    )
    open_widget(page, f"{cms.url}/{page_file.name}")
    assert page.evaluate("location.origin") == cms.url != live.url

    ref = book_in_widget(page, workday.isoformat(), "any", "09:30", name="Cross Origin")

    assert cors_errors == []
    rows = appointments()
    assert [(x.reference, x.customer_name) for x in rows] == [(ref, "Cross Origin")]
    assert rows[0].start_at.strftime("%H:%M") == "09:30"


def test_screenshots_of_all_slot_states_and_confirmation(start_live, visitor, workday):
    # A long selection TTL keeps the other visitor's API selection alive without heartbeats.
    live = start_live(APPOINTEASE_SELECTION_TTL=120)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    day = workday.isoformat()
    assert api_book(live, day, "09:00", JORDAN, client_id=str(uuid.uuid4())).status_code == 201
    assert api(live, "POST", "/slots/lock", json=hold_body(day, "10:00", JORDAN, str(uuid.uuid4()))).status_code == 200
    assert (
        api(live, "POST", "/slots/select", json=hold_body(day, "11:00", JORDAN, str(uuid.uuid4()))).status_code == 200
    )

    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    pick(page, "14:00")
    expected = {"09:00": "booked", "10:00": "locked", "11:00": "processing", "14:00": "mine", "09:30": "available"}
    for t, st in expected.items():
        expect(slot(page, t)).to_have_attribute("data-status", st)

    def statuses_in_dom() -> set:
        return set(page.eval_on_selector_all(".ae-slot", "els => els.map(e => e.dataset.status)"))

    assert statuses_in_dom() == set(STATUSES)
    page.screenshot(path=str(ARTIFACTS / "time-step.png"), full_page=True, animations="disabled")
    assert statuses_in_dom() == set(STATUSES)

    to_review(page, name="Grace Hopper", email="grace@example.com")
    ref = confirm(page)
    expect(page.locator(".ae-reference")).to_have_text(ref)
    page.screenshot(path=str(ARTIFACTS / "confirmation.png"), full_page=True, animations="disabled")


def test_demo_page_runs_under_its_content_security_policy(live, visitor, workday):
    page = visitor()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    response = page.goto(live.url + "/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(root(page)).to_have_attribute("data-step", "service")
    to_time_step(page, workday.isoformat(), JORDAN)
    # The page's own stylesheet (static/demo.css) applies: it is not inline any more.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 246, 250)"
    assert violations == []


def test_two_widgets_on_a_hostile_cms_page(live, cms, visitor):
    """tests/browser/pages/embed-test.html (no longer in the public static/) on another origin."""
    page_html = (ROOT / "tests" / "browser" / "pages" / "embed-test.html").read_text()
    page_html = page_html.replace('data-api="/api/v1"', f'data-api="{live.url}/api/v1"')
    page_html = page_html.replace('src="/static/appointease.js"', f'src="{live.url}/static/appointease.js"')
    page_file = cms.root / f"embed-test-{live.port}.html"
    page_file.write_text(page_html)
    page = visitor()
    page.goto(f"{cms.url}/{page_file.name}")
    for widget in ("#widget-a", "#widget-b"):
        expect(page.locator(widget)).to_have_attribute("data-step", "service")
        expect(page.locator(f"{widget} [data-service-id='{HAIRCUT}']")).to_be_visible()
    ids = page.evaluate(
        "[sessionStorage.getItem('appointease.client_id'), sessionStorage.getItem('appointease.client_id.1')]"
    )
    assert all(ids) and ids[0] != ids[1]
