"""What dashboards poll (SPEC §4): ``/admin/events``, ``/admin/holds``, ``/admin/debug``, ``/admin/me``."""

from appointease.admin import monitor
from appointease.api.admin.common import AdminBlueprint, current_principal, hold_stats
from appointease.api.admin.schemas import (
    DayHoldsQuery,
    DebugOut,
    LiveHoldOut,
    WhoAmIOut,
)
from appointease.api.common import domain
from appointease.auth.principal import ADMIN, STAFF
from appointease.customer_schemas import EventsQuery, FeedOut
from appointease.metrics import pollers_estimate

blp = AdminBlueprint(
    "admin_monitor", __name__, url_prefix="/api/v1/admin", description="Feed, live holds, debug (staff and admin)."
)


@blp.get("/events")
@blp.guard(ADMIN, STAFF)
@blp.arguments(EventsQuery, location="query")
@blp.response(200, FeedOut)
@blp.errors(422)
def events(args):
    """Every appointment change after ``since``, in ``seq`` order (a staff token: its own only)."""
    return monitor.feed(domain(), current_principal(), args["since"], args["limit"])


@blp.get("/holds")
@blp.guard(ADMIN, STAFF)
@blp.arguments(DayHoldsQuery, location="query")
@blp.response(200, LiveHoldOut(many=True))
@blp.errors(422)
def holds(args):
    """The live selections and locks on one staff member's day (a staff token: its own)."""
    return monitor.day_holds(domain(), current_principal(), args["date"], args.get("employee_id"))


@blp.get("/debug")
@blp.guard(ADMIN, STAFF)
@blp.response(200, DebugOut)
@blp.errors()
def debug():
    """Widgets polling now (estimate), live selections and locks with seconds left."""
    return monitor.debug(domain(), hold_stats(), current_principal(), pollers_estimate())


@blp.get("/me")
@blp.guard(ADMIN, STAFF)
@blp.response(200, WhoAmIOut)
@blp.errors()
def me():
    """The calling token: role and, for a staff token, its staff member."""
    return monitor.whoami(domain(), current_principal())
