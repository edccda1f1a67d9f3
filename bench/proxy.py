"""The proxy's cost: two app instances behind the repository's nginx config against the same two direct.

Issue 18 asks for "(2 instances behind the repo's nginx config) the proxy's cost as a
ratio to direct". Two gunicorn instances of the app (``gunicorn.conf.py``, half the run's
workers each, so the pair has as many workers as the main rows' server) share the run's
database and Redis; Debian's nginx runs ``deploy/nginx.conf`` rendered by
``deploy/render_nginx.py`` exactly as the proxy tests do (``tests/support/nginx.py``), but
with the template's own ``worker_processes auto``. All on 127.0.0.1, free ports, in the
run's temporary folder; everything is stopped when the run's ``ExitStack`` closes.

Both legs replay the same heartbeat mix at the same connection count, one after the other:
*direct* is two wrk processes at once, one thread and half the connections on each instance
(their rates added, the worse p99 kept), so both legs run two wrk threads; *through nginx* is one wrk on nginx's port.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

from bench import wrk
from bench.stack import ROOT, start_gunicorn

NGINX = "/usr/sbin/nginx"


def _nginx(prefix: Path, upstreams: list[str], stack: ExitStack):
    """Start nginx with the rendered ``deploy/nginx.conf`` (``worker_processes auto``), stopped by ``stack``."""
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import render  # noqa: PLC0415 - deploy/ is not a package
    from support.nginx import NginxServer  # noqa: PLC0415 - tests/ is on sys.path via bench.stack

    prefix.mkdir(parents=True, exist_ok=True)
    server = NginxServer(prefix, upstreams)
    server.conf.write_text(
        render(
            f"{server.host}:{server.port}",
            upstreams,
            str(prefix),
            user="root" if os.geteuid() == 0 else None,
        )
    )
    stack.callback(server.stop)
    return server.start()


def proxy_cost(env: dict, workers: int, workdir: Path, data: Path, conns: int, seconds: float) -> dict:
    """Measure the heartbeat mix through nginx and directly on the same two instances.

    The instances and nginx are stopped before returning, also on errors.

    Args:
        env: the app's environment (:func:`bench.stack.app_env`), shared by both instances.
        workers: the run's worker count; each instance gets ``max(1, workers // 2)``.
        data: the heartbeat mix's wrk data file.
        conns: wrk connections for each leg (split in two for the direct leg).
        seconds: length of each leg.

    Returns:
        ``{"available": False, "why": …}`` when nginx is not installed, else
        ``{"available": True, "workers_each", "conns", "direct": {rps, p50_ms, p99_ms, errors, s5xx},
        "proxy": {…}, "ratio"}``; ``ratio`` is the through-nginx rate ÷ the direct rate.
    """
    if not os.access(NGINX, os.X_OK):
        return {"available": False, "why": f"{NGINX} is not installed (scripts/install-system-deps.sh)"}
    each = max(1, workers // 2)
    with ExitStack() as local:
        a = start_gunicorn(local, env, each, workdir / "proxy-a.log")
        b = start_gunicorn(local, env, each, workdir / "proxy-b.log")
        nginx = _nginx(workdir / "nginx", [f"{a.host}:{a.port}", f"{b.host}:{b.port}"], local)
        wrk.run(nginx.url, data, conns, 1)  # warm both instances and nginx's upstream keepalive
        half = max(1, conns // 2)
        # One wrk thread each: the direct leg's load generator uses as many threads (2) as the proxied one's.
        legs = [wrk.start(s.url, data, half, seconds, threads=1) for s in (a, b)]
        direct = [wrk.finish(p, seconds) for p in legs]
        proxied = wrk.run(nginx.url, data, conns, seconds)
        nginx_errors = nginx.error_log.count("[error]")

    def summary(parts: list[dict]) -> dict:
        return {
            "rps": sum(p["rps"] for p in parts),
            "p50_ms": max(p["p50_ms"] for p in parts),
            "p99_ms": max(p["p99_ms"] for p in parts),
            "requests": sum(p["requests"] for p in parts),
            "errors": sum(p["error_count"] for p in parts),
            "s5xx": sum(p["s5xx"] for p in parts),
        }

    d, p = summary(direct), summary([proxied])
    return {
        "available": True,
        "workers_each": each,
        "conns": conns,
        "seconds": seconds,
        "direct": d,
        "proxy": p,
        "nginx_errors": nginx_errors,
        "ratio": p["rps"] / d["rps"] if d["rps"] else None,
    }
