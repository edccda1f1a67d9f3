"""Redis stops while the widget polls, selects and books (SPEC §5.5 "degrade, don't die").

gunicorn (4 workers) on this matrix's database and a private ``redis-server``, which the
test stops and brings back on the same port while the app keeps running: holds fall back
to the database store, heartbeats and bookings keep answering, ``/readyz`` says Redis is
down, and once Redis is back holds go to Redis again without restarting the app.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from support.gunicorn_server import GunicornServer
from support.helpers import LiveClient, Widget, assert_error, need
from support.servers import RedisServer, redis_available

pytestmark = pytest.mark.slow

TIMES = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]  # the 16 slots of a 09–17 day
DOWN_ROUNDS = 8
DOWN_SECONDS = 3.5  # longer than FallbackHoldStore.retry_seconds
RECOVERY_SECONDS = 15


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own: it is stopped and restarted, so never the session's."""
    need(redis_available(), "redis-server")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def _poll(stop: threading.Event, widget: Widget, seen: list) -> None:
    """Background widget: heartbeat and re-select one slot until ``stop`` (bounded: 600 calls)."""
    for i in range(600):
        if stop.is_set():
            return
        if i % 3 == 0:
            r = widget.select("16:30", "poller-00000001")
        else:
            r = widget.heartbeat("poller-00000001", service_id=1, selected_time="16:30")
        seen.append(r.status_code)
        time.sleep(0.05)


def test_bookings_and_heartbeats_survive_redis_outage(app, database_url, private_redis, workday, tmp_path):
    # The limiter stays on (its counters are in this Redis too, and fall back to memory
    # with it), but out of reach: the poller re-selects and polls one client ~100× faster
    # than a widget does. tests/faults/test_limiter_redis_down.py checks the limits then.
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": private_redis.url,
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
        "APPOINTEASE_RATE_SLOTS_PER_CLIENT": "10000/minute",
        "APPOINTEASE_RATE_SLOTS_PER_IP": "10000/minute",
        "APPOINTEASE_RATE_HEARTBEAT_PER_IP": "10000/minute",
        "APPOINTEASE_RATE_BOOKING_PER_CLIENT": "10000/minute",
    }
    references: list[str] = []
    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        w = Widget(LiveClient(server.url), workday, employee_id=3)

        # Redis up: holds live in Redis.
        r = w.select(TIMES[0], "client-up-000001")
        assert r.status_code == 200 and r.json()["storage"] == "redis", r.text
        r = w.heartbeat("client-up-000001", service_id=1, selected_time=TIMES[0])
        assert r.status_code == 200 and r.json()["storage"] == "redis", r.text
        r = w.book(time=TIMES[0], employee_id=1, client_id="client-up-000001")
        assert r.status_code == 201, r.text
        references.append(r.json()["reference"])
        assert w.ready().status_code == 200

        stop, seen = threading.Event(), []
        poller = threading.Thread(target=_poll, args=(stop, w, seen))
        poller.start()
        try:
            time.sleep(0.5)
            private_redis.stop()
            down_at = time.monotonic()

            # Redis down: every call still answers; holds are kept in the database.
            for i, slot in enumerate(TIMES[1 : 1 + DOWN_ROUNDS]):
                me = f"client-down-{i:04d}"
                r = w.select(slot, me)
                assert r.status_code == 200, r.text
                assert r.json()["storage"] == "database", r.json()
                r = w.select(slot, f"client-rival-{i:04d}")  # holds still exclude each other
                assert_error(r, 409, "slot_held")
                r = w.heartbeat(me, service_id=1, selected_time=slot)
                assert r.status_code == 200, r.text
                assert r.json()["storage"] == "database" and r.json()["mine"]["time"] == slot, r.json()
                r = w.book(time=slot, employee_id=1, client_id=me)
                assert r.status_code == 201, r.text
                references.append(r.json()["reference"])
                r = w.ready()
                assert r.status_code == 503, r.text
                assert r.json()["checks"] == {"database": "ok", "redis": "down"}, r.json()
            # Stay down past the fallback's 2 s retry window: the retried Redis fails again.
            while time.monotonic() - down_at < DOWN_SECONDS:
                r = w.heartbeat("client-down-0000", service_id=1, selected_time=TIMES[1])
                assert r.status_code == 200 and r.json()["storage"] == "database", r.text
                time.sleep(0.2)
            down_for = time.monotonic() - down_at

            private_redis.start()  # same port, empty data
            back_at = time.monotonic()

            # Redis back: within a few seconds holds use it again, without an app restart.
            storages, streak = [], 0
            deadline = back_at + RECOVERY_SECONDS
            while streak < 8 and time.monotonic() < deadline:
                r = w.select(TIMES[-2], "client-back-0001")
                assert r.status_code == 200, r.text
                storages.append(r.json()["storage"])
                streak = streak + 1 if storages[-1] == "redis" else 0
                time.sleep(0.1)
            recovered_in = time.monotonic() - back_at
            assert streak >= 8, storages
        finally:
            stop.set()
            poller.join(timeout=30)
        assert not poller.is_alive()

        # A heartbeat from any worker says "redis" again: each of the 4 workers retries Redis
        # within its own 2 s window, so one that the selects above never reached may still be
        # on the database for a moment; 4 "redis" answers in a row within the recovery bound.
        streak, deadline = 0, back_at + 2 * RECOVERY_SECONDS
        while streak < 4 and time.monotonic() < deadline:
            r = w.heartbeat("client-back-0001", service_id=1, selected_time=TIMES[-2])
            assert r.status_code == 200, r.text
            streak = streak + 1 if r.json()["storage"] == "redis" else 0
            time.sleep(0.1)
        assert streak >= 4, r.text
        assert w.ready().status_code == 200
        r = w.book(time=TIMES[DOWN_ROUNDS + 1], employee_id=1, client_id="client-after-0001")
        assert r.status_code == 201, r.text
        references.append(r.json()["reference"])
        assert private_redis.command("EXISTS", "ae:c:{client-back-0001}") == 1  # really in Redis

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reference FROM appointments")).scalars().all()
    engine.dispose()
    print(
        f"\nredis-down: bookings={len(references)} rows={len(rows)} down_for={down_for:.1f}s "
        f"recovered_in={recovered_in:.1f}s storages_after_restart={storages} "
        f"poller_calls={len(seen)} poller_statuses={ {s: seen.count(s) for s in set(seen)} }"
    )
    assert sorted(rows) == sorted(references)  # every 201 is there, once; nothing else
    assert seen and set(seen) == {200}, seen


def test_a_lock_taken_during_the_outage_blocks_on_every_worker(app, database_url, private_redis, workday, tmp_path):
    """One worker takes a lock in the database while Redis is down; when Redis is back,
    workers that never saw the outage must still paint and enforce it."""
    env = {"DATABASE_URL": database_url, "REDIS_URL": private_redis.url, "APPOINTEASE_MIN_NOTICE_MINUTES": "0"}
    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        w = Widget(LiveClient(server.url), workday, employee_id=3)
        private_redis.stop()
        r = w.lock("10:00", "client-locker-01", employee_id=2)
        assert r.status_code == 200 and r.json()["storage"] == "database", r.text
        private_redis.start()

        painted = [w.heartbeat("client-watch-0001", employee_id=2, service_id=1).json()["locked"] for _ in range(12)]
        rivals = [w.select("10:00", f"client-rival-{i:04d}", employee_id=2).status_code for i in range(8)]
    print(f"\nlock-after-outage: heartbeats locked={painted} rival selects={rivals}")
    assert painted == [["10:00"]] * 12
    assert rivals == [409] * 8
