"""The widget's live behaviour with real visitors (issue 12): holds that survive a hidden tab,
honest messages, open days at a glance, keyboard use, time zones and a flaky network.

"Other visitors" are either a second browser or plain API clients with their own client_id;
their view of a slot is read from ``GET /availability`` as they would see it.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from support.widget_kit import (
    BROWSER,
    DESKTOP,
    HAIRCUT,
    HELD,
    INTERVAL,
    JORDAN,
    LIVE_MS,
    PHONE,
    TAKEN,
    api,
    api_book,
    client_id,
    confirm,
    hold_body,
    open_widget,
    pick,
    root,
    set_hidden,
    slot,
    to_details,
    to_time_step,
)

pytestmark = BROWSER

OTHER = "other-visitor-0001"


def seen_by_other(live, day: str, time_: str, employee_id: int = JORDAN) -> str:
    """The state of ``time_`` for another visitor."""
    r = api(
        live,
        "GET",
        "/availability",
        params={"date": day, "employee_id": employee_id, "service_id": HAIRCUT, "client_id": OTHER},
    )
    return {s["time"]: s["status"] for s in r.json()["slots"]}[time_]


def wait_seen(live, day: str, time_: str, status: str, within: float) -> float:
    """Poll (every 0.1 s) until another visitor sees ``status``; return the seconds it took."""
    start = time.monotonic()
    while seen_by_other(live, day, time_) != status:
        assert time.monotonic() - start < within, f"{time_} not {status} within {within} s"
        time.sleep(0.1)
    return time.monotonic() - start


def active(page: Page):
    """``[data-*]`` of the focused element inside the widget's shadow root."""
    return page.evaluate(
        "() => { const el = document.querySelector('[data-appointease]').shadowRoot.activeElement;"
        " return el ? {...el.dataset} : null; }"
    )


def test_hidden_tab_for_30_s_on_details_keeps_the_hold(start_live, visitor, workday, appointments):
    """A visitor switches apps for 30 s on the details step (selections live 4 s here): the
    10-minute lock taken on entering details keeps the time theirs; nobody can take it, the
    hidden tab sends at most one heartbeat (every 30 s ± 20 %), and back in the tab they book
    without a word of complaint."""
    live = start_live()
    day = workday.isoformat()
    a, b = visitor(), visitor()
    for page in (b, a):
        open_widget(page, live.url + "/static/index.html")
    to_time_step(b, day, JORDAN)
    to_time_step(a, day, JORDAN)
    pick(a, "10:00")
    to_details(a)
    expect(slot(b, "10:00")).to_have_attribute("data-status", "locked", timeout=LIVE_MS)
    a.locator("input[name=name]").fill("Ada Lovelace")

    sent = []
    a.on("request", lambda r: "/api/v1/" in r.url and sent.append(r.url))
    set_hidden(a, True)
    seen, until = set(), time.monotonic() + 30
    while time.monotonic() < until:
        seen.add(slot(b, "10:00").get_attribute("data-status"))
        b.wait_for_timeout(1000)
    assert seen == {"locked"}
    r = api(live, "POST", "/slots/select", json=hold_body(day, "10:00", JORDAN, OTHER))
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_held"
    # A hidden tab polls every 30 s ± 20 % (issue 18): at most one heartbeat, nothing else.
    assert len(sent) <= 1 and all(url.endswith("/heartbeat") for url in sent), sent

    set_hidden(a, False)
    a.wait_for_timeout(INTERVAL * 1000 + 500)  # the poll on return has answered
    expect(root(a)).to_have_attribute("data-step", "details")
    expect(a.locator(".ae-alert")).to_have_text("")
    a.locator("input[name=email]").fill("ada@example.com")
    a.locator("[data-action='next']").click()
    ref = confirm(a)
    assert [(x.reference, x.start_at.strftime("%H:%M")) for x in appointments()] == [(ref, "10:00")]


def test_lock_is_renewed_while_visible_and_retaken_or_explained_after_a_lapse(start_live, visitor, workday):
    """With a 6 s lock: renewed while the tab is visible; lapsed while hidden and re-taken on
    return when still free; taken by someone else meanwhile → an alert that says "booking",
    not "booked", and the visitor is back on the time step."""
    # The hold life (default 2 × the TTL, 12 s here) would end this 30 s walk: not its subject.
    live = start_live(APPOINTEASE_LOCK_TTL=6, APPOINTEASE_LOCK_MAX_SECONDS=120)
    day = workday.isoformat()
    a = visitor()
    open_widget(a, live.url + "/static/index.html")
    to_time_step(a, day, JORDAN)
    pick(a, "10:00")
    to_details(a)
    for _ in range(5):  # 10 s visible: longer than the lock, yet never free
        assert seen_by_other(live, day, "10:00") == "locked"
        a.wait_for_timeout(2000)

    set_hidden(a, True)
    wait_seen(live, day, "10:00", "available", within=6 + 2)
    set_hidden(a, False)
    wait_seen(live, day, "10:00", "locked", within=3)
    expect(root(a)).to_have_attribute("data-step", "details")
    expect(a.locator(".ae-alert")).to_have_text("")

    set_hidden(a, True)
    wait_seen(live, day, "10:00", "available", within=6 + 2)
    assert api(live, "POST", "/slots/lock", json=hold_body(day, "10:00", JORDAN, OTHER)).status_code == 200
    set_hidden(a, False)
    expect(root(a)).to_have_attribute("data-step", "time", timeout=LIVE_MS)
    expect(a.locator(".ae-alert[role=alert]")).to_have_text(HELD)
    expect(slot(a, "10:00")).to_have_attribute("data-status", "locked")
    expect(slot(a, "10:00")).to_have_attribute("aria-disabled", "true")


def test_leaving_the_time_choice_releases_at_once(start_live, visitor, strip_workday):
    """Selections live 60 s here, so only a release can free a time within the 1.5 s allowed:
    another day, Back to the staff step, and leaving the page (a sendBeacon) each release at
    once; Back from details turns the lock back into a selection that stays the visitor's."""
    workday = strip_workday  # its next day is on the same strip page
    live = start_live(APPOINTEASE_SELECTION_TTL=60)
    day, tuesday = workday.isoformat(), (workday + timedelta(days=1)).isoformat()
    a = visitor()
    posts = []
    a.context.on(
        "request",
        lambda r: (
            r.method == "POST"
            and posts.append((r.url.rsplit("/", 1)[1], r.resource_type, r.headers.get("content-type", "")))
        ),
    )
    # navigator.sendBeacon calls, noted in localStorage by a wrapper installed before any page script.
    a.add_init_script("""{ const send = navigator.sendBeacon.bind(navigator);
        navigator.sendBeacon = (url, body) => {
            const seen = JSON.parse(localStorage.getItem('beacons') || '[]');
            localStorage.setItem('beacons', JSON.stringify([...seen, [url, body]]));
            return send(url, body); }; }""")
    open_widget(a, live.url + "/static/index.html")
    to_time_step(a, day, JORDAN)
    pick(a, "10:00")
    assert seen_by_other(live, day, "10:00") == "processing"
    a.locator(f".ae-day[data-date='{tuesday}']").click()
    assert wait_seen(live, day, "10:00", "available", within=1.5) < 1.5

    a.locator(f".ae-day[data-date='{day}']").click()
    pick(a, "11:00")
    to_details(a)
    assert seen_by_other(live, day, "11:00") == "locked"
    a.locator("[data-action='back']").click()
    expect(root(a)).to_have_attribute("data-step", "time")
    wait_seen(live, day, "11:00", "processing", within=3)  # a selection again, renewed by polls
    expect(slot(a, "11:00")).to_have_attribute("data-status", "mine")
    a.locator("[data-action='back']").click()
    expect(root(a)).to_have_attribute("data-step", "staff")
    assert wait_seen(live, day, "11:00", "available", within=1.5) < 1.5

    a.locator(f"[data-employee-id='{JORDAN}']").click()
    a.locator(f".ae-day[data-date='{day}']").click() if a.locator(f".ae-day[data-date='{day}']").count() else a.locator(
        "input[name=date]"
    ).fill(day)
    pick(a, "12:00")
    cid = client_id(a)
    a.goto("about:blank")
    assert wait_seen(live, day, "12:00", "available", within=1.5) < 1.5
    # Polls and holds are text/plain JSON (CORS simple requests, no preflight); the release on
    # page hide is a beacon.
    kinds = {(name, ctype.split(";")[0]) for name, _, ctype in posts}
    assert kinds >= {
        ("heartbeat", "text/plain"),
        ("select", "text/plain"),
        ("lock", "text/plain"),
        ("release", "text/plain"),
    }
    assert all(ctype.startswith("text/plain") for name, _, ctype in posts if name != "appointments")
    a.goto(live.url + "/healthz")
    beacons = [
        (url.rsplit("/", 1)[1], json.loads(body))
        for url, body in a.evaluate("JSON.parse(localStorage.getItem('beacons'))")
    ]
    assert beacons == [("release", {"date": day, "time": "12:00", "employee_id": JORDAN, "client_id": cid})]


@pytest.mark.date_relative
def test_closed_days_greyed_first_open_day_preselected(start_live, visitor, database_url):
    """Jordan is off from today until the Sunday after next week's Monday: the strip greys
    every day without times, preselects the first open day, and from an all-closed week offers
    "Next available: …"; the date input stops at the booking horizon."""
    from appointease.models import TimeOff

    today = date.today()
    first_monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    back = first_monday + timedelta(days=7)  # the first open day
    engine = create_engine(database_url)
    with Session(engine) as s:
        s.add(TimeOff(employee_id=JORDAN, start_date=today, end_date=back - timedelta(days=1)))
        s.commit()
    engine.dispose()
    live = start_live()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    page.locator(f"[data-service-id='{HAIRCUT}']").click()
    page.locator(f"[data-employee-id='{JORDAN}']").click()

    chosen = page.locator(".ae-day[aria-pressed='true']")
    expect(chosen).to_have_attribute("data-date", back.isoformat())
    expect(page.locator(f".ae-slots[data-date='{back.isoformat()}'] .ae-slot").first).to_be_visible()
    # The strip pages from today in blocks of 7, so the strip on screen is the block holding
    # `back`; its weekend days (Jordan works Mon-Fri) are closed, whatever weekday today is.
    strip_start = today + timedelta(days=7 * ((back - today).days // 7))
    strip = [strip_start + timedelta(days=i) for i in range(7)]
    closed_days = [d for d in strip if d.weekday() >= 5]
    assert len(closed_days) == 2 and back in strip
    for closed in closed_days:
        day = page.locator(f".ae-day[data-date='{closed.isoformat()}']")
        expect(day).to_have_attribute("aria-disabled", "true")
        expect(day).to_have_attribute("data-free", "0")
        # The accessible name starts with the visible text (WCAG 2.5.3), then says why.
        expect(day).to_have_accessible_name(
            re.compile(rf"^{closed.strftime('%a')} {closed.day} {closed.strftime('%b')}\b.*no free times$")
        )
    page.locator(f".ae-day[data-date='{closed_days[-1].isoformat()}']").click(force=True)  # aria-disabled: a hint
    expect(page.locator(".ae-msg")).to_contain_text("No free times on")
    expect(chosen).to_have_attribute("data-date", back.isoformat())  # a closed day is not chosen

    while page.locator("[data-action='earlier']").is_enabled():
        page.locator("[data-action='earlier']").click()
    assert page.locator(".ae-day").first.get_attribute("data-date") == today.isoformat()
    for d in page.locator(".ae-day").all():
        expect(d).to_have_attribute("aria-disabled", "true")
    link = page.locator("[data-action='next-open']")
    expect(link).to_have_text(f"Next available: {back.strftime('%a')} {back.day} {back.strftime('%b')} →")
    link.click()
    expect(chosen).to_have_attribute("data-date", back.isoformat())
    horizon = (datetime.now(UTC) + timedelta(days=90)).date().isoformat()
    expect(page.locator("input[name=date]")).to_have_attribute("max", horizon)
    expect(page.locator("input[name=date]")).to_have_attribute("min", today.isoformat())


def test_keyboard_roving_focus_and_continue(start_live, visitor, strip_workday):
    """One tab stop per group; arrows move within the days and the times; a pick moves focus
    to Continue, whose accessible name starts with its visible text."""
    workday = strip_workday  # its next day is on the same strip page
    live = start_live()
    day = workday.isoformat()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    expect(page.locator(".ae-slot[tabindex='0']")).to_have_count(1)
    expect(page.locator(".ae-day[tabindex='0']")).to_have_count(1)

    page.locator(".ae-day[tabindex='0']").focus()
    assert active(page)["date"] == day
    page.keyboard.press("ArrowRight")
    assert active(page)["date"] == (workday + timedelta(days=1)).isoformat()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    expect(page.locator(".ae-day[aria-pressed='true']")).to_have_attribute("data-date", day)

    slot(page, "09:00").focus()
    cols = page.evaluate("""() => { const b = [...document.querySelector('[data-appointease]').shadowRoot
        .querySelectorAll('.ae-slot')]; return b.filter(x => x.offsetTop === b[0].offsetTop).length; }""")
    page.keyboard.press("ArrowRight")
    assert active(page)["time"] == "09:30"
    page.keyboard.press("ArrowDown")
    below = (datetime(2000, 1, 1, 9, 30) + timedelta(minutes=30 * cols)).strftime("%H:%M")
    assert active(page)["time"] == below
    page.keyboard.press("Home")
    assert active(page)["time"] == "09:00"
    page.keyboard.press("ArrowRight")
    page.keyboard.press(" ")
    expect(slot(page, "09:30")).to_have_attribute("data-status", "mine")
    expect(page.locator("[data-action='next']")).to_be_focused()
    expect(page.locator("[data-action='next']")).to_have_accessible_name(
        f"Continue – {workday.strftime('%a')} {workday.day} {workday.strftime('%b')}, 09:30"
    )
    expect(slot(page, "09:30")).to_have_accessible_name("09:30–10:00 ✓ yours")
    expect(slot(page, "10:00")).to_have_accessible_name("10:00–10:30")  # free: only the time
    page.keyboard.press("Enter")
    expect(root(page)).to_have_attribute("data-step", "details")


@pytest.mark.parametrize("form", ["desktop", "phone"])
def test_focus_stays_clear_of_the_sticky_bar_and_continue_reads_whole(form, start_live, visitor, workday):
    """Keyboard focus never hides under the sticky Continue bar (WCAG 2.4.11): the focused
    slot is fully above the bar after Home/End and arrows. On desktop the bar's "Continue –
    Mon 23 Nov, 14:00" is one line with its dash shown; on the phone the day and time sit on a
    line of their own (the dash is not drawn, but stays in the accessible name)."""
    live = start_live()
    page = visitor(**(PHONE if form == "phone" else {"viewport": DESKTOP}))
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, workday.isoformat(), JORDAN)
    pick(page, "14:00")
    cont = page.locator("[data-action='next']")
    dash = cont.locator(".ae-dash")
    if form == "desktop":
        assert dash.bounding_box()["width"] > 4  # drawn (a visually hidden span is 1 px)
        box = cont.bounding_box()
        assert box["height"] < 60, box  # one line
    else:
        assert dash.bounding_box()["width"] == 0
    expect(cont).to_have_accessible_name(re.compile(r"^Continue – "))

    def clear_of_bar() -> None:
        focused = page.evaluate("""() => { const sr = document.querySelector('[data-appointease]').shadowRoot;
            const r = sr.activeElement.getBoundingClientRect();
            const bar = sr.querySelector('.ae-nav').getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, bar: bar.top}; }""")
        assert focused["top"] >= 0 and focused["bottom"] <= focused["bar"], focused

    slot(page, "14:00").focus()
    for key in ["Home", "End", "Home", "ArrowDown", "ArrowDown", "ArrowDown", "End"]:
        page.evaluate("scrollTo(0, 0)")  # the visitor scrolled up: the move must bring focus into view
        page.keyboard.press(key)
        clear_of_bar()


def test_taken_and_held_slots_explain_never_downgrade_and_errors_clear(start_live, visitor, workday):
    """Held slots are aria-disabled with a hint and a click asks nothing of the server; a 409
    only ever raises a slot's state; the error banner goes with the next success."""
    live = start_live(APPOINTEASE_HEARTBEAT_INTERVAL=30)  # the widget's view goes stale on purpose
    day = workday.isoformat()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    selects = []
    page.on("request", lambda r: r.url.endswith("/slots/select") and selects.append(r.post_data))

    # Others act after the widget's last poll: it still shows the time as free.
    assert api_book(live, day, "10:30", JORDAN, client_id="phone-caller-01").status_code == 201
    expect(slot(page, "10:30")).to_have_attribute("data-status", "available")
    slot(page, "10:30").click()
    expect(page.locator(".ae-msg")).to_have_text(TAKEN)
    expect(slot(page, "10:30")).to_have_attribute("data-status", "booked")
    page.wait_for_timeout(500)  # the refresh a 409 triggers has answered; the next poll is 30 s away
    assert api(live, "POST", "/slots/lock", json=hold_body(day, "11:00", JORDAN, OTHER)).status_code == 200
    expect(slot(page, "11:00")).to_have_attribute("data-status", "available")
    slot(page, "11:00").click()
    expect(page.locator(".ae-msg")).to_have_text(HELD)
    # raised from free (in use), then the refresh a 409 triggers says exactly: held
    expect(slot(page, "11:00")).to_have_attribute("data-status", re.compile(r"^(processing|locked)$"))
    expect(slot(page, "10:30")).to_have_attribute("data-status", "booked")  # never lowered

    pick(page, "12:00")  # success clears the banner
    expect(page.locator(".ae-msg")).to_have_text("12:00–12:30 is held for you while you book.")
    expect(slot(page, "11:00")).to_have_attribute("data-status", "locked", timeout=LIVE_MS)  # the next poll: held
    held = slot(page, "11:00")
    expect(held).to_have_attribute("aria-disabled", "true")
    expect(held).to_have_accessible_description("Someone is booking this — it may free up shortly.")
    expect(held.locator(".ae-state")).to_have_text("held")
    expect(slot(page, "12:30").locator(".ae-state")).to_have_text("")  # free slots carry no label
    n = len(selects)
    held.click(force=True)
    expect(page.locator(".ae-msg")).to_contain_text("it may free up shortly")
    page.wait_for_timeout(300)
    assert len(selects) == n  # a held slot is not tried
    expect(slot(page, "12:00")).to_have_attribute("data-status", "mine")  # and the visitor keeps theirs
    # The other visitor lets go: the widget says so politely.
    api(live, "POST", "/slots/release", json={"date": day, "time": "11:00", "employee_id": JORDAN, "client_id": OTHER})
    expect(slot(page, "11:00")).to_have_attribute("data-status", "available", timeout=LIVE_MS)
    expect(page.locator(".ae-msg")).to_have_text("11:00–11:30 is free again.")


def test_visitor_time_zone_ranges_and_currency(start_live, visitor, workday):
    """A visitor in New York sees 09:00 UTC as 04:00–04:30 (EST), with the business zone noted
    on the time step and beside the time in the summary, zones named as people say them
    (issue 16: "Eastern Time", not "America/New_York"); prices carry the server's currency
    (``APPOINTEASE_CURRENCY``), formatted for the visitor's locale (en-GB: 24-hour)."""
    live = start_live(APPOINTEASE_CURRENCY="GBP")
    day = workday.isoformat()
    page = visitor(timezone_id="America/New_York")
    open_widget(page, live.url + "/static/index.html")
    expect(page.locator(f"[data-service-id='{HAIRCUT}']")).to_contain_text("30 min · £25.00")
    to_time_step(page, day, JORDAN)
    offset = datetime.fromisoformat(f"{day}T09:00+00:00").astimezone(ZoneInfo("America/New_York"))
    local = offset.strftime("%H:%M")
    end = (offset + timedelta(minutes=30)).strftime("%H:%M")
    expect(slot(page, "09:00").locator(".ae-slot-time")).to_have_text(f"{local}–{end}")
    expect(page.locator(".ae-tz")).to_have_text("Times are in your time zone (Eastern Time); the business is in UTC.")
    pick(page, "09:00")
    to_details(page)
    expect(page.locator(".ae-summary")).to_contain_text(f"{local}–{end} Eastern Time (09:00–09:30 UTC)")


def test_network_states(start_live, visitor, strip_workday):
    """Offline: "Reconnecting…", a dimmed grid, and no "✓ yours" once the hold may have lapsed;
    online again: all of it clears, including "We couldn't reach…"; loading shows skeletons."""
    workday = strip_workday  # its next day is on the same strip page
    live = start_live()
    day = workday.isoformat()
    page = visitor()
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, JORDAN)
    skeletons = page.evaluate(f"""() => {{ const sr = document.querySelector('[data-appointease]').shadowRoot;
        sr.querySelector('.ae-day[data-date="{(workday + timedelta(days=1)).isoformat()}"]').click();
        return [sr.querySelectorAll('.ae-slots .ae-skel').length, sr.querySelector('.ae-slots').textContent]; }}""")
    assert skeletons == [8, "Loading times…"]  # the text is for screen readers only (visually hidden)
    page.locator(f".ae-day[data-date='{day}']").click()
    pick(page, "10:00")

    page.context.set_offline(True)
    ae = root(page)
    expect(ae).to_have_attribute("data-connection", "reconnecting", timeout=LIVE_MS)
    expect(page.locator(".ae-conn")).to_have_text("Reconnecting…")
    assert page.locator(".ae-slots").evaluate("el => getComputedStyle(el).opacity") == "0.55"
    expect(slot(page, "10:00").locator(".ae-state")).to_have_text("", timeout=8_000)  # 4 s TTL: unsure now
    slot(page, "11:00").click()
    expect(page.locator(".ae-msg")).to_have_text(
        "We couldn’t reach the booking service. Check your connection and try again."
    )

    page.context.set_offline(False)
    expect(ae).to_have_attribute("data-connection", "ok", timeout=15_000)
    expect(page.locator(".ae-conn")).to_be_hidden()
    expect(page.locator(".ae-msg")).not_to_contain_text("couldn’t reach")
    expect(slot(page, "10:00").locator(".ae-state")).to_have_text("yours", timeout=LIVE_MS)  # re-taken
    assert page.locator(".ae-slots").evaluate("el => getComputedStyle(el).opacity") == "1"


def test_any_available_polls_all_staff_in_one_heartbeat_when_the_server_can(start_live, visitor, workday):
    """ "Any available" asks for every staff member's states in one heartbeat (``employee_ids``,
    SPEC §4) when the server answers with ``staff``; a server without it refuses the field
    once (422) and the widget quietly polls per staff member instead. Either way the grid
    follows other visitors: a time held with all three staff turns "in use"."""
    live = start_live()
    day = workday.isoformat()
    probe = api(live, "POST", "/heartbeat", json={"date": day, "employee_ids": [1, 2, 3], "client_id": OTHER})
    multi = probe.status_code == 200 and "staff" in probe.json()
    page = visitor()
    beats, looks = [], []
    page.on("request", lambda r: r.url.endswith("/heartbeat") and beats.append(json.loads(r.post_data)))
    page.on("request", lambda r: "/availability?" in r.url and looks.append(r.url))
    open_widget(page, live.url + "/static/index.html")
    to_time_step(page, day, "any")
    looks.clear()  # the first look at each staff member's day (and the preselected day's) is done
    for employee_id in (1, 2, 3):
        body = {**hold_body(day, "10:00", employee_id, f"other-visitor-000{employee_id}")}
        assert api(live, "POST", "/slots/lock", json=body).status_code == 200
    expect(slot(page, "10:00")).to_have_attribute("data-status", "locked", timeout=LIVE_MS)
    page.wait_for_timeout(INTERVAL * 1000 * 2)
    expect(page.locator(".ae-msg")).to_have_text("")  # no error shown either way
    several = [b for b in beats if "employee_ids" in b]
    if multi:
        assert several and all(sorted(b["employee_ids"]) == [1, 2, 3] for b in several)
        assert all("employee_id" not in b for b in beats)
        assert looks == []  # no /availability once the day is on screen: heartbeats say it all
    else:
        assert len(several) == 1  # tried once, refused (422), never again
        assert looks  # then the per-staff polling of a server without employee_ids
