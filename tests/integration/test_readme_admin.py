"""The admin flow of docs/staff-admin.md (section "The admin flow with curl"), run exactly as
written but for the port and the ``flask`` executable, against a real gunicorn on this test's
database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from support.gunicorn_server import SECRET_KEY, GunicornServer
from support.helpers import ROOT

pytestmark = pytest.mark.slow


def readme_admin_flow(port: int) -> str:
    """The bash block of docs/staff-admin.md "## The admin flow with curl", for ``port``."""
    text = (ROOT / "docs" / "staff-admin.md").read_text()
    section = text.split("## The admin flow with curl", 1)[1]
    script = section.split("```bash", 1)[1].split("```", 1)[0]
    return script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}").replace(
        ".venv/bin/flask", f"{sys.executable} -m flask"
    )


def test_readme_admin_flow_runs_as_written(app, database_url, redis_url, tmp_path):
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    with GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        # The flask commands run as on the server: same database, same SECRET_KEY.
        run_env = {**os.environ, "SECRET_KEY": SECRET_KEY, **{k: v for k, v in env.items() if v}}
        walk = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", readme_admin_flow(server.port)],
            cwd=ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert walk.returncode == 0, walk.stderr
    out = walk.stdout
    answers = [json.loads(line) for line in out.splitlines() if line.startswith(("{", "["))]
    service = answers[0]
    assert service == {"id": 4, "name": "Beard trim", "duration_minutes": 15, "price": "12.00", "active": True}
    hours = next(a for a in answers if isinstance(a, dict) and "hours" in a)
    assert hours["affected"] == [] and len(hours["hours"]) == 6
    time_off = next(a for a in answers if isinstance(a, dict) and "reason" in a and "affected" in a)
    assert re.fullmatch(r"APT-\d{4}-000001", time_off["affected"][0])
    hook = next(a for a in answers if isinstance(a, dict) and "secret" in a)
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["*"]
    assert any(isinstance(a, list) and a and a[0].get("type") == "webhook.test" for a in answers)
    # The example hook is deleted again: nothing is left retrying crm.example.com for 27 hours.
    assert "\n204\n" in out
    day = next(a for a in answers if isinstance(a, list) and a and "employee_name" in a[0])
    assert [(a["employee_name"], a["status"]) for a in day] == [("Sam Rivera", "confirmed")]
    feed = next(a for a in answers if isinstance(a, dict) and "next_since" in a)
    assert [e["type"] for e in feed["events"]] == ["appointment.created", "appointment.checked_in"]
    assert "\n403\n" in out
    debug = answers[-1]
    assert debug["pollers"] == 0 and debug["holds"] == []
