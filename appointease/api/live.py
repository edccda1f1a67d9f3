"""The widget's read side: availability, the day overview and the heartbeat (SPEC §4)."""

from flask import Response, request

from appointease import live, slots
from appointease.api import limits
from appointease.api.common import Blueprint, domain
from appointease.api.fast_json import fast_arguments, json_response
from appointease.schemas import AvailabilityOut, AvailabilityQuery, DaysOut, DaysQuery, HeartbeatIn, HeartbeatOut

#: The answer's schema, built once (``@blp.response`` documents ``HeartbeatOut`` itself).
HEARTBEAT_OUT = HeartbeatOut()

blp = Blueprint("live", __name__, url_prefix="/api/v1", description="Live slot states.")

ETAG_HEADER = {
    "ETag": {"description": 'The answer\'s version as an entity tag: `"<version>"`.', "schema": {"type": "string"}}
}
IF_NONE_MATCH_DOC = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "An ETag from an earlier answer: 304 with no body when nothing changed (RFC 9110 §13.1.2).",
}


@blp.get("/availability")
@blp.arguments(AvailabilityQuery(), location="query")
@blp.response(200, AvailabilityOut)
@blp.errors(404, 422)
def availability(args):
    """The day's bookable slots and their states for one staff member and service."""
    return live.availability(domain(), args["day"], args["employee_id"], args["service_id"], args.get("client_id"))


@blp.get("/availability/days")
@blp.arguments(DaysQuery(), location="query")
@blp.response(200, DaysOut)
@blp.errors(404, 422)
def availability_days(args):
    """How many start times are free on each day of a range (at most 62 days), and the last
    day that can be booked (the widget's date picker stops there)."""
    ctx = domain()
    return {
        "days": live.days_overview(ctx, args["first"], args["last"], args["service_id"], args.get("employee_id")),
        "bookable_until": slots.last_bookable_day(ctx),
    }


@blp.post("/heartbeat")
@limits.per_ip("APPOINTEASE_RATE_HEARTBEAT_PER_IP")
@fast_arguments(blp.arguments(HeartbeatIn()))
@blp.response(200, HeartbeatOut, headers=ETAG_HEADER)
@blp.alt_response(304, description="Not Modified: the If-None-Match version is current (no body).")
@blp.errors(400, 404, 422)
@blp.doc(parameters=[IF_NONE_MATCH_DOC])
def heartbeat(args):
    """The widget's poll: booked/locked/processing times, the caller's own hold, version."""
    beat = live.heartbeat(domain(), **args)
    etag = f'"{beat.version}"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return Response(status=304, headers={"ETag": etag})
    # HeartbeatOut (the answer's one owner) sends the short answer itself when nothing changed;
    # msgspec then writes what flask-smorest's jsonify would (the 200 documented above).
    return json_response(HEARTBEAT_OUT.dump(beat), {"ETag": etag})
