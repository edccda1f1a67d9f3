"""The Redis hold store's round trips and its one-hold-per-client rule (issue 18).

Counted with Redis's own ``MONITOR`` on real servers: on one server an
``acquire`` and a ``poll`` are each exactly one command (``EVALSHA``); on a Cluster a poll
is one ``EVALSHA`` per staff member. And with 20 threads of one client racing for 20
slots, one server never shows two holds of that client, not even for a moment; a Cluster
is left with at most one once they settle (``RedisHoldStore._acquire_per_slot``).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import redis

from appointease.errors import SlotHeld
from appointease.grid import parse_hhmm
from appointease.holds import LOCK, SELECTION, HoldRequest, PollRequest, RedisHoldStore

pytestmark = pytest.mark.engine_independent

STAFF = list(range(1, 21))

#: Acquires per racing thread: enough for the observer to look many times during the race.
ROUNDS = 10


def req(client: str, day: date, hhmm: str, employee: int = 1, kind: str = SELECTION, ip: str | None = None):
    start = datetime.combine(day, parse_hhmm(hhmm), tzinfo=UTC)
    return HoldRequest(client, employee, day, hhmm, start, start + timedelta(minutes=30), kind, 60, ip)


def delta(observers: list[redis.Redis], call) -> Counter:
    """What ``call()`` sent to the servers behind ``observers``, as ``{command: calls}``.

    Read with ``MONITOR`` on each server, between two ``ECHO`` markers the observer sends
    (what comes before the first is the observer connecting);
    commands a script runs (``client_type`` ``lua``) are not round trips and are left out
    (``INFO commandstats`` would count them), and so is the observer's own connection.
    """
    seen: Counter = Counter()
    ready = threading.Barrier(len(observers) + 1)

    def watch(node: redis.Redis) -> None:
        mine = set()
        with node.monitor() as monitor:
            node.echo("ae-mark-start")
            for entry in monitor.listen():
                text = entry["command"]
                if "ae-mark-start" in text:
                    mine.add(entry.get("client_port"))
                    ready.wait()
                elif "ae-mark-stop" in text:
                    return
                elif mine and entry.get("client_type") != "lua" and entry.get("client_port") not in mine:
                    seen[text.split()[0].strip('"').lower()] += 1

    watchers = [threading.Thread(target=watch, args=(node,)) for node in observers]
    for watcher in watchers:
        watcher.start()
    ready.wait(10)
    call()
    for node, watcher in zip(observers, watchers, strict=True):
        node.echo("ae-mark-stop")
        watcher.join(10)
    return seen


@pytest.fixture
def one_server(redis_server):
    """A store with every rule on (IP cap, bounded life) on the session's flushed server, and
    an observer connection opened beforehand (so its own connect is not counted)."""
    redis_server.command("FLUSHALL")
    store = RedisHoldStore.from_url(redis_server.url, max_holds_per_ip=5, max_life_seconds=600, cooldown_seconds=60)
    observer = redis.Redis.from_url(redis_server.url, decode_responses=True)
    observer.ping()
    yield store, [observer]
    store._r.close()
    observer.close()


@pytest.fixture
def cluster(redis_cluster):
    store = RedisHoldStore.from_url(redis_cluster.urls[0], cluster=True, max_holds_per_ip=5)
    store._r.flushall()
    observers = [redis.Redis.from_url(url, decode_responses=True) for url in redis_cluster.urls]
    for node in observers:
        node.ping()
    yield store, observers
    store._r.close()
    for node in observers:
        node.close()


def test_one_acquire_and_one_poll_are_one_evalsha_each_on_one_server(one_server, workday):
    store, observers = one_server
    # Warm-up: the first call of each script loads it (NOSCRIPT, SCRIPT LOAD, EVALSHA).
    store.acquire(req("client-warm-0001", workday, "09:00", ip="10.0.0.9"))
    store.poll(PollRequest([1, 2], workday, "client-warm-0001", "09:00", 60, "10.0.0.9"))

    store.acquire(req("client-trip-0001", workday, "10:00", employee=1, ip="10.0.0.1"))
    # A move to another staff member releases the first hold in the same script.
    move = req("client-trip-0001", workday, "11:00", employee=2, ip="10.0.0.1")
    moved = delta(observers, lambda: store.acquire(move))
    assert moved == {"evalsha": 1}
    assert [h.client_id for h in store.holds(1, workday)] == ["client-warm-0001"]

    polled = {}
    ask = PollRequest(STAFF, workday, "client-trip-0001", "11:00", 60, "10.0.0.1")
    beat = delta(observers, lambda: polled.update(result=store.poll(ask)))
    assert beat == {"evalsha": 1}
    holds = polled["result"].holds
    assert set(holds) == set(STAFF)
    assert [(h.client_id, h.time) for h in holds[2]] == [("client-trip-0001", "11:00")]

    # Refusals are one command too, and write nothing.
    store.acquire(req("client-lock-0002", workday, "14:00", employee=3, kind=LOCK))
    refused = {}

    def take_held():
        with pytest.raises(SlotHeld):
            store.acquire(req("client-trip-0001", workday, "14:00", employee=3, ip="10.0.0.1"))
        refused["ok"] = True

    assert delta(observers, take_held) == {"evalsha": 1} and refused["ok"]
    assert [h.time for h in store.holds(2, workday)] == ["11:00"]


def test_a_cluster_poll_is_one_evalsha_per_staff_member(cluster, workday):
    store, observers = cluster
    store.poll(PollRequest([1, 2, 3], workday))  # warm-up: loads the script on each node it meets
    store.acquire(req("client-trip-0003", workday, "10:00", employee=2))
    beat = delta(observers, lambda: store.poll(PollRequest([1, 2, 3], workday, "client-other-0004")))
    assert beat == {"evalsha": 3}


def race(store: RedisHoldStore, day: date, client: str) -> tuple[list[int], list]:
    """20 threads of ``client`` acquiring 20 different slots at once (each ``ROUNDS`` times) while an observer polls
    every staff member in a loop; return how many holds of ``client`` each observation saw and
    any error a thread raised."""
    barrier = threading.Barrier(len(STAFF) + 1)
    errors: list = []
    seen: list[int] = []
    done = threading.Event()

    def take(employee: int) -> None:
        try:
            barrier.wait()
            for k in range(ROUNDS):  # the same slot of this thread's staff member, at other times
                store.acquire(req(client, day, f"{8 + (employee + k) % 10:02d}:00", employee=employee, ip="10.9.9.9"))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    def observe() -> None:
        barrier.wait()
        while not done.is_set():
            holds = store.poll(PollRequest(STAFF, day)).holds
            seen.append(sum(h.client_id == client for found in holds.values() for h in found))

    threads = [threading.Thread(target=take, args=(e,)) for e in STAFF]
    watcher = threading.Thread(target=observe)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(30)
    done.set()
    watcher.join(30)
    return seen, errors


def mine(store: RedisHoldStore, day: date, client: str) -> list:
    found = store.poll(PollRequest(STAFF, day)).holds
    return [h for holds in found.values() for h in holds if h.client_id == client]


def test_one_client_racing_for_20_slots_never_holds_two_on_one_server(one_server, workday):
    store, _ = one_server
    for round_ in range(3):
        client, day = f"client-race-{round_:04d}", workday + timedelta(days=round_)
        seen, errors = race(store, day, client)
        assert errors == []
        assert seen and max(seen) <= 1
        [hold] = mine(store, day, client)
        # The survivor is the one the client's pointer names, and the indexes agree.
        assert store._r.get(f"ae:c:{{{client}}}").startswith(f"{hold.employee_id}|")
        assert store.count_active()["selection"] == round_ + 1
        assert store._r.zscore("ae:ip:{10.9.9.9}", client) is not None


def test_one_client_racing_for_20_slots_on_a_cluster_is_left_with_at_most_one(cluster, workday):
    """A Cluster's guarantee: each step atomic on its slot, at most one hold once settled."""
    store, _ = cluster
    for round_ in range(3):
        client, day = f"client-crace-{round_:04d}", workday + timedelta(days=round_)
        _, errors = race(store, day, client)
        assert errors == []
        assert len(mine(store, day, client)) <= 1
    # Sequential moves leave exactly one, each releasing the one before.
    for employee in STAFF[:5]:
        store.acquire(req("client-cseq-0001", workday, "12:00", employee=employee))
    assert [h.employee_id for h in mine(store, workday, "client-cseq-0001")] == [5]
