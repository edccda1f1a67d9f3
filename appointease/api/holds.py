"""``/slots/select``, ``/slots/lock``, ``/slots/release``: holding slots (SPEC §4)."""

from appointease import holding
from appointease.api import limits
from appointease.api.common import Blueprint, domain
from appointease.holds import LOCK, SELECTION
from appointease.schemas import HoldOut, ReleaseIn, SlotIn

blp = Blueprint("holds", __name__, url_prefix="/api/v1", description="Selections and locks.")


def _hold(kind: str, args: dict) -> dict:
    ctx = domain()
    hold = holding.hold_slot(ctx, kind, **args)
    return {**hold.__dict__, "ttl_seconds": holding.hold_ttl(ctx, kind), "storage": hold.storage}


@blp.post("/slots/select")
@limits.per_client("APPOINTEASE_RATE_SLOTS_PER_CLIENT", scope="slots")
@limits.per_ip("APPOINTEASE_RATE_SLOTS_PER_IP", scope="slots")
@blp.arguments(SlotIn())
@blp.response(200, HoldOut)
@blp.errors(400, 404, 409, 422)
def select_slot(args):
    """Take a short selection (yellow for others), renewed by heartbeats."""
    return _hold(SELECTION, args)


@blp.post("/slots/lock")
@limits.per_client("APPOINTEASE_RATE_SLOTS_PER_CLIENT", scope="slots")
@limits.per_ip("APPOINTEASE_RATE_SLOTS_PER_IP", scope="slots")
@blp.arguments(SlotIn())
@blp.response(200, HoldOut)
@blp.errors(400, 404, 409, 422)
def lock_slot(args):
    """Take the review-step lock (amber for others), not renewed."""
    return _hold(LOCK, args)


@blp.post("/slots/release")
@limits.per_client("APPOINTEASE_RATE_SLOTS_PER_CLIENT", scope="slots")
@limits.per_ip("APPOINTEASE_RATE_SLOTS_PER_IP", scope="slots")
@blp.arguments(ReleaseIn())
@blp.response(204)
@blp.errors(400, 422)
def release_slot(args):
    """Release the caller's own hold on a slot; 204 whether or not there was one."""
    holding.release_slot(domain(), **args)
