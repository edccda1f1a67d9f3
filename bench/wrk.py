"""Run ``wrk`` (Debian package) with ``bench/mix.lua`` and return its counts as a dict.

Requests are pre-built in Python and written to a Lua data file that the script
formats once per thread, so wrk spends nothing on building bodies during the run.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK = "/usr/bin/wrk"
SCRIPT = Path(__file__).resolve().parent / "mix.lua"
_RUNNING: set[subprocess.Popen] = set()


@dataclass(frozen=True)
class Request:
    """One HTTP request for wrk: method, path, headers, optional body."""

    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: str | None = None


def _lua(value) -> str:
    if value is None:
        return "nil"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def write_data(path: Path, requests: list[Request]) -> Path:
    """Write ``requests`` as the Lua table ``mix.lua`` loads; returns ``path``."""
    lines = ["return {"]
    for r in requests:
        lines.append(f"  {{{_lua(r.method)}, {_lua(r.path)}, {_lua(r.headers)}, {_lua(r.body)}}},")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path


def start(url: str, data: Path, connections: int, seconds: float, threads: int = 2) -> subprocess.Popen:
    """Start wrk in the background (bounded by ``seconds``); pair with :func:`finish`."""
    threads = min(threads, connections)
    cmd = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(data),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _RUNNING.add(proc)
    return proc


def stop_all() -> None:
    """Kill every wrk this module started that is still running (cleanup on errors)."""
    for proc in list(_RUNNING):
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        _RUNNING.discard(proc)


def finish(proc: subprocess.Popen, seconds: float, interrupt: bool = False) -> dict:
    """Wait for wrk (or stop it early with SIGINT when ``interrupt``) and parse its summary.

    Returns:
        The ``BENCH_JSON`` counts of ``mix.lua`` plus ``rps`` (requests per second),
        ``p50_ms``/``p99_ms`` and ``body_bytes`` (mean body bytes of 200 and 304 answers).

    Raises:
        RuntimeError: wrk failed or printed no summary (its output included).
    """
    if interrupt and proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # wrk stops and still prints its summary
    try:
        out, _ = proc.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise RuntimeError(f"wrk did not finish:\n{out}") from None
    finally:
        _RUNNING.discard(proc)
    line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk exited with {proc.returncode} and no summary:\n{out}")
    stats = json.loads(line.split(" ", 1)[1])
    seconds = stats["duration_us"] / 1e6
    answered = stats["full"] + stats["unchanged"] + stats["s304"]  # a 304 has an empty body
    stats.update(
        rps=stats["requests"] / seconds if seconds else 0.0,
        p50_ms=stats["p50_us"] / 1000,
        p90_ms=stats["p90_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        body_bytes=(stats["full_bytes"] + stats["unchanged_bytes"]) / answered if answered else 0.0,
        full_mean=stats["full_bytes"] / stats["full"] if stats["full"] else 0.0,
        unchanged_mean=stats["unchanged_bytes"] / stats["unchanged"] if stats["unchanged"] else 0.0,
        error_count=sum(stats["errors"].values()),
    )
    return stats


def run(url: str, data: Path, connections: int, seconds: float, threads: int = 2) -> dict:
    """Run wrk for ``seconds`` at ``connections`` and return :func:`finish`'s dict."""
    return finish(start(url, data, connections, seconds, threads), seconds)
