"""An open widget repaints its times when the catalogue changes (SPEC §4; issue 16 point 2).

The widget shows a day, then an admin shrinks the staff member's hours, adds time off or
widens the hours again through the admin API: within a couple of polls (2 s here) the
vanished times leave the page and new ones appear, without a reload, and a chosen time
that vanished is dropped with "That time is no longer offered".
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from support.admin_kit import make_token
from support.widget_kit import BROWSER, JORDAN, LIVE_MS, open_widget, pick, root, slot, to_details, to_time_step

pytestmark = BROWSER

GONE = "That time is no longer offered. Please choose another time."


@pytest.fixture
def admin_api(app):
    """``admin_api(live, method, path, json)``: an admin API call to the live server."""
    token = make_token(app, "admin", name="browser test admin")

    def call(live, method: str, path: str, json=None) -> requests.Response:
        r = requests.request(
            method,
            f"{live.url}/api/v1/admin{path}",
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert r.ok, (r.status_code, r.text)
        return r

    return call


def shown(page: Page) -> list[str]:
    """The times the page shows for the chosen day, in order."""
    return page.locator(".ae-slots .ae-slot").evaluate_all("els => els.map(e => e.dataset.time)")


def hours(day, start: str, end: str) -> list[dict]:
    """A week with one interval on ``day``'s weekday."""
    return [{"weekday": day.weekday(), "start": start, "end": end}]


def test_shrunk_hours_and_time_off_leave_the_open_widget(start_live, visitor, workday, admin_api):
    live = start_live()
    day = workday.isoformat()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    assert shown(page)[-1] == "16:30"
    pick(page, "15:00")
    page.evaluate("window.notReloaded = true")

    admin_api(live, "PUT", f"/staff/{JORDAN}/hours", hours(workday, "09:00", "12:00"))
    expect(slot(page, "16:30")).to_have_count(0, timeout=LIVE_MS)
    assert shown(page) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    # The chosen time left the grid: dropped, with the reason, and Continue is gone.
    expect(page.locator(".ae-alert[role=alert]")).to_have_text(GONE)
    expect(page.locator("[data-action='next']")).to_be_hidden()
    expect(root(page)).to_have_attribute("data-step", "time")

    admin_api(live, "PUT", f"/staff/{JORDAN}/hours", hours(workday, "09:00", "13:00"))
    expect(slot(page, "12:30")).to_have_count(1, timeout=LIVE_MS)  # new times appear too
    expect(slot(page, "12:30")).to_have_attribute("data-status", "available")
    pick(page, "12:30")

    admin_api(live, "POST", f"/staff/{JORDAN}/time-off", {"start_date": day, "end_date": day})
    expect(page.locator(".ae-slots .ae-slot")).to_have_count(0, timeout=LIVE_MS)
    expect(page.locator(".ae-slots")).to_contain_text("No free times on this day.")
    expect(page.locator(".ae-alert[role=alert]")).to_have_text(GONE)
    assert page.evaluate("window.notReloaded") is True


def test_a_locked_time_that_vanishes_sends_the_visitor_back_to_the_times(start_live, visitor, workday, admin_api):
    live = start_live()
    day = workday.isoformat()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    pick(page, "16:00")
    to_details(page)

    admin_api(live, "PUT", f"/staff/{JORDAN}/hours", hours(workday, "09:00", "12:00"))
    expect(root(page)).to_have_attribute("data-step", "time", timeout=LIVE_MS)
    expect(page.locator(".ae-alert[role=alert]")).to_have_text(GONE)
    expect(slot(page, "16:00")).to_have_count(0)
    assert shown(page)[-1] == "11:30"
