"""How often one open widget polls (issue 18, "less traffic per tab"): every server interval
(± 20 % jitter) on a step with a time grid while the tab is visible, every 30 s (± 20 %)
while it is hidden, never on the service, staff and done steps; the details step's lock is
renewed while hidden and the widget polls at once on return.

Time is Playwright's fake clock (``page.clock``): the widget's timers and ``Date.now()`` run
on it, so a minute is stepped through in about a second of real time; the server runs on
real time (holds do not age while the fake minutes pass). Hidden is emulated with
``set_hidden``: headless Chromium keeps every page visible (no CDP call makes
``document.visibilityState`` "hidden" there: ``Page.setWebLifecycleState`` freezes timers,
which is not what a background tab does), so the page's ``document.hidden`` is overridden
and ``visibilitychange`` fired, which is all the widget reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from support.widget_kit import (
    BROWSER,
    HAIRCUT,
    JORDAN,
    api,
    confirm,
    hold_body,
    open_widget,
    pick,
    root,
    set_hidden,
    slot,
    to_details,
    to_review,
    to_time_step,
)

pytestmark = BROWSER

#: The product's default poll interval (APPOINTEASE_HEARTBEAT_INTERVAL), used here instead
#: of the kit's 2 s so the counts are the ones a real tab sends.
INTERVAL = 5
OTHER = "other-visitor-0002"


class Traffic:
    """The API requests one page sends, by path, and the fake clock they are counted on."""

    def __init__(self, page: Page):
        self.page = page
        self.sent: list[str] = []
        self.pending: set = set()  # requests started and not answered yet
        page.on("request", self._started)
        page.on("requestfinished", lambda request: self.pending.discard(request))
        page.on("requestfailed", lambda request: self.pending.discard(request))

    def _started(self, request) -> None:
        if "/api/v1/" in request.url:
            self.sent.append(request.method + " " + request.url.split("/api/v1", 1)[1].split("?")[0])
            self.pending.add(request)

    def count(self, what: str = "POST /heartbeat") -> int:
        return self.sent.count(what)

    def run(self, seconds: float, step_ms: int = 250) -> None:
        """Let ``seconds`` of fake time pass in steps, waiting (real time, at most 0.3 s) after
        each for the requests it started to be answered, so each next timer is set when the
        page sets it. (A beacon's end may never be reported: older requests are not waited for.)"""
        for _ in range(int(seconds * 1000 / step_ms)):
            self.pending.clear()
            self.page.clock.run_for(step_ms)
            self.page.wait_for_timeout(10)
            for _ in range(30):
                if not self.pending:
                    break
                self.page.wait_for_timeout(10)


def pause_clock(page: Page) -> None:
    """Stop the fake clock 1 s past the page's time now (it ran at real speed until here; the
    margin covers the round trip, as pause_at cannot go back)."""
    now_ms = page.evaluate("Date.now()")
    page.clock.pause_at(datetime.fromtimestamp(now_ms / 1000 + 1, UTC))


def open_on_time_step(page: Page, url: str, day: str) -> Traffic:
    page.clock.install()
    open_widget(page, url)
    to_time_step(page, day, JORDAN)
    return Traffic(page)


def test_a_visible_time_step_polls_every_interval_a_hidden_one_every_30_s(start_live, visitor, workday):
    live = start_live(APPOINTEASE_HEARTBEAT_INTERVAL=INTERVAL)
    page = visitor()
    traffic = open_on_time_step(page, live.url + "/static/index.html", workday.isoformat())
    pause_clock(page)
    traffic.run(5)  # past the first poll's answer
    start = traffic.count()
    traffic.run(60)
    visible = traffic.count() - start
    assert 60 / (INTERVAL * 1.2) - 1 <= visible <= 60 / (INTERVAL * 0.8) + 1  # 10 … 16, ≈ 12

    set_hidden(page, True)
    start = traffic.count()
    traffic.run(120)
    hidden = traffic.count() - start
    assert 120 / 36 - 1 <= hidden <= 120 / 24  # 2 … 5, ≈ 4: ≤ 2.5 a minute
    assert set(traffic.sent) <= {"POST /heartbeat", "GET /availability", "GET /availability/days"}

    before = traffic.count()
    set_hidden(page, False)  # back: a poll at once, then the interval again
    traffic.run(0.5)
    assert traffic.count() == before + 1


def test_poll_delays_vary_by_20_percent_so_tabs_opened_together_drift_apart(start_live, visitor, workday):
    """Each delay is the interval ± 20 % at random, not one fixed period: two tabs opened at the
    same moment do not keep polling at the same moments."""
    live = start_live(APPOINTEASE_HEARTBEAT_INTERVAL=INTERVAL)
    page = visitor()
    traffic = open_on_time_step(page, live.url + "/static/index.html", workday.isoformat())
    pause_clock(page)
    times = []
    page.on("request", lambda r: r.url.endswith("/heartbeat") and times.append(page.evaluate("Date.now()")))
    traffic.run(40)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) >= 5
    assert all(INTERVAL * 800 - 300 <= gap <= INTERVAL * 1200 + 300 for gap in gaps), gaps
    assert max(gaps) - min(gaps) > 100, gaps  # not one fixed period


def test_steps_without_a_time_grid_send_no_heartbeat(start_live, visitor, workday):
    live = start_live(APPOINTEASE_HEARTBEAT_INTERVAL=INTERVAL)
    page = visitor()
    page.clock.install()
    open_widget(page, live.url + "/static/index.html")
    traffic = Traffic(page)
    ae = root(page)
    pause_clock(page)
    traffic.run(30)  # the service step
    page.clock.resume()
    page.locator(f"[data-service-id='{HAIRCUT}']").click()
    expect(ae).to_have_attribute("data-step", "staff")
    pause_clock(page)
    traffic.run(30)  # the staff step
    assert traffic.count() == 0

    page.clock.resume()
    page.locator(f"[data-employee-id='{JORDAN}']").click()
    expect(ae).to_have_attribute("data-step", "time")
    day = workday.isoformat()
    day_button = page.locator(f".ae-day[data-date='{day}']")
    if day_button.count():
        day_button.click()
    else:  # not in the shown week
        page.locator("input[name=date]").fill(day)
    pick(page, "10:00")
    to_review(page)
    confirm(page)  # the done step
    pause_clock(page)
    traffic.run(1)
    start = len(traffic.sent)
    traffic.run(60)
    assert traffic.sent[start:] == []


def test_the_details_lock_is_renewed_while_hidden_and_polled_at_once_on_return(start_live, visitor, workday):
    """Hidden for 6 (fake) minutes on the details step: polls every 30 s, the 10-minute lock
    renewed at half its time (POST /slots/lock), nobody else can take the time, and back in
    the tab a poll goes at once and the visitor is still on the details step."""
    live = start_live(APPOINTEASE_HEARTBEAT_INTERVAL=INTERVAL)
    day = workday.isoformat()
    page = visitor()
    traffic = open_on_time_step(page, live.url + "/static/index.html", day)
    pick(page, "10:00")
    to_details(page)
    pause_clock(page)
    set_hidden(page, True)
    start = len(traffic.sent)
    traffic.run(360)
    while_hidden = traffic.sent[start:]
    assert while_hidden.count("POST /slots/lock") >= 1  # renewed at ~5 of its 10 minutes
    assert 360 / 36 - 1 <= while_hidden.count("POST /heartbeat") <= 360 / 24  # 9 … 15: ~2 a minute
    r = api(live, "POST", "/slots/select", json=hold_body(day, "10:00", JORDAN, OTHER))
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_held"

    before = traffic.count()
    set_hidden(page, False)
    traffic.run(0.5)
    assert traffic.count() == before + 1
    traffic.run(2)
    expect(root(page)).to_have_attribute("data-step", "details")
    expect(page.locator(".ae-alert")).to_have_text("")
    expect(slot(page, "10:00")).to_have_count(0)  # the details step shows no grid
