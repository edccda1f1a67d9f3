"""``/admin/appointments``: the day's list, one appointment, status changes (SPEC §3, §4).

Admin tokens see every staff member; a staff token only its own (403 otherwise).
"""
from appointease.admin import appointments
from appointease.api.admin.common import AdminBlueprint, current_principal
from appointease.api.admin.schemas import (
    AdminAppointmentOut,
    AdminAppointmentsQuery,
    StatusIn,
)
from appointease.api.common import domain
from appointease.auth.principal import ADMIN, STAFF

blp = AdminBlueprint("admin_appointments", __name__, url_prefix="/api/v1/admin", description="Appointments (staff and admin).")


@blp.get("/appointments")
@blp.guard(ADMIN, STAFF)
@blp.arguments(AdminAppointmentsQuery, location="query")
@blp.response(200, AdminAppointmentOut(many=True))
@blp.errors(422)
def list_appointments(args):
    """The appointments starting on ``date`` (every status unless ``status`` is given), by start."""
    return appointments.list_appointments(domain(), current_principal(), args["date"], args.get("employee_id"),
                                          args.get("status"))


@blp.get("/appointments/<reference>")
@blp.guard(ADMIN, STAFF)
@blp.response(200, AdminAppointmentOut)
@blp.errors(404)
def get_appointment(reference):
    """One appointment in full."""
    return appointments.get_appointment(domain(), current_principal(), reference)


@blp.post("/appointments/<reference>/status")
@blp.guard(ADMIN, STAFF)
@blp.arguments(StatusIn)
@blp.response(200, AdminAppointmentOut)
@blp.errors(400, 404, 409, 422)
def change_status(args, reference):
    """Check in, complete, mark no-show or cancel, along SPEC §3's life cycle (409 ``invalid_transition``)."""
    return appointments.change_status(domain(), current_principal(), reference, args["status"])
