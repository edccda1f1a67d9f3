"""The servers one benchmark engine runs on, all on 127.0.0.1 and all stopped on exit.

Reuses the test suite's server runners (``tests/support/servers.py`` for PostgreSQL and
Redis, ``tests/support/gunicorn_server.py`` for gunicorn under the production
``gunicorn.conf.py``; ``tests/`` goes on ``sys.path`` for the ``support`` package) and registers
every server on a ``contextlib.ExitStack`` so an error or Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.gunicorn_server import GunicornServer  # noqa: E402
from support.servers import PostgresServer, RedisServer  # noqa: E402

ENGINES = {
    "embedded": "embedded default (SQLite file + SQL hold store)",
    "production": "PostgreSQL 15 + Redis 7",
}


def open_backing(engine: str, workdir: Path, stack: ExitStack) -> tuple[dict, list[int]]:
    """Start the engine's backing servers.

    ``embedded``: a SQLite file in ``workdir`` (same file system as ``instance/``), no
    Redis. ``production``: PostgreSQL with its default durability (fsync on, unlike the
    test fixtures) and a Redis without persistence.

    Returns:
        ``({DATABASE_URL, REDIS_URL}, pids)``: the URLs and the PIDs of the servers'
        main processes (postmaster, redis-server; none for SQLite), for :func:`cpu_seconds`.
    """
    if engine == "embedded":
        return {"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "REDIS_URL": None}, []
    pg = PostgresServer(workdir / "pg", default_db="appointease", durable=True)
    stack.callback(pg.cleanup)
    pg.start()
    redis = RedisServer(workdir / "redis")
    stack.callback(redis.stop)
    redis.start()
    return {"DATABASE_URL": pg.url, "REDIS_URL": redis.url}, [pg.proc.pid, redis.proc.pid]


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from "state" on; the name may hold spaces


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, seconds) of process ``pid`` and its children.

    The process's own time plus its reaped children's (``cutime``/``cstime``: exited
    gunicorn workers, PostgreSQL backends) plus its live children's own time, from
    ``/proc/<pid>/stat`` (proc(5)). 0.0 when the process is gone.
    """
    tick = os.sysconf("SC_CLK_TCK")
    root = _stat(pid)
    if root is None:
        return 0.0
    total = sum(int(x) for x in root[11:15])  # utime, stime, cutime, cstime
    for kid in children(pid):
        fields = _stat(kid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def app_env(backing: dict, workdir: Path) -> dict:
    """The environment the app runs with during the benchmark.

    Abuse limits off (``RATELIMIT_ENABLED=false``, ``APPOINTEASE_MAX_HOLDS_PER_IP=0``),
    a selection TTL of an hour so the 200 seeded selections outlive every phase (their
    heartbeat renewals are still sent and still cost what they cost), UTC business
    time, a private Prometheus folder, a random ``SECRET_KEY``. The access log stays as
    ``gunicorn.conf.py`` sets it (off by default): measured as a user runs it.
    """
    env = {
        **backing,
        "RATELIMIT_ENABLED": "false",
        "APPOINTEASE_MAX_HOLDS_PER_IP": "0",
        "APPOINTEASE_SELECTION_TTL": "3600",
        "APPOINTEASE_TIMEZONE": "UTC",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        # A server database needs a real key (SPEC §8); one per benchmark run.
        "SECRET_KEY": secrets.token_urlsafe(48),
    }
    # The default configuration, not whatever the caller's shell has exported.
    for key in list(os.environ):
        if key.startswith(("APPOINTEASE_", "GUNICORN_", "RATELIMIT_")) or key in (
            "DATABASE_URL",
            "REDIS_URL",
            "WEB_CONCURRENCY",
            "SMTP_URL",
        ):
            os.environ.pop(key)
    (workdir / "metrics").mkdir(exist_ok=True)
    return env


def start_gunicorn(
    stack: ExitStack, env: dict, workers: int, log_path: Path, app: str = "wsgi:app", cmd_args: str | None = None
) -> GunicornServer:
    """Start ``gunicorn -c gunicorn.conf.py <app>`` and register its stop on ``stack``.

    Args:
        cmd_args: extra gunicorn settings through ``GUNICORN_CMD_ARGS`` (they override
            the config file), e.g. ``"--max-requests 0"`` for the soak.
    """
    env = {**env, "GUNICORN_CMD_ARGS": cmd_args} if cmd_args else env
    server = GunicornServer(env, workers=workers, log_path=log_path, app=app)
    stack.callback(server.stop)
    return server.start()


def children(pid: int) -> list[int]:
    """Return the PIDs of the live children of ``pid`` (``/proc/<pid>/task/<pid>/children``,
    read without forking, so it can be polled during a measurement); [] when it is gone."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def worker_rss(server: GunicornServer) -> dict[int, int]:
    """Return ``{pid: resident set size in KiB}`` of the server's current workers (``/proc``)."""
    sizes = {}
    for pid in children(server.proc.pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # exited between the listing and the read (recycled)
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
        if line:
            sizes[pid] = int(line.split()[1])
    return sizes
