"""Command-line tools: ``flask --app app seed-demo``."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.db import write_transaction
from appointease.models import Employee, Service, WorkingHours

WEEKDAYS = range(5)  # Monday–Friday


def seed_catalogue(session: Session) -> bool:
    """Load the demo catalogue when the database has no services yet.

    Three services (30, 45 and 60 minutes) and three staff with different services,
    working Mon–Fri 09:00–17:00; Sam takes a lunch break 12:30–13:30. Times are
    business-local (``APPOINTEASE_TIMEZONE``).

    Returns:
        True when the demo data was inserted, False when the catalogue was not empty.
    """
    if session.scalar(select(func.count()).select_from(Service)):
        return False
    haircut = Service(name="Haircut", duration_minutes=30, price=Decimal("25.00"))
    colour = Service(name="Colour consultation", duration_minutes=45, price=Decimal("40.00"))
    massage = Service(name="Massage", duration_minutes=60, price=Decimal("65.00"))
    day = [(time(9), time(17))]
    lunch = [(time(9), time(12, 30)), (time(13, 30), time(17))]
    staff = [
        ("Alex Morgan", [haircut, colour], day),
        ("Sam Rivera", [haircut, massage], lunch),
        ("Jordan Lee", [haircut, colour, massage], day),
    ]
    with write_transaction(session):
        session.add_all([haircut, colour, massage])
        for name, services, intervals in staff:
            hours = [WorkingHours(weekday=d, start_time=s, end_time=e) for d in WEEKDAYS for s, e in intervals]
            session.add(Employee(name=name, services=services, working_hours=hours))
    return True


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo services and staff if the database is empty."""
    from appointease.extensions import db

    if seed_catalogue(db.session()):
        click.echo("Demo catalogue loaded: 3 services, 3 staff.")
    else:
        click.echo("Catalogue not empty; nothing loaded.")
