"""Bad input never reaches a 500 (SPEC §5.4): every malformed request gets a 4xx with
``{"error": {"code", "message"[, "fields"]}}`` — no HTML, no stack trace.

Each test runs a table of cases as subtests against one app, so a failure names the case.
"""

from __future__ import annotations

import json

import pytest

from appointease.models import Appointment

from support.helpers import CLIENT_A as CLIENT
from support.helpers import Widget, assert_error, count_rows


@pytest.fixture
def bodies(client, workday):
    """A valid body for every POST endpoint of the widget."""
    w = Widget(client, workday, client_id=CLIENT)
    return {
        "/api/v1/slots/select": w.slot("10:00"),
        "/api/v1/slots/lock": w.slot("10:00"),
        "/api/v1/slots/release": {"date": w.day, "time": "10:00", "employee_id": 1, "client_id": CLIENT},
        "/api/v1/heartbeat": {"date": w.day, "employee_id": 1, "client_id": CLIENT},
        "/api/v1/appointments": w.booking("10:00"),
    }


def no_appointments(app) -> bool:
    return count_rows(app, Appointment) == 0


def test_bodies_that_are_not_a_json_object_are_400(client, bodies, subtests):
    raw = {
        "malformed": b'{"date": "2026-11-23",',
        "trailing garbage": b'{"date": "2026-11-23"} x',
        "array": b'[{"date": "2026-11-23"}]',
        "string": b'"hello"',
        "number": b"42",
        "null": b"null",
        "empty": b"",
        "not utf-8": b'{"name": "\xff\xfe"}',
        "deeply nested": b"[" * 20000 + b"]" * 20000,
        "deeply nested object": b'{"a":' * 10000 + b"1" + b"}" * 10000,
        "single quotes": b"{'date': '2026-11-23'}",
    }
    for url in bodies:
        for name, data in raw.items():
            with subtests.test(url=url, body=name):
                assert_error(client.post(url, data=data, content_type="application/json"), 400, "invalid_json")
    with subtests.test("form-encoded body"):
        r = client.post("/api/v1/slots/select", data={"date": "2026-11-23"})
        assert_error(r, 400, "invalid_json")


def test_json_is_read_whatever_the_content_type(client, bodies):
    """The widget may send ``text/plain`` to skip a CORS preflight (SPEC §1 CMS hosts)."""
    r = client.post("/api/v1/heartbeat", data=json.dumps(bodies["/api/v1/heartbeat"]), content_type="text/plain")
    assert r.status_code == 200 and "booked" in r.get_json()


WRONG_TYPES = [
    ("employee_id", "1"),
    ("employee_id", True),
    ("employee_id", 1.5),
    ("employee_id", None),
    ("employee_id", [1]),
    ("employee_id", 0),
    ("employee_id", -3),
    ("employee_id", 2**31),
    ("employee_id", {"id": 1}),
    ("service_id", "one"),
    ("service_id", False),
    ("date", 20261123),
    ("date", None),
    ("date", ["2026-11-23"]),
    ("time", 1000),
    ("time", None),
    ("time", {"h": 10}),
    ("client_id", 12345678),
    ("client_id", "short"),
    ("client_id", "has spaces in it"),
    ("client_id", "x" * 65),
    ("client_id", "client/../../etc"),
]


def test_ill_typed_fields_are_422_naming_the_field(app, client, bodies, subtests):
    for url, valid in bodies.items():
        for field, value in WRONG_TYPES:
            if field not in valid:
                continue
            with subtests.test(url=url, field=field, value=value):
                err = assert_error(client.post(url, json={**valid, field: value}), 422, "validation_error")
                assert list(err["fields"]) == [field]
    booking = bodies["/api/v1/appointments"]
    for field, value in [("name", 42), ("name", ["Ann"]), ("email", 7), ("phone", 123), ("notes", {"a": 1})]:
        with subtests.test(url="/api/v1/appointments", field=field, value=value):
            err = assert_error(
                client.post("/api/v1/appointments", json={**booking, field: value}), 422, "validation_error"
            )
            assert list(err["fields"]) == [field]
    heartbeat = bodies["/api/v1/heartbeat"]
    for field, value in [("service_id", "1"), ("selected_time", 10), ("known_version", 5), ("known_version", "v" * 65)]:
        with subtests.test(url="/api/v1/heartbeat", field=field, value=value):
            err = assert_error(
                client.post("/api/v1/heartbeat", json={**heartbeat, field: value}), 422, "validation_error"
            )
            assert list(err["fields"]) == [field]
    assert no_appointments(app)


def test_missing_and_unknown_fields_are_422(client, bodies, subtests):
    for url, valid in bodies.items():
        with subtests.test(url=url, case="unknown field"):
            err = assert_error(client.post(url, json={**valid, "colour": "red"}), 422, "validation_error")
            assert list(err["fields"]) == ["colour"]
        with subtests.test(url=url, case="empty object"):
            err = assert_error(client.post(url, json={}), 422, "validation_error")
            assert set(err["fields"]) >= {"date", "employee_id"}
        for field in valid:
            with subtests.test(url=url, case="missing", field=field):
                body = {k: v for k, v in valid.items() if k != field}
                err = assert_error(client.post(url, json=body), 422, "validation_error")
                assert list(err["fields"]) == [field]


def test_impossible_dates_are_422(client, bodies, subtests):
    for value in [
        "2026-02-30",
        "2026-13-01",
        "2026-00-10",
        "2026-11-31",
        "23/11/2026",
        "2026-11-23T10:00:00",
        "tomorrow",
        "",
        "0001-01-01",
        "9999-12-31",
    ]:
        for url, valid in bodies.items():
            with subtests.test(url=url, value=value):
                err = assert_error(client.post(url, json={**valid, "date": value}), 422, "validation_error")
                assert list(err["fields"]) == ["date"]
        with subtests.test(url="/api/v1/availability", value=value):
            r = client.get(f"/api/v1/availability?date={value}&employee_id=1&service_id=1")
            assert list(assert_error(r, 422, "validation_error")["fields"]) == ["date"]


def test_bad_times_are_422(client, bodies, subtests):
    for value in ["25:00", "24:00", "9:00", "09:60", "10:00:00", "10.00", "1000", " 10:00", "", "ab:cd", "-1:00"]:
        for url, valid in bodies.items():
            field = "selected_time" if url.endswith("/heartbeat") else "time"
            with subtests.test(url=url, value=value):
                err = assert_error(client.post(url, json={**valid, field: value}), 422, "validation_error")
                assert list(err["fields"]) == [field]


def test_oversize_and_unstorable_strings_are_422(app, client, bodies, subtests):
    booking = bodies["/api/v1/appointments"]
    cases = [
        ("name", "N" * 10_000),
        ("name", "N" * 201),
        ("email", "a" * 250 + "@example.com"),
        ("phone", "1" * 41),
        ("notes", "n" * 2001),
        # NUL and unpaired surrogates cannot be stored (PostgreSQL refuses NUL, UTF-8 surrogates).
        ("name", "Ann\u0000Example"),
        ("notes", "bad \u0000 byte"),
        ("phone", "\u0000"),
        ("name", "\ud800"),
        ("notes", "half an emoji \udfff"),
    ]
    for field, value in cases:
        with subtests.test(field=field, value=value[:20]):
            r = client.post(
                "/api/v1/appointments", data=json.dumps({**booking, field: value}), content_type="application/json"
            )
            assert list(assert_error(r, 422, "validation_error")["fields"]) == [field]
    for value in ["k" * 256, "key\u0000nul", "tab\tkey"]:
        with subtests.test(header="Idempotency-Key", value=value[:20]):
            r = client.post("/api/v1/appointments", json=booking, headers={"Idempotency-Key": value})
            assert list(assert_error(r, 422, "validation_error")["fields"]) == ["Idempotency-Key"]
    with subtests.test("heartbeat known_version with NUL"):
        r = client.post("/api/v1/heartbeat", json={**bodies["/api/v1/heartbeat"], "known_version": "v\u0000"})
        assert list(assert_error(r, 422, "validation_error")["fields"]) == ["known_version"]
    assert no_appointments(app)
    with subtests.test("unicode that can be stored is fine"):
        r = client.post("/api/v1/appointments", json={**booking, "name": "Zoë Ünïcødé 😀", "notes": "日本語"})
        assert r.status_code == 201 and r.get_json()["name"] == "Zoë Ünïcødé 😀"


def test_huge_body_is_413(client, bodies, subtests):
    for url, valid in bodies.items():
        with subtests.test(url=url):
            data = json.dumps({**valid, "padding": "x" * (65 * 1024)})
            assert_error(client.post(url, data=data, content_type="application/json"), 413)
    with subtests.test("huge body that is not JSON"):
        assert_error(client.post("/api/v1/heartbeat", data=b"x" * (200 * 1024), content_type="text/plain"), 413)


def test_unknown_routes_are_404(client, subtests):
    for method, url in [
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/slots/grab"),
        ("get", "/api/v2/services"),
        ("get", "/nope"),
        ("get", "/api/v1/services/1/../../etc/passwd"),
        ("delete", "/api/v1/x"),
    ]:
        with subtests.test(method=method, url=url):
            assert_error(getattr(client, method)(url), 404, "not_found")


def test_wrong_methods_are_405(client, subtests):
    for method, url in [
        ("get", "/api/v1/slots/select"),
        ("get", "/api/v1/slots/lock"),
        ("put", "/api/v1/slots/release"),
        ("get", "/api/v1/heartbeat"),
        ("get", "/api/v1/appointments"),
        ("delete", "/api/v1/services"),
        ("post", "/api/v1/services"),
        ("patch", "/api/v1/staff"),
        ("post", "/api/v1/availability"),
        ("post", "/healthz"),
    ]:
        with subtests.test(method=method, url=url):
            response = getattr(client, method)(url)
            assert_error(response, 405, "method_not_allowed")
            assert method.upper() not in response.headers["Allow"] and response.headers["Allow"]


def test_bad_query_strings_are_422(client, subtests):
    for url in [
        "/api/v1/availability",
        "/api/v1/availability?date=2026-11-23",
        "/api/v1/availability?date=2026-11-23&employee_id=1&service_id=1.0",
        "/api/v1/availability?date=2026-11-23&employee_id=1&service_id=1" + "0" * 5000,
        "/api/v1/availability?date=2026-11-23&employee_id=%00&service_id=1",
        "/api/v1/availability?date=2026-11-23%00&employee_id=1&service_id=1",
        "/api/v1/availability?date=2026-11-23&employee_id=1&service_id=1&client_id=%F0%9F%98%80%F0%9F%98%80",
        "/api/v1/staff?service_id=",
        "/api/v1/staff?service_id=1&x=2",
    ]:
        with subtests.test(url=url[:90]):
            assert_error(client.get(url), 422, "validation_error")
