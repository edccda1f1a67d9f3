"""The benchmark's realistic state: catalogue, 90 days of working hours, ~5,000 appointments.

Generated in Python from a seeded random generator (the same seed gives the same
state) and written with SQLAlchemy Core straight into a database migrated by
``flask db upgrade``: no ORM objects and no events rows, because the benchmark only
needs the tables the heartbeat and booking read. Times are UTC (the bench runs with
``APPOINTEASE_TIMEZONE=UTC``). The free 30-minute slots left over are returned so the
benchmark can take holds and book without ever colliding with a seeded appointment.
"""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (name, duration in minutes); service 1 (30 min) is performed by everyone.
SERVICES = [
    ("Haircut", 30),
    ("Colour consultation", 45),
    ("Massage", 60),
    ("Full colour", 90),
    ("Beard trim", 30),
    ("Facial", 60),
]
FULL_DAY = [(time(9), time(17))]
SPLIT_DAY = [(time(9), time(12, 30)), (time(13, 30), time(18))]
LATE_DAY = [(time(10), time(18))]
#: Fraction of seeded appointments that are cancelled (they block nothing).
CANCELLED_SHARE = 0.06
STEP = 30  # minutes, the default slot step


@dataclass(frozen=True)
class Slot:
    """A bookable 30-minute slot of service 1: business-local ``day`` and ``HH:MM``."""

    day: date
    employee_id: int
    time: str


@dataclass
class World:
    """What was seeded, for the benchmark's clients.

    Attributes:
        today: the UTC date the state was built for; seeded days are today+1 … today+days.
        durations: service id → duration in minutes.
        staff_services: employee id → the service ids they perform (service 1 first).
        workdays: ``(day, employee_id)`` pairs the employee works (time off excluded).
        appointments: rows inserted (active and cancelled).
        free: 30-minute slots (service 1) with no active appointment, shuffled.
    """

    today: date
    durations: dict[int, int] = field(default_factory=dict)
    staff_services: dict[int, list[int]] = field(default_factory=dict)
    workdays: list[tuple[date, int]] = field(default_factory=list)
    appointments: int = 0
    free: list[Slot] = field(default_factory=list)


def migrate(database_url: str, env: dict) -> None:
    """Build the schema with ``flask --app app db upgrade``, exactly as an operator would.

    Raises:
        RuntimeError: the command failed or took more than 120 s (its output included).
    """
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{proc.stdout}\n{proc.stderr}")


def _weekly(employee: int) -> dict[int, list[tuple[time, time]]]:
    """Working hours of employee ``employee`` (1-based): three patterns, one with a lunch break."""
    if employee > 17:
        return {d: LATE_DAY for d in range(1, 6)}  # Tuesday–Saturday
    return {d: (SPLIT_DAY if employee > 12 else FULL_DAY) for d in range(5)}


def _time_off(employee: int, today: date) -> list[tuple[date, date]]:
    """A week or more off for three of the staff, inside the window."""
    offsets = {3: (10, 16), 9: (30, 34), 15: (60, 69)}
    if employee not in offsets:
        return []
    first, last = offsets[employee]
    return [(today + timedelta(days=first), today + timedelta(days=last))]


def _grid(intervals, duration: int) -> list[time]:
    """Start times every STEP minutes where start + duration fits in an interval."""
    starts = []
    for begin, end in intervals:
        minute = begin.hour * 60 + begin.minute
        while minute + duration <= end.hour * 60 + end.minute:
            starts.append(time(minute // 60, minute % 60))
            minute += STEP
    return starts


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def plan(today: date, staff: int = 20, days: int = 88, appointments: int = 5000, seed: int = 8) -> tuple[World, dict]:
    """Plan the state: who works when and which appointments exist.

    Args:
        today: the first seeded day is ``today + 1`` (so nothing is in the past).
        staff: number of employees. days: seeded days (kept inside the 90-day horizon).
        appointments: how many to place; placement stops early only if the days are full.
        seed: random seed.

    Returns:
        ``(world, rows)``: the :class:`World` and a dict of table name → rows to insert
        (employees and services carry 1-based ids matching a fresh database).
    """
    rng = random.Random(seed)
    world = World(today=today, durations={i + 1: d for i, (_, d) in enumerate(SERVICES)})
    rows: dict[str, list[dict]] = {"working_hours": [], "time_off": [], "employee_services": [], "appointments": []}
    weekly, busy = {}, {}
    for emp in range(1, staff + 1):
        world.staff_services[emp] = [1, *sorted(rng.sample(range(2, len(SERVICES) + 1), rng.choice((2, 3))))]
        rows["employee_services"] += [{"employee_id": emp, "service_id": s} for s in world.staff_services[emp]]
        weekly[emp] = _weekly(emp)
        rows["working_hours"] += [
            {"employee_id": emp, "weekday": d, "start_time": s, "end_time": e}
            for d, ivs in weekly[emp].items()
            for s, e in ivs
        ]
        off = _time_off(emp, today)
        rows["time_off"] += [{"employee_id": emp, "start_date": a, "end_date": b, "reason": "Holiday"} for a, b in off]
        for n in range(1, days + 1):
            day = today + timedelta(days=n)
            if day.weekday() in weekly[emp] and not any(a <= day <= b for a, b in off):
                world.workdays.append((day, emp))
                busy[(day, emp)] = []
    now = datetime.now(UTC)
    for _ in range(appointments * 20):
        if len(rows["appointments"]) >= appointments:
            break
        day, emp = rng.choice(world.workdays)
        service = rng.choice(world.staff_services[emp])
        duration = world.durations[service]
        starts = _grid(weekly[emp][day.weekday()], duration)
        start = rng.choice(starts)
        span = (_minutes(start), _minutes(start) + duration)
        cancelled = rng.random() < CANCELLED_SHARE
        if not cancelled and any(a < span[1] and span[0] < b for a, b in busy[(day, emp)]):
            continue
        if not cancelled:
            busy[(day, emp)].append(span)
        n = len(rows["appointments"]) + 1
        start_at = datetime.combine(day, start, tzinfo=UTC)
        rows["appointments"].append(
            {
                "reference": f"APT-{now.year}-{n:06d}",
                "service_id": service,
                "employee_id": emp,
                "start_at": start_at,
                "end_at": start_at + timedelta(minutes=duration),
                "customer_name": f"Customer {n}",
                "customer_email": f"customer{n}@example.com",
                "customer_phone": None,
                "notes": None,
                "status": "cancelled" if cancelled else "confirmed",
                "created_at": now - timedelta(days=rng.randint(0, 60)),
            }
        )
    world.appointments = len(rows["appointments"])
    for day, emp in world.workdays:
        for start in _grid(weekly[emp][day.weekday()], STEP):
            m = _minutes(start)
            if not any(a < m + STEP and m < b for a, b in busy[(day, emp)]):
                world.free.append(Slot(day, emp, start.strftime("%H:%M")))
    rng.shuffle(world.free)
    rows["counters"] = [{"name": f"reference:{now.year}", "value": world.appointments}]
    return world, rows


def load(database_url: str, rows: dict, staff: int) -> None:
    """Insert the planned rows into the migrated database at ``database_url`` (Core, one transaction).

    Raises:
        RuntimeError: the database was not empty (ids would not match the plan).
    """
    from sqlalchemy import create_engine, func, select

    from appointease.models import Base

    t = Base.metadata.tables
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            if conn.scalar(select(func.count()).select_from(t["services"])):
                raise RuntimeError("benchmark database is not empty")
            for name, duration in SERVICES:
                conn.execute(
                    t["services"]
                    .insert()
                    .values(name=name, duration_minutes=duration, price=Decimal("30.00"), active=True)
                )
            for emp in range(1, staff + 1):
                conn.execute(t["employees"].insert().values(name=f"Staff {emp:02d}", active=True))
            for table in ("employee_services", "working_hours", "time_off", "appointments", "counters"):
                if rows[table]:
                    conn.execute(t[table].insert(), rows[table])
    finally:
        engine.dispose()
