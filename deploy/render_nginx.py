"""Render ``deploy/nginx.conf`` (a Jinja2 template) for N gunicorn instances.

Usage (prints the configuration)::

    python3 deploy/render_nginx.py --listen 80 --prefix /var/lib/appointease-nginx \\
        --upstream 10.0.0.11:8000 --upstream 10.0.0.12:8000 > /etc/appointease/nginx.conf
    nginx -p /var/lib/appointease-nginx -c /etc/appointease/nginx.conf

Jinja2 comes with Flask, so the app's virtualenv runs this. Every value is checked
against a strict pattern first: nothing rendered can add a directive.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"

#: ``port``, ``host:port``, ``[v6]:port`` or ``unix:/path``: no spaces, quotes or semicolons.
_ADDRESS = re.compile(r"^(unix:/[\w./-]+|[\w.-]+:\d{1,5}|\[[0-9a-fA-F:.]+\]:\d{1,5}|\d{1,5})$")
_PATH = re.compile(r"^/[\w./-]*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_-]*$")
_WORKERS = re.compile(r"^(auto|[1-9]\d?)$")


def _check(value: str, pattern: re.Pattern, what: str) -> str:
    if not pattern.match(value):
        raise ValueError(f"{what}: {value!r} is not allowed")
    return value


def render(
    listen: str,
    upstreams: list[str],
    prefix: str,
    *,
    user: str | None = None,
    worker_processes: str = "auto",
    read_timeout: int = 35,
    error_log: str | None = None,
) -> str:
    """Return the nginx configuration text.

    Args:
        listen: what nginx listens on: ``80``, ``127.0.0.1:8080``, ``[::]:80``.
        upstreams: the gunicorn instances, ``host:port`` or ``unix:/path`` (at least one).
        prefix: an absolute folder for the pid file, ``access.log`` and temp files
            (nginx creates the temp folders in it).
        user: ``user`` directive (only meaningful when nginx starts as root).
        worker_processes: ``auto`` or a number.
        read_timeout: seconds nginx waits for an instance's answer before a 504
            (default 35, just over gunicorn's 30 s worker timeout).
        error_log: where nginx logs errors (default ``<prefix>/error.log``).

    Raises:
        ValueError: a value that is not a plain address, path, name or number.
    """
    if not upstreams:
        raise ValueError("at least one upstream instance is needed")
    values = {
        "listen": _check(listen, _ADDRESS, "listen"),
        "upstreams": [_check(u, _ADDRESS, "upstream") for u in upstreams],
        "prefix": _check(prefix.rstrip("/") or "/", _PATH, "prefix"),
        "user": _check(user, _NAME, "user") if user else None,
        "worker_processes": _check(str(worker_processes), _WORKERS, "worker_processes"),
        "read_timeout": int(read_timeout),
        "error_log": _check(error_log, _PATH, "error_log") if error_log else f"{prefix.rstrip('/')}/error.log",
    }
    if values["read_timeout"] < 1:
        raise ValueError("read_timeout must be at least 1 second")
    env = Environment(
        loader=FileSystemLoader(TEMPLATE.parent),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.get_template(TEMPLATE.name).render(**values)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the rendered configuration; exit 2 on a bad value."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="80")
    parser.add_argument("--upstream", action="append", required=True, help="host:port of a gunicorn (repeat)")
    parser.add_argument("--prefix", required=True, help="folder for pid, logs and temp files")
    parser.add_argument("--user", help="worker user when nginx starts as root (e.g. www-data)")
    parser.add_argument("--worker-processes", default="auto")
    parser.add_argument("--read-timeout", type=int, default=35)
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(
            render(
                args.listen,
                args.upstream,
                args.prefix,
                user=args.user,
                worker_processes=args.worker_processes,
                read_timeout=args.read_timeout,
            )
        )
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
