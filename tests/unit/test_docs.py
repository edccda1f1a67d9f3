"""The Markdown pages hold together: every relative link and image resolves to a file in the
checkout (and its ``#anchor`` to a heading there), and docs/configuration.md names every
setting the app, ``gunicorn.conf.py`` and the run scripts read from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appointease.config import load_config

pytestmark = pytest.mark.engine_independent
ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md")])
#: ``[text](target)`` and ``![alt](target)``; the target ends at whitespace or ``)``.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def prose(text: str) -> str:
    """Return ``text`` without fenced code blocks and inline code (links there are not links)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """Return the ``#fragment`` names GitHub gives the headings of ``page``.

    GitHub's rule: lower-case, drop every character but letters, digits, spaces, ``-`` and
    ``_``, then spaces become ``-``.
    """
    names = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            title = heading.group(1).strip().lower()
            names.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return names


def relative_links(page: Path) -> list[str]:
    """Return the targets of ``page``'s links and images that point into the checkout."""
    return [t for t in LINK.findall(prose(page.read_text())) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_the_pages_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/configuration.md", "docs/widget.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page):
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            broken.append(f"{target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    assert broken == [], broken


class _Recording(dict):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def get(self, key, default=None):
        self.names.add(key)
        return super().get(key, default)


def read_settings(tmp_path) -> set[str]:
    """Return the environment variables ``load_config``, ``gunicorn.conf.py`` and the run scripts read."""
    env = _Recording()
    load_config(str(tmp_path), env=env)
    names = set(env.names)
    names |= set(re.findall(r"os\.environ\.get\(\s*[\"']([A-Z0-9_]+)[\"']", (ROOT / "gunicorn.conf.py").read_text()))
    for script in ("run.sh", "seven-days.sh"):
        names |= set(re.findall(r"\$\{([A-Z0-9_]+):-", (ROOT / "scripts" / script).read_text()))
    return names


def test_configuration_page_names_every_setting(tmp_path):
    names = read_settings(tmp_path)
    assert {"DATABASE_URL", "APPOINTEASE_LOCK_MAX_SECONDS", "RATELIMIT_ENABLED", "GUNICORN_THREADS"} <= names
    assert {"APPOINTEASE_DEMO", "SEVEN_DAYS_WORKERS"} <= names
    page = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in page)
    assert missing == [], f"docs/configuration.md does not document {missing}"
