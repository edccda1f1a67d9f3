"""The SQL-table hold store: the embedded default (SPEC §2), same database as bookings.

The store opens its own short sessions on the engine, so a hold write never rides on
(or waits for) the request's transaction. Check-and-set runs in one write
transaction; on SQLite it starts with ``BEGIN IMMEDIATE`` (``appointease.db``), on
PostgreSQL a per-(employee, day) advisory transaction lock serialises acquirers, so
several workers cannot both pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from appointease.db import advisory_lock, write_transaction
from appointease.errors import RateLimited, SlotHeld
from appointease.holds.base import (
    LOCK,
    SELECTION,
    HoldInfo,
    HoldRequest,
    HoldStats,
    HoldStore,
    PollRequest,
    PollResult,
    held_by_other,
    hold_life,
)
from appointease.models import Hold, utcnow

#: What ``HoldInfo.storage`` and ``PollResult.storage`` say of this store.
STORAGE = "database"

#: The columns a ``HoldInfo`` is made of, in its field order (Core selects: no ORM objects on the hot path).
_COLUMNS = (
    Hold.client_id,
    Hold.employee_id,
    Hold.day,
    Hold.time_label,
    Hold.start_at,
    Hold.end_at,
    Hold.kind,
    Hold.expires_at,
    Hold.first_taken_at,
)


def _info(row: Hold) -> HoldInfo:
    return HoldInfo(
        row.client_id,
        row.employee_id,
        row.day,
        row.time_label,
        row.start_at,
        row.end_at,
        row.kind,
        row.expires_at,
        row.first_taken_at,
        STORAGE,
    )


# Built once: composing a statement costs more than running it on the heartbeat path.
_LIVE_ONE = select(*_COLUMNS).where(
    Hold.employee_id == bindparam("id"), Hold.day == bindparam("day"), Hold.expires_at > bindparam("now")
)
_LIVE_MANY = select(*_COLUMNS).where(
    Hold.employee_id.in_(bindparam("ids", expanding=True)),
    Hold.day == bindparam("day"),
    Hold.expires_at > bindparam("now"),
)


def _live(connection, employee_ids: Sequence[int], day: date, now) -> list[HoldInfo]:
    """Read the live holds on (any of ``employee_ids``, ``day``) as ``HoldInfo``."""
    if len(employee_ids) == 1:
        rows = connection.execute(_LIVE_ONE, {"id": employee_ids[0], "day": day, "now": now}).all()
    else:
        rows = connection.execute(_LIVE_MANY, {"ids": list(employee_ids), "day": day, "now": now}).all()
    return [HoldInfo(*row, STORAGE) for row in rows]


class SqlHoldStore(HoldStore, HoldStats):
    """Hold store on the ``holds`` table, one row per client (unique ``client_id``).

    Args:
        engine: the SQLAlchemy engine; each operation uses its own session on it.
        clock: returns the current aware UTC instant (injectable for tests).
        max_holds_per_ip: the per-IP cap (SPEC §8; 0 = none), counted in the same write
            transaction as the hold (PostgreSQL: under a per-IP advisory lock).
        reader: returns a connection to *read* holds through — the request's, so a
            heartbeat checks out one connection, not two; None: a connection of its own.
            Writes always use their own session.
        max_life_seconds, cooldown_seconds: the bounded hold life (``hold_life``; 0 = no
            bound). The client's row (``first_taken_at``) is kept ``cooldown_seconds`` past
            its expiry or release, so the life is remembered; such rows are not live.
    """

    storage = STORAGE

    def __init__(
        self,
        engine: Engine,
        clock=utcnow,
        max_holds_per_ip: int = 0,
        reader: Callable[[], Connection] | None = None,
        *,
        max_life_seconds: int = 0,
        cooldown_seconds: int = 0,
    ):
        self._engine = engine
        self._clock = clock
        self.max_holds_per_ip = max_holds_per_ip
        self._reader = reader
        self.max_life_seconds = max_life_seconds
        self.cooldown_seconds = cooldown_seconds

    def _read(self, employee_ids: Sequence[int], day: date, now) -> list[HoldInfo]:
        if self._reader is not None:
            return _live(self._reader(), employee_ids, day, now)
        with self._engine.connect() as connection:
            return _live(connection, employee_ids, day, now)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    def acquire(self, req: HoldRequest) -> HoldInfo:
        with self._session() as session, write_transaction(session):
            advisory_lock(session, "holds", req.employee_id, req.day.toordinal())
            now = self._clock()
            rows = session.scalars(
                select(Hold).where(Hold.employee_id == req.employee_id, Hold.day == req.day, Hold.expires_at > now)
            ).all()
            if held_by_other(map(_info, rows), req.client_id, req.start, req.end):
                raise SlotHeld()
            # The client's last hold, live or ended within the cool-down: its life goes on.
            previous = session.execute(
                select(Hold.first_taken_at, Hold.expires_at).where(Hold.client_id == req.client_id)
            ).first()
            first, cap = hold_life(
                tuple(previous) if previous else None, now, self.max_life_seconds, self.cooldown_seconds, req.bounded
            )
            if self.max_holds_per_ip and req.ip:
                self._check_ip_cap(session, req, now)
            # One hold per client: the new hold replaces any previous one, anywhere.
            forgotten = now - timedelta(seconds=self.cooldown_seconds)
            session.execute(delete(Hold).where((Hold.client_id == req.client_id) | (Hold.expires_at <= forgotten)))
            expires = now + timedelta(seconds=req.ttl_seconds)
            row = Hold(
                client_id=req.client_id,
                employee_id=req.employee_id,
                day=req.day,
                time_label=req.time,
                start_at=req.start,
                end_at=req.end,
                kind=req.kind,
                expires_at=min(expires, cap) if cap else expires,
                ip=req.ip,
                first_taken_at=first,
            )
            session.add(row)
            session.flush()
            return _info(row)

    def _check_ip_cap(self, session: Session, req: HoldRequest, now) -> None:
        """Refuse the hold when ``req.ip`` already has the cap's worth of other live holds."""
        advisory_lock(session, "holds-ip", req.ip)
        expiries = session.scalars(
            select(Hold.expires_at).where(Hold.ip == req.ip, Hold.client_id != req.client_id, Hold.expires_at > now)
        ).all()
        if len(expiries) >= self.max_holds_per_ip:
            raise RateLimited(
                "Too many live holds from your network; try again shortly.",
                retry_after=math.ceil((min(expiries) - now).total_seconds()),
            )

    def _bounded(self) -> bool:
        return self.max_life_seconds > 0 and self.cooldown_seconds > 0

    def release(self, client_id: str, employee_id: int, day: date, time: str | None = None) -> bool:
        with self._session() as session, write_transaction(session):
            where = [Hold.client_id == client_id, Hold.employee_id == employee_id, Hold.day == day]
            if time is not None:
                where.append(Hold.time_label == time)
            if not self._bounded():
                return bool(session.execute(delete(Hold).where(*where)).rowcount)
            # Ended now, but remembered for the cool-down (the life must not restart).
            now = self._clock()
            stmt = update(Hold).where(*where, Hold.expires_at > now).values(expires_at=now)
            return bool(session.execute(stmt).rowcount)

    def holds(self, employee_id: int, day: date) -> list[HoldInfo]:
        return self._read([employee_id], day, self._clock())

    def poll(self, req: PollRequest) -> PollResult:
        employee_ids, day, client_id, selected_time = req.employee_ids, req.day, req.client_id, req.selected_time
        ttl_seconds = req.ttl_seconds
        now = self._clock()
        live = self._read(employee_ids, day, now)
        found: dict[int, list[HoldInfo]] = {e: [] for e in employee_ids}
        renew = None
        for info in live:
            if selected_time and info.client_id == client_id and info.time == selected_time and info.kind == SELECTION:
                expires = now + timedelta(seconds=ttl_seconds)
                if self.max_life_seconds > 0 and info.first_taken_at is not None:
                    # A selection's life is bounded like a lock's (``hold_life``).
                    expires = min(expires, info.first_taken_at + timedelta(seconds=self.max_life_seconds))
                if expires > info.expires_at:
                    renew = info = replace(info, expires_at=expires)
            found[info.employee_id].append(info)
        if renew is not None:  # the only write a heartbeat makes: renewing a live selection
            with self._session() as session, write_transaction(session):
                session.execute(
                    update(Hold)
                    .where(
                        Hold.client_id == client_id,
                        Hold.employee_id == renew.employee_id,
                        Hold.day == day,
                        Hold.time_label == selected_time,
                        Hold.kind == SELECTION,
                        Hold.expires_at > now,
                    )
                    .values(expires_at=renew.expires_at)
                )
        return PollResult(found, STORAGE)

    def ping(self) -> bool:
        with self._session() as session:
            session.execute(select(1))
        return True

    def count_active(self) -> dict[str, int]:
        with self._session() as session:
            rows = session.execute(
                select(Hold.kind, func.count()).where(Hold.expires_at > self._clock()).group_by(Hold.kind)
            ).all()
        return {SELECTION: 0, LOCK: 0, **{kind: n for kind, n in rows}}

    def live_holds(self, limit: int = 200) -> list[HoldInfo]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(*_COLUMNS).where(Hold.expires_at > self._clock()).order_by(Hold.expires_at, Hold.id).limit(limit)
            ).all()
        return [HoldInfo(*row, STORAGE) for row in rows]
