"""``/auth/otp``, ``/auth/verify``, ``/auth/logout``: customer sign-in by emailed code (SPEC §4).

Rate limits (SPEC §8, per email and per IP) are added as decorators on these views by
the limits work; ``limit_email`` is the key function for the per-email limit.
"""

from flask import Response, current_app

from appointease.api.common import Blueprint, domain, json_body
from appointease.auth import login
from appointease.auth.actor import normalize_email
from appointease.auth.guard import CUSTOMER_SECURITY, bearer_token, customer_required
from appointease.customer_schemas import OtpIn, TokenOut, VerifyIn
from appointease.errors import AppError

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Customer sign-in with a one-time code.")


def limit_email() -> str:
    """Key function for per-email limits on ``/auth/*``: the body's normalised email, or ``""``.

    Safe on any body (never raises), so a limiter can call it before the view parses.
    """
    try:
        email = json_body().get("email")
    except AppError:
        return ""
    return normalize_email(email) if isinstance(email, str) else ""


@blp.post("/auth/otp")
@blp.arguments(OtpIn)
@blp.response(202)
@blp.errors(400, 422)
def request_code(args):
    """Email a six-digit sign-in code (valid 10 minutes); 202 with no body for every address."""
    login.request_login_code(domain(), args["email"])
    return Response(status=202)


@blp.post("/auth/verify")
@blp.arguments(VerifyIn)
@blp.response(200, TokenOut)
@blp.errors(400, 401, 422)
def verify_code(args):
    """Exchange the emailed code for a bearer token (valid ``APPOINTEASE_SESSION_DAYS``)."""
    return login.sign_in(domain(), args["email"], args["code"], current_app.config["APPOINTEASE_SESSION_DAYS"])


@blp.post("/auth/logout")
@blp.doc(security=CUSTOMER_SECURITY)
@customer_required
@blp.response(204)
@blp.errors(401)
def logout(actor):
    """Revoke the bearer token this request carries."""
    login.sign_out(domain(), bearer_token())
