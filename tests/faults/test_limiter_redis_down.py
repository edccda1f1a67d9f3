"""The rate limiter's Redis stops (SPEC §5.5, §8): requests keep being answered, limits
keep holding (counted per worker process meanwhile), and the counters return to Redis
once it is back, without a restart.

Flask-Limiter is set up with ``in_memory_fallback_enabled`` (and ``swallow_errors``): the
first request that finds Redis gone switches the worker to in-memory counters, and Redis
is probed again with exponential back-off (1, 2, 4 … 32 s) rather than on every request.
"""

from __future__ import annotations

import statistics
import time

import pytest
import requests

from support.gunicorn_server import GunicornServer
from support.helpers import need
from support.servers import RedisServer, redis_available

pytestmark = pytest.mark.slow

WORKERS = 2
PER_CLIENT = 3
RECOVERY_SECONDS = 60  # longer than the back-off's longest step (32 s) plus a margin


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own: it is stopped and restarted, so never the session's."""
    need(redis_available(), "redis-server")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_limits_survive_a_redis_outage(app, database_url, private_redis, workday, tmp_path):
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": private_redis.url,
        "APPOINTEASE_RATE_SLOTS_PER_CLIENT": f"{PER_CLIENT}/minute",
    }
    day = workday.isoformat()
    with GunicornServer(env, workers=WORKERS, log_path=tmp_path / "gunicorn.log") as server:
        api = server.url + "/api/v1"

        def beat(client_id: str) -> requests.Response:
            return requests.post(
                api + "/heartbeat", timeout=20, json={"date": day, "employee_id": 1, "client_id": client_id}
            )

        def select(client_id: str) -> requests.Response:
            return requests.post(
                api + "/slots/select",
                timeout=20,
                json={"date": day, "time": "10:00", "employee_id": 1, "service_id": 1, "client_id": client_id},
            )

        assert beat("watcher-00001").status_code == 200
        assert private_redis.command("KEYS", "LIMITS*"), "the counters live in Redis while it is up"

        private_redis.stop()
        latencies, statuses = [], []
        for _ in range(20):
            started = time.perf_counter()
            statuses.append(beat("watcher-00001").status_code)
            latencies.append(time.perf_counter() - started)
        selects = [select("greedy-client-01").status_code for _ in range(3 * PER_CLIENT * WORKERS)]

        private_redis.start()  # same port, empty
        back_at = time.monotonic()
        while not private_redis.command("KEYS", "LIMITS*") and time.monotonic() - back_at < RECOVERY_SECONDS:
            assert beat("watcher-00002").status_code == 200
            time.sleep(0.5)
        recovered_in = time.monotonic() - back_at
        counters_back = private_redis.command("KEYS", "LIMITS*")

    print(
        f"\nlimiter redis-down: heartbeats={set(statuses)} median={statistics.median(latencies) * 1000:.0f}ms "
        f"max={max(latencies) * 1000:.0f}ms selects={selects} counters back in Redis after {recovered_in:.1f}s"
    )
    assert statuses == [200] * 20  # no request fails because the limiter's storage is down
    assert statistics.median(latencies) < 0.5  # not a connect timeout per request
    # The per-client limit still holds, counted per worker: at most PER_CLIENT per process.
    assert set(selects) == {200, 429}, selects
    assert PER_CLIENT <= selects.count(200) <= PER_CLIENT * WORKERS, selects
    assert counters_back, f"counters not back in Redis within {RECOVERY_SECONDS} s"
