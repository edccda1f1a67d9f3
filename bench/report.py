"""Turn one engine's results into the Markdown report and the PASS/MISS list of the targets (issues 8 and 18)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: heartbeat / healthz at 32 connections, per engine (issue 8 "Targets").
HEARTBEAT_RATIO = {"embedded": 0.5, "production": 0.6}
HEALTHZ_RATIO = 0.7
#: heartbeat / bare Flask at 32 connections, both engines (issue 18 "Targets").
BARE_RATIO = 0.4
P99_MS = 25.0
UNCHANGED_BYTES = 120
RSS_GROWTH = 0.10
POLL_INTERVAL_MS = 5000.0


def _point(res: dict, target: str, conns: int) -> dict | None:
    return next((p for p in res["points"] if p["target"] == target and p["conns"] == conns), None)


def _ratio(a: dict | None, b: dict | None) -> float | None:
    return a["rps"] / b["rps"] if a and b and b["rps"] else None


def _fmt(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _short(value: float | None, want: float, unit: str = "") -> str:
    """How far a "≥ want" measurement falls short: ``""`` when met, else ``"short by …"``."""
    if value is None:
        return "not measured"
    if value >= want:
        return ""
    return f"short by {want - value:.2f}{unit} (needs ×{want / value:.2f})" if value > 0 else "nothing measured"


def _over(value: float | None, limit: float, unit: str = "") -> str:
    """How far a "≤ limit" measurement is over: ``""`` when met, else ``"over by …"``."""
    if value is None:
        return "not measured"
    if value <= limit:
        return ""
    return f"over by {value - limit:.1f}{unit} (needs ÷{value / limit:.2f})"


def targets(res: dict) -> list[tuple[str, str, bool, str]]:
    """Return ``[(target, measured, passed, miss)]`` for the targets of issues 8 and 18 on this engine.

    ``miss`` says by how much a MISS misses (``"short by 0.12 (needs ×1.30)"``, ``"over by
    3.2 ms"``, or what went wrong); ``""`` for a PASS. Ratios are req/s at 32 connections.
    """
    hb, hz, bare = (_point(res, t, 32) for t in ("heartbeat", "healthz", "bare"))
    want = HEARTBEAT_RATIO[res["engine"]]
    rows = []
    for label, r, need in (
        (f"heartbeat ≥ {want} × /healthz (32 conns)", _ratio(hb, hz), want),
        (f"heartbeat ≥ {BARE_RATIO} × bare Flask (32 conns)", _ratio(hb, bare), BARE_RATIO),
        (f"/healthz ≥ {HEALTHZ_RATIO} × bare Flask (32 conns)", _ratio(hz, bare), HEALTHZ_RATIO),
    ):
        rows.append((label, _fmt(r), r is not None and r >= need, _short(r, need)))
    p99 = hb["p99_ms"] if hb and hb["requests"] else None
    rows.append(
        (
            f"heartbeat p99 ≤ {P99_MS:g} ms (32 conns)",
            f"{_ms(hb, 'p99_ms')} ms",
            p99 is not None and p99 <= P99_MS,
            _over(p99, P99_MS, " ms"),
        )
    )
    size = hb["unchanged_max"] if hb["unchanged"] else res["caching"]["unchanged_bytes"]
    rows.append(
        (
            f"unchanged answer ≤ {UNCHANGED_BYTES} B of body",
            f"{size} B (max)",
            size <= UNCHANGED_BYTES,
            _over(size, UNCHANGED_BYTES, " B"),
        )
    )
    c = res["caching"]
    miss = []
    if c["inm_status"] != 304:
        miss.append(f"status {c['inm_status']}, not 304")
    if c["inm_bytes"]:
        miss.append(f"{c['inm_bytes']} B of body")
    if not c["etag"]:
        miss.append("no ETag")
    rows.append(
        (
            "If-None-Match → 304, no body; ETag on full answers",
            f"{c['inm_status']}, {c['inm_bytes']} B; ETag {c['etag'] or 'absent'}",
            not miss,
            "; ".join(miss),
        )
    )
    ok = c["multi_status"] == 200 and c["multi_staff"] == 20
    rows.append(
        (
            "employee_ids: 20 staff in one poll",
            f"{c['multi_status']}, staff {c['multi_staff']}",
            ok,
            "" if ok else f"{c['multi_staff']} of 20 staff, status {c['multi_status']}",
        )
    )
    v, rb = res["c2v"], res["rollback"]
    miss = []
    if v["delay_max_ms"] > POLL_INTERVAL_MS:
        miss.append(f"over by {v['delay_max_ms'] - POLL_INTERVAL_MS:.0f} ms")
    miss += [
        f"{v[k]} {name}" for k, name in (("stale", "stale"), ("early", "early"), ("never_seen", "never shown")) if v[k]
    ]
    if rb["shown_booked"]:
        miss.append(f"refused booking shown {rb['shown_booked']}×")
    rows.append(
        (
            "commit-to-visible ≤ one poll (5 s), never early, never stale, refused never shown",
            f"max {v['delay_max_ms']:.0f} ms, stale {v['stale']}, early {v['early']}, "
            f"unseen {v['never_seen']}, refused shown {rb['shown_booked']}",
            not miss,
            "; ".join(miss),
        )
    )
    growth = _rss_growth(res["soak"])
    rows.append(
        (
            f"worker RSS flat within {RSS_GROWTH:.0%} over the soak",
            "no worker lived through the soak" if growth is None else f"max {growth:+.1%}",
            growth is not None and abs(growth) <= RSS_GROWTH,
            "no worker lived through the soak"
            if growth is None
            else ("" if abs(growth) <= RSS_GROWTH else f"over by {abs(growth) - RSS_GROWTH:.1%}"),
        )
    )
    errors = res["server_errors"] + sum(p["error_count"] + p["s5xx"] for p in res["points"] + [res["soak"]["load"]])
    rows.append(
        (
            "0 errors (tracebacks, worker timeouts, 5xx, socket errors)",
            f"{res['server_errors']} in logs; {errors - res['server_errors']} 5xx/socket in the rows and soak",
            errors == 0,
            "" if errors == 0 else f"{errors} errors",
        )
    )
    return rows


def _rss_growth(soak: dict) -> float | None:
    both = [p for p in soak["rss_start"] if p in soak["rss_end"]]
    if not both:
        return None
    return max((soak["rss_end"][p] - soak["rss_start"][p]) / soak["rss_start"][p] for p in both)


def _statuses(p: dict) -> str:
    names = (("s200", "200"), ("s201", "201"), ("s304", "304"), ("s4xx", "4xx"), ("s5xx", "5xx"), ("sother", "other"))
    parts = [f"{label}: {p[k]}" for k, label in names if p[k]]
    if p.get("recycled"):
        parts.append(f"workers recycled: {p['recycled']}")
    if p["error_count"]:
        parts.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in p["errors"].items() if v))
    return "; ".join(parts)


def _body(p: dict) -> str:
    if p["target"] != "heartbeat":
        return f"{p['body_bytes']:.0f}"
    text = f"{p['body_bytes']:.0f}: full {p['full_mean']:.0f} ×{p['full']}"
    if p["unchanged"]:
        text += f"; unchanged {p['unchanged_mean']:.0f} ×{p['unchanged']} (max {p['unchanged_max']})"
    if p["s304"]:
        text += f"; 304 0 ×{p['s304']}"
    return text


def git_describe() -> str:
    """Return ``<short commit>[+dirty]`` of the working tree, or ``unknown``."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (sha or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def markdown(res: dict, machine: dict) -> str:
    """Render one engine's results as Markdown (the file under ``bench/results/``)."""
    o, s, m = res["options"], res["state"], res["mix"]
    quick = " — QUICK RUN (short phases: a smoke test, not a measurement)" if o["quick"] else ""
    lines = [
        f"# Heartbeat benchmark: {res['label']}{quick}",
        "",
        f"- run {res['started']} → {res['finished']} UTC, commit {machine['commit']}, {machine['cpus']} CPUs, "
        f"load average before {machine['load_before']:.2f}, after {machine['load_after']:.2f}"
        + (f"; note: {machine['note']}" if machine.get("note") else ""),
        f"- gunicorn.conf.py defaults (gthread workers, access log off), {o['workers']} workers; wrk -t2, "
        f"{o['duration']:g} s per row after a {o['warmup']:g} s warm-up; selection TTL 3600 s for the run",
        f"- state: {s['staff']} staff, {s['services']} services, {s['appointments']} appointments over "
        f"{s['workdays']} staff working days ({s['free_slots']} free 30-minute slots left), "
        f"{o['selections']} selections + {o['locks']} locks",
        f"- heartbeat mix: {m['bodies']} widgets on {m['pairs']} (date, employee) pairs; {m.get('plain', 0)} send no "
        f"version, {m.get('known_version', 0)} `known_version`, {m.get('if_none_match', 0)} `If-None-Match`; "
        f"{m.get('renewal', 0)} renew a selection; a trickle of select → lock → book runs during heartbeat rows",
    ]
    if machine["load_before"] > 0.5:
        lines.append(
            f"- **the machine was not quiet** (load {machine['load_before']:.2f} before the run): "
            "compare ratios, not absolute numbers"
        )
    lines += [
        "",
        "## Throughput",
        "",
        "| server | conns | req/s | p50 ms | p99 ms | server CPU ms / request (app + db/redis) "
        "| body bytes / response | answers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {"healthz": "app `/healthz`", "heartbeat": "app heartbeat", "bare": "bare Flask JSON"}
    for p in res["points"]:
        lines.append(
            f"| {names[p['target']]} | {p['conns']} | {p['rps']:.1f} | {_ms(p, 'p50_ms')} | "
            f"{_ms(p, 'p99_ms')} | {_fmt(p['cpu_app_ms'])} + {_fmt(p['cpu_backing_ms'])} | "
            f"{_body(p)} | {_statuses(p)} |"
        )
    lines += ["", "| conns | heartbeat / healthz | heartbeat / bare | healthz / bare |", "|---|---|---|---|"]
    for c in o["connections"]:
        hb, hz, bare = (_point(res, t, c) for t in ("heartbeat", "healthz", "bare"))
        lines.append(f"| {c} | {_fmt(_ratio(hb, hz))} | {_fmt(_ratio(hb, bare))} | {_fmt(_ratio(hz, bare))} |")
    b, v, rb = res["booking"], res["c2v"], res["rollback"]
    trickle = {}
    for p in res["points"]:
        for k, n in p.get("trickle", {}).items():
            trickle[k] = trickle.get(k, 0) + n
    lines += [
        "",
        "## Writes and freshness",
        "",
        "| measure | result |",
        "|---|---|",
        f"| booking throughput (distinct free slots, {b['concurrency']} clients, {b['seconds']:.1f} s) | "
        f"**{b['bookings_per_s']:.1f} bookings/s**, p50 {b['p50_ms']:.0f} ms, p99 {b['p99_ms']:.0f} ms; "
        f"answers {b['statuses']} |",
        f"| commit-to-visible ({v['samples']} bookings × {v['pollers']} widgets polling back to back, "
        f"under heartbeat load at 32 conns) | p50 {v['delay_p50_ms']:.1f} ms, max {v['delay_max_ms']:.1f} ms "
        f"after the 201 (one poll takes p50 {v['poll_p50_ms']:.1f} ms); stale polls after the 201: "
        f"{v['stale']}; shown before the request: {v['early']}; never shown: {v['never_seen']} |",
        f"| refused booking of a locked slot | {rb['status']} `{rb['code']}`; shown as booked in "
        f"{rb['shown_booked']} of {rb['polls']} polls; still locked for others: {rb['shown_locked']} |",
        f"| write trickle during the heartbeat rows | {trickle} |",
        f"| server errors in the app's logs (tracebacks, worker timeouts) | {res['server_errors']} |",
    ]
    soak = res["soak"]
    lines += [
        "",
        f"## Worker memory (RSS, MiB; soak {soak['seconds']:g} s of heartbeats at 32 conns, "
        f"{soak['load']['rps']:.1f} req/s, max_requests off)",
        "",
        "| worker | idle (main server) | after warm-up (main server) | soak start | soak end | soak max | change |",
        "|---|---|---|---|---|---|---|",
    ]
    idle, warm = list(res["rss"]["idle"].values()), list(res["rss"]["warm"].values())
    for i, pid in enumerate(soak["rss_start"]):
        start, end = soak["rss_start"][pid], soak["rss_end"].get(pid)
        change = f"{(end - start) / start:+.1%}" if end else "exited"
        lines.append(
            f"| {i + 1} (pid {pid}) | {_mib(idle, i)} | {_mib(warm, i)} | {start / 1024:.1f} | "
            f"{_fmt(end / 1024 if end else None, 1)} | {soak['rss_max'].get(pid, 0) / 1024:.1f} | {change} |"
        )
    lines += _proxy(res.get("proxy"))
    lines += ["", "## Widget traffic (one open widget, requests per minute, tab visible and hidden)", ""]
    lines.append(res.get("widget_traffic") or "not measured: bench/widget_traffic.py was not run")
    lines += _profile(res.get("profile"))
    lines += ["", "## Targets (issues 8 and 18)", "", "| target | measured | result | miss by |", "|---|---|---|---|"]
    lines += [f"| {t} | {m} | {'PASS' if ok else '**MISS**'} | {miss} |" for t, m, ok, miss in targets(res)]
    return "\n".join(lines) + "\n"


def _proxy(px: dict | None) -> list[str]:
    """The "proxy's cost" section: the same two instances through nginx and direct."""
    lines = ["", "## Proxy cost (2 instances behind the repo's nginx config)", ""]
    if px is None:
        return lines + ["not measured (`--no-proxy`)"]
    if not px["available"]:
        return lines + [f"not measured: {px['why']}"]
    lines += [
        f"Heartbeat mix, {px['conns']} connections, {px['seconds']:g} s per leg; two app instances of "
        f"{px['workers_each']} workers each; direct = half the connections on each instance at once.",
        "",
        "| path | req/s | p50 ms | p99 ms | 5xx | socket errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, key in (("direct (2 instances)", "direct"), ("through nginx", "proxy")):
        leg = px[key]
        lines.append(
            f"| {name} | {leg['rps']:.1f} | {leg['p50_ms']:.1f} | {leg['p99_ms']:.1f} | {leg['s5xx']} "
            f"| {leg['errors']} |"
        )
    lines += [
        "",
        f"**proxy / direct: {_fmt(px['ratio'])}** (through-nginx rate ÷ direct rate of the same two instances); "
        f"`[error]` lines in nginx's error.log: {px['nginx_errors']}",
    ]
    return lines


def _profile(prof: dict | None) -> list[str]:
    """The ``--profile`` section: py-spy's top functions by own time, or why there is none."""
    if prof is None:
        return []
    lines = ["", f"## Profile (py-spy record, one app worker, heartbeat row at {prof['conns']} conns)", ""]
    if not prof["ok"]:
        return lines + [f"not profiled: {prof['why']}"]
    n = prof["samples"] or 1
    lines += [
        f"{prof['samples']} samples; raw stacks (speedscope / flamegraph.pl input): `{Path(prof['file']).name}`. "
        "Samples are wall-clock samples of non-idle threads: a thread blocked on a database or Redis "
        "socket counts as its driver's read/wait function.",
        "",
        "| function (by own time) | own samples | own % |",
        "|---|---|---|",
    ]
    lines += [f"| `{f}` | {k} | {k / n:.1%} |" for f, k in prof["own"]]
    return lines


def _ms(p: dict, key: str) -> str:
    """A latency percentile, or "—" for a row in which no request completed."""
    return f"{p[key]:.1f}" if p["requests"] else "—"


def _mib(values: list[int], i: int) -> str:
    return f"{values[i] / 1024:.1f}" if i < len(values) else "—"


def machine_info(note: str | None) -> dict:
    """Commit, CPU count, 1-minute load average now, and the caller's note."""
    return {"commit": git_describe(), "cpus": os.cpu_count(), "load_before": os.getloadavg()[0], "note": note}
