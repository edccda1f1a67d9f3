"""The per-process booked-interval cache (appointease.cache): exact invalidation by events,
never stale past a commit (issue 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from appointease.cache import LiveCache
from appointease.grid import Busy

TZ = ZoneInfo("Europe/Berlin")
D1, D2 = date(2026, 11, 23), date(2026, 11, 24)


class FakeSession:
    """Answers the cache's one events query with the rows given."""

    def __init__(self, rows):
        self.rows = rows

    def connection(self):
        return self

    def execute(self, _stmt, params):
        rows = [r for r in self.rows if params["after"] < r.seq <= params["upto"]]
        return SimpleNamespace(all=lambda: rows)


def event(seq, employee_id, start, type_="appointment.created"):
    return SimpleNamespace(seq=seq, type=type_, employee_id=employee_id, start_at=start)


def busy(hour):
    return [Busy(datetime(2026, 11, 23, hour, tzinfo=UTC), datetime(2026, 11, 23, hour, 30, tzinfo=UTC), "booked")]


def loader(value, calls):
    def load():
        calls.append(value)
        return value

    return load


def test_a_booking_drops_only_its_own_staff_day():
    cache, calls = LiveCache(), []
    cache.sync_booked(FakeSession([]), 5, TZ)
    cache.booked(5, 1, D1, loader(busy(9), calls))
    cache.booked(5, 2, D1, loader(busy(10), calls))
    # Event 6 books staff 1 on D1 (09:30 UTC is 10:30 in Berlin, same local day).
    cache.sync_booked(FakeSession([event(6, 1, datetime(2026, 11, 23, 9, 30, tzinfo=UTC))]), 6, TZ)
    assert cache.booked(6, 2, D1, loader("reloaded", calls)) == busy(10)  # still warm
    assert cache.booked(6, 1, D1, loader("reloaded", calls)) == "reloaded"
    assert calls == [busy(9), busy(10), "reloaded"]


def test_the_local_day_of_the_event_is_what_is_dropped():
    cache, calls = LiveCache(), []
    cache.sync_booked(FakeSession([]), 1, TZ)
    cache.booked(1, 1, D2, loader("d2", calls))
    # 23:30 UTC on the 23rd is 00:30 on the 24th in Berlin.
    cache.sync_booked(FakeSession([event(2, 1, datetime(2026, 11, 23, 23, 30, tzinfo=UTC))]), 2, TZ)
    assert cache.booked(2, 1, D2, loader("fresh", calls)) == "fresh"


def test_a_reschedule_or_a_long_gap_drops_everything():
    cache, calls = LiveCache(), []
    cache.sync_booked(FakeSession([]), 1, TZ)
    cache.booked(1, 3, D1, loader("old", calls))
    cache.sync_booked(
        FakeSession([event(2, 1, datetime(2026, 11, 23, 9, tzinfo=UTC), "appointment.rescheduled")]), 2, TZ
    )
    assert cache.booked(2, 3, D1, loader("new", calls)) == "new"
    cache.sync_booked(FakeSession([]), 2 + 10_000, TZ)
    assert cache.booked(10_002, 3, D1, loader("newer", calls)) == "newer"


def test_a_load_that_raced_a_newer_event_is_not_kept():
    cache, calls = LiveCache(), []
    cache.sync_booked(FakeSession([]), 1, TZ)

    def slow_load():
        # While this request (at seq 1) reads, another request syncs event 2 for the same day.
        cache.sync_booked(FakeSession([event(2, 1, datetime(2026, 11, 23, 9, tzinfo=UTC))]), 2, TZ)
        return "read before event 2"

    assert cache.booked(1, 1, D1, slow_load) == "read before event 2"
    assert cache.booked(2, 1, D1, loader("after event 2", calls)) == "after event 2"


def test_an_older_request_never_moves_the_cache_backwards():
    cache, calls = LiveCache(), []
    cache.sync_booked(FakeSession([]), 7, TZ)
    cache.booked(7, 1, D1, loader("at 7", calls))
    cache.sync_booked(FakeSession([]), 6, TZ)
    assert cache.booked(7, 1, D1, loader("x", calls)) == "at 7"
    assert cache.booked(6, 1, D1, loader("read at 6", calls)) == "read at 6"  # served, not cached
    assert cache.booked(7, 1, D1, loader("x", calls)) == "at 7"
