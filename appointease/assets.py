"""Static files (the widget, the demo page): gzip-compressed, cached, versioned URLs.

WhiteNoise serves ``static/`` in front of Flask. Every file is reachable twice:

* ``/static/<name>``: the stable URL existing embeds use; cached ``ASSET_MAX_AGE``
  seconds, then revalidated (``ETag``/``Last-Modified`` → ``304``, RFC 9111/9110);
* ``/static/<version>/<name>``: ``version`` is a digest of every static file, so the
  URL changes whenever any file does; cached for ten years, ``immutable`` (RFC 8246).

The script finds its stylesheet relative to its own URL, so a page that loads the
versioned script gets the versioned stylesheet too. What is served is a build, made once per version in
``instance/static-build/``: scripts and stylesheets minified (rJSmin and rCSSmin: comments
and whitespace go, names and string contents, template literals included, stay), then a
gzip copy (``.gz``) beside each text file, compressed by Zopfli (``ZopfliCompressor``: a
standard gzip stream every browser reads, ~4 % smaller than zlib's level 9). ``static/``
holds the readable sources.

A script named in ``BUNDLES`` is served as the concatenation of its sources in the declared
order, inside one function scope, so a definition both pages need (``slot-states.js``, the
slot-state precedence) is written once and still reaches each page in a single file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import rcssmin
import rjsmin
import zopfli
import zopfli.gzip
from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from appointease.security import HTML_CSP, OTHER_CSP, REFERRER_POLICY

#: Seconds a browser may reuse a stable (unversioned) URL before revalidating it.
ASSET_MAX_AGE = 300
#: Builds kept in ``instance/static-build/``: this version's and the newest others, so a
#: process still running an older version during a rolling restart keeps its files.
KEEP_BUILDS = 3
#: Served scripts assembled from several sources of ``static/``, in this order: the served file
#: (``appointease.js``, ``manage.js``) replaces the source of the same name in the build. The
#: sources share one ``(() => { 'use strict'; … })();`` scope, so their top-level names stay
#: private (an embedding page never sees them).
BUNDLES: dict[str, tuple[str, ...]] = {
    "appointease.js": ("slot-states.js", "appointease.js"),
    "manage.js": ("slot-states.js", "manage.js"),
}
#: Zopfli's passes over each file (its own default; more gain nothing measurable on the widget).
ZOPFLI_ITERATIONS = 15
#: Part of every version: a new minifier, compressor or bundle order makes a new build, never
#: reuses an old one.
BUILD_FORMAT = (
    f"rjsmin {rjsmin.__version__}; rcssmin {rcssmin.__version__}; "
    f"zopfli {zopfli.__version__} x{ZOPFLI_ITERATIONS}; bundles {BUNDLES!r}"
).encode()


class ZopfliCompressor(Compressor):
    """WhiteNoise's compressor (which files, when a ``.gz`` is worth keeping, where it goes)
    with Zopfli writing the gzip stream (RFC 1952, deflate: what ``Content-Encoding: gzip``
    means to every browser). Zopfli's header carries no file name and ``MTIME`` 0, so the same
    bytes in give the same bytes out: a build is reproducible."""

    @staticmethod
    def compress_gzip(data: bytes) -> bytes:
        """Return ``data`` as one gzip member (``ZOPFLI_ITERATIONS`` passes)."""
        return zopfli.gzip.compress(data, numiterations=ZOPFLI_ITERATIONS)


def asset_version(static_dir: Path) -> str:
    """Return a 12-hex-digit digest of every file under ``static_dir`` (names and bytes)
    and of the build's minifiers (``BUILD_FORMAT``)."""
    digest = hashlib.sha256(BUILD_FORMAT)
    for path in sorted(p for p in static_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(static_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_assets(static_dir: Path, build_root: Path, version: str) -> Path:
    """Copy ``static_dir`` to ``build_root/version``, write each ``BUNDLES`` script over its
    source of the same name (``bundle_source``), minify it all, and put a ``.gz`` beside each
    text file.

    Built in a private temporary folder and renamed into place, so processes starting
    together never see a half-written file; an existing build is reused.

    Returns:
        The folder holding the files of this version.
    """
    target = build_root / version
    if target.is_dir():
        return target
    build_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=build_root))
    try:
        shutil.copytree(static_dir, tmp, dirs_exist_ok=True)
        for name in BUNDLES:
            source = bundle_source(static_dir, name)
            if source is not None:
                (tmp / name).write_text(source, encoding="utf-8")
        for path in tmp.rglob("*"):
            if path.is_file():
                minify(path)
        compressor = ZopfliCompressor(use_brotli=False, quiet=True)
        for path in tmp.rglob("*"):
            if path.is_file() and compressor.should_compress(path.name):
                compressor.compress(str(path))
        os.rename(tmp, target)
    except OSError:
        if not target.is_dir():  # not merely another process winning the rename
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prune_builds(build_root, keep=version)
    return target


def bundle_source(static_dir: Path, name: str) -> str | None:
    """Return the readable source served as ``name``: its ``BUNDLES`` parts, read from
    ``static_dir`` and joined in order inside one strict-mode arrow-function scope.

    Returns:
        The joined source (before minifying), or None when ``name`` is not a bundle or one of
        its parts is not in ``static_dir`` (a folder of other files, e.g. a test's): the
        file, if any, is then served as it is.
    """
    parts = [static_dir / part for part in BUNDLES.get(name, ())]
    if not parts or not all(part.is_file() for part in parts):
        return None
    body = "\n".join(f"// ---- {part.name} ----\n{part.read_text(encoding='utf-8')}" for part in parts)
    return f"(() => {{\n'use strict';\n{body}\n}})();\n"


def minify(path: Path) -> bool:
    """Minify a ``.js`` or ``.css`` file in place (rJSmin / rCSSmin); leave any other file.

    Only comments and insignificant whitespace are removed, so the code that runs is the
    source's, line for line. A file already named ``*.min.*`` is left as it is.

    Returns:
        True when the file was minified.
    """
    minifiers = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}
    if path.suffix not in minifiers or ".min." in path.name:
        return False
    path.write_text(minifiers[path.suffix](path.read_text(encoding="utf-8")), encoding="utf-8")
    return True


def prune_builds(build_root: Path, keep: str, count: int = KEEP_BUILDS) -> list[str]:
    """Delete old version folders under ``build_root``, keeping ``keep`` and the newest
    others (by modification time) up to ``count`` in all. Temporary ``.``-folders of
    builds in progress are never touched; a folder another process deletes first is fine.

    Returns:
        The versions deleted.
    """

    def mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # deleted meanwhile by another process
            return 0.0

    builds = [p for p in build_root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != keep]
    builds.sort(key=mtime, reverse=True)
    gone = builds[max(count - 1, 0) :]
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in gone]


def _security_headers(headers, path: str, url: str) -> None:
    """The headers ``appointease.security`` gives every Flask response (SPEC §8): WhiteNoise
    answers before Flask, so the app's after-request hook never sees these files."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = REFERRER_POLICY
    headers["Content-Security-Policy"] = (
        HTML_CSP if headers.get("Content-Type", "").startswith("text/html") else OTHER_CSP
    )


def init_app(app: Flask) -> None:
    """Serve ``app.static_folder`` through WhiteNoise (see the module docstring).

    Stores the version in ``app.extensions["appointease.asset_version"]``; use
    ``versioned_url`` to build links.
    """
    static_dir = Path(app.static_folder)
    version = asset_version(static_dir)
    build = build_assets(static_dir, Path(app.instance_path) / "static-build", version)
    prefix = f"/static/{version}/"
    wn = WhiteNoise(
        app.wsgi_app,
        max_age=ASSET_MAX_AGE,
        add_headers_function=_security_headers,
        immutable_file_test=lambda path, url: url.startswith(prefix),
    )
    wn.add_files(str(build), prefix="static/")
    wn.add_files(str(build), prefix=prefix)
    app.wsgi_app = wn
    app.extensions["appointease.asset_version"] = version


def versioned_url(app: Flask, name: str) -> str:
    """Return the long-cached URL of static file ``name`` (e.g. ``appointease.js``)."""
    return f"/static/{app.extensions['appointease.asset_version']}/{name}"
