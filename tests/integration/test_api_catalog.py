"""The public catalogue (``/services``, ``/staff``) and the operations endpoints
(``/healthz``, ``/readyz``, ``/api/v1/openapi.json``), SPEC §4."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from appointease.extensions import db
from appointease.models import Employee, Service

from support.helpers import assert_error, make_employee, make_service


@pytest.fixture
def shop(bare_app):
    """A catalogue of the test's own; ids are not in name order, so sorting shows.

    Services: Haircut 30 min 25.00, Colour consultation 45 min 40.00, Massage 60 min
    65.00. Staff: Alex Morgan (Haircut, Colour), Sam Rivera (Haircut, Massage), Jordan
    Lee (all three).
    """
    with bare_app.app_context():
        session = db.session
        haircut = make_service(session, "Haircut", minutes=30, price="25.00")
        colour = make_service(session, "Colour consultation", minutes=45, price="40.00")
        massage = make_service(session, "Massage", minutes=60, price="65.00")
        alex = make_employee(session, [haircut, colour], name="Alex Morgan")
        sam = make_employee(session, [haircut, massage], name="Sam Rivera")
        jordan = make_employee(session, [haircut, colour, massage], name="Jordan Lee")
        shop = SimpleNamespace(
            app=bare_app,
            client=bare_app.test_client(),
            haircut=haircut.id,
            colour=colour.id,
            massage=massage.id,
            alex=alex.id,
            sam=sam.id,
            jordan=jordan.id,
        )
        session.commit()
        session.remove()
    return shop


def test_services_lists_active_services_with_string_prices(shop):
    with shop.app.app_context():
        make_service(db.session, "Retired treatment", minutes=20, price="9.50", active=False)
        db.session.commit()
        db.session.remove()
    r = shop.client.get("/api/v1/services")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == [
        {"id": shop.colour, "name": "Colour consultation", "duration_minutes": 45, "price": "40.00", "currency": "EUR"},
        {"id": shop.haircut, "name": "Haircut", "duration_minutes": 30, "price": "25.00", "currency": "EUR"},
        {"id": shop.massage, "name": "Massage", "duration_minutes": 60, "price": "65.00", "currency": "EUR"},
    ]


def test_services_carry_the_configured_currency(app, client):
    app.config["APPOINTEASE_CURRENCY"] = "GBP"
    assert {s["currency"] for s in client.get("/api/v1/services").get_json()} == {"GBP"}


def test_staff_lists_everyone_with_their_services(shop):
    r = shop.client.get("/api/v1/staff")
    assert r.status_code == 200
    assert r.get_json() == [
        {"id": shop.alex, "name": "Alex Morgan", "service_ids": sorted([shop.haircut, shop.colour])},
        {"id": shop.jordan, "name": "Jordan Lee", "service_ids": sorted([shop.haircut, shop.colour, shop.massage])},
        {"id": shop.sam, "name": "Sam Rivera", "service_ids": sorted([shop.haircut, shop.massage])},
    ]


def test_staff_filtered_by_service(shop):
    def staff(service_id):
        return [e["id"] for e in shop.client.get(f"/api/v1/staff?service_id={service_id}").get_json()]

    assert staff(shop.massage) == [shop.jordan, shop.sam]
    assert staff(shop.colour) == [shop.alex, shop.jordan]
    assert staff(shop.haircut) == [shop.alex, shop.jordan, shop.sam]


def test_staff_leaves_out_inactive_staff(shop):
    with shop.app.app_context():
        db.session.get(Employee, shop.sam).active = False
        db.session.commit()
        db.session.remove()
    assert [e["id"] for e in shop.client.get(f"/api/v1/staff?service_id={shop.massage}").get_json()] == [shop.jordan]


def test_staff_for_an_unknown_or_inactive_service_is_404(shop):
    assert_error(shop.client.get("/api/v1/staff?service_id=99"), 404, "not_found")
    with shop.app.app_context():
        db.session.get(Service, shop.massage).active = False
        db.session.commit()
        db.session.remove()
    assert_error(shop.client.get(f"/api/v1/staff?service_id={shop.massage}"), 404, "not_found")


def test_staff_with_a_malformed_service_id_is_422(client):
    for bad in ("abc", "0", "-1", "1.5", "99999999999"):
        err = assert_error(client.get(f"/api/v1/staff?service_id={bad}"), 422, "validation_error")
        assert "service_id" in err["fields"], bad


@pytest.mark.engine_independent
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


@pytest.mark.engine_independent
def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "AppointEase" and doc["info"]["version"]
    paths = {
        path.removeprefix("/api/v1"): sorted(ops)
        for path, ops in doc["paths"].items()
        if not path.startswith("/api/v1/admin")
    }  # the admin API has its own test (test_admin_openapi.py)
    assert paths == {
        "/services": ["get"],
        "/staff": ["get"],
        "/availability": ["get"],
        "/availability/days": ["get"],
        "/slots/select": ["post"],
        "/slots/lock": ["post"],
        "/slots/release": ["post"],
        "/heartbeat": ["post"],
        "/appointments": ["post"],
        "/auth/otp": ["post"],
        "/auth/verify": ["post"],
        "/auth/logout": ["post"],
        "/me/appointments": ["get"],
        "/me/events": ["get"],
        "/appointments/{reference}": ["get", "parameters"],
        "/appointments/{reference}/cancel": ["parameters", "post"],
        "/appointments/{reference}/reschedule": ["parameters", "post"],
    }
    doc["paths"] = {path.removeprefix("/api/v1"): item for path, item in doc["paths"].items()}
    schemas = doc["components"]["schemas"]
    for name in (
        "ServiceOut",
        "StaffOut",
        "AvailabilityOut",
        "SlotIn",
        "ReleaseIn",
        "HoldOut",
        "HeartbeatIn",
        "HeartbeatOut",
        "AppointmentIn",
        "AppointmentOut",
        "ErrorOut",
    ):
        assert schemas[name]["type"] == "object", name
    booking = schemas["AppointmentIn"]
    assert set(booking["required"]) == {"service_id", "employee_id", "date", "time", "name", "email"}
    assert booking["properties"]["name"]["maxLength"] == 200
    assert booking["properties"]["email"]["format"] == "email"
    assert booking["additionalProperties"] is False
    post = doc["paths"]["/appointments"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AppointmentIn"
    }
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
    components = doc["components"]
    for ref in refs:
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in components[kind], ref


@pytest.mark.engine_independent
def test_openapi_document_validates_and_is_complete(client):
    """The document is derived from the views, validates as OpenAPI 3, and documents
    what a generated client needs (issue 7 / the fuzzer's findings)."""
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    schemas = doc["components"]["schemas"]
    price = schemas["ServiceOut"]["properties"]["price"]
    assert price["type"] == "string" and price["pattern"]
    # [0-9], not \d: ASCII digits in every regex dialect (Python's \d also matches "٣").
    assert schemas["SlotIn"]["properties"]["date"]["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert schemas["SlotIn"]["properties"]["time"]["pattern"]
    assert schemas["HeartbeatIn"]["properties"]["selected_time"]["pattern"]
    service_ids = schemas["StaffOut"]["properties"]["service_ids"]
    assert (service_ids["type"], service_ids["items"]) == ("array", {"type": "integer"})
    assert set(schemas["AppointmentOut"]["required"]) >= {"reference", "status", "date", "time", "start", "end"}
    assert schemas["ErrorOut"]["required"] == ["error"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":  # path-level parameters (``{reference}``), not an operation
                continue
            assert {"405", "413", "500", "503"} <= set(op["responses"]), (path, method)
            if "requestBody" in op or op.get("parameters"):
                assert "422" in op["responses"], (path, method)
    post = doc["paths"]["/api/v1/appointments"]["post"]
    assert "Location" in post["responses"]["201"]["headers"]
    assert {p["name"] for p in post["parameters"] if p["in"] == "header"} == {"Idempotency-Key", "X-Idempotency-Key"}
    error = doc["components"]["responses"]["CONFLICT"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorOut"}


@pytest.mark.engine_independent
def test_api_reference_page_lists_every_operation_without_third_party_requests(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in doc["paths"]:
        assert f"<code>{path}</code>" in html
    assert "AppointmentIn" in html and "idempotency" in html.lower()
    assert "<script" not in html and "http://" not in html.replace("http://127.0.0.1", "") and "https://" not in html
