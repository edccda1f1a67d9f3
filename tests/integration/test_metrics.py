"""``/metrics`` (Prometheus) and ``/readyz`` under gunicorn: counts add up across workers."""
from __future__ import annotations

import re

import pytest
import requests

from live import GunicornServer

pytestmark = pytest.mark.slow


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(?:\{\})?") + r" ([0-9.e+-]+)"
    match = re.search(pattern, text)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(1))


@pytest.mark.parametrize("hold_store", ["sql", "redis"])
def test_metrics_count_requests_bookings_conflicts_holds_and_pollers(request, app, database_url, workday, tmp_path, hold_store):
    redis_url = request.getfixturevalue("redis_server").url if hold_store == "redis" else None
    if redis_url:
        request.getfixturevalue("redis_server").command("FLUSHALL")
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    (tmp_path / "prom").mkdir()
    d = workday.isoformat()
    with GunicornServer(env, workers=3, log_path=tmp_path / "gunicorn.log") as server:
        api = server.url + "/api/v1"
        for _ in range(6):
            assert requests.get(api + "/services", timeout=5).ok
        slot = {"date": d, "time": "09:00", "employee_id": 1, "service_id": 1}
        assert requests.post(api + "/slots/select", json={**slot, "client_id": "metrics-a1"}, timeout=5).ok
        assert requests.post(api + "/slots/lock", json={**slot, "time": "14:00", "client_id": "metrics-b1"}, timeout=5).ok
        assert requests.post(api + "/slots/select", json={**slot, "client_id": "metrics-c1"}, timeout=5).status_code == 409
        booking = {**slot, "time": "11:00", "name": "M", "email": "m@example.com"}
        assert requests.post(api + "/appointments", json=booking, timeout=5).status_code == 201
        assert requests.post(api + "/appointments", json=booking, timeout=5).json()["error"]["code"] == "slot_taken"
        # Three widgets polling every 5 s for 15 s: 9 heartbeats, estimated as 3 pollers.
        for _ in range(3):
            for client in ("metrics-p1", "metrics-p2", "metrics-p3"):
                assert requests.post(api + "/heartbeat", json={"date": d, "employee_id": 1, "client_id": client},
                                     timeout=5).ok
        text = requests.get(server.url + "/metrics", timeout=5).text
        ready = requests.get(server.url + "/readyz", timeout=5)
    assert _value(text, "appointease_http_requests_total",
                  'endpoint="/api/v1/services",method="GET",status="200"') == 6
    assert _value(text, "appointease_bookings_total") == 1
    assert _value(text, "appointease_conflicts_total", 'code="slot_held"') == 1
    assert _value(text, "appointease_conflicts_total", 'code="slot_taken"') == 1
    assert _value(text, "appointease_holds_active", 'kind="selection"') == 1
    assert _value(text, "appointease_holds_active", 'kind="lock"') == 1
    assert _value(text, "appointease_heartbeat_pollers") == pytest.approx(3)
    assert _value(text, "appointease_http_request_duration_seconds_count", 'endpoint="/api/v1/heartbeat"') == 9
    assert ready.status_code == 200
    assert ready.json()["checks"] == ({"database": "ok", "redis": "ok"} if redis_url else {"database": "ok"})
