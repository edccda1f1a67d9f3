"""A signed-in customer's appointments and feed (SPEC §4 Customers).

``/me/appointments``, ``/me/events``, ``/appointments/<reference>`` and its
``/cancel`` and ``/reschedule``. Every view is ``customer_required``: the domain
functions receive the customer's ``Actor`` and only ever touch that customer's
appointments (anyone else's answer 404, as if they did not exist).
"""

from appointease import appointments, changes, feeds
from appointease.api.common import (
    IDEMPOTENCY_HEADER_DOC,
    X_IDEMPOTENCY_HEADER_DOC,
    Blueprint,
    domain,
    idempotency_key,
)
from appointease.api.guards import CUSTOMER_SECURITY, customer_required
from appointease.customer_schemas import (
    AppointmentFull,
    EventsQuery,
    FeedOut,
    MyAppointmentsQuery,
    RescheduleIn,
)

blp = Blueprint("customers", __name__, url_prefix="/api/v1", description="A customer's own appointments.")

IDEMPOTENT = [IDEMPOTENCY_HEADER_DOC, X_IDEMPOTENCY_HEADER_DOC]


@blp.get("/me/appointments")
@blp.doc(security=CUSTOMER_SECURITY)
@customer_required
@blp.arguments(MyAppointmentsQuery, location="query")
@blp.response(200, AppointmentFull(many=True))
@blp.errors(401, 422)
def my_appointments(args, actor):
    """Your appointments, soonest first, past ones included unless ``?upcoming=true``."""
    return appointments.list_for_customer(domain(), actor.email, upcoming=args["upcoming"])


@blp.get("/me/events")
@blp.doc(security=CUSTOMER_SECURITY)
@customer_required
@blp.arguments(EventsQuery, location="query")
@blp.response(200, FeedOut)
@blp.errors(401, 422)
def my_events(args, actor):
    """Changes to your appointments after ``since``, in ``seq`` order (the polling fallback)."""
    return feeds.feed(domain(), args["since"], args["limit"], email=actor.email)


@blp.get("/appointments/<reference>")
@blp.doc(security=CUSTOMER_SECURITY)
@customer_required
@blp.response(200, AppointmentFull)
@blp.errors(401, 404)
def get_appointment(reference, actor):
    """One of your appointments; anyone else's, or none, is 404."""
    return appointments.get(domain(), reference, actor)


@blp.post("/appointments/<reference>/cancel")
@blp.doc(security=CUSTOMER_SECURITY, parameters=IDEMPOTENT)
@customer_required
@blp.response(200, AppointmentFull)
@blp.errors(401, 404, 409, 422)
def cancel(reference, actor):
    """Cancel one of your appointments (until the cut-off); its time is free at once."""
    idem = idempotency_key(actor.principal, {"reference": reference})
    return changes.cancel(domain(), reference, actor, idem)


@blp.post("/appointments/<reference>/reschedule")
@blp.doc(security=CUSTOMER_SECURITY, parameters=IDEMPOTENT)
@customer_required
@blp.arguments(RescheduleIn)
@blp.response(200, AppointmentFull)
@blp.errors(400, 401, 404, 409, 422)
def reschedule(args, reference, actor):
    """Move one of your appointments to another time (and staff member); same reference."""
    idem = idempotency_key(actor.principal, {**args, "reference": reference})
    return changes.reschedule(domain(), reference, changes.NewSlot(**args), actor, idem)
