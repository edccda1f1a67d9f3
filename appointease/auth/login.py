"""Signing customers in and out with an emailed one-time code (SPEC §4 Customers). No Flask.

``request_login_code`` records, in its own transaction, that a code was asked for
(``appointease.notify.request_code``); the notification worker makes the six-digit
code, stores only its keyed hash (10 minutes, 5 tries) and mails it, within about one
worker poll (0.5 s by default). ``sign_in`` checks the code and, when right, issues a
bearer token in the same transaction; a wrong try is committed (it counts toward
burning the code) before ``Unauthorized`` is raised.
"""

from __future__ import annotations

from appointease.auth.actor import normalize_email
from appointease.auth.tokens import IssuedToken, issue_token, revoke_token
from appointease.context import Context
from appointease.db import write_transaction
from appointease.errors import Unauthorized
from appointease.notify import request_code, verify_code
from appointease.secrets import SecretKey


def request_login_code(ctx: Context, email: str) -> None:
    """Queue a sign-in code for ``email`` (it replaces any earlier code of that address).

    Whether or not the address has appointments, the same happens, so the answer
    tells nobody which addresses are customers (SPEC §4: no account enumeration).
    """
    with write_transaction(ctx.session) as session:
        request_code(session, normalize_email(email), ctx.now)


def sign_in(ctx: Context, email: str, code: str, session_days: int, *, secret_key: SecretKey) -> IssuedToken:
    """Exchange a right code for a bearer token valid ``session_days`` days.

    Args:
        code: what the customer typed; spaces are ignored (``"123 456"``).
        secret_key: the app's ``SECRET_KEY`` (``str`` or ``bytes``), which the code's
            hash is keyed with (``appointease.secrets``).

    Raises:
        Unauthorized: wrong, expired, burnt (5 wrong tries), replaced or used code.
    """
    typed = "".join(code.split())
    with write_transaction(ctx.session) as session:
        issued = (
            issue_token(session, email, ctx.now, session_days)
            if verify_code(session, normalize_email(email), typed, ctx.now, secret_key=secret_key)
            else None
        )
    if issued is None:
        raise Unauthorized("That code is wrong, expired or used up. Ask for a new one.")
    return issued


def sign_out(ctx: Context, token: str) -> None:
    """Revoke ``token`` at once (idempotent: an unknown token changes nothing)."""
    with write_transaction(ctx.session) as session:
        revoke_token(session, token)
