"""The one headless Chromium every browser test drives, and fresh contexts on it.

A plain module (see ``widget_kit`` on why there is no ``conftest.py`` here): test modules
import the fixtures ``browser`` and ``visitor`` by name, or build their own on ``Contexts``. Debian's Chromium
(``/usr/bin/chromium``, installed by ``scripts/install-system-deps.sh``) is driven by
Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from helpers import ROOT, need

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
