"""Helpers and fixtures for the staff and admin tests (SPEC §4 "Staff and admin").

``tests/conftest.py`` registers the fixtures ``admin``, ``staff`` and ``anonymous``
(``pytest_plugins``); test modules import the helpers by name. Demo data: services 1 Haircut 30 min,
2 Colour 45, 3 Massage 60; staff 1 Alex (1, 2), 2 Sam (1, 3; lunch 12:30–13:30),
3 Jordan (1, 2, 3); Mon–Fri 09–17 UTC.
"""

from __future__ import annotations

import uuid

import pytest

HAIRCUT, COLOUR, MASSAGE = 1, 2, 3
ALEX, SAM, JORDAN = 1, 2, 3


def make_token(app, role: str, employee_id: int | None = None, name: str | None = None) -> str:
    """Create an API token in the app's database and return the secret."""
    from appointease.auth.api_tokens import create_token
    from appointease.extensions import db

    with app.app_context():
        info = create_token(db.session(), role, employee_id, name)
        db.session.remove()
    return info.token


class Caller:
    """A test client that sends ``Authorization: Bearer <token>`` (or nothing when None)."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, headers: dict | None) -> dict:
        out = dict(headers or {})
        if self.token is not None:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, path: str, **kw):
        return self.client.get("/api/v1/admin" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json=None, **kw):
        return self.client.post("/api/v1/admin" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path: str, json=None, **kw):
        return self.client.put("/api/v1/admin" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path: str, json=None, **kw):
        return self.client.patch(
            "/api/v1/admin" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw):
        return self.client.delete("/api/v1/admin" + path, headers=self._headers(kw.pop("headers", None)), **kw)


def error(response, status: int, code: str) -> dict:
    """Assert a SPEC §4 error answer and return its ``error`` object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]


def ok(response, status: int = 200):
    """Assert a success status and return the JSON body (None for 204)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return None if status == 204 else response.get_json()


def book(
    client,
    day: str,
    time: str = "10:00",
    employee_id: int = ALEX,
    service_id: int = HAIRCUT,
    email: str = "ann@example.com",
    **extra,
) -> dict:
    """Book through the public API and return the appointment."""
    body = {
        "service_id": service_id,
        "employee_id": employee_id,
        "date": day,
        "time": time,
        "name": "Ann Example",
        "email": email,
        **extra,
    }
    r = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    return ok(r, 201)


@pytest.fixture
def admin(app, client) -> Caller:
    """A caller with a fresh admin token."""
    return Caller(client, make_token(app, "admin", name="test admin"))


@pytest.fixture
def staff(app, client) -> Caller:
    """A caller with a staff token for Alex (employee 1)."""
    return Caller(client, make_token(app, "staff", ALEX, name="Alex's tablet"))


@pytest.fixture
def anonymous(client) -> Caller:
    """A caller without a token."""
    return Caller(client, None)
