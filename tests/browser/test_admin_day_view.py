"""The staff day view at ``/admin`` in a real headless Chromium against a live gunicorn
(SPEC §4 "Staff and admin"): sign in with a token, a booking made in the widget or through
the API appears within one poll interval, live holds show, and check-in / complete /
no-show / cancel reach ``/admin/events`` and the customer's ``/me/events``.

Chromium fixtures: ``chromium_kit``. Demo data: services 1 Haircut 30 min; staff 1 Alex, 2 Sam, 3 Jordan;
Mon–Fri 09–17 UTC. ``workday`` is a Monday 2–8 days ahead.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from support.admin_kit import ALEX, HAIRCUT, JORDAN, SAM, make_token
from support.chromium_kit import ARTIFACTS, Contexts
from support.customer_kit import sign_in
from support.gunicorn_server import GunicornServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(120)]

POLL = 3  # seconds: static/admin.html's data-interval
SLACK = 1.5  # seconds for the request, the render and the browser's timers


@pytest.fixture
def new_page(browser):
    """Factory: a page in a fresh browser context, 1100×1000 (the day view's desk size)."""
    with Contexts(browser) as contexts:
        yield lambda: contexts.page(viewport={"width": 1100, "height": 1000})


@pytest.fixture
def live(app, database_url, redis_url, tmp_path):
    """gunicorn (2 workers) on this test's seeded database."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "APPOINTEASE_SELECTION_TTL": "4",
        "APPOINTEASE_HEARTBEAT_INTERVAL": "2",
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
    }
    with GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        yield server


def api(live, method, path, token=None, **kw) -> requests.Response:
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, f"{live.url}/api/v1{path}", headers=headers, timeout=10, **kw)


def book(live, day, time_, employee_id=ALEX, email="dana@example.com", name="Dana Scully") -> dict:
    body = {
        "service_id": HAIRCUT,
        "employee_id": employee_id,
        "date": day,
        "time": time_,
        "name": name,
        "email": email,
        "phone": "+44 20 7946 0001",
    }
    r = api(live, "POST", "/appointments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


def open_day(page: Page, live, token: str, day: str, employee_id: int | None = None) -> None:
    """Open /admin for ``day`` (and staff member), paste the token, wait for the day to show."""
    page.goto(f"{live.url}/admin#date={day}" + (f"&employee={employee_id}" if employee_id else ""))
    page.locator("input[name=token]").fill(token)
    page.locator("[data-role=login] button[type=submit]").click()
    expect(page.locator("[data-role=day]")).to_be_visible()
    expect(page.locator("[data-role=updated]")).to_contain_text("Updated")


def row(page: Page, reference: str):
    return page.locator(f".ae-apt[data-reference='{reference}']")


def admin_events(live, token) -> list[dict]:
    return api(live, "GET", "/admin/events?limit=500", token).json()["events"]


def test_api_booking_appears_within_one_poll_and_check_in_reaches_both_feeds(app, client, live, new_page, workday):
    admin = make_token(app, "admin", name="front desk")
    day = workday.isoformat()
    page = new_page()
    open_day(page, live, admin, day, ALEX)
    expect(page.locator("[name=employee]")).to_have_value(str(ALEX))
    expect(page.locator("[data-role=no-appointments]")).to_be_visible()
    expect(page.locator("[data-role=who]")).to_contain_text("Admin · front desk")

    apt = book(live, day, "10:00", email="dana@example.com")
    booked_at = time.monotonic()
    expect(row(page, apt["reference"])).to_be_visible(timeout=(POLL + SLACK) * 1000)
    seen_after = time.monotonic() - booked_at
    print(f"\nday view: booking visible {seen_after:.2f} s after its commit (poll interval {POLL} s)")
    assert seen_after <= POLL + SLACK
    expect(row(page, apt["reference"])).to_have_attribute("data-status", "confirmed")
    expect(row(page, apt["reference"])).to_contain_text("10:00–10:30")
    expect(row(page, apt["reference"])).to_contain_text("Dana Scully")
    expect(row(page, apt["reference"])).to_contain_text("Haircut")

    book(live, day, "11:00", employee_id=SAM, email="erin@example.com")  # another staff member: not shown here
    row(page, apt["reference"]).get_by_role("button", name="Check in Dana Scully at 10:00").click()
    expect(row(page, apt["reference"])).to_have_attribute("data-status", "checked_in")
    expect(page.locator("[data-role=message]")).to_have_text(f"{apt['reference']} checked in.")
    assert page.locator(".ae-apt").count() == 1

    events = [(e["type"], e["reference"]) for e in admin_events(live, admin)]
    assert events[-1] == ("appointment.checked_in", apt["reference"])
    mine = client.get("/api/v1/me/events", headers=sign_in(app, client, "dana@example.com")).get_json()
    assert [(e["type"], e["status"]) for e in mine["events"]] == [
        ("appointment.created", "confirmed"),
        ("appointment.checked_in", "checked_in"),
    ]

    row(page, apt["reference"]).get_by_role("button", name="Complete").click()
    expect(row(page, apt["reference"])).to_have_attribute("data-status", "completed")
    expect(row(page, apt["reference"]).locator("button")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-day-view.png"), full_page=True)


def test_widget_booking_and_live_holds_show_in_the_staff_day_view(app, live, new_page, workday):
    staff = make_token(app, "staff", JORDAN)
    day = workday.isoformat()
    desk = new_page()
    open_day(desk, live, staff, day)
    expect(desk.locator("[name=employee]")).to_be_disabled()
    expect(desk.locator("[name=employee]")).to_have_value(str(JORDAN))
    expect(desk.locator("[data-role=who]")).to_have_text("Staff · Jordan Lee")

    visitor = new_page()
    visitor.goto(live.url + "/static/index.html")
    visitor.locator(f"[data-service-id='{HAIRCUT}']").click()
    visitor.locator(f"[data-employee-id='{JORDAN}']").click()
    day_button = visitor.locator(f".ae-day[data-date='{day}']")
    if day_button.count():
        day_button.click()
    else:
        visitor.locator("input[name=date]").fill(day)
    time_button = visitor.locator(".ae-slot[data-time='14:00']:visible").first
    time_button.click()
    expect(time_button).to_have_attribute("data-status", "mine")
    hold = desk.locator(".ae-hold[data-time='14:00']")
    expect(hold).to_have_attribute("data-kind", "selection", timeout=(POLL + SLACK) * 1000)
    expect(hold).to_contain_text("visitor ")

    visitor.locator("[data-action='next']").click()
    visitor.locator("input[name=name]").fill("Walter Widget")
    visitor.locator("input[name=email]").fill("walter@example.com")
    visitor.locator("[data-action='next']").click()  # on the review step the visitor holds the lock
    expect(visitor.locator("[data-action='confirm']")).to_be_enabled()
    expect(hold).to_have_attribute("data-kind", "lock", timeout=(POLL + SLACK) * 1000)
    visitor.locator("[data-action='confirm']").click()
    reference = visitor.locator(".ae-reference").get_attribute("data-reference", timeout=10_000)
    assert reference and reference.startswith("APT-")
    confirmed_at = time.monotonic()
    expect(row(desk, reference)).to_be_visible(timeout=(POLL + SLACK) * 1000)
    assert time.monotonic() - confirmed_at <= POLL + SLACK
    expect(row(desk, reference)).to_contain_text("Walter Widget")
    expect(desk.locator(".ae-hold")).to_have_count(0, timeout=(POLL + SLACK) * 1000)

    # No-show from the desk (a staff token, its own employee).
    row(desk, reference).get_by_role("button", name="No-show").click()
    expect(row(desk, reference)).to_have_attribute("data-status", "no_show")
    assert admin_events(live, staff)[-1]["type"] == "appointment.no_show"


def test_cancel_needs_a_second_click_and_frees_the_slot(app, live, new_page, workday):
    admin = make_token(app, "admin")
    day = workday.isoformat()
    apt = book(live, day, "15:00", employee_id=SAM)
    page = new_page()
    open_day(page, live, admin, day, SAM)
    cancel = row(page, apt["reference"]).get_by_role("button", name="Cancel")
    cancel.click()
    expect(cancel).to_have_text("Confirm cancel")
    assert api(live, "GET", f"/admin/appointments/{apt['reference']}", admin).json()["status"] == "confirmed"
    cancel.click()
    expect(row(page, apt["reference"])).to_have_attribute("data-status", "cancelled")
    beat = api(live, "POST", "/heartbeat", json={"date": day, "employee_id": SAM, "client_id": "watcher-0001"}).json()
    assert "15:00" not in beat["booked"]


def test_changes_made_elsewhere_and_other_days(app, live, new_page, workday):
    admin = make_token(app, "admin")
    day = workday.isoformat()
    page = new_page()
    open_day(page, live, admin, day, ALEX)
    apt = book(live, day, "09:00")
    expect(row(page, apt["reference"])).to_be_visible(timeout=(POLL + SLACK) * 1000)
    # Another desk checks the customer in: this one follows within a poll.
    assert (
        api(
            live, "POST", f"/admin/appointments/{apt['reference']}/status", admin, json={"status": "checked_in"}
        ).status_code
        == 200
    )
    expect(row(page, apt["reference"])).to_have_attribute("data-status", "checked_in", timeout=(POLL + SLACK) * 1000)
    # Another staff member and date from the pickers.
    other = book(live, day, "16:00", employee_id=JORDAN)
    page.locator("[name=employee]").select_option(str(JORDAN))
    expect(row(page, other["reference"])).to_be_visible()
    assert page.evaluate("location.hash") == f"#date={day}&employee={JORDAN}"
    page.locator("[name=date]").fill((workday + timedelta(days=1)).isoformat())
    expect(page.locator("[data-role=no-appointments]")).to_be_visible()
    expect(page.locator(".ae-apt")).to_have_count(0)
    page.locator("[name=date]").fill(day)
    expect(page.locator(".ae-apt")).to_have_count(1)


def test_bad_or_revoked_token_returns_to_the_sign_in_form(app, live, new_page, workday):
    page = new_page()
    page.goto(f"{live.url}/admin")
    page.locator("input[name=token]").fill("aet_wrong")
    page.locator("[data-role=login] button[type=submit]").click()
    expect(page.locator("[data-role=message]")).to_contain_text("not accepted")
    expect(page.locator("[data-role=login]")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('appointease.admin_token')") is None

    token = make_token(app, "staff", ALEX)
    open_day(page, live, token, workday.isoformat())
    assert page.evaluate("sessionStorage.getItem('appointease.admin_token')") == token
    page.reload()  # the token survives a reload of the tab
    expect(page.locator("[data-role=day]")).to_be_visible()
    me = api(live, "GET", "/admin/me", token).json()
    result = app.test_cli_runner().invoke(args=["revoke-token", str(me["token_id"])])
    assert result.exit_code == 0, result.output
    expect(page.locator("[data-role=login]")).to_be_visible(timeout=(POLL + SLACK) * 1000)
    expect(page.locator("[data-role=message]")).to_contain_text("revoked")


def test_an_inactive_staff_member_is_listed_but_never_preselected(app, live, new_page, workday):
    """Issue 16 point 6: with Alex (the first) deactivated, the day view opened "Alex (inactive)"."""
    admin = make_token(app, "admin", name="front desk")
    assert api(live, "DELETE", f"/admin/staff/{ALEX}", admin).status_code in (200, 204)
    staff = api(live, "GET", "/admin/staff", admin).json()
    assert staff[0]["id"] == ALEX and staff[0]["active"] is False  # the one a plain default would pick
    first_active = next(s for s in staff if s["active"])
    page = new_page()
    open_day(page, live, admin, workday.isoformat())
    employee = page.locator("[name=employee]")
    expect(employee).to_have_value(str(first_active["id"]))
    expect(employee.locator(f"option[value='{ALEX}']")).to_contain_text("(inactive)")
    # Still selectable on purpose.
    employee.select_option(str(ALEX))
    expect(employee).to_have_value(str(ALEX))
