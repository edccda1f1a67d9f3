"""No double booking under concurrency (SPEC §5.1): gunicorn, 4 worker processes, 40 racers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from support.gunicorn_server import GunicornServer

pytestmark = pytest.mark.slow
RACERS = 40


def _race(url: str, body: dict, n: int) -> list[int]:
    """Fire ``n`` bookings for the same slot at once (a barrier releases them together)."""
    barrier = threading.Barrier(n)

    def one(i: int) -> int:
        barrier.wait()
        r = requests.post(url, json={**body, "client_id": f"racer-{i:04d}", "email": f"r{i}@example.com"}, timeout=60)
        return r.status_code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.parametrize("hold_store", ["sql", "redis"])
def test_forty_parallel_bookings_for_one_slot_make_one_appointment(
    request, app, database_url, workday, tmp_path, hold_store
):
    redis_url = request.getfixturevalue("redis_server").url if hold_store == "redis" else None
    if redis_url:
        request.getfixturevalue("redis_server").command("FLUSHALL")
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "APPOINTEASE_MIN_NOTICE_MINUTES": "0"}
    body = {"service_id": 3, "employee_id": 3, "date": workday.isoformat(), "time": "11:00", "name": "Racer"}
    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        statuses = _race(server.url + "/api/v1/appointments", body, RACERS)
        hb = requests.post(
            server.url + "/api/v1/heartbeat",
            json={"date": workday.isoformat(), "employee_id": 3, "client_id": "observer-1", "service_id": 3},
            timeout=10,
        ).json()
    counts = {s: statuses.count(s) for s in set(statuses)}
    print(f"{hold_store}: attempts={RACERS} statuses={counts}")
    assert counts.get(201) == 1, counts
    assert counts.get(409) == RACERS - 1, counts
    assert not [s for s in statuses if s >= 500]
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM appointments")).scalar()
        events = conn.execute(text("SELECT count(*) FROM events")).scalar()
    engine.dispose()
    assert rows == 1 and events == 1
    assert "11:00" in hb["booked"] and "10:30" in hb["booked"]  # a 60-min booking covers 10:30's 60-min slot
