"""``GET /services`` and ``GET /staff``: the public catalogue (SPEC §4)."""

from flask import current_app

from appointease import catalog
from appointease.api.common import Blueprint, domain
from appointease.schemas import ServiceOut, StaffOut, StaffQuery

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="The public catalogue.")


@blp.get("/services")
@blp.response(200, ServiceOut(many=True))
@blp.errors()
def list_services():
    """List active services: ``[{id, name, duration_minutes, price, currency}]``."""
    currency = current_app.config["APPOINTEASE_CURRENCY"]
    return [
        {"id": s.id, "name": s.name, "duration_minutes": s.duration_minutes, "price": s.price, "currency": currency}
        for s in catalog.list_services(domain().session)
    ]


@blp.get("/staff")
@blp.arguments(StaffQuery(), location="query")
@blp.response(200, StaffOut(many=True))
@blp.errors(404, 422)
def list_staff(args):
    """List active staff, optionally those performing ``?service_id=``."""
    return catalog.list_staff(domain().session, args.get("service_id"))
