"""Customer sign-in (SPEC §4 Customers, §8): ``/auth/otp``, ``/auth/verify``, ``/auth/logout``.

Codes travel the real path: the request queues them, the notification worker makes,
hashes and mails them (to the outbox folder), and the test reads them from the mail.
Time is moved by replacing the request clock (``appointease.api.common.utcnow``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from appointease.auth.models import CustomerSession
from appointease.auth.tokens import token_digest
from appointease.extensions import db
from appointease.models import utcnow
from appointease.notify.models import OneTimeCode
from appointease.notify_cli import run_once

from support.customer_kit import APPOINTMENT_FIELDS, code_from, error_code, latest_mail, mailed_code, sign_in

ANN = "ann@example.com"


@pytest.fixture(autouse=True)
def _outbox(app, tmp_path):
    app.config["APPOINTEASE_OUTBOX_DIR"] = str(tmp_path / "outbox")


def at(monkeypatch, instant):
    """Make every following request see ``instant`` as now."""
    monkeypatch.setattr("appointease.api.common.utcnow", lambda: instant)


def verify(client, code, email=ANN):
    return client.post("/api/v1/auth/verify", json={"email": email, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_otp_answers_202_for_any_address_and_mails_a_code(app, client):
    for address in (ANN, "nobody-ever-booked@example.org"):
        r = client.post("/api/v1/auth/otp", json={"email": address})
        assert r.status_code == 202 and r.data == b""
    assert run_once(app)["mail_sent"] == 2
    msg = latest_mail(app, ANN)
    assert len(code_from(msg)) == 6 and "sign-in code" in msg["Subject"]


def test_otp_refuses_bad_bodies_with_spec_errors(client):
    assert client.post("/api/v1/auth/otp", data="nope").status_code == 400
    for body in ({}, {"email": "not-an-email"}, {"email": ANN, "extra": 1}, {"email": 5}):
        r = client.post("/api/v1/auth/otp", json=body)
        assert r.status_code == 422 and error_code(r) == "validation_error", body


def test_verify_gives_a_token_that_works_and_the_code_is_used_up(app, client):
    code = mailed_code(app, client, ANN)
    r = verify(client, code, email="ANN@Example.COM")  # addresses match case-insensitively
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"token", "expires_at"} and len(body["token"]) >= 43
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/me/appointments", headers=headers).status_code == 200
    r = verify(client, code)
    assert r.status_code == 401 and error_code(r) == "unauthorized"


def test_the_token_lasts_session_days(app, client, monkeypatch):
    app.config["APPOINTEASE_SESSION_DAYS"] = 7
    now = utcnow()
    at(monkeypatch, now)
    headers = sign_in(app, client, ANN)
    with app.app_context():
        row = db.session.scalars(select(CustomerSession)).one()
        db.session.remove()
    assert row.expires_at == now + timedelta(days=7)
    at(monkeypatch, now + timedelta(days=7) - timedelta(seconds=1))
    assert client.get("/api/v1/me/appointments", headers=headers).status_code == 200
    at(monkeypatch, now + timedelta(days=7))
    r = client.get("/api/v1/me/appointments", headers=headers)
    assert r.status_code == 401 and error_code(r) == "unauthorized"


def test_tokens_are_stored_only_as_sha256(app, client):
    headers = sign_in(app, client, ANN)
    token = headers["Authorization"].removeprefix("Bearer ")
    with app.app_context():
        [row] = db.session.scalars(select(CustomerSession)).all()
        db.session.remove()
    assert row.token_hash == token_digest(token) and token not in repr(row.__dict__)
    assert row.email == ANN


def test_a_code_is_valid_for_ten_minutes(app, client, monkeypatch):
    code = mailed_code(app, client, ANN)
    with app.app_context():
        made = db.session.scalars(select(OneTimeCode)).one().expires_at - timedelta(minutes=10)
        db.session.remove()
    at(monkeypatch, made + timedelta(minutes=10, seconds=1))
    assert verify(client, code).status_code == 401
    monkeypatch.undo()
    code = mailed_code(app, client, ANN)
    with app.app_context():
        made = db.session.scalars(select(OneTimeCode)).one().expires_at - timedelta(minutes=10)
        db.session.remove()
    at(monkeypatch, made + timedelta(minutes=9, seconds=59))
    assert verify(client, code).status_code == 200


def test_five_wrong_tries_burn_the_code(app, client):
    code = mailed_code(app, client, ANN)
    for _ in range(5):
        r = verify(client, wrong(code))
        assert r.status_code == 401 and error_code(r) == "unauthorized"
    assert verify(client, code).status_code == 401  # burnt: the right code no longer works


def test_four_wrong_tries_leave_the_code_usable(app, client):
    code = mailed_code(app, client, ANN)
    for _ in range(4):
        assert verify(client, wrong(code)).status_code == 401
    assert verify(client, code[:3] + " " + code[3:]).status_code == 200  # spaces are ignored


def test_a_new_request_replaces_the_previous_code(app, client):
    first = mailed_code(app, client, ANN)
    second = mailed_code(app, client, ANN)
    if first == second:  # one chance in a million: draw again
        second = mailed_code(app, client, ANN)
    assert verify(client, first).status_code == 401
    assert verify(client, second).status_code == 200


def test_a_code_only_signs_in_its_own_address(app, client):
    code = mailed_code(app, client, ANN)
    assert verify(client, code, email="bob@example.com").status_code == 401
    assert verify(client, code).status_code == 200


def test_verify_refuses_bad_bodies(client):
    for body in (
        {"email": ANN},
        {"code": "123456"},
        {"email": "x", "code": "123456"},
        {"email": ANN, "code": 123456},
        {"email": ANN, "code": ""},
        {"email": ANN, "code": "1" * 40},
    ):
        r = client.post("/api/v1/auth/verify", json=body)
        assert r.status_code == 422 and error_code(r) == "validation_error", body


def test_logout_revokes_the_token(app, client):
    headers = sign_in(app, client, ANN)
    other = sign_in(app, client, ANN)  # a second device stays signed in
    r = client.post("/api/v1/auth/logout", headers=headers)
    assert r.status_code == 204 and r.data == b""
    for call in (
        client.get("/api/v1/me/appointments", headers=headers),
        client.post("/api/v1/auth/logout", headers=headers),
    ):
        assert call.status_code == 401 and error_code(call) == "unauthorized"
    assert client.get("/api/v1/me/appointments", headers=other).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Bearer " + "x" * 500, "Token abc"],
)
def test_customer_routes_need_a_valid_bearer_token(client, header):
    headers = {} if header is None else {"Authorization": header}
    for method, path in (
        ("get", "/api/v1/me/appointments"),
        ("get", "/api/v1/me/events"),
        ("get", "/api/v1/appointments/APT-2026-000001"),
        ("post", "/api/v1/appointments/APT-2026-000001/cancel"),
        ("post", "/api/v1/appointments/APT-2026-000001/reschedule"),
        ("post", "/api/v1/auth/logout"),
    ):
        r = getattr(client, method)(path, headers=headers)
        assert r.status_code == 401 and error_code(r) == "unauthorized", (method, path)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_bearer_scheme_is_case_insensitive(app, client):
    token = sign_in(app, client, ANN)["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/v1/me/appointments", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_codes_and_tokens_never_reach_the_log(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    code = mailed_code(app, client, ANN)
    token = verify(client, code).get_json()["token"]
    client.get("/api/v1/me/appointments", headers={"Authorization": f"Bearer {token}"})
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert caplog.records, "the worker logs its mail"
    assert code not in caplog.text and token not in caplog.text


def test_the_stored_code_is_not_the_code(app, client):
    code = mailed_code(app, client, ANN)
    with app.app_context():
        row = db.session.scalars(select(OneTimeCode)).one()
        db.session.remove()
    assert row.code_hash and code not in row.code_hash and row.tries == 0


def test_the_openapi_document_describes_the_customer_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
    for path, method in (
        ("/me/appointments", "get"),
        ("/me/events", "get"),
        ("/appointments/{reference}", "get"),
        ("/appointments/{reference}/cancel", "post"),
        ("/auth/logout", "post"),
    ):
        op = doc["paths"]["/api/v1" + path][method]
        assert op["security"] == [{"bearerToken": []}] and "401" in op["responses"], path
    assert "security" not in doc["paths"]["/api/v1/auth/otp"]["post"]
    full = doc["components"]["schemas"]["AppointmentFull"]
    assert set(full["properties"]) == set(APPOINTMENT_FIELDS)
    move = doc["paths"]["/api/v1/appointments/{reference}/reschedule"]["post"]
    assert {p["name"] for p in move["parameters"]} == {"Idempotency-Key", "X-Idempotency-Key"}
    assert {"200", "401", "404", "409", "422"} <= set(move["responses"])
