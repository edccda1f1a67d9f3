"""The SQL-table hold store: the embedded default (SPEC §2), same database as bookings.

Check-and-set runs in one write transaction; on SQLite that transaction starts with
``BEGIN IMMEDIATE`` (see ``appointease.db``), on PostgreSQL a per-(employee, day)
advisory transaction lock serialises acquirers, so several workers cannot both pass.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from appointease.db import advisory_lock, upsert, write_transaction
from appointease.errors import SlotHeld
from appointease.holds.base import LOCK, SELECTION, HoldInfo, HoldRequest, HoldStore, held_by_other
from appointease.models import Hold, Poller, utcnow


def _info(row: Hold) -> HoldInfo:
    return HoldInfo(row.client_id, row.employee_id, row.day, row.time_label, row.start_at, row.end_at, row.kind, row.expires_at)


class SqlHoldStore(HoldStore):
    """Hold store on the ``holds`` table, one row per client (unique ``client_id``).

    Args:
        session_factory: returns the SQLAlchemy ``Session`` to use (the request's).
        clock: returns the current aware UTC instant (injectable for tests).
    """

    storage = "database"

    def __init__(self, session_factory: Callable[[], Session], clock=utcnow):
        self._session = session_factory
        self._clock = clock

    def acquire(self, req: HoldRequest) -> HoldInfo:
        session = self._session()
        with write_transaction(session):
            advisory_lock(session, "holds", req.employee_id, req.day.toordinal())
            now = self._clock()
            rows = session.scalars(
                select(Hold).where(Hold.employee_id == req.employee_id, Hold.day == req.day, Hold.expires_at > now)
            ).all()
            if held_by_other(map(_info, rows), req.client_id, req.start, req.end):
                raise SlotHeld()
            # One hold per client: the new hold replaces any previous one, anywhere.
            session.execute(delete(Hold).where((Hold.client_id == req.client_id) | (Hold.expires_at <= now)))
            row = Hold(
                client_id=req.client_id,
                employee_id=req.employee_id,
                day=req.day,
                time_label=req.time,
                start_at=req.start,
                end_at=req.end,
                kind=req.kind,
                expires_at=now + timedelta(seconds=req.ttl_seconds),
            )
            session.add(row)
            session.flush()
            info = _info(row)
        return info

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        session = self._session()
        with write_transaction(session):
            stmt = delete(Hold).where(Hold.client_id == client_id, Hold.employee_id == employee_id, Hold.day == day)
            if time is not None:
                stmt = stmt.where(Hold.time_label == time)
            removed = session.execute(stmt).rowcount
        return bool(removed)

    def _renew(self, session: Session, now, employee_id: int, day: date, client_id: str, time: str, ttl: int) -> None:
        session.execute(
            update(Hold)
            .where(
                Hold.client_id == client_id,
                Hold.employee_id == employee_id,
                Hold.day == day,
                Hold.time_label == time,
                Hold.kind == SELECTION,
                Hold.expires_at > now,
            )
            .values(expires_at=now + timedelta(seconds=ttl))
        )

    def holds_for(self, employee_id: int, day: date, renew: tuple[str, str, int] | None = None) -> list[HoldInfo]:
        session = self._session()
        if renew is not None:
            with write_transaction(session):
                self._renew(session, self._clock(), employee_id, day, *renew)
        now = self._clock()
        rows = session.scalars(
            select(Hold).where(Hold.employee_id == employee_id, Hold.day == day, Hold.expires_at > now)
        ).all()
        result = [_info(r) for r in rows]
        session.rollback()  # end the read transaction: no snapshot kept across requests
        return result

    def poll(self, employee_id: int, day: date, client_id: str, selected_time: str | None, ttl_seconds: int) -> list[HoldInfo]:
        session = self._session()
        now = self._clock()
        with write_transaction(session):
            if selected_time:
                self._renew(session, now, employee_id, day, client_id, selected_time, ttl_seconds)
            session.execute(upsert(session, Poller, {"client_id": client_id, "seen_at": now}, ["client_id"], ["seen_at"]))
            # Keep the table small: forget clients silent for a minute.
            session.execute(delete(Poller).where(Poller.seen_at < now - timedelta(seconds=60)))
        return self.holds_for(employee_id, day)

    def client_hold(self, client_id: str) -> HoldInfo | None:
        session = self._session()
        row = session.scalars(select(Hold).where(Hold.client_id == client_id, Hold.expires_at > self._clock())).first()
        return _info(row) if row else None

    def ping(self) -> bool:
        session = self._session()
        session.execute(select(1))
        session.rollback()
        return True

    def count_active(self) -> dict[str, int]:
        session = self._session()
        rows = session.execute(
            select(Hold.kind, func.count()).where(Hold.expires_at > self._clock()).group_by(Hold.kind)
        ).all()
        session.rollback()
        return {SELECTION: 0, LOCK: 0, **{kind: n for kind, n in rows}}

    def count_pollers(self, window_seconds: int = 15) -> int:
        session = self._session()
        since = self._clock() - timedelta(seconds=window_seconds)
        count = session.scalar(select(func.count()).select_from(Poller).where(Poller.seen_at >= since))
        session.rollback()
        return count
