"""API tokens and role guards (SPEC §4 "Staff and admin"): 401 / 403 on every admin route,
stored hashed, revocation, and the create/list/revoke commands."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from appointease.auth.api_tokens import ApiToken
from appointease.extensions import db

from support.admin_kit import ALEX, SAM, Caller, error, make_token, ok

#: Every admin route with a sample path: (method, path, admin_only).
ROUTES = [
    ("GET", "/services", True),
    ("POST", "/services", True),
    ("GET", "/services/1", True),
    ("PATCH", "/services/1", True),
    ("DELETE", "/services/1", True),
    ("GET", "/staff", True),
    ("POST", "/staff", True),
    ("GET", "/staff/1", True),
    ("PATCH", "/staff/1", True),
    ("DELETE", "/staff/1", True),
    ("GET", "/staff/1/hours", True),
    ("PUT", "/staff/1/hours", True),
    ("GET", "/staff/1/time-off", True),
    ("POST", "/staff/1/time-off", True),
    ("DELETE", "/staff/1/time-off/1", True),
    ("GET", "/tokens", True),
    ("POST", "/tokens", True),
    ("DELETE", "/tokens/1", True),
    ("GET", "/webhooks", True),
    ("POST", "/webhooks", True),
    ("DELETE", "/webhooks/1", True),
    ("GET", "/webhooks/1/deliveries", True),
    ("POST", "/webhooks/1/test", True),
    ("GET", "/appointments?date=2026-11-23", False),
    ("GET", "/appointments/APT-2026-000001", False),
    ("POST", "/appointments/APT-2026-000001/status", False),
    ("POST", "/appointments/APT-2026-000001/cancel", False),
    ("POST", "/appointments/APT-2026-000001/reschedule", False),
    ("GET", "/events", False),
    ("GET", "/holds?date=2026-11-23", False),
    ("GET", "/debug", False),
    ("GET", "/me", False),
]


def call(caller: Caller, method: str, path: str):
    return getattr(caller, method.lower())(path, **({"json": {}} if method in ("POST", "PUT", "PATCH") else {}))


def test_every_admin_route_is_covered_by_the_table(app):
    rules = {
        (m, r.rule.removeprefix("/api/v1/admin"))
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/admin")
        for m in r.methods - {"HEAD", "OPTIONS"}
    }

    def normalise(path):
        return re.sub(r"\d+", "<id>", path.split("?")[0]).replace("APT-<id>-<id>", "<reference>")

    table = {(m, normalise(p)) for m, p, _ in ROUTES}
    assert {(m, re.sub(r"<[^>]+:([a-z_]+)>", "<id>", p)) for m, p in rules} == table


@pytest.mark.parametrize("method,path,_", ROUTES)
def test_no_token_is_401_with_a_bearer_challenge(anonymous, method, path, _):
    r = call(anonymous, method, path)
    error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer aet_not-a-real-token", "Token abc", "Bearer " + "x" * 5000],
)
def test_malformed_or_unknown_tokens_are_401(client, header):
    r = client.get("/api/v1/admin/me", headers={"Authorization": header})
    error(r, 401, "unauthorized")


def test_scheme_is_case_insensitive(app, client):
    token = make_token(app, "admin")
    assert client.get("/api/v1/admin/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


@pytest.mark.parametrize("method,path,admin_only", ROUTES)
def test_staff_token_is_403_on_admin_only_routes(staff, method, path, admin_only):
    r = call(staff, method, path)
    if admin_only:
        error(r, 403, "forbidden")
    else:
        assert r.status_code not in (401, 403) or r.get_json()["error"]["code"] == "forbidden", r.get_json()


def test_revoked_token_is_401_at_once(app, admin, client):
    token = make_token(app, "staff", SAM)
    me = ok(client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}"}))
    assert me == {
        "token_id": me["token_id"],
        "role": "staff",
        "employee_id": SAM,
        "employee_name": "Sam Rivera",
        "name": None,
        "latest_seq": 0,
    }
    ok(admin.delete(f"/tokens/{me['token_id']}"))
    error(client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


def test_tokens_are_stored_as_sha256_only(app):
    token = make_token(app, "admin", name="audit")
    assert re.fullmatch(r"aet_[A-Za-z0-9_-]{43}", token)
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "audit"))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr([getattr(row, c.key) for c in ApiToken.__table__.columns])
        db.session.remove()


def test_tokens_over_http(admin, client):
    created = ok(admin.post("/tokens", json={"role": "staff", "employee_id": ALEX, "name": "front desk"}), 201)
    assert created["token"].startswith("aet_") and created["revoked_at"] is None
    listed = ok(admin.get("/tokens"))
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert {
        "id": created["id"],
        "role": "staff",
        "employee_id": ALEX,
        "name": "front desk",
        "created_at": created["created_at"],
        "revoked_at": None,
    } in listed
    staff_caller = Caller(client, created["token"])
    assert ok(staff_caller.get("/me"))["employee_name"] == "Alex Morgan"
    revoked = ok(admin.delete(f"/tokens/{created['id']}"))
    assert revoked["revoked_at"] is not None
    error(staff_caller.get("/me"), 401, "unauthorized")
    error(admin.delete("/tokens/999"), 404, "not_found")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"role": "staff"}, "employee_id"),
        ({"role": "admin", "employee_id": 1}, "employee_id"),
        ({"role": "owner"}, "role"),
        ({"role": "admin", "name": "x" * 201}, "name"),
        ({"role": "admin", "extra": 1}, "extra"),
    ],
)
def test_token_creation_is_validated(admin, body, field):
    assert field in error(admin.post("/tokens", json=body), 422, "validation_error")["fields"]


def test_staff_token_for_an_unknown_employee_is_404(admin):
    error(admin.post("/tokens", json={"role": "staff", "employee_id": 99}), 404, "not_found")


def test_cli_create_list_revoke(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-token", "--role", "admin", "--name", "ops laptop"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"aet_[A-Za-z0-9_-]{43}", token)
    me = ok(client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}"}))
    assert me["role"] == "admin" and me["name"] == "ops laptop"

    staff_run = runner.invoke(args=["create-token", "--role", "staff", "--employee-id", "2"])
    assert staff_run.exit_code == 0, staff_run.output
    listing = runner.invoke(args=["list-tokens"])
    assert listing.exit_code == 0 and "ops laptop" in listing.output and token not in listing.output
    assert re.search(rf"^\s*{me['token_id']}\s+admin\s+-", listing.output, re.MULTILINE)
    assert re.search(r"^\s*\d+\s+staff\s+2\s", listing.output, re.MULTILINE)

    revoke = runner.invoke(args=["revoke-token", str(me["token_id"])])
    assert revoke.exit_code == 0 and f"Token {me['token_id']} revoked." in revoke.output
    error(client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


@pytest.mark.parametrize(
    "args,message",
    [
        (["create-token", "--role", "staff"], "staff member"),
        (["create-token", "--role", "staff", "--employee-id", "99"], "Unknown staff member"),
        (["create-token", "--role", "admin", "--employee-id", "1"], "employee"),
        (["create-token", "--role", "root"], "root"),
        (["revoke-token", "42"], "Unknown token"),
    ],
)
def test_cli_errors_exit_non_zero_with_a_message(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output, result.output


def test_tokens_never_reach_the_log(app, client, caplog):
    token = make_token(app, "admin")
    with caplog.at_level("DEBUG"):
        client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/v1/admin/me", headers={"Authorization": f"Bearer {token}x"})
    assert token not in caplog.text
