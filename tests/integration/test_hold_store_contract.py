"""One contract for every hold store (SPEC §3 selections and locks).

The same tests run against ``SqlHoldStore`` (on this matrix's database),
``RedisHoldStore`` (on the session's real ``redis-server``, and on a Redis Cluster), and
the two stores production builds (``appointease.register_stores``): the app's
``SqlHoldStore(reader=…)`` without ``REDIS_URL`` and its ``FallbackHoldStore`` (Redis
first, that SQL store behind) with it, in both matrices.
"""

from __future__ import annotations

import time as _time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from appointease.errors import RateLimited, SlotHeld, Unavailable
from appointease.grid import parse_hhmm
from appointease.holds import (
    LOCK,
    SELECTION,
    FallbackHoldStore,
    HoldRequest,
    PollRequest,
    RedisHoldStore,
    SqlHoldStore,
)

from support.helpers import TEST_CONFIG, need
from support.servers import RedisServer, free_port, redis_available

A, B, C = "client-aaaa-0001", "client-bbbb-0002", "client-cccc-0003"


class PerRequest:
    """The store an app built, each call in an app context of its own, as each request has one.

    The app's SQL store reads through the request's session (``reader``), which ends with
    the request; a call outside one would keep reading one transaction's snapshot (on
    SQLite). Attributes are the store's own: setting one sets the store's.
    """

    def __init__(self, app, store):
        object.__setattr__(self, "_app", app)
        object.__setattr__(self, "_store", store)

    def __getattr__(self, name):
        value = getattr(self._store, name)
        if not callable(value):
            return value

        def in_a_request(*args, **kwargs):
            with self._app.app_context():
                return value(*args, **kwargs)

        return in_a_request

    def __setattr__(self, name, value):
        setattr(self._store, name, value)


def app_store(database_url: str, redis_url: str | None) -> PerRequest:
    """The hold store ``create_app`` builds on ``database_url`` (and ``redis_url``), per request."""
    from appointease import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, **TEST_CONFIG})
    return PerRequest(app, app.extensions["appointease.holds"])


def app_stores(request):
    """Yield the app's own store for ``request.param``: ``app-sql`` (no ``REDIS_URL``) or
    ``app-fallback`` (the session's Redis, flushed); close it afterwards."""
    redis_url = None
    if request.param == "app-fallback":
        server = request.getfixturevalue("redis_server")
        server.command("FLUSHALL")
        redis_url = server.url
    made = app_store(request.getfixturevalue("database_url"), redis_url)
    assert isinstance(made._store, FallbackHoldStore if redis_url else SqlHoldStore)
    yield made
    close_app_store(made)


def close_app_store(made: PerRequest) -> None:
    """Close what ``app_store`` opened: the Redis client (if any) and the engine's pool."""
    from appointease.extensions import db

    store = made._store
    if isinstance(store, FallbackHoldStore):
        store.primary._r.close()
    with made._app.app_context():
        db.engine.dispose()


#: The SQL stores run on the matrix's database; the Redis stores (one server, a 3-master
#: cluster) always on the session's own servers, so their half of the contract is
#: ``engine_independent`` (run once). The app's stores are built by ``create_app``.
@pytest.fixture(
    params=[
        "sql",
        pytest.param("redis", marks=pytest.mark.engine_independent),
        pytest.param("cluster", marks=pytest.mark.engine_independent),
        "app-sql",
        "app-fallback",
    ]
)
def store(request):
    """Each hold store, empty: the SQL table, one Redis, a 3-master Redis Cluster, and the
    app's own SQL store (``reader=``) and Redis-first fallback."""
    if request.param == "sql":
        from appointease.extensions import db

        app = request.getfixturevalue("app")
        with app.app_context():
            yield SqlHoldStore(db.engine)
    elif request.param == "redis":
        server = request.getfixturevalue("redis_server")
        server.command("FLUSHALL")
        redis_store = RedisHoldStore.from_url(server.url)
        yield redis_store
        redis_store._r.close()
    elif request.param == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        cluster_store = RedisHoldStore.from_url(cluster.urls[0], cluster=True)
        cluster_store._r.flushall()
        yield cluster_store
        cluster_store._r.close()
    else:
        yield from app_stores(request)


@pytest.fixture
def day(workday) -> date:
    return workday


def req(client, day, hhmm, *, employee=1, minutes=30, kind=SELECTION, ttl=60, ip=None) -> HoldRequest:
    start = datetime.combine(day, parse_hhmm(hhmm), tzinfo=UTC)
    return HoldRequest(client, employee, day, hhmm, start, start + timedelta(minutes=minutes), kind, ttl, ip)


def held(store, day, employee=1) -> dict[str, tuple[str, str]]:
    """``{client_id: (time, kind)}`` of the live holds on (employee, day)."""
    return {h.client_id: (h.time, h.kind) for h in store.holds(employee, day)}


def close_to(actual: datetime, expected: datetime, seconds: float = 2.0) -> bool:
    return abs((actual - expected).total_seconds()) <= seconds


def test_acquire_returns_the_hold_with_its_expiry(store, day):
    before = datetime.now(UTC)
    info = store.acquire(req(A, day, "10:00", minutes=45, ttl=30))
    assert (info.client_id, info.employee_id, info.day, info.time, info.kind) == (A, 1, day, "10:00", SELECTION)
    assert info.start == datetime.combine(day, parse_hhmm("10:00"), tzinfo=UTC)
    assert info.end - info.start == timedelta(minutes=45)
    assert info.expires_at.tzinfo is not None
    assert close_to(info.expires_at, before + timedelta(seconds=30))
    assert held(store, day) == {A: ("10:00", SELECTION)}


def test_overlapping_hold_of_another_client_is_refused(store, day):
    store.acquire(req(A, day, "10:00", minutes=60))
    with pytest.raises(SlotHeld):
        store.acquire(req(B, day, "10:00"))
    with pytest.raises(SlotHeld):  # 10:30 lies inside A's hour
        store.acquire(req(B, day, "10:30"))
    with pytest.raises(SlotHeld):  # 09:30–10:30 overlaps, and so does a lock
        store.acquire(req(B, day, "09:30", minutes=60, kind=LOCK))
    assert held(store, day) == {A: ("10:00", SELECTION)}


def test_a_lock_blocks_others_like_a_selection(store, day):
    store.acquire(req(A, day, "10:00", kind=LOCK, ttl=600))
    with pytest.raises(SlotHeld):
        store.acquire(req(B, day, "10:00"))


def test_adjacent_slots_and_other_employees_or_days_do_not_conflict(store, day):
    store.acquire(req(A, day, "10:00"))
    store.acquire(req(B, day, "10:30"))  # starts when A's ends
    store.acquire(req(C, day, "09:30"))  # ends when A's starts
    assert held(store, day) == {A: ("10:00", SELECTION), B: ("10:30", SELECTION), C: ("09:30", SELECTION)}
    other = "client-dddd-0004"
    store.acquire(req(other, day, "10:00", employee=2))
    assert held(store, day, employee=2) == {other: ("10:00", SELECTION)}
    tomorrow = day + timedelta(days=1)
    store.acquire(req("client-eeee-0005", tomorrow, "10:00"))
    assert set(held(store, tomorrow)) == {"client-eeee-0005"}


def test_same_client_reacquiring_replaces_its_hold(store, day):
    store.acquire(req(A, day, "10:00"))
    store.acquire(req(A, day, "11:00"))
    assert held(store, day) == {A: ("11:00", SELECTION)}
    # The freed 10:00 slot is open to others.
    store.acquire(req(B, day, "10:00"))
    # Its own overlapping hold never blocks the client itself.
    store.acquire(req(A, day, "11:30", minutes=60))
    assert held(store, day) == {B: ("10:00", SELECTION), A: ("11:30", SELECTION)}


def test_one_hold_per_client_across_employees_and_days(store, day):
    store.acquire(req(A, day, "10:00"))
    store.acquire(req(A, day, "14:00", employee=3))
    assert A not in held(store, day, employee=1)
    assert held(store, day, employee=3) == {A: ("14:00", SELECTION)}
    later = day + timedelta(days=1)
    store.acquire(req(A, later, "09:00", employee=2))
    assert held(store, day, employee=3) == {}
    assert held(store, later, employee=2) == {A: ("09:00", SELECTION)}
    # Nobody is blocked by A's old holds.
    store.acquire(req(B, day, "10:00"))
    store.acquire(req(C, day, "14:00", employee=3))


def test_a_refused_acquire_keeps_the_clients_previous_hold(store, day):
    """A refusal changes nothing: the client's hold elsewhere stays (one hold, never zero)."""
    store.acquire(req(B, day, "14:00", employee=3, kind=LOCK, ttl=600))
    store.acquire(req(A, day, "10:00", ip="203.0.113.30"))
    with pytest.raises(SlotHeld):
        store.acquire(req(A, day, "14:00", employee=3, ip="203.0.113.30"))
    assert held(store, day) == {A: ("10:00", SELECTION)}
    store.max_holds_per_ip = 1
    store.acquire(req(C, day, "16:00", employee=2, ip="203.0.113.31"))
    with pytest.raises(RateLimited):
        store.acquire(req(A, day, "09:00", employee=2, ip="203.0.113.31"))
    assert held(store, day) == {A: ("10:00", SELECTION)}
    assert held(store, day, employee=2) == {C: ("16:00", SELECTION)}


def test_lock_replaces_the_clients_own_selection(store, day):
    store.acquire(req(A, day, "10:00", kind=SELECTION, ttl=2))
    info = store.acquire(req(A, day, "10:00", kind=LOCK, ttl=600))
    assert info.kind == LOCK
    assert close_to(info.expires_at, datetime.now(UTC) + timedelta(seconds=600))
    holds = store.holds(1, day)
    assert [(h.client_id, h.kind) for h in holds] == [(A, LOCK)]


def test_release_only_by_the_owner_and_idempotent(store, day):
    store.acquire(req(A, day, "10:00"))
    assert store.release(B, 1, day, "10:00") is False  # not B's hold
    assert held(store, day) == {A: ("10:00", SELECTION)}
    with pytest.raises(SlotHeld):
        store.acquire(req(B, day, "10:00"))
    assert store.release(A, 1, day, "10:00") is True
    assert store.release(A, 1, day, "10:00") is False  # already gone
    assert held(store, day) == {}
    store.acquire(req(B, day, "10:00"))


def test_release_with_the_wrong_time_or_place_does_nothing(store, day):
    store.acquire(req(A, day, "10:00"))
    assert store.release(A, 1, day, "10:30") is False
    assert store.release(A, 2, day, "10:00") is False
    assert store.release(A, 1, day + timedelta(days=1), "10:00") is False
    assert held(store, day) == {A: ("10:00", SELECTION)}
    # Without a time, the client's hold on that (employee, day) goes.
    assert store.release(A, 1, day) is True
    assert held(store, day) == {}


def test_holds_for_lists_live_holds_and_drops_expired_ones(store, day):
    store.acquire(req(A, day, "09:00", ttl=1))
    store.acquire(req(B, day, "10:00", kind=LOCK, ttl=1))
    store.acquire(req(C, day, "11:00", ttl=60))
    assert set(held(store, day)) == {A, B, C}
    _time.sleep(1.2)
    assert held(store, day) == {C: ("11:00", SELECTION)}
    # Expired holds no longer block anyone.
    store.acquire(req(C, day, "09:00"))
    store.acquire(req("client-dddd-0004", day, "10:00", kind=LOCK, ttl=600))


def renew(store, day: date, client_id: str, hhmm: str, ttl: int):
    """Ask for a heartbeat renewal the way the heartbeat does (``poll``); the staff member 1's holds."""
    return store.poll(PollRequest([1], day, client_id, hhmm, ttl)).holds[1]


def expiry_of(store, day, client_id, employee=1) -> datetime:
    return {h.client_id: h.expires_at for h in store.holds(employee, day)}[client_id]


def test_renew_extends_the_clients_selection(store, day):
    store.acquire(req(A, day, "10:00", ttl=5))
    holds = renew(store, day, A, "10:00", 120)
    assert [h.client_id for h in holds] == [A]
    assert close_to(holds[0].expires_at, datetime.now(UTC) + timedelta(seconds=120))
    assert close_to(expiry_of(store, day, A), datetime.now(UTC) + timedelta(seconds=120))


def test_renew_never_extends_a_lock(store, day):
    first = store.acquire(req(A, day, "10:00", kind=LOCK, ttl=30))
    holds = renew(store, day, A, "10:00", 600)
    assert [(h.client_id, h.kind) for h in holds] == [(A, LOCK)]
    assert close_to(holds[0].expires_at, first.expires_at, 0.01)


def test_renew_never_extends_another_clients_hold_or_another_time(store, day):
    b = store.acquire(req(B, day, "10:00", ttl=30))
    a = store.acquire(req(A, day, "11:00", ttl=30))
    renew(store, day, A, "10:00", 600)  # A asks to renew B's slot
    renew(store, day, A, "11:30", 600)  # A names a time it does not hold
    expiry = {h.client_id: h.expires_at for h in store.holds(1, day)}
    assert close_to(expiry[B], b.expires_at, 0.01)
    assert close_to(expiry[A], a.expires_at, 0.01)


def test_poll_without_a_selected_time_lists_holds_and_renews_nothing(store, day):
    a = store.acquire(req(A, day, "10:00", ttl=30))
    store.acquire(req(B, day, "11:00", kind=LOCK, ttl=600))
    holds = store.poll(PollRequest([1], day, A, None, 600)).holds[1]
    assert {h.client_id: (h.time, h.kind) for h in holds} == {A: ("10:00", SELECTION), B: ("11:00", LOCK)}
    assert close_to(expiry_of(store, day, A), a.expires_at, 0.01)
    assert store.poll(PollRequest([2], day, A, None, 600)).holds == {2: []}


def test_poll_serves_several_staff_in_one_call_and_renews_where_the_selection_is(store, day):
    store.acquire(req(A, day, "10:00", employee=2, ttl=5))
    store.acquire(req(B, day, "11:00", employee=3, kind=LOCK, ttl=600))
    found = store.poll(PollRequest([1, 2, 3], day, A, "10:00", 120)).holds
    assert list(found) == [1, 2, 3]
    assert found[1] == [] and [h.client_id for h in found[2]] == [A] and [h.kind for h in found[3]] == [LOCK]
    assert close_to(found[2][0].expires_at, datetime.now(UTC) + timedelta(seconds=120))
    assert close_to(expiry_of(store, day, A, employee=2), datetime.now(UTC) + timedelta(seconds=120))


def test_per_ip_cap_refuses_the_next_hold_atomically_and_frees_on_release(store, day):
    """SPEC §8: one IP may not hold more than the cap; the next gets 429 with Retry-After."""
    store.max_holds_per_ip = 3
    ip, other_ip = "203.0.113.7", "198.51.100.9"
    clients = [f"client-ip-{n:04d}" for n in range(4)]
    for n, client_id in enumerate(clients[:3]):
        store.acquire(req(client_id, day, f"{9 + n:02d}:00", ttl=60, ip=ip))
    with pytest.raises(RateLimited) as refused:
        store.acquire(req(clients[3], day, "13:00", ttl=60, ip=ip))
    assert 1 <= refused.value.retry_after <= 60
    assert clients[3] not in held(store, day)
    # A client already holding moves its one hold without counting twice.
    store.acquire(req(clients[0], day, "14:00", ttl=60, ip=ip))
    # Another IP is not affected; holds without an IP (a booking's own) are never capped.
    store.acquire(req("client-other-ip1", day, "15:00", ttl=60, ip=other_ip))
    store.acquire(req("booking-internal1", day, "16:00", ttl=60))
    # Releasing one frees a place at once.
    assert store.release(clients[1], 1, day, "10:00") is True
    store.acquire(req(clients[3], day, "13:00", ttl=60, ip=ip))


def test_a_booking_taking_over_a_clients_hold_frees_its_ip_place(store, day):
    """A booking replaces its client's hold with its own uncapped one, then releases it."""
    store.max_holds_per_ip = 1
    store.acquire(req(A, day, "10:00", kind=LOCK, ttl=600, ip="203.0.113.30"))
    store.acquire(req(A, day, "10:00", kind=LOCK, ttl=30))  # the booking's hold (no IP)
    assert store.release(A, 1, day) is True
    store.acquire(req(B, day, "11:00", ttl=60, ip="203.0.113.30"))


def test_per_ip_cap_counts_only_live_holds(store, day):
    store.max_holds_per_ip = 1
    store.acquire(req(A, day, "09:00", ttl=1, ip="203.0.113.8"))
    with pytest.raises(RateLimited):
        store.acquire(req(B, day, "10:00", ttl=60, ip="203.0.113.8"))
    _time.sleep(1.2)
    store.acquire(req(B, day, "10:00", ttl=60, ip="203.0.113.8"))


def test_a_refused_hold_does_not_use_up_the_ip_cap(store, day):
    store.max_holds_per_ip = 1
    store.acquire(req(A, day, "10:00", ttl=60, ip="203.0.113.20"))
    with pytest.raises(SlotHeld):
        store.acquire(req(B, day, "10:00", ttl=60, ip="203.0.113.21"))
    store.acquire(req(B, day, "11:00", ttl=60, ip="203.0.113.21"))


def test_holds_carry_every_field_of_the_request(store, day):
    store.acquire(req(A, day, "15:00", employee=3, minutes=60, kind=LOCK, ttl=600))
    [hold] = store.holds(3, day)
    assert (hold.client_id, hold.employee_id, hold.day, hold.time, hold.kind) == (A, 3, day, "15:00", LOCK)
    assert hold.end - hold.start == timedelta(hours=1)
    assert store.holds(3, day + timedelta(days=1)) == []


@pytest.mark.engine_independent
def test_cluster_keys_of_different_staff_days_spread_over_the_nodes(request, day):
    """The hash tags put each (staff, day) in one slot, and different ones on different nodes."""
    from redis.cluster import RedisCluster

    cluster = request.getfixturevalue("redis_cluster")
    store = RedisHoldStore.from_url(cluster.urls[0], cluster=True)
    store._r.flushall()
    for employee in range(1, 13):
        store.acquire(req(f"client-spread-{employee:04d}", day, "10:00", employee=employee))
    client: RedisCluster = store._r
    nodes = {client.get_node_from_key(f"ae:{{e{e}:{day.isoformat()}}}:h").name for e in range(1, 13)}
    assert len(nodes) >= 2
    assert all(len(store.holds(e, day)) == 1 for e in range(1, 13))
    store._r.close()


@pytest.mark.engine_independent
def test_unreachable_redis_reports_unavailable_fast(day):
    dead = RedisHoldStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
    started = _time.monotonic()
    assert dead.ping() is False
    with pytest.raises(Unavailable):
        dead.acquire(req(A, day, "10:00"))
    with pytest.raises(Unavailable):
        dead.holds(1, day)
    assert _time.monotonic() - started < 5
    dead._r.close()


# --- bounded hold life (issue 16 point 8: locks cannot be kept forever) -------------------


@pytest.fixture(
    params=[
        "sql",
        pytest.param("redis", marks=pytest.mark.engine_independent),
        pytest.param("cluster", marks=pytest.mark.engine_independent),
        "fallback",
        "app-sql",
        "app-fallback",
    ]
)
def bounded_store(request):
    """Each hold store (the Redis-first fallback and the app's own stores too) with a 2 s
    hold life and a 2 s cool-down."""
    from appointease.extensions import db

    if request.param.startswith("app-"):
        for made in app_stores(request):
            made.max_life_seconds, made.cooldown_seconds = 2, 2
            yield made
        return
    if request.param == "sql":
        app = request.getfixturevalue("app")
        with app.app_context():
            made = SqlHoldStore(db.engine, max_life_seconds=2, cooldown_seconds=2)
            yield made
        return
    if request.param == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        made = RedisHoldStore.from_url(cluster.urls[0], cluster=True, max_life_seconds=2, cooldown_seconds=2)
        made._r.flushall()
        yield made
        made._r.close()
        return
    server = request.getfixturevalue("redis_server")
    server.command("FLUSHALL")
    redis_store = RedisHoldStore.from_url(server.url)
    if request.param == "redis":
        redis_store.max_life_seconds, redis_store.cooldown_seconds = 2, 2
        yield redis_store
    else:
        app = request.getfixturevalue("app")
        with app.app_context():
            made = FallbackHoldStore(redis_store, SqlHoldStore(db.engine))
            made.max_life_seconds, made.cooldown_seconds = 2, 2
            assert made.secondary.max_life_seconds == made.primary.max_life_seconds == 2
            yield made
    redis_store._r.close()


def sleep_until(instant: datetime, margin: float = 0.15) -> None:
    _time.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds() + margin))


def test_retaking_a_lock_never_extends_it_past_the_max_life(bounded_store, day):
    store = bounded_store
    first = store.acquire(req(A, day, "10:00", kind=LOCK, ttl=2))
    end = first.expires_at  # TTL 2 s = the life: the first taking's end
    _time.sleep(0.8)
    # Re-taking the same slot (as the attack did, and as the widget does at half the TTL)
    # keeps the first taking's end; so do a release and re-take, and a move elsewhere.
    again = store.acquire(req(A, day, "10:00", kind=LOCK, ttl=2))
    assert close_to(again.expires_at, end, 0.05)
    assert again.first_taken_at == first.first_taken_at is not None
    assert store.release(A, 1, day, "10:00") is True
    assert close_to(store.acquire(req(A, day, "10:00", kind=LOCK, ttl=2)).expires_at, end, 0.05)
    moved = store.acquire(req(A, day, "11:00", kind=SELECTION, ttl=2))
    assert close_to(moved.expires_at, end, 0.05)
    # A heartbeat's renewal of a selection is bounded by the same life.
    assert close_to(renew(store, day, A, "11:00", 60)[0].expires_at, end, 0.05)
    assert close_to(expiry_of(store, day, A), end, 0.05)
    sleep_until(end)
    assert held(store, day) == {}


def test_after_its_max_life_a_client_cannot_retake_until_the_cooldown_passed(bounded_store, day):
    store = bounded_store
    end = datetime.now(UTC) + timedelta(seconds=2)
    store.acquire(req(A, day, "10:00", kind=LOCK, ttl=60))
    sleep_until(end)
    assert held(store, day) == {}
    with pytest.raises(SlotHeld):
        store.acquire(req(A, day, "10:00", kind=LOCK, ttl=60))
    with pytest.raises(SlotHeld):  # nor elsewhere: a move would start the life afresh
        store.acquire(req(A, day, "14:00", kind=SELECTION, ttl=60))
    # Nobody else is held up, and a booking's own hold (unbounded) still goes through.
    store.acquire(req(B, day, "10:00", kind=LOCK, ttl=60))
    booking = replace(req(A, day, "15:00", kind=LOCK, ttl=30), bounded=False)
    assert close_to(store.acquire(booking).expires_at, datetime.now(UTC) + timedelta(seconds=30))
    assert store.release(A, 1, day) is True
    sleep_until(datetime.now(UTC) + timedelta(seconds=2))  # the cool-down (2 s) after the last hold
    fresh = store.acquire(req(A, day, "11:00", kind=LOCK, ttl=60))  # a new life of 2 s
    assert close_to(fresh.expires_at, datetime.now(UTC) + timedelta(seconds=2), 0.3)
    assert fresh.first_taken_at > end


# --- which storage served a call (``HoldInfo.storage``, ``PollResult.storage``) -----------


def test_every_result_names_the_storage_that_served_it(store, day):
    expected = "database" if isinstance(getattr(store, "_store", store), SqlHoldStore) else "redis"
    assert store.storage == expected
    assert store.acquire(req(A, day, "10:00")).storage == expected
    assert [h.storage for h in store.holds(1, day)] == [expected]
    polled = store.poll(PollRequest([1, 2], day, A, "10:00", 60))
    assert polled.storage == expected and [h.storage for h in polled.holds[1]] == [expected]
    assert store.poll(PollRequest([2], day)).storage == expected  # nothing held there: still named


def test_the_apps_fallback_serves_from_the_database_while_its_redis_is_stopped(database_url, tmp_path, day):
    """SPEC §5.5: with its Redis stopped, the production store answers from the SQL table,
    and each result says so (the heartbeat and ``/slots/select`` report it)."""
    need(redis_available(), "redis-server")
    server = RedisServer(tmp_path / "redis").start()
    store = app_store(database_url, server.url)
    try:
        assert store.acquire(req(A, day, "10:00")).storage == "redis"
        assert store.poll(PollRequest([1], day, A, "10:00", 60)).storage == "redis"
        server.stop()
        started = _time.monotonic()
        polled = store.poll(PollRequest([1], day, B, None, 60))
        assert polled.storage == "database" and polled.holds == {1: []}  # A's hold was in Redis
        assert store.storage == "database"  # Redis is skipped for the retry window now
        info = store.acquire(req(B, day, "11:00", ttl=60))
        assert info.storage == "database"
        polled = store.poll(PollRequest([1, 2], day, B, "11:00", 120))
        assert polled.storage == "database"
        assert [(h.client_id, h.time, h.storage) for h in polled.holds[1]] == [(B, "11:00", "database")]
        assert close_to(polled.holds[1][0].expires_at, datetime.now(UTC) + timedelta(seconds=120))
        with pytest.raises(SlotHeld):  # the database hold blocks others as any hold does
            store.acquire(req(C, day, "11:00"))
        assert [h.client_id for h in store.holds(1, day)] == [B]
        assert store.release(B, 1, day, "11:00") is True
        assert _time.monotonic() - started < 5  # one connect timeout per retry window, not per call
    finally:
        server.stop()
        close_app_store(store)
