"""The widget's read side: availability, the day overview and the heartbeat (SPEC §4)."""
from appointease import live
from appointease.api import limits
from appointease.api.common import Blueprint, domain
from appointease.schemas import AvailabilityOut, AvailabilityQuery, DaysOut, DaysQuery, HeartbeatIn, HeartbeatOut

blp = Blueprint("live", __name__, url_prefix="/api/v1", description="Live slot states.")


@blp.get("/availability")
@blp.arguments(AvailabilityQuery, location="query")
@blp.response(200, AvailabilityOut)
@blp.errors(404, 422)
def availability(args):
    """The day's bookable slots and their states for one staff member and service."""
    return live.availability(domain(), args["date"], args["employee_id"], args["service_id"], args.get("client_id"))


@blp.get("/availability/days")
@blp.arguments(DaysQuery, location="query")
@blp.response(200, DaysOut)
@blp.errors(404, 422)
def availability_days(args):
    """How many start times are free on each day of a range (at most 62 days)."""
    return {"days": live.days_overview(domain(), args["first"], args["last"], args["service_id"], args.get("employee_id"))}


@blp.post("/heartbeat")
@limits.per_ip("APPOINTEASE_RATE_HEARTBEAT_PER_IP")
@blp.arguments(HeartbeatIn)
@blp.response(200, HeartbeatOut)
@blp.errors(400, 404, 422)
def heartbeat(args):
    """The widget's poll: booked/locked/processing times, the caller's own hold, version."""
    beat = live.heartbeat(domain(), **args)
    if not beat.changed:
        return {"changed": False, "version": beat.version, "interval_seconds": beat.interval_seconds,
                "server_time": beat.server_time}
    return beat
