"""``/metrics`` (Prometheus) and ``/readyz`` under gunicorn: counts add up across workers."""

from __future__ import annotations

import re

import pytest

from support.gunicorn_server import GunicornServer
from support.helpers import LiveClient, Widget, assert_error

pytestmark = pytest.mark.slow


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(?:\{\})?") + r" ([0-9.e+-]+)"
    match = re.search(pattern, text)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(1))


@pytest.mark.parametrize("hold_store", ["sql", "redis"])
def test_metrics_count_requests_bookings_conflicts_holds_and_pollers(
    request, app, database_url, workday, tmp_path, hold_store
):
    redis_url = request.getfixturevalue("redis_server").url if hold_store == "redis" else None
    if redis_url:
        request.getfixturevalue("redis_server").command("FLUSHALL")
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    (tmp_path / "prom").mkdir()
    with GunicornServer(env, workers=3, log_path=tmp_path / "gunicorn.log") as server:
        http = LiveClient(server.url, timeout=5)
        w = Widget(http, workday)
        for _ in range(6):
            assert http.get("/api/v1/services").ok
        assert w.select("09:00", "metrics-a1").ok
        assert w.lock("14:00", "metrics-b1").ok
        assert_error(w.select("09:00", "metrics-c1"), 409, "slot_held")
        booking = w.booking("11:00", name="M", email="m@example.com")
        assert w.book(booking).status_code == 201
        assert_error(w.book(booking), 409, "slot_taken")
        # Three widgets polling every 5 s for 15 s: 9 heartbeats, estimated as 3 pollers.
        for _ in range(3):
            for client in ("metrics-p1", "metrics-p2", "metrics-p3"):
                assert w.heartbeat(client).ok
        text = http.get("/metrics").text
        ready = w.ready()
    assert _value(text, "appointease_http_requests_total", 'endpoint="/api/v1/services",method="GET",status="200"') == 6
    assert _value(text, "appointease_bookings_total") == 1
    assert _value(text, "appointease_conflicts_total", 'code="slot_held"') == 1
    assert _value(text, "appointease_conflicts_total", 'code="slot_taken"') == 1
    assert _value(text, "appointease_holds_active", 'kind="selection"') == 1
    assert _value(text, "appointease_holds_active", 'kind="lock"') == 1
    assert _value(text, "appointease_heartbeat_pollers") == pytest.approx(3)
    assert _value(text, "appointease_http_request_duration_seconds_count", 'endpoint="/api/v1/heartbeat"') == 9
    assert ready.status_code == 200
    assert ready.json()["checks"] == ({"database": "ok", "redis": "ok"} if redis_url else {"database": "ok"})
