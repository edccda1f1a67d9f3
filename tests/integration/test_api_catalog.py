"""The public catalogue (``/services``, ``/staff``) and the operations endpoints
(``/healthz``, ``/readyz``, ``/api/v1/openapi.json``), SPEC §4."""
from __future__ import annotations

from decimal import Decimal

from appointease.extensions import db
from appointease.models import Employee, Service


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def test_services_lists_active_services_with_string_prices(app, client):
    with app.app_context():
        db.session.add(Service(name="Retired treatment", duration_minutes=20, price=Decimal("9.50"), active=False))
        db.session.commit()
        db.session.remove()
    r = client.get("/api/v1/services")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == [
        {"id": 2, "name": "Colour consultation", "duration_minutes": 45, "price": "40.00"},
        {"id": 1, "name": "Haircut", "duration_minutes": 30, "price": "25.00"},
        {"id": 3, "name": "Massage", "duration_minutes": 60, "price": "65.00"},
    ]


def test_staff_lists_everyone_with_their_services(client):
    r = client.get("/api/v1/staff")
    assert r.status_code == 200
    assert r.get_json() == [
        {"id": 1, "name": "Alex Morgan", "service_ids": [1, 2]},
        {"id": 3, "name": "Jordan Lee", "service_ids": [1, 2, 3]},
        {"id": 2, "name": "Sam Rivera", "service_ids": [1, 3]},
    ]


def test_staff_filtered_by_service(client):
    assert [e["id"] for e in client.get("/api/v1/staff?service_id=3").get_json()] == [3, 2]
    assert [e["id"] for e in client.get("/api/v1/staff?service_id=2").get_json()] == [1, 3]
    assert [e["id"] for e in client.get("/api/v1/staff?service_id=1").get_json()] == [1, 3, 2]


def test_staff_leaves_out_inactive_staff(app, client):
    with app.app_context():
        db.session.get(Employee, 2).active = False
        db.session.commit()
        db.session.remove()
    assert [e["id"] for e in client.get("/api/v1/staff?service_id=3").get_json()] == [3]


def test_staff_for_an_unknown_or_inactive_service_is_404(app, client):
    r = client.get("/api/v1/staff?service_id=99")
    assert r.status_code == 404 and error_code(r) == "not_found"
    with app.app_context():
        db.session.get(Service, 3).active = False
        db.session.commit()
        db.session.remove()
    r = client.get("/api/v1/staff?service_id=3")
    assert r.status_code == 404 and error_code(r) == "not_found"


def test_staff_with_a_malformed_service_id_is_422(client):
    for bad in ("abc", "0", "-1", "1.5", "99999999999"):
        r = client.get(f"/api/v1/staff?service_id={bad}")
        assert r.status_code == 422, bad
        body = r.get_json()["error"]
        assert body["code"] == "validation_error" and "service_id" in body["fields"]


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_checks_every_backing_store(app, client):
    r = client.get("/readyz")
    assert r.status_code == 200
    expected = {"database": "ok"}
    if app.config["REDIS_URL"]:
        expected["redis"] = "ok"
    assert r.get_json() == {"status": "ok", "checks": expected}


def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "AppointEase" and doc["info"]["version"]
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert {path: sorted(ops) for path, ops in doc["paths"].items()} == {
        "/services": ["get"],
        "/staff": ["get"],
        "/availability": ["get"],
        "/slots/select": ["post"],
        "/slots/lock": ["post"],
        "/slots/release": ["post"],
        "/heartbeat": ["post"],
        "/appointments": ["post"],
    }
    schemas = doc["components"]["schemas"]
    for name in ("ServiceOut", "StaffOut", "AvailabilityOut", "SlotIn", "ReleaseIn", "HoldOut",
                 "HeartbeatIn", "HeartbeatOut", "AppointmentIn", "AppointmentOut", "ErrorOut"):
        assert schemas[name]["type"] == "object", name
    booking = schemas["AppointmentIn"]
    assert set(booking["required"]) == {"service_id", "employee_id", "date", "time", "name", "email"}
    assert booking["properties"]["name"]["maxLength"] == 200
    assert booking["properties"]["email"]["format"] == "email"
    assert booking["additionalProperties"] is False
    post = doc["paths"]["/appointments"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AppointmentIn"}
    assert {"201", "409", "422"} <= set(post["responses"])
    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in post["parameters"])
    query = {p["name"] for p in doc["paths"]["/availability"]["get"]["parameters"] if p["in"] == "query"}
    assert query == {"date", "employee_id", "service_id", "client_id"}
    # Every reference points at a schema that exists.
    refs = []

    def walk(node):
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs
    assert all(ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas for ref in refs)
