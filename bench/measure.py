"""One engine's benchmark run, phase by phase; returns every number as a plain dict.

Phases: backing servers → ``flask db upgrade`` → seeded state → the app and the bare
Flask app under ``gunicorn.conf.py`` → 200 selections and 50 locks through the API →
current versions → caching probe → warm-up → for 32 and 128 connections: ``/healthz``,
the heartbeat mix (with the write trickle; under ``py-spy record`` at the first count with
``--profile``) and the bare app → the proxy's cost (two instances behind nginx, against
the same two direct) → booking throughput → commit-to-visible (under heartbeat load) →
a refused booking → the soak (RSS).
"""

from __future__ import annotations

import os
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import clients, probes, pyspy, state, wrk
from bench.proxy import proxy_cost
from bench.stack import ENGINES, app_env, children, cpu_seconds, open_backing, start_gunicorn, worker_rss

STAFF = 20


@dataclass(frozen=True)
class Options:
    """How long and how hard to run (seconds, connection counts, sizes); see ``run.py --help``."""

    duration: float = 15.0
    warmup: float = (
        20.0  # long enough for every worker to have served every day once: warm caches, as all day in production
    )
    soak: float = 300.0
    connections: tuple[int, ...] = (32, 128)
    workers: int = 4
    appointments: int = 5000
    selections: int = 200
    locks: int = 50
    pairs: int = 300
    bodies: int = 2000
    book_seconds: float = 10.0
    book_concurrency: int = 8
    c2v_samples: int = 20
    quick: bool = False
    #: ``py-spy record`` one app worker during an extra heartbeat row after the measured ones
    #: (``--profile``; the profiled row is not in the table).
    profile: bool = False
    #: Where the profile's raw stacks are written (``bench/results/`` by ``run.py``).
    profile_dir: str = ""
    #: Measure the proxy's cost (two instances behind nginx vs direct), ``--no-proxy`` skips it.
    proxy: bool = True


def _log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def _point(target: str, conns: int, stats: dict, **extra) -> dict:
    _log(
        f"  {target:9} c={conns:<3} {stats['rps']:8.1f} req/s  p50 {stats['p50_ms']:.1f} ms  "
        f"p99 {stats['p99_ms']:.1f} ms  body {stats['body_bytes']:.0f} B  errors {stats['error_count']}"
        + (f"  cpu {stats['cpu_app_ms']:.2f}+{stats['cpu_backing_ms']:.2f} ms/req" if stats.get("cpu_app_ms") else "")
    )
    return {"target": target, "conns": conns, **stats, **extra}


def _row(server, backing_pids: list[int], data: Path, conns: int, seconds: float) -> dict:
    """Run wrk against ``server`` and add the CPU the servers spent per request.

    ``cpu_app_ms``: gunicorn master + workers; ``cpu_backing_ms``: PostgreSQL + Redis
    (all their processes), in CPU milliseconds per completed request. Unlike req/s these
    barely depend on what else the machine is running. ``recycled``: workers gunicorn
    replaced during the row (``max_requests``), seen by polling the master's children.
    """
    master = server.proc.pid
    before = cpu_seconds(master), sum(cpu_seconds(p) for p in backing_pids)
    workers = set(children(master))
    running = wrk.start(server.url, data, conns, seconds)
    while running.poll() is None:
        time.sleep(0.25)
        workers.update(children(master))
    stats = wrk.finish(running, seconds)
    after = cpu_seconds(master), sum(cpu_seconds(p) for p in backing_pids)
    # gunicorn.conf.py recycles workers (max_requests); a restart's boot CPU is in the row.
    stats["recycled"] = len(workers | set(children(master))) - server.workers
    n = stats["requests"]
    stats["cpu_app_ms"] = (after[0] - before[0]) * 1000 / n if n else None
    stats["cpu_backing_ms"] = (after[1] - before[1]) * 1000 / n if n else None
    return stats


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _start_profile(engine: str, server, conns: int, opts: Options) -> tuple:
    """Start ``py-spy record`` on the server's first worker for one row; returns :func:`pyspy.finish`'s arguments."""
    workers = children(server.proc.pid)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = Path(opts.profile_dir) / f"{stamp}-{engine}-profile-heartbeat-c{conns}.txt"
    if not workers:
        return None, "the server has no worker to profile", output
    _log(f"  py-spy record on worker {workers[0]} for {opts.duration:g} s")
    proc, why = pyspy.start(workers[0], opts.duration, output)
    return proc, why, output


def _server_errors(path: Path) -> int:
    """Count Python tracebacks and gunicorn ``WORKER TIMEOUT`` lines in a server log."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return 0
    return text.count("Traceback (most recent call last)") + text.count("WORKER TIMEOUT")


def measure(engine: str, opts: Options, workdir: Path) -> dict:
    """Run every phase on ``engine`` (``embedded`` or ``production``) in ``workdir``.

    Every server is stopped before returning, also on errors and Ctrl-C.

    Returns:
        A dict of results (see ``bench/report.py`` for how each is shown).
    """
    out: dict = {
        "engine": engine,
        "label": ENGINES[engine],
        "options": opts.__dict__,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    rng = random.Random(8)
    with ExitStack() as stack:
        stack.callback(wrk.stop_all)  # runs first on exit: no load generator outlives the run
        _log(f"{engine}: starting backing servers")
        backing, backing_pids = open_backing(engine, workdir, stack)
        env = app_env(backing, workdir)
        state.migrate(backing["DATABASE_URL"], dict(os.environ) | {k: v for k, v in env.items() if v is not None})
        world, rows = state.plan(datetime.now(UTC).date(), STAFF, appointments=opts.appointments)
        state.load(backing["DATABASE_URL"], rows, STAFF)
        out["state"] = {
            "staff": STAFF,
            "services": len(state.SERVICES),
            "appointments": world.appointments,
            "workdays": len(world.workdays),
            "free_slots": len(world.free),
        }
        _log(f"{engine}: seeded {world.appointments} appointments; starting gunicorn (app and bare)")
        app = start_gunicorn(stack, env, opts.workers, workdir / "app.log")
        bare = start_gunicorn(stack, env, opts.workers, workdir / "bare.log", app="bench.bare_app:app")
        rss_idle = worker_rss(app)

        pairs = clients.choose_pairs(world, opts.pairs, rng)
        polled = set(pairs)
        in_pairs = [s for s in world.free if (s.day, s.employee_id) in polled]
        elsewhere = [s for s in world.free if (s.day, s.employee_id) not in polled]
        holds, used = clients.take_holds(app.url, in_pairs, opts.selections, opts.locks)
        trickle_slots = iter(in_pairs[used:])
        bodies = clients.heartbeat_bodies(world, pairs, holds, opts.bodies, rng)
        _log(f"{engine}: {len(holds)} holds taken; gathering {len(bodies)} current versions")
        versions = clients.current_versions(app.url, bodies)
        requests, kinds = clients.heartbeat_requests(bodies, versions)
        out["mix"] = {"bodies": len(bodies), "pairs": len(pairs), **kinds}
        hb = wrk.write_data(workdir / "heartbeat.lua", requests)
        hz = wrk.write_data(workdir / "healthz.lua", [wrk.Request("GET", "/healthz")])
        out["caching"] = probes.http_caching(app.url, bodies[0])

        _log(f"{engine}: warm-up {opts.warmup:g} s")
        wrk.run(app.url, hb, 32, opts.warmup)
        wrk.run(app.url, hz, 32, 1)
        wrk.run(bare.url, hz, 32, 1)
        rss_warm = worker_rss(app)
        out["points"] = []
        for conns in opts.connections:
            out["points"].append(_point("healthz", conns, _row(app, backing_pids, hz, conns, opts.duration)))
            trickle = clients.Trickle(app.url, trickle_slots)
            trickle.start()
            stats = _row(app, backing_pids, hb, conns, opts.duration)
            out["points"].append(_point("heartbeat", conns, stats, trickle=dict(trickle.stop())))
            out["points"].append(_point("bare", conns, _row(bare, [], hz, conns, opts.duration)))
        if opts.profile:
            # A row of its own, after the measured ones and left out of the table: on two cores
            # py-spy's own sampling takes CPU from the server, so a profiled row reads slow.
            conns = opts.connections[0]
            spy = _start_profile(engine, app, conns, opts)
            _row(app, backing_pids, hb, conns, opts.duration)
            out["profile"] = {"conns": conns, **pyspy.finish(*spy, timeout=opts.duration + 30)}
            where = out["profile"].get("file") or out["profile"].get("why")
            _log(f"  profile (an extra heartbeat row, not in the table): {where}")

        if opts.proxy:
            conns = opts.connections[0]
            _log(
                f"{engine}: proxy cost (2 instances × {max(1, opts.workers // 2)} workers, nginx vs direct, c={conns})"
            )
            out["proxy"] = proxy_cost(env, opts.workers, workdir, hb, conns, opts.duration)
            px = out["proxy"]
            if px["available"]:
                _log(
                    f"  direct {px['direct']['rps']:.1f} req/s, nginx {px['proxy']['rps']:.1f} req/s, "
                    f"ratio {_ratio_text(px['ratio'])}"
                )
            else:
                _log(f"  not measured: {px['why']}")

        _log(f"{engine}: booking throughput ({opts.book_seconds:g} s, {opts.book_concurrency} clients)")
        out["booking"] = probes.booking_throughput(app.url, elsewhere[100:], opts.book_seconds, opts.book_concurrency)
        _log(f"  {out['booking']['bookings_per_s']:.1f} bookings/s {out['booking']['statuses']}")
        _log(f"{engine}: commit-to-visible ({opts.c2v_samples} bookings, under heartbeat load at 32 connections)")
        background = wrk.start(app.url, hb, 32, 3600)
        try:
            out["c2v"] = probes.commit_to_visible(app.url, elsewhere[: opts.c2v_samples], opts.c2v_samples)
            out["rollback"] = probes.rolled_back_booking(app.url, next(h for h in holds if h.kind == "lock"))
        finally:
            out["c2v_background"] = _point("heartbeat", 32, wrk.finish(background, 3600, interrupt=True))
        _log(
            f"  delay p50 {out['c2v']['delay_p50_ms']:.1f} ms, max {out['c2v']['delay_max_ms']:.1f} ms, "
            f"stale {out['c2v']['stale']}, early {out['c2v']['early']}"
        )
        out["server_errors"] = _server_errors(workdir / "app.log")
        app.stop()

        _log(f"{engine}: soak {opts.soak:g} s (max_requests off, so the same workers are measured)")
        soak = start_gunicorn(stack, env, opts.workers, workdir / "soak.log", cmd_args="--max-requests 0")
        wrk.run(soak.url, hb, 32, opts.warmup)
        soak_start = worker_rss(soak)
        trickle = clients.Trickle(soak.url, trickle_slots)
        trickle.start()
        running = wrk.start(soak.url, hb, 32, opts.soak)
        samples = []
        while running.poll() is None:
            time.sleep(min(10.0, max(1.0, opts.soak / 10)))
            samples.append(worker_rss(soak))
        soak_stats = wrk.finish(running, opts.soak)
        soak_end = worker_rss(soak)
        out["soak"] = {
            "seconds": opts.soak,
            "rss_start": soak_start,
            "rss_end": soak_end,
            "rss_max": {pid: max((s.get(pid, 0) for s in samples), default=0) for pid in soak_start},
            "load": _point("heartbeat", 32, soak_stats, trickle=dict(trickle.stop())),
        }
        out["rss"] = {"idle": rss_idle, "warm": rss_warm}
        out["server_errors"] += _server_errors(workdir / "soak.log")
    out["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return out
