"""The idempotency module and the event log, used by every write and feed (issue 7 point 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from appointease import idempotency
from appointease.db import write_transaction
from appointease.errors import IdempotencyKeyReused
from appointease.events import events_since
from appointease.extensions import db
from appointease.idempotency import IdempotencyKey
from appointease.models import IdempotencyRecord

from support.helpers import Widget

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session()
        db.session.remove()


def remember(session, idem, record, at=NOW):
    with write_transaction(session):
        idempotency.remember(session, idem, 201, record, at, 24)


def test_same_key_on_another_route_or_principal_does_not_collide(session):
    booking = IdempotencyKey("k-1", "POST /api/v1/appointments public", "digest-a")
    cancel = IdempotencyKey("k-1", "POST /api/v1/appointments/<reference>/cancel ann@example.com", "digest-b")
    other_customer = IdempotencyKey("k-1", "POST /api/v1/appointments/<reference>/cancel bob@example.com", "digest-b")
    remember(session, booking, {"reference": "APT-2026-000001"})
    assert idempotency.lookup(session, cancel, NOW, 24) is None
    remember(session, cancel, {"reference": "APT-2026-000001", "status": "cancelled"})
    assert idempotency.lookup(session, other_customer, NOW, 24) is None
    assert idempotency.lookup(session, booking, NOW, 24).record == {"reference": "APT-2026-000001"}
    assert idempotency.lookup(session, cancel, NOW, 24).record["status"] == "cancelled"


def test_same_key_other_body_is_refused(session):
    remember(session, IdempotencyKey("k-2", "POST /x public", "digest-a"), {"n": 1})
    with pytest.raises(IdempotencyKeyReused):
        idempotency.lookup(session, IdempotencyKey("k-2", "POST /x public", "digest-other"), NOW, 24)


def test_records_expire_after_the_retention_and_are_purged(session):
    old = IdempotencyKey("k-old", "POST /x public", "d")
    remember(session, old, {"n": 1}, at=NOW - timedelta(hours=25))
    assert idempotency.lookup(session, old, NOW, 24) is None  # expired: as if never seen
    remember(session, IdempotencyKey("k-new", "POST /x public", "d"), {"n": 2})
    keys = session.scalar(select(func.count()).select_from(IdempotencyRecord))
    assert keys == 1  # the expired record was purged by the next write
    # The expired key may be used again, even with another body.
    remember(session, IdempotencyKey("k-old", "POST /x public", "other"), {"n": 3})


def test_the_raw_key_is_not_stored(session):
    remember(session, IdempotencyKey("secret-looking-key", "POST /x public", "d"), {"n": 1})
    stored = session.scalar(select(IdempotencyRecord.key))
    assert "secret-looking-key" not in stored and len(stored) == 64


def test_events_since_pages_in_seq_order_with_filters(client, app, workday):
    w = Widget(client, workday)
    for time, employee, email in [
        ("09:00", 1, "a@example.com"),
        ("09:00", 2, "b@example.com"),
        ("10:00", 1, "b@example.com"),
        ("11:00", 3, "a@example.com"),
    ]:
        w.booked(time, employee_id=employee, email=email)
    with app.app_context():
        session = db.session()
        assert [e.seq for e in events_since(session, 0)] == [1, 2, 3, 4]
        seen, cursor = [], 0
        while page := events_since(session, cursor, limit=1):
            seen += [e.seq for e in page]
            cursor = page[-1].seq
        assert seen == [1, 2, 3, 4]
        assert [e.seq for e in events_since(session, 1, email="b@example.com")] == [2, 3]
        assert [e.seq for e in events_since(session, 0, employee_id=1)] == [1, 3]
        assert events_since(session, 4) == []
        db.session.remove()
