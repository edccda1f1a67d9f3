"""A gunicorn worker dies (SIGKILL) in the middle of bookings (SPEC §3 events, §4 idempotency).

Many bookings run at once on gunicorn (4 workers) while the test SIGKILLs every worker,
twice: first while all of them wait inside their booking transaction (another session
holds the write lock), then at random mid-run. The database must hold no partial
booking and no orphan event, and each client that retries with its Idempotency-Key
ends with exactly one appointment. Runs on PostgreSQL and on SQLite itself (a parameter),
whatever the matrix: ``engine_independent``, run once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, text

from support.gunicorn_server import GunicornServer
from support.helpers import seed

pytestmark = [pytest.mark.slow, pytest.mark.engine_independent]

TIMES = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]
ATTEMPTS = 64  # distinct slots: Alex, four weekdays
RETRY_SECONDS = 30


class PostgresWriteLock:
    """Another session holding the appointments table: bookings wait inside their transaction."""

    def __init__(self, url: str):
        self.url = url.replace("+psycopg", "")
        self.conn = None

    def __enter__(self):
        self.conn = psycopg.connect(self.url, connect_timeout=5)
        self.conn.execute("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE")
        return self

    def wait_for(self, n: int, timeout: float = 10) -> None:
        """Wait (bounded) until ``n`` other sessions of this database wait on a lock."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.url, connect_timeout=5, autocommit=True) as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ).fetchone()[0]
                if waiting >= n:
                    return
                time.sleep(0.05)
        raise AssertionError(f"only {waiting} bookings waited on the lock")

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


class SqliteWriteLock:
    """Another connection holding SQLite's write lock: bookings wait in ``BEGIN IMMEDIATE``."""

    def __init__(self, url: str):
        self.path = url.removeprefix("sqlite:///")
        self.conn = None

    def __enter__(self):
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def wait_for(self, n: int, timeout: float = 10) -> None:
        """SQLite cannot tell who waits: give the ``n`` workers half a second to get there."""
        time.sleep(0.5)

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def engine_url(request, tmp_path):
    """A fresh migrated, seeded database on each engine (PostgreSQL: the session server; not stopped)."""
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_server")
        name = f"killed_{os.getpid()}"
        pg.psql(f'CREATE DATABASE "{name}" TEMPLATE ae_template')
        url = pg.url_for(name)
        seed(url)
        yield url, PostgresWriteLock
        pg.drop_database(name)
    else:
        path = tmp_path / "killed.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        seed(url)
        yield url, SqliteWriteLock


def kill_workers(server: GunicornServer) -> int:
    """SIGKILL every current worker of ``server``; returns how many."""
    pids = server.worker_pids()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return len(pids)


def wait_for_workers(server: GunicornServer, old: set[int], n: int = 4, timeout: float = 20) -> None:
    """Wait (bounded) until the master has ``n`` new workers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(set(server.worker_pids()) - old) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("gunicorn did not replace its killed workers")


def post(url: str, body: dict, key: str) -> tuple[int | str, dict]:
    """POST one booking; returns (status or exception name when no answer came, JSON body)."""
    try:
        r = requests.post(url, json=body, headers={"Idempotency-Key": key}, timeout=20)
        return r.status_code, r.json()
    except (requests.RequestException, ValueError) as exc:
        return type(exc).__name__, {}


def test_killed_workers_leave_no_partial_booking(engine_url, workday, tmp_path):
    url, write_lock = engine_url
    attempts = [
        (
            str(uuid.uuid4()),
            {
                "service_id": 1,
                "employee_id": 1,
                "date": (workday + timedelta(days=d)).isoformat(),
                "time": t,
                "name": f"Kim {d}{t}",
                "email": "kim@example.com",
            },
        )
        for d in range(4)
        for t in TIMES
    ]
    assert len(attempts) == ATTEMPTS
    # 64 customers (and their retries, every 0.3 s until 201) all come from 127.0.0.1 here:
    # the per-IP booking limit (60/minute) is raised out of reach; every other limit is on.
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": None,
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
        "APPOINTEASE_RATE_BOOKING_PER_IP": "100000/minute",
    }
    first: dict[str, tuple] = {}
    kills: list[int] = []

    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        api = server.url + "/api/v1/appointments"
        barrier = threading.Barrier(ATTEMPTS + 1)

        def attempt(i: int) -> None:
            key, body = attempts[i]
            barrier.wait(timeout=30)
            first[key] = post(api, body, key)

        with ThreadPoolExecutor(ATTEMPTS) as pool:
            with write_lock(url) as lock:
                futures = [pool.submit(attempt, i) for i in range(ATTEMPTS)]
                barrier.wait(timeout=30)
                # Round 1: every worker is inside a booking, waiting for the lock.
                lock.wait_for(4)
                old = set(server.worker_pids())
                kills.append(kill_workers(server))
                wait_for_workers(server, old)
            # Round 2: the lock is gone; kill again halfway through the queue.
            deadline = time.monotonic() + 20
            while len(first) < ATTEMPTS // 2 and time.monotonic() < deadline:
                time.sleep(0.005)
            kills.append(kill_workers(server))
            for f in futures:
                f.result(timeout=120)

        statuses = Counter(s for s, _ in first.values())
        # Clients that got no answer (or a 503/409 in-progress) retry with the same key.
        final = dict(first)
        retries: Counter = Counter()
        deadline = time.monotonic() + RETRY_SECONDS
        pending = [(k, b) for k, b in attempts if final[k][0] != 201]
        while pending and time.monotonic() < deadline:
            for key, body in pending:
                final[key] = post(api, body, key)
                retries[final[key][0]] += 1
            pending = [(k, b) for k, b in pending if final[k][0] != 201]
            if pending:
                time.sleep(0.3)
        # Replaying every key once more answers the same reference and books nothing.
        replays = [post(api, body, key) for key, body in attempts[::4]]

    engine = create_engine(url)
    with engine.connect() as conn:
        apts = conn.execute(text("SELECT id, reference FROM appointments")).all()
        events = conn.execute(text("SELECT seq, appointment_id, reference FROM events ORDER BY seq")).all()
        orphan_events = conn.execute(
            text("SELECT count(*) FROM events e LEFT JOIN appointments a ON a.id = e.appointment_id WHERE a.id IS NULL")
        ).scalar()
        keys = conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar()
    engine.dispose()

    print(
        f"\nworker-killed[{url.split(':')[0]}]: attempts={ATTEMPTS} killed={kills} first={dict(statuses)} "
        f"retries={dict(retries)} rows={len(apts)} events={len(events)} keys={keys}"
    )
    assert not [s for s in statuses if isinstance(s, int) and s >= 500 and s != 503], statuses
    assert sum(n for s, n in statuses.items() if s != 201) > 0, "no request was cut off; the test proves nothing"
    assert not pending, pending
    refs = [final[key][1]["reference"] for key, _ in attempts]
    assert len(set(refs)) == ATTEMPTS  # one appointment per key
    assert sorted(r for _, r in apts) == sorted(refs)  # no partial or extra appointment
    per_apt = Counter(a for _, a, _ in events)
    assert all(per_apt[i] == 1 for i, _ in apts) and len(events) == len(apts)  # each its one event
    assert orphan_events == 0
    assert [s for s, _, _ in events] == list(range(1, ATTEMPTS + 1))  # seq gap-free
    year = refs[0].split("-")[1]
    assert sorted(refs) == [f"APT-{year}-{n:06d}" for n in range(1, ATTEMPTS + 1)]  # references gap-free
    assert keys == ATTEMPTS
    for (key, _), (status, answer) in zip(attempts[::4], replays, strict=True):
        assert status == 201 and answer == final[key][1]
