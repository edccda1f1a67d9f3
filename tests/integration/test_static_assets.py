"""Static delivery of the widget (issue 12 finding 10): compressed, cached, versioned URLs."""

from __future__ import annotations

import gzip
import os
import re

import rjsmin

from appointease.assets import KEEP_BUILDS, ZopfliCompressor, build_assets, bundle_source, minify

from support.helpers import ROOT

#: What is served for the widget: the minified build of its readable sources (a bundle).
SERVED = rjsmin.jsmin(bundle_source(ROOT / "static", "appointease.js")).encode()


def fetch(client, url: str, **headers):
    """GET ``url``; return the response with its body read and its file closed."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()  # WhiteNoise answers with an open file
    return response


def test_stable_url_is_gzipped_cached_and_revalidated(client):
    r = fetch(client, "/static/appointease.js", **{"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "max-age=300" in r.headers["Cache-Control"] and "immutable" not in r.headers["Cache-Control"]
    assert gzip.decompress(r.get_data()) == SERVED
    assert r.get_data() == ZopfliCompressor.compress_gzip(SERVED)  # the build's Zopfli .gz, as written
    assert len(r.get_data()) < len(SERVED) / 2

    again = fetch(client, "/static/appointease.js", **{"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""

    plain = fetch(client, "/static/appointease.js")  # a client that cannot decompress
    assert "Content-Encoding" not in plain.headers and plain.get_data() == SERVED


def test_demo_page_loads_the_versioned_immutable_script(client, app):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    src = re.search(r'<script src="(/static/[0-9a-f]{12}/appointease\.js)"', page.get_data(as_text=True)).group(1)
    assert src == f"/static/{app.extensions['appointease.asset_version']}/appointease.js"

    for url in (src, src.replace(".js", ".css")):
        r = fetch(client, url, **{"Accept-Encoding": "gzip"})
        assert r.status_code == 200, url
        assert r.headers["Cache-Control"] == "max-age=315360000, public, immutable"
        assert r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(fetch(client, src, **{"Accept-Encoding": "gzip"}).get_data()) == SERVED


def test_static_html_pages_carry_the_security_headers(client):
    r = fetch(client, "/static/index.html")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_unknown_static_file_is_a_json_404(client):
    r = fetch(client, "/static/nope.js")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"


def test_old_builds_are_pruned_and_the_running_ones_kept(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "appointease.js").write_text("console.log(1);\n" * 50)
    root = tmp_path / "build"
    for age, name in enumerate(["v4", "v3", "v2", "v1"]):  # v4 newest
        (root / name).mkdir(parents=True)
        os.utime(root / name, (1_000_000 - age * 100, 1_000_000 - age * 100))
    (root / ".v9-tmp").mkdir()  # another process's build in progress

    built = build_assets(static, root, "v5")

    assert (built / "appointease.js.gz").is_file()
    left = sorted(p.name for p in root.iterdir())
    assert KEEP_BUILDS == 3
    assert left == [".v9-tmp", "v3", "v4", "v5"]  # this version and the two newest others


def test_scripts_and_stylesheets_are_served_minified_with_their_code_intact(tmp_path):
    """The build drops comments and whitespace only: strings and template literals stay."""
    (tmp_path / "w.js").write_text("// why\nconst a = `x  ${1 +  2}\n y`;  /* note */\nconst b = '  two  ';\n")
    (tmp_path / "w.css").write_text("/* theme */\n.ae  .slot {\n  color : red ;\n}\n")
    (tmp_path / "lib.min.js").write_text("keep  as  is\n")
    (tmp_path / "page.html").write_text("<p>  spaced  </p>\n")
    assert [minify(tmp_path / n) for n in ("w.js", "w.css", "lib.min.js", "page.html")] == [True, True, False, False]
    js = (tmp_path / "w.js").read_text()
    assert "why" not in js and "note" not in js
    assert "`x  ${1 +  2}\n y`" in js and "'  two  '" in js
    assert (tmp_path / "w.css").read_text() == ".ae .slot{color:red}"
    assert (tmp_path / "lib.min.js").read_text() == "keep  as  is\n"
    assert (tmp_path / "page.html").read_text() == "<p>  spaced  </p>\n"
