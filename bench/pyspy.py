"""``--profile``: ``py-spy record`` on one gunicorn worker for the length of a wrk row.

Issue 18: "profile the real server, not the test client". py-spy (pinned in
``requirements-dev.txt``, installed in ``.venv/bin``) samples the worker from outside
(``--nonblocking``: the worker is never paused; the sampling still takes CPU, so the
profiled row is an extra one, not in the table)
and writes ``--format raw``: one line per distinct stack, ``frame;frame;…;leaf COUNT``,
which speedscope and ``flamegraph.pl`` read. :func:`top` sums the samples by leaf frame
(a function's *own* time, as ``py-spy top`` shows it) and by every frame on the stack
(*total* time). py-spy needs ptrace (root, or ``CAP_SYS_PTRACE``); when it fails, the
reason is returned and the run goes on.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: How many functions the report lists.
TOP = 15


def py_spy() -> str | None:
    """The py-spy executable: the one next to this interpreter (``.venv/bin``), else on PATH; None if absent."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, output: Path, rate: int = 100) -> tuple[subprocess.Popen | None, str | None]:
    """Start ``py-spy record`` on ``pid`` for ``seconds`` (rounded up), writing raw stacks to ``output``.

    Returns:
        ``(process, None)``, or ``(None, why)`` when py-spy is not installed.
    """
    exe = py_spy()
    if exe is None:
        return None, "py-spy is not installed (scripts/setup.sh --dev installs requirements-dev.txt)"
    output.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(seconds + 0.999))),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(output),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), None


def finish(proc: subprocess.Popen | None, why: str | None, output: Path, timeout: float) -> dict:
    """Wait for py-spy and summarise its raw output.

    Returns:
        ``{"ok": True, "file", "samples", "own": [(function, samples)], "total": [(function, samples)]}``
        (the :data:`TOP` functions by own and by total samples), or ``{"ok": False, "why": …}``
        with py-spy's message when it failed (e.g. ptrace not permitted).
    """
    if proc is None:
        return {"ok": False, "why": why}
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    if not output.exists() or output.stat().st_size == 0:
        lines = [x for x in (out or "").splitlines() if x.strip()]
        return {"ok": False, "why": f"py-spy exited with {proc.returncode}: " + " / ".join(lines[-3:])}
    return {"ok": True, "file": str(output), **top(output.read_text())}


def top(raw: str, n: int = TOP) -> dict:
    """Sum py-spy ``raw`` (collapsed) stacks by function.

    Args:
        raw: lines ``frame;frame;…;leaf COUNT``; a frame is ``function (file:line)``.

    Returns:
        ``{"samples": total samples, "own": [(function, samples)], "total": [(function, samples)]}``:
        the ``n`` largest by own samples (the frame was the leaf) and by total samples (on the
        stack at all, once per stack). Functions are named ``function (file)``: lines merged.
    """
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        k = int(count)
        samples += k
        frames = [_function(f) for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            total[f] += k
    return {"samples": samples, "own": own.most_common(n), "total": total.most_common(n)}


def _function(frame: str) -> str:
    """``"dispatch (flask/app.py:880)"`` → ``"dispatch (flask/app.py)"``; thread/process frames unchanged."""
    name, sep, where = frame.partition(" (")
    if not sep:
        return frame
    path = where.rstrip(")").rsplit(":", 1)[0]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/lib/python" in path:
        path = path.split("/lib/python", 1)[1].split("/", 1)[-1]  # the standard library: "json/encoder.py"
    elif path.startswith(str(ROOT) + "/"):
        path = path[len(str(ROOT)) + 1 :]  # the repository's own: "appointease/…"
    return f"{name} ({path})"
