"""The README's run command, as a new user meets it: fresh copy, one command, book through it
(the README's "The first booking, with curl", run as written)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from support.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.engine_independent]
ROOT = Path(__file__).resolve().parents[2]


def _fresh_copy(dest: Path) -> None:
    """Copy the files a clone would have (tracked and not ignored), nothing built."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _readme_walkthrough(port: int) -> str:
    """The README's curl walk-through, exactly as written but for the port."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## The first booking, with curl", 1)[1]
    script = section.split("```bash", 1)[1].split("```", 1)[0]
    return script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")


@contextlib.contextmanager
def _serving(checkout: Path, env: dict, log_path: Path):
    """Start ``scripts/run.sh`` in ``checkout``, wait (at most 300 s) until it answers
    ``/healthz``, yield ``(process, base URL)``, then stop its whole process group."""
    port = free_port()
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=checkout,
            env={**env, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                if requests.get(base + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail("the run command did not serve within 300 s")
        yield proc, base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def _group_left(pgid: int, timeout: float = 15) -> list[str]:
    """The processes (``ps`` lines) still in process group ``pgid`` once it has had ``timeout``
    seconds to empty: a gunicorn worker that its master SIGKILLed at the end of the graceful
    stop may take a moment to die after the master itself has exited."""
    deadline = time.monotonic() + timeout
    while True:
        pids = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
        if not pids or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if not pids:
        return []
    ps = subprocess.run(["ps", "-o", "pid,stat,args", "-p", ",".join(pids)], capture_output=True, text=True)
    return ps.stdout.splitlines()[1:]


def _clean_env(**extra) -> dict:
    """This process's environment without the suite's engine settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "APPOINTEASE_"))}
    return {**env, **extra}


@pytest.mark.date_relative
def test_run_command_serves_the_demo_and_books(tmp_path):
    checkout = tmp_path / "appointease"
    checkout.mkdir()
    _fresh_copy(checkout)
    with _serving(checkout, _clean_env(WEB_CONCURRENCY="2"), tmp_path / "run.log") as (proc, base):
        assert "appointease" in requests.get(base + "/", timeout=15).text.lower()
        walk = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _readme_walkthrough(int(base.rsplit(":", 1)[1]))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert walk.returncode == 0, walk.stderr
        assert '"processing":["10:00"]' in walk.stdout and '"booked":["10:00"]' in walk.stdout
        assert "HTTP/1.1 201" in walk.stdout and "Location: /api/v1/appointments/APT-" in walk.stdout
        services = requests.get(base + "/api/v1/services", timeout=10).json()
        assert {s["duration_minutes"] for s in services} >= {30, 45, 60}
        day = date.today() + timedelta(days=2)
        day += timedelta(days=(7 - day.weekday()) % 7)
        slot = {
            "date": day.isoformat(),
            "time": "11:00",
            "employee_id": 1,
            "service_id": 1,
            "client_id": "readme-user-1",
        }
        assert requests.post(base + "/api/v1/slots/select", json=slot, timeout=15).status_code == 200
        assert requests.post(base + "/api/v1/slots/lock", json=slot, timeout=15).status_code == 200
        r = requests.post(
            base + "/api/v1/appointments",
            json={**slot, "name": "Ada", "email": "ada@example.com"},
            headers={"Idempotency-Key": "readme-1"},
            timeout=15,
        )
        assert r.status_code == 201 and r.json()["reference"].startswith(f"APT-{date.today().year}-")
        hb = requests.post(
            base + "/api/v1/heartbeat",
            json={"date": day.isoformat(), "employee_id": 1, "client_id": "readme-user-2", "service_id": 1},
            timeout=15,
        )
        assert "11:00" in hb.json()["booked"]
        assert (checkout / "instance" / "appointease.sqlite3").exists()
        # The worker started beside gunicorn mails the confirmation to the outbox folder (no SMTP_URL).
        reference, outbox = r.json()["reference"], checkout / "instance" / "outbox"
        deadline = time.monotonic() + 20
        while not any(reference in p.read_text(errors="replace") for p in outbox.glob("*.eml")):
            assert time.monotonic() < deadline, "no confirmation .eml from the worker"
            time.sleep(0.25)
    # run.sh stopped gunicorn and the worker with it: nothing of the process group is left.
    left = _group_left(proc.pid)
    assert left == [], left


def test_run_command_with_demo_off_starts_an_empty_catalogue(tmp_path):
    """Issue 16 point 6: ``APPOINTEASE_DEMO=0 scripts/run.sh`` migrates but loads no demo data.

    Bounded in time: the fresh copy shares this checkout's ``.venv`` when it was installed
    from this very ``requirements.txt`` (``scripts/setup.sh`` then installs nothing).
    """
    checkout = tmp_path / "appointease"
    checkout.mkdir()
    _fresh_copy(checkout)
    stamp = ROOT / ".venv" / ".installed-requirements.txt"
    if stamp.is_file() and stamp.read_bytes() == (ROOT / "requirements.txt").read_bytes():
        (checkout / ".venv").symlink_to((ROOT / ".venv").resolve())
    env = _clean_env(WEB_CONCURRENCY="1", APPOINTEASE_DEMO="0")
    with _serving(checkout, env, tmp_path / "run.log") as (proc, base):
        assert requests.get(base + "/api/v1/services", timeout=10).json() == []
        assert requests.get(base + "/api/v1/staff", timeout=10).json() == []
        assert "no demo data loaded" in (tmp_path / "run.log").read_text()
    left = _group_left(proc.pid)
    assert left == [], left
    # Any other value stops before anything starts, naming the variable.
    bad = subprocess.Popen(
        ["scripts/run.sh"],
        cwd=checkout,
        env={**env, "APPOINTEASE_DEMO": "maybe"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = bad.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(bad.pid, signal.SIGKILL)
        bad.wait(5)
        pytest.fail("run.sh started with APPOINTEASE_DEMO=maybe")
    assert bad.returncode == 2 and "APPOINTEASE_DEMO must be 1" in stderr
