"""The customer flow of docs/customers.md, run exactly as written (but for the port and the
outbox folder) against gunicorn and the notification worker: otp → mailed code → verify →
me/appointments → reschedule → me/events → cancel → logout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.gunicorn_server import GunicornServer
from support.notify_fixtures import running_worker

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def customer_script() -> str:
    """The bash block of docs/customers.md "## The flow with curl"."""
    section = (ROOT / "docs" / "customers.md").read_text().split("## The flow with curl", 1)[1]
    return section.split("```bash", 1)[1].split("```", 1)[0]


def test_the_readme_customer_flow_runs_as_written(app, database_url, redis_url, tmp_path):
    outbox = tmp_path / "instance" / "outbox"
    app.config["APPOINTEASE_OUTBOX_DIR"] = str(outbox)
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "APPOINTEASE_OUTBOX_DIR": str(outbox)}
    with GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log") as server, running_worker(app):
        script = customer_script().replace("http://127.0.0.1:8000", server.url)
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "HTTP/1.1 202" in out and "HTTP/1.1 204" in out
    assert '"service_name":"Haircut"' in out and '"employee_name":"Alex Morgan"' in out
    assert '"type":"appointment.rescheduled"' in out and '"time":"14:30"' in out
    assert '"status":"cancelled"' in out
    assert "unauthorized" not in out
