"""``HoldStats.live_holds`` (for ``/admin/debug``) on every hold store: every staff member's
and day's live holds, soonest expiry first, without expired or released ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from appointease.grid import parse_hhmm
from appointease.holds import LOCK, SELECTION, FallbackHoldStore, HoldRequest, RedisHoldStore, SqlHoldStore


@pytest.fixture(params=["sql", "redis", "fallback"])
def store(request):
    """Each hold store, empty (the fallback store on a live Redis)."""
    from appointease.extensions import db

    app = request.getfixturevalue("app")
    with app.app_context():
        sql = SqlHoldStore(db.engine)
        if request.param == "sql":
            yield sql
            return
        server = request.getfixturevalue("redis_server")
        server.command("FLUSHALL")
        redis_store = RedisHoldStore.from_url(server.url)
        yield redis_store if request.param == "redis" else FallbackHoldStore(redis_store, sql)
        redis_store._r.close()


def req(client, day, hhmm, *, employee=1, kind=SELECTION, ttl=60) -> HoldRequest:
    start = datetime.combine(day, parse_hhmm(hhmm), tzinfo=UTC)
    return HoldRequest(client, employee, day, hhmm, start, start + timedelta(minutes=30), kind, ttl)


def test_live_holds_span_staff_and_days_soonest_expiry_first(store, workday):
    other_day = workday + timedelta(days=1)
    store.acquire(req("client-lock-0001", workday, "10:00", kind=LOCK, ttl=600))
    store.acquire(req("client-sel-0002", other_day, "11:00", employee=2, ttl=30))
    store.acquire(req("client-sel-0003", workday, "12:00", employee=3, ttl=60))
    got = [(h.client_id, h.employee_id, h.day, h.time, h.kind) for h in store.live_holds()]
    assert got == [
        ("client-sel-0002", 2, other_day, "11:00", SELECTION),
        ("client-sel-0003", 3, workday, "12:00", SELECTION),
        ("client-lock-0001", 1, workday, "10:00", LOCK),
    ]
    assert [h.client_id for h in store.live_holds(limit=2)] == ["client-sel-0002", "client-sel-0003"]


def test_live_holds_leave_out_released_replaced_and_expired_holds(store, workday):
    store.acquire(req("client-aaaa-0001", workday, "10:00", ttl=1))
    store.acquire(req("client-bbbb-0002", workday, "11:00", ttl=60))
    store.acquire(req("client-bbbb-0002", workday, "14:00", ttl=60))  # replaces its 11:00
    store.acquire(req("client-cccc-0003", workday, "15:00", ttl=60))
    store.release("client-cccc-0003", 1, workday, "15:00")
    time.sleep(1.2)
    assert [(h.client_id, h.time) for h in store.live_holds()] == [("client-bbbb-0002", "14:00")]
