"""Issue 12's size budget for the widget, measured as served (``bench/widget_size.py``).

Not a timing: the bytes a browser downloads for one embed (script + stylesheet, gzipped by
the server's own compressor) must stay within the budget, so the widget cannot quietly grow
past it.
"""

import hashlib

import pytest

from bench.widget_size import BUDGET_BYTES, WIDGET_FILES, Size, measure, report

from support.helpers import ROOT

pytestmark = pytest.mark.engine_independent


def test_script_and_stylesheet_fit_the_gzipped_budget():
    sizes = measure()
    assert [s.name for s in sizes] == list(WIDGET_FILES)
    for s in sizes:
        source = (ROOT / "static" / s.name).read_bytes()
        assert s.raw < len(source)  # served minified (appointease.assets.minify)
        assert 0 < s.gzipped < s.raw
    text, ok = report(sizes)
    assert ok, text
    assert sum(s.gzipped for s in sizes) <= BUDGET_BYTES


def test_the_report_flags_a_widget_over_budget(tmp_path):
    # 48,000 hex digits: gzip halves them at best, so about 24 KB is served.
    digits = "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(750))
    (tmp_path / "appointease.js").write_text(f'const x = "{digits}";\n')
    (tmp_path / "appointease.css").write_bytes(b"")  # nothing to compress: counted as served, 0 B
    sizes = measure(tmp_path)
    assert sizes[0].gzipped > BUDGET_BYTES
    assert sizes[1] == Size("appointease.css", 0, 0)
    text, ok = report(sizes)
    assert not ok and "OVER" in text
