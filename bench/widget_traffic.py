"""Heartbeats per minute that one open widget sends, its tab visible and hidden (issue 18).

Starts the app (gunicorn, 1 worker, a fresh migrated SQLite with the demo catalogue, the
default poll interval), opens the demo page in headless Chromium, goes to the time step of a
working day, and counts ``POST /heartbeat`` over 3 minutes of each state on Playwright's fake
clock (the widget's timers run on it; about 10 s of real time). Hidden is emulated the way
tests/browser/test_widget_polling.py does: ``document.hidden`` overridden and
``visibilitychange`` fired (headless Chromium keeps every page visible).

Prints a table and the verdict against the targets; exit status 1 when one is missed.
Run: ``.venv/bin/python bench/widget_traffic.py``.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from playwright.sync_api import sync_playwright  # noqa: E402  (after the path set-up above)

from support.chromium_kit import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from support.gunicorn_server import GunicornServer  # noqa: E402
from support.helpers import TEST_CONFIG, migrate  # noqa: E402

#: Issue 18's targets, heartbeats per minute of one open widget.
TARGETS = {"visible": 13.0, "hidden": 2.5}
#: Fake minutes counted per state.
MINUTES = 3
HIDE = """hidden => {
    for (const [k, v] of [['hidden', hidden], ['visibilityState', hidden ? 'hidden' : 'visible']])
        Object.defineProperty(document, k, {configurable: true, get: () => v});
    document.dispatchEvent(new Event('visibilitychange'));
}"""


def seeded_database(workdir: Path) -> str:
    """A migrated SQLite database with the demo catalogue; returns its URL."""
    from appointease import create_app
    from appointease.commands import seed_catalogue
    from appointease.extensions import db

    url = f"sqlite:///{workdir / 'traffic.sqlite3'}"
    migrate(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **TEST_CONFIG})
    with app.app_context():
        seed_catalogue(db.session())
        db.session.remove()
        db.engine.dispose()
    return url


def run(page, seconds: float, step_ms: int = 250) -> None:
    """Let ``seconds`` of fake time pass, giving each step's requests real time to be answered."""
    for _ in range(int(seconds * 1000 / step_ms)):
        page.clock.run_for(step_ms)
        page.wait_for_timeout(15)


def measure(url: str) -> dict[str, float]:
    """Return heartbeats per minute ``{"visible": …, "hidden": …}`` of one widget at ``url``."""
    monday = date.today() + timedelta(days=2)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        beats: list[str] = []
        page.on("request", lambda r: r.method == "POST" and r.url.endswith("/heartbeat") and beats.append(r.url))
        page.clock.install()
        page.goto(url + "/static/index.html")
        page.locator("[data-service-id]").first.click()
        page.locator("[data-employee-id]").first.click()
        day = page.locator(f".ae-day[data-date='{monday.isoformat()}']")
        if day.count():
            day.click()
        else:
            page.locator("input[name=date]").fill(monday.isoformat())
        page.locator(".ae-slot").first.wait_for()
        page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 0.1, UTC))
        run(page, 5)
        rates = {}
        for state in ("visible", "hidden"):
            page.evaluate(HIDE, state == "hidden")
            run(page, 1)  # the change settles (a hidden tab's next poll is 30 s away)
            start = len(beats)
            run(page, MINUTES * 60)
            rates[state] = (len(beats) - start) / MINUTES
        browser.close()
    return rates


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {"DATABASE_URL": seeded_database(workdir), "APPOINTEASE_MIN_NOTICE_MINUTES": "0"}
        server = GunicornServer(env, workers=1, log_path=workdir / "gunicorn.log").start()
        try:
            rates = measure(server.url)
        finally:
            server.stop()
    ok = True
    print("| tab | heartbeats per minute | target |\n|---|---:|---:|")
    for state, rate in rates.items():
        passed = rate <= TARGETS[state]
        ok &= passed
        print(f"| {state} | {rate:.1f} | ≤ {TARGETS[state]} {'PASS' if passed else 'MISS'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
