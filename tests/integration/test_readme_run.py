"""The README's run command, as a new user meets it: fresh copy, one command, book through it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from servers import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _fresh_copy(dest: Path) -> None:
    """Copy the files a clone would have (tracked and not ignored), nothing built."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_run_command_serves_the_demo_and_books(tmp_path):
    checkout = tmp_path / "appointease"
    checkout.mkdir()
    _fresh_copy(checkout)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "APPOINTEASE_"))}
    env.update(PORT=str(port), WEB_CONCURRENCY="2")
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(["scripts/run.sh"], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            pytest.fail("the run command did not serve within 300 s")
        assert "appointease" in requests.get(base + "/", timeout=5).text.lower()
        services = requests.get(base + "/api/v1/services", timeout=5).json()
        assert {s["duration_minutes"] for s in services} >= {30, 45, 60}
        day = date.today() + timedelta(days=2)
        day += timedelta(days=(7 - day.weekday()) % 7)
        slot = {"date": day.isoformat(), "time": "10:00", "employee_id": 1, "service_id": 1, "client_id": "readme-user-1"}
        assert requests.post(base + "/api/v1/slots/select", json=slot, timeout=5).status_code == 200
        assert requests.post(base + "/api/v1/slots/lock", json=slot, timeout=5).status_code == 200
        r = requests.post(base + "/api/v1/appointments", json={**slot, "name": "Ada", "email": "ada@example.com"},
                          headers={"Idempotency-Key": "readme-1"}, timeout=5)
        assert r.status_code == 201 and r.json()["reference"].startswith(f"APT-{date.today().year}-")
        hb = requests.post(base + "/api/v1/heartbeat", json={"date": day.isoformat(), "employee_id": 1,
                                                              "client_id": "readme-user-2", "service_id": 1}, timeout=5)
        assert hb.json()["booked"] == ["10:00"]
        assert (checkout / "instance" / "appointease.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()
