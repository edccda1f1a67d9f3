"""Role guards for views (CTFd's ``admins_only`` style): authenticate the bearer token,
check the role, and keep the principal for the view (SPEC §4 "Staff and admin").

Apply a guard right under the route decorator, above ``@blp.arguments``, so a missing
or wrong token is answered (401/403) before the body is even parsed.
"""
from __future__ import annotations

from functools import wraps

from flask import g, request

from appointease.auth.api_tokens import authenticate
from appointease.auth.principal import ADMIN, STAFF, Principal
from appointease.errors import Forbidden
from appointease.extensions import db


def bearer_token() -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def current_principal() -> Principal:
    """Return the principal a guard authenticated for this request.

    Raises:
        RuntimeError: the view has no guard (a programming error, never a client's).
    """
    principal = g.get("appointease_principal")
    if principal is None:
        raise RuntimeError("current_principal() called in a view without a guard")
    return principal


def require(*roles: str):
    """Build a guard admitting tokens whose role is in ``roles``.

    Raises (from the wrapped view):
        Unauthorized: no, unknown or revoked token (401).
        Forbidden: a valid token of another role (403).
    """

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = authenticate(db.session(), bearer_token())
            if principal.role not in roles:
                raise Forbidden("This needs an admin token.")
            g.appointease_principal = principal
            return view(*args, **kwargs)

        guarded.appointease_roles = roles
        return guarded

    return decorator


#: Admin-only routes: catalogue, staff, webhooks, tokens (SPEC §4).
admins_only = require(ADMIN)
#: Routes for any token; the domain limits a staff token to its own employee.
staff_or_admin = require(ADMIN, STAFF)
