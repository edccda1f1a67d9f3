"""``POST /appointments``: book, with Idempotency-Key semantics (SPEC §4)."""

from flask import url_for

from appointease import booking
from appointease.api import limits
from appointease.api.common import IDEMPOTENCY_HEADER_DOC, X_IDEMPOTENCY_HEADER_DOC, Blueprint, domain, idempotency_key
from appointease.schemas import AppointmentIn, AppointmentOut

blp = Blueprint("appointments", __name__, url_prefix="/api/v1", description="Booking.")

LOCATION_HEADER = {"Location": {"description": "The new appointment's URL.", "schema": {"type": "string"}}}


@blp.post("/appointments")
@limits.per_client("APPOINTEASE_RATE_BOOKING_PER_CLIENT")
@limits.per_ip("APPOINTEASE_RATE_BOOKING_PER_IP")
@blp.arguments(AppointmentIn())
@blp.response(201, AppointmentOut, headers=LOCATION_HEADER)
@blp.errors(400, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_HEADER_DOC, X_IDEMPOTENCY_HEADER_DOC])
def create_appointment(args):
    """Book an appointment; 201 with the appointment and its ``Location``."""
    idem = idempotency_key("public", args)
    view = booking.book(domain(), booking.BookingRequest(**args), idem)
    return view, 201, {"Location": url_for("appointments.create_appointment") + "/" + view.reference}
