"""``/auth/otp``, ``/auth/verify``, ``/auth/logout``: customer sign-in by emailed code (SPEC §4).

Rate limits (SPEC §8): each of ``/auth/otp`` and ``/auth/verify`` per email
(``APPOINTEASE_RATE_AUTH_PER_EMAIL``), and all of ``/auth/*`` together per IP
(``APPOINTEASE_RATE_AUTH_PER_IP``); see ``appointease.api.limits``.
"""

from flask import Response, current_app

from appointease.api import limits
from appointease.api.common import Blueprint, domain
from appointease.api.guards import CUSTOMER_SECURITY, bearer_token, customer_required
from appointease.auth import login
from appointease.customer_schemas import OtpIn, TokenOut, VerifyIn

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Customer sign-in with a one-time code.")


@blp.post("/auth/otp")
@limits.per_email("APPOINTEASE_RATE_AUTH_PER_EMAIL")
@limits.per_ip("APPOINTEASE_RATE_AUTH_PER_IP", scope="auth")
@blp.arguments(OtpIn)
@blp.response(202)
@blp.errors(400, 422)
def request_code(args):
    """Email a six-digit sign-in code (valid 10 minutes); 202 with no body for every address."""
    login.request_login_code(domain(), args["email"])
    return Response(status=202)


@blp.post("/auth/verify")
@limits.per_email("APPOINTEASE_RATE_AUTH_PER_EMAIL")
@limits.per_ip("APPOINTEASE_RATE_AUTH_PER_IP", scope="auth")
@blp.arguments(VerifyIn)
@blp.response(200, TokenOut)
@blp.errors(400, 401, 422)
def verify_code(args):
    """Exchange the emailed code for a bearer token (valid ``APPOINTEASE_SESSION_DAYS``)."""
    cfg = current_app.config
    return login.sign_in(
        domain(), args["email"], args["code"], cfg["APPOINTEASE_SESSION_DAYS"], secret_key=cfg["SECRET_KEY"]
    )


@blp.post("/auth/logout")
@limits.per_ip("APPOINTEASE_RATE_AUTH_PER_IP", scope="auth")
@blp.doc(security=CUSTOMER_SECURITY)
@customer_required
@blp.response(204)
@blp.errors(401)
def logout(actor):
    """Revoke the bearer token this request carries."""
    login.sign_out(domain(), bearer_token())
