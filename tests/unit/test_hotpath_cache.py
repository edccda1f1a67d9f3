"""The heartbeat's hot path in ``appointease.cache`` (issue 18): the events read of
``sync_booked`` does not hold the cache lock, and ``SingleFlight`` shares a versions read
only with callers that arrived before it started."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from appointease.cache import LiveCache, SingleFlight
from appointease.grid import Busy

TZ = ZoneInfo("Europe/Berlin")
D1 = date(2026, 11, 23)
WAIT = 5  # seconds: generous bound for anything that should happen at once


class SlowEvents:
    """A session whose events query waits for ``release`` (``started`` is set once it is inside)."""

    def __init__(self, rows):
        self.rows = rows
        self.started, self.release = threading.Event(), threading.Event()

    def connection(self):
        return self

    def execute(self, _stmt, params):
        self.started.set()
        assert self.release.wait(WAIT)
        rows = [r for r in self.rows if params["after"] < r.seq <= params["upto"]]
        return SimpleNamespace(all=lambda: rows)


class NoEvents:
    """A session that answers the events query with no rows, at once."""

    def connection(self):
        return self

    def execute(self, _stmt, _params):
        return SimpleNamespace(all=list)


def busy(hour):
    return [Busy(datetime(2026, 11, 23, hour, tzinfo=UTC), datetime(2026, 11, 23, hour, 30, tzinfo=UTC), "booked")]


def booking_event(seq, employee_id, hour):
    return SimpleNamespace(
        seq=seq, type="appointment.created", employee_id=employee_id, start_at=datetime(2026, 11, 23, hour, tzinfo=UTC)
    )


def never_load():
    raise AssertionError("a cache hit was expected")


def test_a_slow_events_read_does_not_block_another_threads_booked_hit():
    cache = LiveCache()
    cache.sync_booked(NoEvents(), 5, TZ)
    cache.booked(5, 1, D1, lambda: busy(9))
    cache.booked(5, 2, D1, lambda: busy(10))
    slow = SlowEvents([booking_event(6, 1, 9)])
    syncer = threading.Thread(target=cache.sync_booked, args=(slow, 6, TZ))
    syncer.start()
    try:
        assert slow.started.wait(WAIT)
        # The syncing thread is inside its events read: a request at seq 5 still hits, now.
        got: list = []
        reader = threading.Thread(target=lambda: got.append(cache.booked(5, 2, D1, never_load)))
        reader.start()
        reader.join(timeout=1)
        assert not reader.is_alive(), "booked() waited for another thread's events read"
        assert got == [busy(10)]
    finally:
        slow.release.set()
        syncer.join(WAIT)
    # Then the events are applied: staff 1's day dropped, staff 2's kept, position at 6.
    assert cache.booked(6, 2, D1, never_load) == busy(10)
    assert cache.booked(6, 1, D1, lambda: "reloaded") == "reloaded"


def test_a_slow_sync_overtaken_by_a_newer_one_never_moves_the_cache_backwards():
    cache = LiveCache()
    cache.sync_booked(NoEvents(), 5, TZ)
    slow = SlowEvents([booking_event(6, 1, 9)])
    syncer = threading.Thread(target=cache.sync_booked, args=(slow, 6, TZ))
    syncer.start()
    try:
        assert slow.started.wait(WAIT)
        cache.sync_booked(NoEvents(), 8, TZ)  # another request read a newer seq meanwhile
        cache.booked(8, 1, D1, lambda: busy(11))
    finally:
        slow.release.set()
        syncer.join(WAIT)
    # The slow sync to 6 changed nothing: entries loaded at 8 stay, and 8 is still the position.
    assert cache.booked(8, 1, D1, never_load) == busy(11)
    assert cache.booked(6, 1, D1, lambda: "not kept") == "not kept"
    assert cache.booked(8, 1, D1, never_load) == busy(11)


def run_in_threads(flight, read, n):
    """Start ``n`` threads calling ``flight.run(read)``; return (threads, results, errors) once all
    of them are inside ``run`` (each has called it; a short pause lets the last ones take the lock)."""
    results, errors, arrived = [], [], []

    def call():
        arrived.append(1)
        try:
            results.append(flight.run(read))
        except Exception as exc:  # collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WAIT
    while len(arrived) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    return threads, results, errors


def test_callers_arriving_while_a_read_runs_share_the_next_single_read():
    flight: SingleFlight[int] = SingleFlight()
    gate, inside = threading.Event(), threading.Event()
    reads = []

    def first_read():
        reads.append("first")
        inside.set()
        assert gate.wait(WAIT)
        return 1

    def read():
        reads.append("shared")
        return 2

    leader, first_result, _ = run_in_threads(flight, first_read, 1)
    assert inside.wait(WAIT)
    # Eight callers arrive while the first read is open: none may take its result.
    threads, results, errors = run_in_threads(flight, read, 8)
    gate.set()
    for t in [*leader, *threads]:
        t.join(WAIT)
    assert first_result == [1]
    assert errors == [] and results == [2] * 8
    assert reads == ["first", "shared"]  # the eight shared one read


def test_a_caller_arriving_during_a_read_gets_a_read_started_after_it_with_the_new_value():
    flight: SingleFlight[int] = SingleFlight()
    committed = {"version": 1}
    gate, inside = threading.Event(), threading.Event()

    def read_held_open():
        value = committed["version"]  # read before the commit...
        inside.set()
        assert gate.wait(WAIT)  # ...and held open across it
        return value

    first, first_result, _ = run_in_threads(flight, read_held_open, 1)
    assert inside.wait(WAIT)
    committed["version"] = 2  # a commit while the first read is in flight
    second, second_result, errors = run_in_threads(flight, lambda: committed["version"], 1)
    gate.set()
    for t in [*first, *second]:
        t.join(WAIT)
    assert first_result == [1]
    assert errors == [] and second_result == [2]


def test_an_error_in_the_shared_read_reaches_every_waiter_and_the_next_call_reads_again():
    flight: SingleFlight[int] = SingleFlight()
    gate, inside = threading.Event(), threading.Event()

    def first_read():
        inside.set()
        assert gate.wait(WAIT)
        return 1

    def failing_read():
        raise RuntimeError("database went away")

    leader, _, _ = run_in_threads(flight, first_read, 1)
    assert inside.wait(WAIT)
    threads, results, errors = run_in_threads(flight, failing_read, 5)
    gate.set()
    for t in [*leader, *threads]:
        t.join(WAIT)
    assert results == [] and len(errors) == 5
    assert all(isinstance(e, RuntimeError) and str(e) == "database went away" for e in errors)
    assert flight.run(lambda: 7) == 7
    with pytest.raises(RuntimeError):
        flight.run(failing_read)
    assert flight.run(lambda: 8) == 8
