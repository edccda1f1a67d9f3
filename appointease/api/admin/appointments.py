"""``/admin/appointments``: the day's list, one appointment, status changes, cancel and
reschedule (SPEC §3, §4). Admin tokens act on every staff member; a staff token only on
its own (403 otherwise). Cancel and reschedule have the customer routes' semantics.
"""

from appointease.admin import appointments
from appointease.api.admin.common import AdminBlueprint, current_principal
from appointease.api.admin.schemas import AdminAppointmentsQuery, StatusIn
from appointease.api.common import (
    IDEMPOTENCY_HEADER_DOC,
    X_IDEMPOTENCY_HEADER_DOC,
    domain,
    idempotency_key,
)
from appointease.auth.principal import ADMIN, STAFF
from appointease.changes import NewSlot
from appointease.customer_schemas import AppointmentFull, RescheduleIn

blp = AdminBlueprint(
    "admin_appointments", __name__, url_prefix="/api/v1/admin", description="Appointments (staff and admin)."
)

IDEMPOTENT = [IDEMPOTENCY_HEADER_DOC, X_IDEMPOTENCY_HEADER_DOC]


@blp.get("/appointments")
@blp.guard(ADMIN, STAFF)
@blp.arguments(AdminAppointmentsQuery, location="query")
@blp.response(200, AppointmentFull(many=True))
@blp.errors(422)
def list_appointments(args):
    """The appointments starting on ``date`` (every status unless ``status`` is given), by start."""
    return appointments.list_appointments(
        domain(), current_principal(), args["date"], args.get("employee_id"), args.get("status")
    )


@blp.get("/appointments/<reference>")
@blp.guard(ADMIN, STAFF)
@blp.response(200, AppointmentFull)
@blp.errors(404)
def get_appointment(reference):
    """One appointment in full."""
    return appointments.get_appointment(domain(), current_principal(), reference)


@blp.post("/appointments/<reference>/status")
@blp.guard(ADMIN, STAFF)
@blp.arguments(StatusIn)
@blp.response(200, AppointmentFull)
@blp.errors(400, 404, 409, 422)
@blp.doc(parameters=IDEMPOTENT)
def change_status(args, reference):
    """Check in, complete, mark no-show or cancel, along SPEC §3's life cycle (409 ``invalid_transition``)."""
    actor = current_principal()
    idem = idempotency_key(actor.actor.principal, {**args, "reference": reference})
    return appointments.change_status(domain(), actor, reference, args["status"], idem)


@blp.post("/appointments/<reference>/cancel")
@blp.guard(ADMIN, STAFF)
@blp.response(200, AppointmentFull)
@blp.errors(404, 409, 422)
@blp.doc(parameters=IDEMPOTENT)
def cancel(reference):
    """Cancel as the customer could (confirmed only, until the cut-off); the time is free at once."""
    actor = current_principal()
    idem = idempotency_key(actor.actor.principal, {"reference": reference})
    return appointments.cancel(domain(), actor, reference, idem)


@blp.post("/appointments/<reference>/reschedule")
@blp.guard(ADMIN, STAFF)
@blp.arguments(RescheduleIn)
@blp.response(200, AppointmentFull)
@blp.errors(400, 404, 409, 422)
@blp.doc(parameters=IDEMPOTENT)
def reschedule(args, reference):
    """Move an appointment to another time (and, for admins, staff member); same reference."""
    actor = current_principal()
    idem = idempotency_key(actor.actor.principal, {**args, "reference": reference})
    return appointments.reschedule(domain(), actor, reference, NewSlot(**args), idem)
