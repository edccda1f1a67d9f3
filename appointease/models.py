"""Database models (SQLAlchemy 2.x ``Mapped`` style). Models never commit (STYLE habit 6).

Every instant is stored in UTC (naive-free: ``DateTime(timezone=True)``); business-local
wall times only appear at the edges (SPEC §3).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from appointease.lifecycle import Status

# Deterministic constraint names so Alembic migrations are portable across engines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An aware-UTC datetime column on every engine.

    SQLite has no time zone type and hands back naive values; this decorator stores
    UTC and always returns aware UTC datetimes, so comparisons never mix naive and aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base shared with Flask-SQLAlchemy (``SQLAlchemy(model_class=Base)``)."""

    metadata = MetaData(naming_convention=NAMING)


employee_services = Table(
    "employee_services",
    Base.metadata,
    Column("employee_id", ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Service(Base):
    """A bookable service: name, duration in minutes, price (SPEC §3)."""

    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="duration_positive"),)


class Employee(Base):
    """A member of staff who performs services (SPEC §3)."""

    __tablename__ = "employees"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    services: Mapped[list[Service]] = relationship(secondary=employee_services, lazy="selectin")
    working_hours: Mapped[list[WorkingHours]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WorkingHours.start_time"
    )
    time_off: Mapped[list[TimeOff]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class WorkingHours(Base):
    """One working interval on a weekday (0 = Monday), business-local wall times."""

    __tablename__ = "working_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="interval_order"),
    )


class TimeOff(Base):
    """Whole days off, ``start_date`` to ``end_date`` inclusive (business-local dates)."""

    __tablename__ = "time_off"
    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (CheckConstraint("start_date <= end_date", name="range_order"),)


class Appointment(Base):
    """A booked appointment; ``start_at``/``end_at`` are UTC instants (SPEC §3).

    On PostgreSQL an exclusion constraint (added by migration) forbids two active
    appointments of one employee from overlapping (SPEC §5.1).
    """

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Status.CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The visitor's IANA time zone as the booking gave it (SPEC §4), or None: the business zone alone.
    visitor_timezone: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_appointments_employee_start", "employee_id", "start_at"),
        # Customers are matched by email case-insensitively (/me/appointments, /me/events).
        Index("ix_appointments_customer_email_lower", text("lower(customer_email)")),
        CheckConstraint("start_at < end_at", name="interval_order"),
        CheckConstraint("status IN ('confirmed','checked_in','completed','cancelled','no_show')", name="status_known"),
    )


class Hold(Base):
    """A selection or lock in the SQL hold store; one row per client (SPEC §3)."""

    __tablename__ = "holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    time_label: Mapped[str] = mapped_column(String(5))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    #: When the client's hold life began (``appointease.holds.base.hold_life``); the row
    #: outlives its hold by the cool-down so the life is remembered. NULL: before 0009.
    first_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (Index("ix_holds_employee_day", "employee_id", "day"),)


class IdempotencyRecord(Base):
    """The stored result of a request made with an ``Idempotency-Key``.

    ``key`` is a digest of the request's scope (method, route, principal) and the
    client's key, so two routes sharing a key never collide (``appointease.idempotency``).
    Written in the same transaction as the change it describes, so a crash leaves
    neither (SPEC §4 ``POST /appointments``).
    """

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Event(Base):
    """One committed change to an appointment; ``seq`` is gap-free and increasing (SPEC §3)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    employee_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Counter(Base):
    """Named gap-free counters (event ``seq``, yearly reference sequences).

    Incremented with an upsert inside the writing transaction, so a rollback
    also rolls the counter back and no number is ever skipped.
    """

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
