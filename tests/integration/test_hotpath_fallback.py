"""The fallback hold store learns of another process's Redis outage from the recorded
fallback (the ``holds_fallback_at`` counter, read with the versions), not by polling the
holds table (issue 18): a healthy process still merges the holds another process wrote to
the database during its outage, and while no fallback was ever recorded no holds-table
query runs at all."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from appointease.cache import FallbackSignal, LiveCache
from appointease.errors import SlotHeld
from appointease.extensions import db
from appointease.grid import parse_hhmm
from appointease.holds import LOCK, SELECTION, FallbackHoldStore, HoldRequest, PollRequest, RedisHoldStore, SqlHoldStore


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def req(client, day, hhmm, *, kind=LOCK, ttl=600) -> HoldRequest:
    start = datetime.combine(day, parse_hhmm(hhmm), tzinfo=UTC)
    return HoldRequest(client, 1, day, hhmm, start, start + timedelta(minutes=30), kind, ttl)


@pytest.fixture
def stores(app, redis_server):
    """Two "processes" on one database: ``down`` with an unreachable Redis, ``healthy`` with a live one.

    Each has its own fallback signal (a process's own) and SQL store on the app's engine.
    """
    redis_server.command("FLUSHALL")
    with app.app_context():
        down_redis = RedisHoldStore.from_url(f"redis://127.0.0.1:{unused_port()}/0")
        live_redis = RedisHoldStore.from_url(redis_server.url)
        down = FallbackHoldStore(down_redis, SqlHoldStore(db.engine), signal=FallbackSignal())
        healthy = FallbackHoldStore(live_redis, SqlHoldStore(db.engine), signal=FallbackSignal())
        yield down, healthy
        down_redis._r.close()
        live_redis._r.close()


def versions_read(healthy: FallbackHoldStore) -> None:
    """What each request of the healthy process does first: read the versions (and the signal)."""
    LiveCache.versions(db.session(), healthy.signal)
    db.session.remove()


def test_a_healthy_process_merges_holds_another_process_wrote_during_its_outage(app, stores, workday):
    down, healthy = stores
    with app.app_context():
        versions_read(healthy)
        assert healthy.holds(1, workday) == []  # nothing recorded yet: Redis only
        held = down.acquire(req("client-down-0001", workday, "10:00"))
        assert held.storage == "database"  # the outage process fell back
        # The healthy process's next request reads the versions, and with them the recorded fallback.
        versions_read(healthy)
        seen = healthy.holds(1, workday)
        assert [(h.client_id, h.time, h.storage) for h in seen] == [("client-down-0001", "10:00", "database")]
        polled = healthy.poll(PollRequest([1], workday, "client-up-00001")).holds[1]
        assert [h.client_id for h in polled] == ["client-down-0001"]
        with pytest.raises(SlotHeld):
            healthy.acquire(req("client-up-00001", workday, "10:00", kind=SELECTION, ttl=60))
        assert healthy.acquire(req("client-up-00001", workday, "11:00", kind=SELECTION, ttl=60)).storage == "redis"


def test_without_a_versions_read_the_store_reads_the_recorded_fallback_itself(app, stores, workday):
    down, healthy = stores
    with app.app_context():
        down.acquire(req("client-down-0002", workday, "10:30"))
        # No request fed the signal: the store reads the counters row (once per retry_seconds).
        assert [h.client_id for h in healthy.holds(1, workday)] == ["client-down-0002"]


def test_while_healthy_with_no_fallback_recorded_no_holds_table_query_runs(app, stores, workday):
    _down, healthy = stores
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement.lower())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for i in range(5):
                versions_read(healthy)
                healthy.poll(PollRequest([1], workday, "client-up-00002", "10:00", 60))
                healthy.holds(1, workday)
                healthy.live_holds()
                healthy.release("client-up-00002", 1, workday)
                healthy.acquire(req(f"client-up-0000{i + 3}", workday, f"{13 + i}:00", kind=SELECTION, ttl=60))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert statements, "the versions reads should have run"
    assert not [s for s in statements if "holds" in s and "holds_fallback_at" not in s or "count(" in s]
