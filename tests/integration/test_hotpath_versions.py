"""The single-flight versions read on the real database (issue 18): a request never takes
the result of a read that started before it arrived, a writing request keeps its own read,
and the heartbeat, availability and days overview go through the shared read."""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from appointease.cache import LiveCache
from appointease.catalog import CATALOG_VERSION
from appointease.db import upsert, write_transaction
from appointease.extensions import db
from appointease.models import Counter

from support.helpers import Widget

TZ = ZoneInfo("Europe/Berlin")
WAIT = 10


class HeldCache(LiveCache):
    """A cache whose first versions read, once done, is held open until ``gate`` is set."""

    def __init__(self):
        super().__init__()
        self.gate, self.inside = threading.Event(), threading.Event()
        self.held = False

    def versions(self, session, signal):
        found = LiveCache.versions(session, signal)
        if not self.held:
            self.held = True
            self.inside.set()
            assert self.gate.wait(WAIT)
        return found


def bump_catalog_version(app) -> int:
    """Commit a new catalogue version (as an admin change would) and return it."""
    with app.app_context():
        session = db.session()
        version = LiveCache.versions(session)[0] + 1
        with write_transaction(session):
            session.execute(upsert(session, Counter, {"name": CATALOG_VERSION, "value": version}, ["name"], ["value"]))
        db.session.remove()
    return version


def snapshot_in_thread(app, cache, out: list, *, shared: bool = True) -> threading.Thread:
    def run():
        with app.app_context():
            catalog, _seq = cache.snapshot(db.session(), TZ, shared=shared)
            out.append(catalog.version)
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_poll_arriving_during_a_shared_read_sees_the_commit_made_before_it_arrived(app):
    cache = HeldCache()
    with app.app_context():
        old = LiveCache.versions(db.session())[0]
        db.session.remove()
    first, second = [], []
    a = snapshot_in_thread(app, cache, first)
    try:
        assert cache.inside.wait(WAIT)  # A's versions read is done and held open
        new = bump_catalog_version(app)
        b = snapshot_in_thread(app, cache, second)  # B arrives after the commit
    finally:
        cache.gate.set()
    a.join(WAIT)
    b.join(WAIT)
    assert first == [old]
    assert second == [new]


def test_a_writing_request_reads_its_own_versions_even_while_a_shared_read_is_open(app):
    cache = HeldCache()
    first = []
    a = snapshot_in_thread(app, cache, first)
    try:
        assert cache.inside.wait(WAIT)
        new = bump_catalog_version(app)
        # Not shared (booking's resolve_slot): its own read on its own session, at once.
        with app.app_context():
            catalog, _seq = cache.snapshot(db.session(), TZ)
            db.session.remove()
        assert catalog.version == new
    finally:
        cache.gate.set()
        a.join(WAIT)


def test_heartbeat_availability_and_days_use_the_shared_read(app, client, workday):
    cache = app.extensions["appointease.cache"]
    runs = []
    real_run = cache._versions_flight.run

    def counting_run(read):
        runs.append(1)
        return real_run(read)

    cache._versions_flight.run = counting_run
    w = Widget(client, workday)
    assert w.heartbeat().status_code == 200
    assert w.heartbeat(employee_ids=[1, 2]).status_code == 200
    assert w.availability().status_code == 200
    r = client.get(f"/api/v1/availability/days?from={workday}&to={workday}&service_id=1")
    assert r.status_code == 200, r.text
    assert len(runs) == 4
