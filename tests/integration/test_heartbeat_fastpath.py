"""The heartbeat's msgspec fast path (issue 18) agrees with the marshmallow schema it mirrors.

Each valid body decodes to the same arguments both ways and gets the same answer; each
invalid one is left to marshmallow (the fast path gives ``None``) and gets the same 4xx
bytes as with the fast path switched off.
"""

from __future__ import annotations

import json

import pytest
from flask import jsonify

from appointease.api import fast_json
from appointease.schemas import HeartbeatIn

from support.admin_kit import ALEX, HAIRCUT, JORDAN

URL = "/api/v1/heartbeat"
CLIENT = "fastpath-client-01"


def valid_bodies(day: str) -> list[dict]:
    """Bodies ``HeartbeatIn`` accepts, covering every optional field and null."""
    base = {"date": day, "client_id": CLIENT}
    return [
        {**base, "employee_id": ALEX},
        {**base, "employee_id": ALEX, "service_id": HAIRCUT},
        {**base, "employee_ids": [ALEX, JORDAN], "service_id": HAIRCUT},
        {**base, "employee_id": ALEX, "service_id": None, "selected_time": None, "known_version": None},
        {**base, "employee_id": ALEX, "service_id": HAIRCUT, "selected_time": "10:00", "known_version": "abc"},
        {**base, "employee_id": ALEX, "known_version": ""},
    ]


def invalid_bodies(day: str) -> list[bytes]:
    """Bodies ``HeartbeatIn`` refuses (or that are no JSON object at all)."""
    base = {"date": day, "client_id": CLIENT, "employee_id": ALEX}
    dicts = [
        {**base, "employee_id": "1"},
        {**base, "employee_id": True},
        {**base, "employee_id": 1.0},
        {**base, "employee_id": 0},
        {**base, "employee_id": 2**31},
        {"date": day, "client_id": CLIENT},
        {"client_id": CLIENT, "employee_id": ALEX},
        {"date": day, "employee_id": ALEX},
        {**base, "employee_ids": [ALEX]},
        {**base, "employee_id": None},
        {"date": day, "client_id": CLIENT, "employee_ids": []},
        {"date": day, "client_id": CLIENT, "employee_ids": list(range(1, 22))},
        {**base, "extra": 1},
        {**base, "client_id": "x" * 65},
        {**base, "client_id": "short"},
        {**base, "client_id": CLIENT + "\n"},
        {**base, "date": "2026-02-30"},
        {**base, "date": "20261202"},
        {**base, "date": "0001-01-01"},
        {**base, "date": "9999-12-31"},
        {**base, "selected_time": "24:00"},
        {**base, "selected_time": "9:00"},
        {**base, "selected_time": "10:00\n"},
        {**base, "known_version": "x" * 65},
        {**base, "known_version": "   "},
        {**base, "known_version": "a\u202eb"},
        {**base, "known_version": "a\x00b"},
    ]
    return [json.dumps(d).encode() for d in dicts] + [b"", b"not json", b"[]", b"null", b"{", b'"text"']


@pytest.fixture
def post(client):
    """POST a raw body to the heartbeat, with the fast path on or off."""

    def send(body: bytes, monkeypatch, *, fast: bool, content_type: str = "application/json"):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(fast_json, "heartbeat_args", lambda body: None)
            return client.post(URL, data=body, content_type=content_type)

    return send


def test_valid_bodies_decode_alike(workday):
    for body in valid_bodies(workday.isoformat()):
        assert fast_json.heartbeat_args(json.dumps(body).encode()) == HeartbeatIn().load(body), body


def test_valid_bodies_answer_alike(post, workday, monkeypatch):
    for body in valid_bodies(workday.isoformat()):
        raw = json.dumps(body).encode()
        fast, slow = post(raw, monkeypatch, fast=True), post(raw, monkeypatch, fast=False)
        assert fast.status_code == slow.status_code == 200, (body, fast.data, slow.data)
        assert fast.headers["ETag"] == slow.headers["ETag"]
        assert {**fast.get_json(), "server_time": None} == {**slow.get_json(), "server_time": None}


def test_invalid_bodies_left_to_marshmallow(post, workday, monkeypatch):
    for raw in invalid_bodies(workday.isoformat()):
        assert fast_json.heartbeat_args(raw) is None, raw
        fast, slow = post(raw, monkeypatch, fast=True), post(raw, monkeypatch, fast=False)
        assert 400 <= fast.status_code < 500 and fast.status_code == slow.status_code, (raw, fast.data)
        assert fast.data == slow.data and "error" in fast.get_json(), raw


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/ld+json"])
def test_other_content_types_take_the_marshmallow_path(post, workday, monkeypatch, content_type):
    raw = json.dumps(valid_bodies(workday.isoformat())[0]).encode()
    calls = []
    monkeypatch.setattr(fast_json, "heartbeat_args", lambda body: calls.append(body))
    answer = post(raw, monkeypatch, fast=True, content_type=content_type)
    assert calls == [], "only application/json takes the fast path"
    monkeypatch.undo()
    slow = post(raw, monkeypatch, fast=False, content_type=content_type)
    assert answer.status_code == slow.status_code
    if answer.status_code >= 400:
        assert answer.data == slow.data
    else:
        assert {**answer.get_json(), "server_time": None} == {**slow.get_json(), "server_time": None}


def test_conditional_polls_on_the_fast_path(client, workday, monkeypatch):
    body = {"date": workday.isoformat(), "client_id": CLIENT, "employee_id": ALEX, "service_id": HAIRCUT}
    calls = []
    decode = fast_json.heartbeat_args
    monkeypatch.setattr(fast_json, "heartbeat_args", lambda raw: calls.append(raw) or decode(raw))
    first = client.post(URL, json=body)
    version = first.get_json()["version"]
    short = client.post(URL, json={**body, "known_version": version}).get_json()
    assert short == {k: short[k] for k in ("changed", "version", "interval_seconds", "server_time")}
    assert short["changed"] is False
    assert client.post(URL, json=body, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert len(calls) == 3


def test_fast_dump_writes_what_jsonify_writes(app, client, workday):
    """``json_response`` gives ``flask.jsonify``'s bytes for the real answers, short and full,
    and for non-ASCII text (then Flask's own provider writes it)."""
    body = {"date": workday.isoformat(), "client_id": CLIENT, "employee_ids": [ALEX, JORDAN], "service_id": HAIRCUT}
    full = client.post(URL, json=body).get_json()
    short = client.post(URL, json={**body, "known_version": full["version"]}).get_json()
    assert short["changed"] is False
    with app.test_request_context():
        for data in (full, short, {"mine": None, "name": "Zoë ☃", "n": [1, 2.5, True]}):
            fast = fast_json.json_response(data, {"ETag": '"v"'})
            slow = jsonify(data)
            assert fast.get_data() == slow.get_data() and fast.mimetype == slow.mimetype
            assert fast.status_code == 200 and fast.headers["ETag"] == '"v"'
