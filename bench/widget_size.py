"""The widget's download size, as served: script + stylesheet, minified and gzip-compressed (issue 12, 17).

Issue 12's budget: the widget's script + stylesheet under 15 KB gzipped, counted on what a
browser downloads. The readable sources in ``static/`` are not what is served: the app
builds them (``appointease.assets``: ``appointease.js`` is the bundle of its ``BUNDLES``
sources, then every script and stylesheet is minified and gzip-compressed). This script
starts that serving code in-process (a Flask app with ``appointease.assets.init_app``,
answering through its test client: no server, no port) and counts the bodies of
``GET /static/appointease.js`` and ``/static/appointease.css``, once with
``Accept-Encoding: gzip`` and once without. Prints a table and whether the budget holds;
exit status 1 when it does not.

    .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402  (after the path set-up above)

from appointease.assets import bundle_source, init_app  # noqa: E402

#: What one embed downloads: the script, and the stylesheet it links into its Shadow DOM.
WIDGET_FILES = ("appointease.js", "appointease.css")
#: Issue 12: "Keep the widget's script + stylesheet under 15 KB gzipped" (bytes, 1 KB = 1,000 B).
BUDGET_BYTES = 15_000


@dataclass(frozen=True)
class Size:
    """One file, in bytes: ``raw`` is the body served to a client that cannot decompress (the
    minified build), ``gzipped`` the body served with ``Accept-Encoding: gzip`` (``raw`` when
    the server sends that file uncompressed), ``source`` the readable source it is built from
    (for a bundle: its parts joined)."""

    name: str
    raw: int
    gzipped: int
    source: int = 0


def _get(client, url: str, **headers):
    """GET ``url``; return ``(status, body, response headers)`` with WhiteNoise's open file closed."""
    response = client.get(url, headers=headers)
    body = response.get_data()
    response.close()
    return response.status_code, body, response.headers


def measure(static_dir: Path = ROOT / "static") -> list[Size]:
    """Serve ``static_dir`` as the app does and return the widget files' sizes as served.

    Raises:
        FileNotFoundError: a widget file is not served (404).
        AssertionError: the gzip answer does not decompress to the plain one.
    """
    with tempfile.TemporaryDirectory() as instance:
        app = Flask("widget_size", static_folder=None, instance_path=instance)
        app.static_folder = str(static_dir)  # after construction: no Flask route serves the sources
        init_app(app)
        client = app.test_client()
        sizes = []
        for name in WIDGET_FILES:
            status, plain, _ = _get(client, f"/static/{name}")
            if status != 200:
                raise FileNotFoundError(static_dir / name)
            _, packed, headers = _get(client, f"/static/{name}", **{"Accept-Encoding": "gzip"})
            if headers.get("Content-Encoding") == "gzip":
                assert gzip.decompress(packed) == plain, name
            else:
                assert packed == plain, name
            source = bundle_source(static_dir, name)
            source_bytes = len(source.encode()) if source is not None else (static_dir / name).stat().st_size
            sizes.append(Size(name, len(plain), len(packed), source_bytes))
        return sizes


def report(sizes: list[Size], budget: int = BUDGET_BYTES) -> tuple[str, bool]:
    """Return ``(markdown table, whether the gzipped total is within budget)``."""
    total = sum(s.gzipped for s in sizes)
    rows = [f"| `{s.name}` | {s.source:,} | {s.raw:,} | {s.gzipped:,} |" for s in sizes]
    ok = total <= budget
    verdict = "within" if ok else "OVER"
    return (
        "\n".join(
            [
                "| file | source bytes (readable) | served bytes (minified) | served gzipped bytes |",
                "|---|---:|---:|---:|",
                *rows,
                f"| **total** | {sum(s.source for s in sizes):,} | {sum(s.raw for s in sizes):,} | **{total:,}** |",
                "",
                f"budget {budget:,} B gzipped, as served: {verdict} ({budget - total:+,} B to spare)",
            ]
        ),
        ok,
    )


def main() -> int:
    text, ok = report(measure())
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
