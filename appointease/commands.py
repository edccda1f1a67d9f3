"""Command-line tools (the ``flask`` CLI; web/CLI layer, may use Flask):

* ``flask --app app seed-demo``;
* ``flask --app app create-token | list-tokens | revoke-token`` (SPEC §4 "Staff and admin").
  ``create-token`` prints the new token alone on the last line of its output, so scripts
  can take it with ``| tail -n 1``; it is shown this once and stored only as a digest.

The notification worker's ``worker`` command is in ``appointease.notify_cli``.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.auth import api_tokens
from appointease.auth.principal import ROLES
from appointease.db import write_transaction
from appointease.errors import AppError
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


def _session():
    from appointease.extensions import db

    return db.session()


def _fail(exc: AppError) -> None:
    detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in (exc.fields or {}).items())
    raise click.ClickException(f"{exc.message} {detail}".strip())


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo services and staff if the database is empty."""
    if seed_catalogue(_session()):
        click.echo("Demo catalogue loaded: 3 services, 3 staff.")
    else:
        click.echo("Catalogue not empty; nothing loaded.")


@click.command("create-token")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="admin: everything; staff: one staff member's day."
)
@click.option("--employee-id", type=click.IntRange(1, 2**31 - 1), help="The staff member a staff token acts for.")
@click.option("--name", help="A label to recognise the token by in list-tokens.")
@with_appcontext
def create_token(role: str, employee_id: int | None, name: str | None) -> None:
    """Create an API token and print it (once) on the last line."""
    try:
        info = api_tokens.create_token(_session(), role, employee_id, name)
    except AppError as exc:
        _fail(exc)
    who = f"staff member {info.employee_id}" if info.employee_id else "everyone"
    click.echo(f"Created {info.role} token {info.id} for {who}. It is shown only now; store it safely:")
    click.echo(info.token)


@click.command("list-tokens")
@with_appcontext
def list_tokens() -> None:
    """List API tokens (id, role, staff member, name, created, revoked); never the secrets."""
    rows = api_tokens.list_tokens(_session())
    if not rows:
        click.echo("No tokens.")
        return
    click.echo(f"{'id':>4}  {'role':<5}  {'employee':>8}  {'created (UTC)':<16}  {'revoked (UTC)':<16}  name")
    for t in rows:
        revoked = f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "-"
        click.echo(
            f"{t.id:>4}  {t.role:<5}  {t.employee_id or '-':>8}  {t.created_at:%Y-%m-%d %H:%M}  "
            f"{revoked:<16}  {t.name or ''}"
        )


@click.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Revoke the token TOKEN_ID (as list-tokens shows it); its next request gets 401."""
    try:
        info = api_tokens.revoke_token(_session(), token_id)
    except AppError as exc:
        _fail(exc)
    click.echo(f"Token {info.id} revoked.")


#: The API token commands, for ``create_app`` to register.
TOKEN_COMMANDS = (create_token, list_tokens, revoke_token)
