"""The one headless Chromium every browser test drives, and fresh contexts on it.

``tests/conftest.py`` registers this module's fixtures ``browser`` and ``visitor``
(``pytest_plugins``); test modules use them as arguments, or build their own on ``Contexts``. Debian's Chromium
(``/usr/bin/chromium``, installed by ``scripts/install-system-deps.sh``) is driven by
Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from support.helpers import ROOT, need

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
#: axe-core from the npm registry (tests/browser/package-lock.json; scripts/setup.sh --dev).
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
#: Screenshots and traces a test leaves for people to look at (git-ignored).
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module (never a downloaded browser)."""
    need(os.access(CHROMIUM, os.X_OK), "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Contexts:
    """Fresh browser contexts on one browser, all closed together (a context manager).

    ``page(**context_options)`` → a page in a new context (own sessionStorage, own
    client_id): UTC, en-GB and a 900×1000 window unless overridden (e.g. ``**PHONE``),
    with a 10 s default timeout.
    """

    def __init__(self, browser):
        self.browser = browser
        self.contexts = []

    def page(self, **options):
        ctx = self.browser.new_context(
            **{"timezone_id": "UTC", "locale": "en-GB", "viewport": {"width": 900, "height": 1000}, **options}
        )
        ctx.set_default_timeout(10_000)
        self.contexts.append(ctx)
        return ctx.new_page()

    def __enter__(self) -> Contexts:
        return self

    def __exit__(self, *exc) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):  # the test closed it already
                ctx.close()


@pytest.fixture
def visitor(browser):
    """Factory: ``visitor(**context_options)`` → a page in a fresh context (``Contexts.page``)."""
    with Contexts(browser) as contexts:
        yield contexts.page


def axe_violations(page, step: str) -> list:
    """Run axe-core on the whole page (open shadow roots included); return serious/critical
    violations as ``[(step, rule id, impact, targets)]``. ``label-content-name-mismatch``
    (WCAG 2.5.3), experimental in axe, is switched on."""
    need(AXE.is_file(), "axe-core (scripts/setup.sh --dev runs npm ci in tests/browser)")
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
        # <script> tag would be refused: the pages allow only their own scripts).
        page.evaluate("src => (0, eval)(src)", AXE.read_text())
    found = page.evaluate("""async () => {
        const rules = {'label-content-name-mismatch': {enabled: true}};
        const r = await axe.run(document, {rules, resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => [v.id, v.impact, v.nodes.map(n => n.target.flat().join(' >>> '))]);
    }""")
    return [(step, *v) for v in found]
