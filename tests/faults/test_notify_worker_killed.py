"""SIGKILL the notification worker in the middle of a webhook delivery: a new worker delivers it again
with the same ``webhook-id`` once the dead worker's lease has run out (at least once, SPEC §7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appointease.notify.models import WebhookDelivery

from support.helpers import TEST_CONFIG
from support.notify_fixtures import book, register_webhook, rows, wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def start_worker(database_url: str, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APPOINTEASE_WEBHOOK_TIMEOUT": "1",
        "APPOINTEASE_WORKER_POLL_SECONDS": "0.1",
        "APPOINTEASE_TIMEZONE": "Europe/Berlin",
        "APPOINTEASE_ALLOW_PRIVATE_URLS": "1",  # the receiver is on 127.0.0.1
        "APPOINTEASE_OUTBOX_DIR": str(log_path.parent / "outbox"),
    }
    env.pop("REDIS_URL", None)
    env["SECRET_KEY"] = TEST_CONFIG["SECRET_KEY"]  # the test app's key: it encrypted the webhook secrets
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_killed_mid_delivery_then_delivered_by_the_next_worker(make_app, receiver, database_url, tmp_path):
    app = make_app(APPOINTEASE_WEBHOOK_TIMEOUT=1.0)
    receiver.script("/killed", statuses=[200], delays=[0.8, 0])
    register_webhook(app, receiver.url("/killed"))
    book(app)
    first = start_worker(database_url, tmp_path / "worker1.log")
    second = None
    try:
        wait_until(lambda: receiver.arrivals.count("/killed") == 1, timeout=20, what="the first POST")
        first.send_signal(signal.SIGKILL)  # while the receiver is still answering
        first.wait(5)
        killed_at = time.monotonic()
        second = start_worker(database_url, tmp_path / "worker2.log")
        reqs = receiver.wait_for("/killed", 2, timeout=30)
        wait_until(lambda: [d["status"] for d in rows(app, WebhookDelivery)] == ["delivered"], what="delivered")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    assert reqs[0].headers["webhook-id"] == reqs[1].headers["webhook-id"]
    assert json.loads(reqs[0].body) == json.loads(reqs[1].body)
    lease = 3 * 1 + 5
    assert reqs[1].arrived - killed_at < lease + 3  # within the lease (8 s) plus a poll or two
    assert second.returncode == 0  # stopped cleanly by SIGTERM
