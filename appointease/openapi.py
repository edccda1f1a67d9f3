"""The OpenAPI 3 document, built by apispec's MarshmallowPlugin from ``schemas`` (SPEC §4)."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from appointease import schemas as s

# (path, method, summary, request schema or None, query schema or None, {status: schema or None})
ROUTES = [
    ("/services", "get", "List active services", None, None, {200: s.ServiceOut(many=True)}),
    ("/staff", "get", "List staff (optionally for a service)", None, s.StaffQuery, {200: s.StaffOut(many=True), 404: s.ErrorOut}),
    ("/availability", "get", "Slots and states for a day", None, s.AvailabilityQuery,
     {200: s.AvailabilityOut, 404: s.ErrorOut, 422: s.ErrorOut}),
    ("/slots/select", "post", "Select a slot (short TTL, renewed by heartbeat)", s.SlotIn, None,
     {200: s.HoldOut, 400: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut, 422: s.ErrorOut}),
    ("/slots/lock", "post", "Lock a slot for the review step", s.SlotIn, None,
     {200: s.HoldOut, 400: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut, 422: s.ErrorOut}),
    ("/slots/release", "post", "Release the caller's own hold", s.ReleaseIn, None, {204: None, 400: s.ErrorOut, 422: s.ErrorOut}),
    ("/heartbeat", "post", "Poll slot states for a day", s.HeartbeatIn, None,
     {200: s.HeartbeatOut, 400: s.ErrorOut, 404: s.ErrorOut, 422: s.ErrorOut}),
    ("/appointments", "post", "Book an appointment (Idempotency-Key supported)", s.AppointmentIn, None,
     {201: s.AppointmentOut, 400: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut, 422: s.ErrorOut}),
]


def build_spec() -> dict:
    """Return the OpenAPI 3.0.3 document as a dict (server URL ``/api/v1``)."""
    spec = APISpec(
        title="AppointEase",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        servers=[{"url": "/api/v1"}],
        info={"description": "Real-time appointment booking with a polling heartbeat (no WebSockets)."},
    )
    for path, method, summary, body, query, responses in ROUTES:
        operation: dict = {"summary": summary, "responses": {}}
        if query is not None:
            operation["parameters"] = [{"in": "query", "schema": query}]
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if path == "/appointments":
            operation.setdefault("parameters", []).append(
                {"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255}}
            )
        for status, schema in responses.items():
            entry: dict = {"description": "OK" if status < 300 else "Error"}
            if schema is not None:
                entry["content"] = {"application/json": {"schema": schema}}
            operation["responses"][str(status)] = entry
        spec.path(path=path, operations={method: operation})
    return spec.to_dict()
