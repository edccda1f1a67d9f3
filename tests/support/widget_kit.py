"""Fixtures and helpers shared by the widget's browser tests (tests/browser/test_*.py).

``tests/conftest.py`` registers its fixtures (``pytest_plugins``); test modules use them
as arguments and import its helpers by name.

Every page is real: gunicorn (2 workers) on the test's seeded database, Debian's Chromium
driven by Playwright, a second loopback origin for "CMS" pages. axe-core comes from the
npm registry through ``tests/browser/package-lock.json`` (``scripts/setup.sh --dev``).

Demo data: services 1 Haircut 30 min, 2 Colour 45, 3 Massage 60; staff 1 Alex (1, 2),
2 Sam (1, 3), 3 Jordan (1, 2, 3); Mon–Fri 09–17 UTC. ``workday`` is a Monday 2–8 days ahead.
"""

from __future__ import annotations

import functools
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from support.chromium_kit import ARTIFACTS, axe_violations  # noqa: F401  (re-exported)
from support.gunicorn_server import GunicornServer
from support.helpers import ROOT

#: Every browser test module sets ``pytestmark = BROWSER``.
BROWSER = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

PAGES = ROOT / "tests" / "browser" / "pages"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

SELECTION_TTL = 4  # seconds (APPOINTEASE_SELECTION_TTL)
INTERVAL = 2  # seconds (APPOINTEASE_HEARTBEAT_INTERVAL)
LIVE_MS = 6_000  # SPEC: other visitors see a change within ~one 5 s poll; we allow 6 s
TAKEN = "That time was just booked by someone else. Please choose another time."
HELD = "Someone else is booking that time right now — it may free up shortly. Please choose another time."
STATUSES = ("available", "processing", "locked", "booked", "mine")

HAIRCUT, ALEX, JORDAN = 1, 1, 3


# ---------------------------------------------------------------- fixtures


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
    """The widget (inside its open shadow root: Playwright's CSS locators pierce it)."""
    return page.locator(".ae").first


def slot(page: Page, time_: str):
    return page.locator(f".ae-slot[data-time='{time_}']")


def client_id(page: Page) -> str:
    return page.evaluate("sessionStorage.getItem('appointease.client_id')")


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    expect(root(page)).to_have_attribute("data-step", "service")


def to_time_step(page: Page, day: str | None, employee_id, service_id: int = HAIRCUT) -> None:
    """service → staff → day and time: leaves the page on the time step with ``day``'s slots
    painted (``None``: the day the widget preselects)."""
    ae = root(page)
    page.locator(f"[data-service-id='{service_id}']").click()
    expect(ae).to_have_attribute("data-step", "staff")
    page.locator(f"[data-employee-id='{employee_id}']").click()
    expect(ae).to_have_attribute("data-step", "time")
    if day is None:
        expect(page.locator(".ae-slot").first).to_be_visible()
        return
    day_button = page.locator(f".ae-day[data-date='{day}']")
    if day_button.count():
        day_button.click()
    else:  # not in the shown week: the date input (fill fires input + change)
        page.locator("input[name=date]").fill(day)
    expect(page.locator(f".ae-slots[data-date='{day}'] .ae-slot").first).to_be_visible()


def pick(page: Page, time_: str) -> None:
    """Select a time (POST /slots/select): it turns "mine" and the step stays on time."""
    slot(page, time_).click()
    expect(slot(page, time_)).to_have_attribute("data-status", "mine")
    expect(root(page)).to_have_attribute("data-step", "time")
    expect(page.locator("[data-action='next']")).to_be_enabled()


def to_details(page: Page) -> None:
    """time → details: Continue takes the 10-minute lock."""
    page.locator("[data-action='next']").click()
    expect(root(page)).to_have_attribute("data-step", "details")


def to_review(page: Page, name="Ada Lovelace", email="ada@example.com") -> None:
    """time → details (the lock) → review."""
    ae = root(page)
    to_details(page)
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


# ---------------------------------------------------------------- audits and emulation


def set_hidden(page: Page, hidden: bool) -> None:
    """Emulate the tab going to the background (or coming back): ``document.hidden`` and
    ``visibilityState`` change and ``visibilitychange`` fires, as when a visitor switches
    apps. (Headless Chromium keeps every tab visible, so the page's view is overridden.)"""
    page.evaluate(
        """hidden => {
        for (const [k, v] of [['hidden', hidden], ['visibilityState', hidden ? 'hidden' : 'visible']])
            Object.defineProperty(document, k, {configurable: true, get: () => v});
        document.dispatchEvent(new Event('visibilitychange'));
    }""",
        hidden,
    )


def widget_boxes(page: Page) -> dict:
    """Every rendered element in the first widget's shadow root: its box relative to the host
    element, keyed by a path of tag/class/data names (``{key: [x, y, w, h]}``)."""
    return page.evaluate("""() => {
        const host = document.querySelector('[data-appointease]');
        const o = host.getBoundingClientRect();
        const out = {};
        const walk = (el, path) => {
            [...el.children].forEach((c, i) => {
                const name = c.tagName.toLowerCase() + (c.className ? '.' + c.className : '');
                const key = path + '/' + name + '[' + i + ']';
                const r = c.getBoundingClientRect();
                const box = [r.x - o.x, r.y - o.y, r.width, r.height];
                if (r.width || r.height) out[key] = box.map(v => Math.round(v * 2) / 2);
                walk(c, key);
            });
        };
        walk(host.shadowRoot, '');
        out['host'] = [0, 0, Math.round(o.width), Math.round(o.height)];
        return out;
    }""")


def off_screen(page: Page) -> list:
    """Elements of the widget that stick out of the viewport sideways, and the page's own
    sideways overflow (a phone must never scroll horizontally)."""
    return page.evaluate("""() => {
        const w = document.documentElement.clientWidth, bad = [];
        const sw = document.documentElement.scrollWidth;
        if (sw > w) bad.push('page scrolls sideways: ' + sw);
        for (const host of document.querySelectorAll('[data-appointease]'))
            for (const el of host.shadowRoot.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if ((r.width || r.height) && (r.left < -0.5 || r.right > w + 0.5))
                    bad.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
            }
        return bad;
    }""")
