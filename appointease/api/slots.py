"""Availability, selections, locks and the heartbeat (SPEC §4, the widget's endpoints)."""
from flask import jsonify

from appointease import slots
from appointease.api import api
from appointease.api.common import session, json_body, load, query, rules, store
from appointease.holds import LOCK, SELECTION
from appointease.models import utcnow
from appointease.schemas import AvailabilityOut, AvailabilityQuery, HeartbeatIn, HeartbeatOut, HoldOut, ReleaseIn, SlotIn


@api.get("/availability")
def availability():
    """The day's slots and states for one employee and service."""
    args = query(AvailabilityQuery())
    result = slots.availability(session(), store(), rules(), utcnow(), args["date"], args["employee_id"],
                                args["service_id"], args.get("client_id"))
    return jsonify(AvailabilityOut().dump(result))


def _hold(kind: str):
    args = load(SlotIn(), json_body())
    hold = slots.hold_slot(session(), store(), rules(), utcnow(), kind, **{
        "day": args["date"], "time": args["time"], "employee_id": args["employee_id"],
        "service_id": args["service_id"], "client_id": args["client_id"],
    })
    ttl = rules().lock_ttl if kind == LOCK else rules().selection_ttl
    return jsonify(HoldOut().dump({**hold.__dict__, "ttl_seconds": ttl, "storage": store().storage}))


@api.post("/slots/select")
def select_slot():
    """Take a short selection (yellow for others), renewed by heartbeats."""
    return _hold(SELECTION)


@api.post("/slots/lock")
def lock_slot():
    """Take the review-step lock (amber for others), not renewed."""
    return _hold(LOCK)


@api.post("/slots/release")
def release_slot():
    """Release the caller's own hold on a slot; 204 whether or not there was one."""
    args = load(ReleaseIn(), json_body())
    slots.release_slot(store(), day=args["date"], time=args["time"], employee_id=args["employee_id"],
                       client_id=args["client_id"])
    return "", 204


@api.post("/heartbeat")
def heartbeat():
    """The widget's poll: booked/locked/processing times, the caller's own hold, version."""
    args = load(HeartbeatIn(), json_body())
    result = slots.heartbeat(
        session(), store(), rules(), utcnow(), day=args["date"], employee_id=args["employee_id"],
        client_id=args["client_id"], service_id=args.get("service_id"),
        selected_time=args.get("selected_time"), known_version=args.get("known_version"),
    )
    return jsonify(HeartbeatOut().dump(result))
