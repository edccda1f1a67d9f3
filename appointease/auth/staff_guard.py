"""Role guards for the staff and admin routes (CTFd's ``admins_only`` style): authenticate
the bearer API token, check its role, and keep its principal for the view (SPEC §4
"Staff and admin"). The customer routes have their own guard (``auth.guard``).

``require(ADMIN)`` guards the admin-only routes (catalogue, staff, webhooks, tokens);
``require(ADMIN, STAFF)`` the rest, where the domain limits a staff token to its own
staff member. The admin blueprint applies it through ``AdminBlueprint.guard``, right
under the route decorator, so a missing or wrong token is answered (401/403) before the
body is even parsed.
"""

from __future__ import annotations

from functools import wraps

from flask import g

from appointease.api.common import domain
from appointease.auth.api_tokens import authenticate
from appointease.auth.guard import bearer_token
from appointease.auth.principal import Principal
from appointease.errors import Forbidden


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
    """Build a guard admitting API tokens whose role is in ``roles``.

    Raises (from the wrapped view):
        Unauthorized: no bearer token, or an unknown or revoked one (401).
        Forbidden: a valid token of another role (403).
    """

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            principal = authenticate(domain().session, bearer_token())
            if principal.role not in roles:
                raise Forbidden("This needs an admin token.")
            g.appointease_principal = principal
            return view(*args, **kwargs)

        return guarded

    return decorator
