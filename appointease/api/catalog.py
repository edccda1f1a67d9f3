"""``GET /services`` and ``GET /staff``: the public catalogue (SPEC §4)."""
from flask import jsonify

from appointease import catalog
from appointease.api import api
from appointease.api.common import session, query
from appointease.schemas import ServiceOut, StaffOut, StaffQuery


@api.get("/services")
def list_services():
    """List active services: ``[{id, name, duration_minutes, price}]``."""
    return jsonify(ServiceOut(many=True).dump(catalog.list_services(session())))


@api.get("/staff")
def list_staff():
    """List active staff, optionally those performing ``?service_id=``."""
    args = query(StaffQuery())
    return jsonify(StaffOut(many=True).dump(catalog.list_staff(session(), args.get("service_id"))))
