"""``flask --app app create-token | list-tokens | revoke-token`` (SPEC §4 "Staff and admin").

``create-token`` prints the new token alone on the last line of its output, so scripts
can take it with ``| tail -n 1``; it is shown this once and stored only as a digest.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from appointease.auth import api_tokens
from appointease.auth.principal import ROLES
from appointease.errors import AppError


def _session():
    from appointease.extensions import db

    return db.session()


def _fail(exc: AppError) -> None:
    detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in (exc.fields or {}).items())
    raise click.ClickException(f"{exc.message} {detail}".strip())


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


COMMANDS = (create_token, list_tokens, revoke_token)
