"""The static build (``appointease.assets``): bundles, minified output that still parses,
the one JS definition of the slot-state precedence (issue 17), and reproducible Zopfli
``.gz`` copies (issue 18).

``node --check`` parses each built script; node comes with ``scripts/setup.sh --dev`` (the
browser tests' npm packages), and these tests are skipped where it is missing.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from appointease.assets import BUNDLES, build_assets, bundle_source

from support.helpers import ROOT

pytestmark = pytest.mark.engine_independent

STATIC = ROOT / "static"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/setup.sh --dev)")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The build of the real ``static/``, as the server makes it."""
    return build_assets(STATIC, tmp_path_factory.mktemp("build"), "test")


def node_check(path: Path) -> None:
    """Fail with node's message unless ``path`` parses as a script."""
    done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@needs_node
@pytest.mark.parametrize("name", ["appointease.js", "manage.js", "admin.js", "slot-states.js"])
def test_built_scripts_are_smaller_than_their_sources_and_still_parse(built, name):
    source = bundle_source(STATIC, name)
    source_bytes = len(source.encode()) if source is not None else (STATIC / name).stat().st_size
    served = built / name
    assert 0 < served.stat().st_size < source_bytes
    node_check(STATIC / name)  # the readable source parses too
    node_check(served)


def test_bundles_join_their_sources_in_the_declared_order_in_one_scope(built):
    assert BUNDLES["appointease.js"][0] == BUNDLES["manage.js"][0] == "slot-states.js"
    for name, parts in BUNDLES.items():
        source = bundle_source(STATIC, name)
        assert source.startswith("(() => {\n'use strict';\n") and source.endswith("\n})();\n")
        starts = [source.index((STATIC / part).read_text(encoding="utf-8")) for part in parts]
        assert starts == sorted(starts), name
        served = (built / name).read_text(encoding="utf-8")
        assert served.startswith("(()=>{'use strict';") and "slotStateReader" in served
        assert "// ----" not in served and "appointease/grid.py" not in served  # comments are gone


def test_a_static_folder_without_a_bundles_parts_serves_its_file_as_it_is(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "appointease.js").write_text("const only = 1;\n")
    assert bundle_source(static, "appointease.js") is None
    assert bundle_source(static, "appointease.css") is None
    built = build_assets(static, tmp_path / "build", "v1")
    assert (built / "appointease.js").read_text() == "const only=1;"


@needs_node
def test_the_shared_slot_states_follow_the_servers_precedence(tmp_path):
    """appointease/grid.py ``slot_states``: booked > the client's own hold (mine) > another
    client's lock > another client's selection > available."""
    cases = [
        ({"booked": ["10:00"], "locked": ["10:00"], "processing": ["10:00"]}, "10:00", "10:00", "booked"),
        ({"locked": ["10:00"], "processing": ["10:00"]}, "10:00", "10:00", "mine"),
        ({"locked": ["10:00"], "processing": ["10:00"]}, None, "10:00", "locked"),
        ({"processing": ["10:00"]}, "09:00", "10:00", "processing"),
        ({"booked": ["09:00"]}, None, "10:00", "available"),
        ({}, None, "10:00", "available"),
    ]
    script = tmp_path / "check.js"
    script.write_text(
        (STATIC / "slot-states.js").read_text(encoding="utf-8")
        + f"\nconst cases = {json.dumps(cases)};\n"
        + "console.log(JSON.stringify(cases.map(([lists, own, time]) => slotStateReader(lists, own)(time))));\n"
    )
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [case[3] for case in cases]


def test_gz_copies_are_zopfli_gzip_streams_reproducible_and_smaller_than_zlib(built, tmp_path):
    """Each ``.gz`` is a plain gzip stream of its file (what browsers decode), with no name and
    MTIME 0 in its header, byte for byte the same in a second build, and smaller than zlib -9."""
    again = build_assets(STATIC, tmp_path / "again", "test")
    packed = sorted(built.rglob("*.gz"))
    assert {p.name for p in packed} >= {"appointease.js.gz", "appointease.css.gz", "index.html.gz"}
    for path in packed:
        data = path.read_bytes()
        plain = path.with_suffix("").read_bytes()
        assert gzip.decompress(data) == plain, path.name
        assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\0\0\0\0", path.name  # no FNAME, MTIME 0
        assert data == (again / path.relative_to(built)).read_bytes(), path.name
    widget = built / "appointease.js"
    assert (built / "appointease.js.gz").stat().st_size < len(gzip.compress(widget.read_bytes(), 9, mtime=0))
