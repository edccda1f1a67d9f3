"""The admin API in the OpenAPI document (SPEC §4): every route, its bearer security,
401/403 answers, and the bodies generated clients need."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.engine_independent


def test_admin_paths_are_documented_with_bearer_security(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    admin = {p.removeprefix("/api/v1/admin"): item for p, item in doc["paths"].items() if p.startswith("/api/v1/admin")}
    ops = {(m, p) for p, item in admin.items() for m in item if m != "parameters"}
    assert ops == {
        ("get", "/services"),
        ("post", "/services"),
        ("get", "/services/{service_id}"),
        ("patch", "/services/{service_id}"),
        ("delete", "/services/{service_id}"),
        ("get", "/staff"),
        ("post", "/staff"),
        ("get", "/staff/{employee_id}"),
        ("patch", "/staff/{employee_id}"),
        ("delete", "/staff/{employee_id}"),
        ("get", "/staff/{employee_id}/hours"),
        ("put", "/staff/{employee_id}/hours"),
        ("get", "/staff/{employee_id}/time-off"),
        ("post", "/staff/{employee_id}/time-off"),
        ("delete", "/staff/{employee_id}/time-off/{time_off_id}"),
        ("get", "/appointments"),
        ("get", "/appointments/{reference}"),
        ("post", "/appointments/{reference}/status"),
        ("post", "/appointments/{reference}/cancel"),
        ("post", "/appointments/{reference}/reschedule"),
        ("get", "/events"),
        ("get", "/holds"),
        ("get", "/debug"),
        ("get", "/me"),
        ("get", "/tokens"),
        ("post", "/tokens"),
        ("delete", "/tokens/{token_id}"),
        ("get", "/webhooks"),
        ("post", "/webhooks"),
        ("delete", "/webhooks/{endpoint_id}"),
        ("get", "/webhooks/{endpoint_id}/deliveries"),
        ("post", "/webhooks/{endpoint_id}/test"),
    }
    assert doc["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["apiToken"]["description"],
    }
    for path, item in admin.items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op["security"] == [{"apiToken": []}], (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    hours = admin["/staff/{employee_id}/hours"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert hours["type"] == "array" and hours["items"] == {"$ref": "#/components/schemas/IntervalIn"}
    interval = doc["components"]["schemas"]["IntervalIn"]
    assert interval["properties"]["weekday"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 6,
        "description": "0 = Monday … 6 = Sunday",
    }
    ids = admin["/staff/{employee_id}"]["parameters"][0]
    assert ids["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    day_list = admin["/appointments"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert day_list["items"] == {"$ref": "#/components/schemas/AppointmentFull"}  # the customer routes' schema
    full = doc["components"]["schemas"]["AppointmentFull"]
    assert {"service_name", "employee_name", "phone", "notes"} <= set(full["required"])
    # Public routes need no token.
    assert "security" not in doc["paths"]["/api/v1/heartbeat"]["post"]
