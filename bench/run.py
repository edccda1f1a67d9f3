"""Heartbeat benchmark (issue 8): ``.venv/bin/python bench/run.py [--engine both] [--quick]``.

Starts the app under the production ``gunicorn.conf.py`` on 127.0.0.1 against the
embedded default and/or PostgreSQL + Redis, loads a realistic state, drives it with
wrk and prints and writes a Markdown report to ``bench/results/`` (see bench/README.md).
Not part of the test suite. Every server it starts is stopped at the end, also on
errors and Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import Options, measure  # noqa: E402
from bench.report import machine_info, markdown  # noqa: E402

RESULTS = ROOT / "bench" / "results"
QUICK = Options(duration=3, warmup=1, soak=10, bodies=1000, book_seconds=3, c2v_samples=3, quick=True)


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse the command line (``--help`` lists every option)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--engine",
        choices=("embedded", "production", "both"),
        default="both",
        help="embedded: SQLite + SQL holds; production: PostgreSQL + Redis (default: both)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="short phases (3 s rows, 10 s soak): a smoke test of the harness, not a measurement",
    )
    p.add_argument("--duration", type=float, help="seconds per wrk row (default 15, quick 3)")
    p.add_argument("--soak", type=float, help="seconds of the RSS soak (default 300, quick 10)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers for app and bare app (default 4)")
    p.add_argument("--connections", default="32,128", help="wrk connection counts, comma-separated (default 32,128)")
    p.add_argument("--note", help="a note for the report, e.g. 'machine shared with other jobs'")
    p.add_argument("--no-write", action="store_true", help="print the report only; write nothing to bench/results/")
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy record one app worker in an extra heartbeat row, not in the table (stacks to bench/results/)",
    )
    p.add_argument("--no-proxy", action="store_true", help="skip the proxy-cost phase (2 instances behind nginx)")
    return p.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    """Build :class:`Options` from the command line."""
    opts = QUICK if args.quick else Options()
    changes = {
        "workers": args.workers,
        "connections": tuple(int(c) for c in args.connections.split(",")),
        "profile": args.profile,
        "profile_dir": str(RESULTS),
        "proxy": not args.no_proxy,
    }
    if args.duration is not None:
        changes["duration"] = args.duration
    if args.soak is not None:
        changes["soak"] = args.soak
    return replace(opts, **changes)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def write(reports: list[tuple[str, str, dict]], quick: bool) -> list[Path]:
    """Write each engine's Markdown and JSON, and ``latest.md`` (``latest-quick.md`` for quick runs)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "-quick" if quick else ""
    paths = []
    for engine, text, res in reports:
        path = RESULTS / f"{stamp}-{engine}{suffix}.md"
        path.write_text(text)
        path.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str) + "\n")
        paths.append(path)
    latest = RESULTS / f"latest{suffix}.md"
    latest.write_text("\n".join(text for _, text, _ in reports))
    return paths + [latest]


def widget_traffic(timeout: float = 600) -> str:
    """Run ``bench/widget_traffic.py`` (its own helper: one widget's requests per minute, tab visible
    and hidden, in headless Chromium) and return its printed output verbatim, or why it was not measured.

    Its interface is its own: it is run without arguments, with this interpreter, from the
    repository root; its standard output is what the report shows. A missing file, a
    failure (exit status ≠ 0, with the tail of its output) or a timeout is said in one line.
    """
    script = ROOT / "bench" / "widget_traffic.py"
    if not script.exists():
        return "not measured: bench/widget_traffic.py missing"
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"not measured: bench/widget_traffic.py did not finish within {timeout:g} s"
    out = proc.stdout.strip()
    if proc.returncode != 0:
        tail = " / ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        return f"bench/widget_traffic.py exited with {proc.returncode}: {tail}" + (f"\n\n{out}" if out else "")
    return out or "bench/widget_traffic.py printed nothing"


def main(argv: list[str]) -> int:
    """Run the benchmark; returns the exit status (0 when it ran, whatever the targets say)."""
    args = parse(argv)
    opts = options(args)
    # Stop cleanly on SIGTERM, and on SIGINT even when started with it ignored (``cmd &``).
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    engines = ["embedded", "production"] if args.engine == "both" else [args.engine]
    machine = machine_info(args.note)
    if machine["load_before"] > 0.5:
        print(f"warning: load average is {machine['load_before']:.2f}; the machine is not quiet", flush=True)
    print("widget traffic (bench/widget_traffic.py) …", flush=True)
    traffic = widget_traffic()
    reports = []
    for engine in engines:
        workdir = Path(tempfile.mkdtemp(prefix=f"ae-bench-{engine}-"))
        try:
            res = measure(engine, opts, workdir)
        except KeyboardInterrupt:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        except BaseException:
            print(f"benchmark failed; server logs kept in {workdir}", file=sys.stderr, flush=True)
            raise
        shutil.rmtree(workdir, ignore_errors=True)
        machine["load_after"] = os.getloadavg()[0]
        res["machine"] = dict(machine)
        res["widget_traffic"] = traffic
        text = markdown(res, machine)
        print("\n" + text, flush=True)
        reports.append((engine, text, res))
    if not args.no_write:
        for path in write(reports, opts.quick):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("interrupted; every server was stopped", file=sys.stderr)
        sys.exit(130)
