"""The HTTP side of customer sign-in: the ``customer_required`` view decorator.

Reads ``Authorization: Bearer <token>`` (RFC 6750 §2.1), authenticates it with
``appointease.auth.tokens`` against the request's domain context, and hands the
view its ``Actor`` as the ``actor`` keyword argument. Tokens are never logged.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from appointease.api.common import domain
from appointease.auth.tokens import authenticate
from appointease.errors import Unauthorized

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
        actor = authenticate(ctx.session, bearer_token(), ctx.now)
        g.customer_email = actor.email  # for rate-limit key functions and logs (never the token)
        return view(*args, actor=actor, **kwargs)

    return guarded
