"""``POST /appointments``: book, with Idempotency-Key semantics (SPEC §4)."""
from flask import jsonify, request, url_for

from appointease import booking
from appointease.api import api
from appointease.api.common import session, json_body, load, rules, store
from appointease.errors import ValidationFailed
from appointease.models import utcnow
from appointease.schemas import AppointmentIn, AppointmentOut


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key") or request.headers.get("X-Idempotency-Key")
    # Printable only: a NUL or control character cannot be stored (PostgreSQL refuses NUL).
    if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
        raise ValidationFailed(fields={"Idempotency-Key": ["Must be 1–255 printable characters."]})
    return key


@api.post("/appointments")
def create_appointment():
    """Book an appointment; 201 with the appointment and its ``Location``."""
    key = _idempotency_key()
    data = load(AppointmentIn(), json_body())
    status, body = booking.book(session(), store(), rules(), utcnow(), data, key)
    response = jsonify(AppointmentOut().dump(body))
    response.status_code = status
    response.headers["Location"] = url_for("api.create_appointment", _external=False) + "/" + body["reference"]
    return response
