"""Rate limits across processes (SPEC §8): with ``REDIS_URL`` every worker of every
gunicorn instance counts in the same Redis, so a limit holds for the whole deployment;
the embedded default counts per worker process (the effective limit is × workers).

Each request goes on a new connection, so gunicorn hands them to whichever worker
accepts first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support.gunicorn_server import GunicornServer

pytestmark = pytest.mark.slow

LIMIT = 10
ATTEMPTS = 30


def heartbeat(url: str, day: str, i: int) -> requests.Response:
    return requests.post(
        url + "/api/v1/heartbeat", timeout=30, json={"date": day, "employee_id": 1, "client_id": f"office-tab-{i:04d}"}
    )


def test_two_instances_share_one_count_in_redis(app, database_url, redis_server, workday, tmp_path):
    redis_server.command("FLUSHALL")
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "APPOINTEASE_RATE_HEARTBEAT_PER_IP": f"{LIMIT}/minute",
    }
    day = workday.isoformat()
    with (
        GunicornServer(env, workers=2, log_path=tmp_path / "a.log") as a,
        GunicornServer(env, workers=2, log_path=tmp_path / "b.log") as b,
    ):
        urls = [a.url, b.url]
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda i: heartbeat(urls[i % 2], day, i), range(ATTEMPTS)))
    statuses = [r.status_code for r in answers]
    print(
        f"\nredis-shared limit {LIMIT}/minute, 2 instances x 2 workers: 200={statuses.count(200)} "
        f"429={statuses.count(429)}"
    )
    assert statuses.count(200) == LIMIT and statuses.count(429) == ATTEMPTS - LIMIT, statuses
    for r in answers:
        if r.status_code == 429:
            assert r.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_embedded_default_counts_per_worker_process(app, database_url, workday, tmp_path):
    """Without Redis each worker has its own counters: between LIMIT and LIMIT × workers
    requests pass (docs/rate-limits.md "Where the counters live")."""
    env = {"DATABASE_URL": database_url, "REDIS_URL": None, "APPOINTEASE_RATE_HEARTBEAT_PER_IP": f"{LIMIT}/minute"}
    day = workday.isoformat()
    with GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log") as server, ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda i: heartbeat(server.url, day, i).status_code, range(ATTEMPTS)))
    print(f"\nmemory limit {LIMIT}/minute, 1 instance x 2 workers: 200={statuses.count(200)} 429={statuses.count(429)}")
    assert set(statuses) <= {200, 429}
    assert LIMIT <= statuses.count(200) <= 2 * LIMIT, statuses
