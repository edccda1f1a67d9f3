"""The HTTP guards: ``customer_required`` for the customer routes, ``require`` for the
staff and admin routes (SPEC §4 "Customers", "Staff and admin").

Both read ``Authorization: Bearer <token>`` (RFC 6750 §2.1) and authenticate it
against the request's domain context (``appointease.api.common.domain``); tokens are
never logged. The token logic itself is domain code without Flask
(``appointease.auth.tokens``, ``appointease.auth.api_tokens``).

``require(ADMIN)`` guards the admin-only routes (catalogue, staff, webhooks, tokens);
``require(ADMIN, STAFF)`` the rest, where the domain limits a staff token to its own
staff member (CTFd's ``admins_only`` style). The admin blueprint applies it through
``AdminBlueprint.guard``, right under the route decorator, so a missing or wrong token
is answered (401/403) before the body is even parsed.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from appointease.api.common import domain
from appointease.auth import api_tokens, tokens
from appointease.auth.principal import Principal
from appointease.errors import Forbidden, Unauthorized

#: OpenAPI security requirement for customer routes (the scheme is registered in ``appointease.api``).
CUSTOMER_SECURITY = [{"bearerToken": []}]


def bearer_token() -> str:
    """Return the bearer token of the current request.

    Raises:
        Unauthorized: no ``Authorization`` header, another scheme, or an empty token.
    """
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    return token


def customer_required(view):
    """Let the view run only for a signed-in customer; pass it ``actor=Actor.customer(email)``.

    Raises (to the error handler):
        Unauthorized: missing, malformed, unknown, revoked or expired token (401).
    """

    @wraps(view)
    def guarded(*args, **kwargs):
        ctx = domain()
        actor = tokens.authenticate(ctx.session, bearer_token(), ctx.now)
        g.customer_email = actor.email  # for rate-limit key functions and logs (never the token)
        return view(*args, actor=actor, **kwargs)

    return guarded


def current_principal() -> Principal:
    """Return the principal a ``require`` guard authenticated for this request.

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
            principal = api_tokens.authenticate(domain().session, bearer_token())
            if principal.role not in roles:
                raise Forbidden("This needs an admin token.")
            g.appointease_principal = principal
            return view(*args, **kwargs)

        return guarded

    return decorator
