"""``flask --app app worker [--once]``: the command drains and exits, or runs until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.helpers import TEST_CONFIG
from support.notify_fixtures import book

ROOT = Path(__file__).resolve().parents[2]


def test_worker_once_sends_what_is_due_and_says_so(notify_app, smtp):
    book(notify_app)
    result = notify_app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "mail_sent=1" in result.output
    assert len(smtp.wait_for(1)) == 1
    again = notify_app.test_cli_runner().invoke(args=["worker", "--once"])
    assert again.exit_code == 0 and again.output.strip() == "nothing was due"


def test_a_malformed_smtp_url_stops_the_worker_at_start(make_app):
    app = make_app(SMTP_URL="smtp://mail.example.test:notaport")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "port" in str(result.exception)


@pytest.mark.slow
def test_the_worker_process_runs_until_sigterm(notify_app, smtp, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "SMTP_URL": smtp.url, "APPOINTEASE_TIMEZONE": "Europe/Berlin"}
    env.pop("REDIS_URL", None)
    env["SECRET_KEY"] = TEST_CONFIG["SECRET_KEY"]  # the test apps' key (SPEC §8: a worker needs one)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        book(notify_app, "09:00")
        book(notify_app, "10:00")
        assert len(smtp.wait_for(2, timeout=20)) == 2
        assert proc.poll() is None
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    output = log_path.read_text()
    assert "polling every 0.5 s" in output and "notification worker stopped" in output
    assert len(smtp.messages) == 2
