"""The widget's download size, as served: script + stylesheet, minified and gzip-compressed (issue 12).

Issue 12's budget: ``static/appointease.js`` + ``static/appointease.css`` under 15 KB
gzipped. The files are compressed exactly as the server does it
(``appointease.assets.build_assets``: minified, then WhiteNoise's compressor) and the ``.gz`` bytes a
browser downloads are counted. Prints a table and whether the budget holds; exit status
1 when it does not. Reads only files; starts no server.

    .venv/bin/python bench/widget_size.py
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from appointease.assets import build_assets  # noqa: E402  (after the path set-up above)

#: What one embed downloads: the script, and the stylesheet it links into its Shadow DOM.
WIDGET_FILES = ("appointease.js", "appointease.css")
#: Issue 12: "Keep the widget's script + stylesheet under 15 KB gzipped" (bytes, 1 KB = 1,000 B).
BUDGET_BYTES = 15_000


@dataclass(frozen=True)
class Size:
    """One file: ``raw`` (minified) and ``gzipped`` sizes in bytes, as served."""

    name: str
    raw: int
    gzipped: int


def measure(static_dir: Path = ROOT / "static") -> list[Size]:
    """Compress ``static_dir`` as the server does and return the widget files' sizes.

    A file the compressor leaves uncompressed (gzip would not make it smaller enough) is
    served as it is, so its raw size counts.

    Raises:
        FileNotFoundError: a widget file is missing.
    """
    with tempfile.TemporaryDirectory() as tmp:
        built = build_assets(static_dir, Path(tmp), "measure")
        sizes = []
        for name in WIDGET_FILES:
            raw, gz = built / name, built / f"{name}.gz"
            sizes.append(Size(name, raw.stat().st_size, (gz if gz.exists() else raw).stat().st_size))
        return sizes


def report(sizes: list[Size], budget: int = BUDGET_BYTES) -> tuple[str, bool]:
    """Return ``(markdown table, whether the gzipped total is within budget)``."""
    total = sum(s.gzipped for s in sizes)
    rows = [f"| `{s.name}` | {s.raw:,} | {s.gzipped:,} |" for s in sizes]
    ok = total <= budget
    verdict = "within" if ok else "OVER"
    return (
        "\n".join(
            [
                "| file | served bytes (minified) | gzipped bytes |",
                "|---|---:|---:|",
                *rows,
                f"| **total** | {sum(s.raw for s in sizes):,} | **{total:,}** |",
                "",
                f"budget {budget:,} B gzipped: {verdict} ({budget - total:+,} B to spare)",
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
