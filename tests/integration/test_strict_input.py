"""Strict input (issue 11, SPEC §4/§5.4): only ASCII ``YYYY-MM-DD`` dates and ``HH:MM``
times, ASCII-digit ids in query strings, no control or invisible characters in free text,
well-formed ``Idempotency-Key`` headers. Each case is a 422 ``validation_error`` naming
the field, never a quiet reinterpretation (``"20261202"`` as a date, ``"１"`` as id 1).
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from appointease.extensions import db
from appointease.models import Appointment

CLIENT = "client-strict-01"


def assert_field_error(response, field: str) -> dict:
    """Assert a 422 ``validation_error`` in SPEC §4's shape naming exactly ``field``."""
    assert response.status_code == 422, (response.status_code, response.get_data(as_text=True)[:300])
    err = response.get_json()["error"]
    assert err["code"] == "validation_error" and err["message"], err
    assert list(err["fields"]) == [field], err
    return err


@pytest.fixture
def bodies(workday):
    """A valid body for every POST endpoint of the widget."""
    day = workday.isoformat()
    slot = {"date": day, "time": "10:00", "employee_id": 1, "service_id": 1, "client_id": CLIENT}
    return {
        "/api/v1/slots/select": slot,
        "/api/v1/slots/lock": slot,
        "/api/v1/slots/release": {"date": day, "time": "10:00", "employee_id": 1, "client_id": CLIENT},
        "/api/v1/heartbeat": {"date": day, "employee_id": 1, "client_id": CLIENT},
        "/api/v1/appointments": {
            "service_id": 1,
            "employee_id": 1,
            "date": day,
            "time": "10:00",
            "name": "Ann Example",
            "email": "ann@example.com",
        },
    }


def booked(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Appointment))
        db.session.remove()
    return n


def loose_dates(day: str) -> list[str]:
    """Spellings ``date.fromisoformat`` (or a Unicode ``\\d``) would read, but SPEC's
    ``YYYY-MM-DD`` does not allow."""
    year, month, dom = day.split("-")
    full_width = day.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return [
        year + month + dom,  # basic format 20261202
        "2026-W49-3",
        "2026W493",  # ISO week dates
        "2026-336",  # ordinal date
        full_width,  # ２０２６-１２-０２
        day.replace("1", "١"),  # Arabic-Indic digit
        day + "\n",
        " " + day,
        day + "T00:00",
        "+" + day,
    ]


def test_dates_are_ascii_yyyy_mm_dd_only(client, bodies, workday, subtests):
    for value in loose_dates(workday.isoformat()):
        for url, valid in bodies.items():
            with subtests.test(url=url, value=value):
                assert_field_error(client.post(url, json={**valid, "date": value}), "date")
        with subtests.test(url="/api/v1/availability", value=value):
            r = client.get(f"/api/v1/availability?date={quote(value)}&employee_id=1&service_id=1")
            assert_field_error(r, "date")
        with subtests.test(url="/api/v1/availability/days", value=value):
            r = client.get(f"/api/v1/availability/days?from={quote(value)}&to={workday.isoformat()}&service_id=1")
            assert_field_error(r, "from")
    with subtests.test("the plain form still works"):
        assert client.post("/api/v1/heartbeat", json=bodies["/api/v1/heartbeat"]).status_code == 200


def test_times_are_ascii_hh_mm_only(client, bodies, subtests):
    """Full-width or other digits are a validation error, not ``outside_hours``."""
    for value in ["１０:００", "１0:00", "10:0０", "٠٩:٣٠", "10:00\n", "10:00 ", "10∶00"]:
        for url, valid in bodies.items():
            field = "selected_time" if url.endswith("/heartbeat") else "time"
            with subtests.test(url=url, value=value):
                assert_field_error(client.post(url, json={**valid, field: value}), field)


def test_query_ids_are_ascii_digits_only(client, workday, subtests):
    day = workday.isoformat()
    urls = {
        "employee_id": "/api/v1/availability?date={day}&employee_id={v}&service_id=1",
        "service_id": "/api/v1/availability/days?from={day}&to={day}&service_id={v}",
    }
    for value in ["１", "+1", " 1", "1 ", "\t1", "٣", "1_0", "0x1", "1e0", "-1", "1.0", "0"]:
        for field, template in urls.items():
            with subtests.test(field=field, value=value):
                assert_field_error(client.get(template.format(day=day, v=quote(value))), field)
        with subtests.test(url="/api/v1/staff", value=value):
            assert_field_error(client.get(f"/api/v1/staff?service_id={quote(value)}"), "service_id")
    with subtests.test("plain digits still work"):
        assert client.get("/api/v1/staff?service_id=1").status_code == 200
        assert client.get(urls["employee_id"].format(day=day, v="1")).status_code == 200


#: Free text that must be refused: control (Cc), format (Cf) and line/paragraph separators.
REFUSED_TEXT = {
    "ESC": "Ada\x1b[31m Lovelace",
    "CR/LF header injection": "Ada\r\nBcc: x@y.com",
    "LF": "Ada\nLovelace",
    "BEL": "Ada\x07",
    "DEL": "Ada\x7f",
    "NEL (C1)": "Ada\x85Lovelace",
    "RLO bidi override": "Ada \u202egnp.exe",
    "LRI bidi isolate": "Ada \u2066x",
    "zero-width space only": "\u200b\u200b",
    "zero-width joiner only": "\u200d",
    "byte order mark": "\ufeffAda",
    "soft hyphen": "Ada\u00adLovelace",
    "line separator": "Ada\u2028Lovelace",
    "joiner at the start": "\u200cAda",
    "spaces only": "   ",
}


def test_free_text_refuses_control_and_invisible_characters(app, client, bodies, subtests):
    booking = bodies["/api/v1/appointments"]
    for field in ("name", "phone", "notes"):
        for case, value in REFUSED_TEXT.items():
            if field == "notes" and case == "LF":
                continue  # notes are multi-line (the widget's textarea): LF and TAB allowed
            with subtests.test(field=field, case=case):
                assert_field_error(client.post("/api/v1/appointments", json={**booking, field: value}), field)
    for case in ("ESC", "RLO bidi override", "zero-width space only"):
        with subtests.test(field="known_version", case=case):
            body = {**bodies["/api/v1/heartbeat"], "known_version": REFUSED_TEXT[case]}
            assert_field_error(client.post("/api/v1/heartbeat", json=body), "known_version")
    assert booked(app) == 0


def test_free_text_keeps_real_names_and_multiline_notes(client, bodies, subtests):
    booking = bodies["/api/v1/appointments"]
    accepted = [
        ("name", "Zoë O'Brien-Łukasz"),
        ("name", "محمد\u200cرضا"),  # ZWNJ between letters (Persian compound name)
        ("name", "Ana 👩\u200d💻"),  # ZWJ inside an emoji sequence
        ("name", "山田 太郎"),
        ("phone", "+44 20 7946 0000"),
        ("notes", "Second floor.\nRing twice.\tThanks"),
    ]
    for i, (field, value) in enumerate(accepted):
        with subtests.test(field=field, value=value):
            body = {**booking, "time": f"{10 + i}:00", field: value}
            r = client.post("/api/v1/appointments", json=body)
            assert r.status_code == 201, r.get_json()
            if field == "name":
                assert r.get_json()["name"] == value


def test_client_id_must_match_whole_value(client, bodies, subtests):
    """``$`` in a Python regex also matches before a final newline: the id must match whole."""
    for value in [CLIENT + "\n", "ｃｌｉｅｎｔ-ｉｄ-１", "client-id-ü1"]:
        for url, valid in bodies.items():
            if "client_id" not in valid:
                continue
            with subtests.test(url=url, value=value):
                assert_field_error(client.post(url, json={**valid, "client_id": value}), "client_id")


def test_idempotency_key_is_one_to_255_visible_ascii_or_an_sf_string(app, client, bodies, subtests):
    booking = bodies["/api/v1/appointments"]
    for header in ("Idempotency-Key", "X-Idempotency-Key"):
        refused = [
            "",
            '""',
            '"',
            '"unterminated',
            '"a"b"',
            '"bad \\x escape"',
            "two words",
            "ключ".encode().decode("latin-1"),
            "k" * 256,
            '"' + "k" * 256 + '"',
            "\x7f",
        ]
        for value in refused:
            with subtests.test(header=header, value=value[:20]):
                r = client.post("/api/v1/appointments", json=booking, headers={header: value})
                assert_field_error(r, "Idempotency-Key")
    assert booked(app) == 0

    with subtests.test("sf-string and bare forms name the same key"):
        first = client.post("/api/v1/appointments", json=booking, headers={"Idempotency-Key": '"q-1"'})
        assert first.status_code == 201, first.get_json()
        again = client.post("/api/v1/appointments", json=booking, headers={"Idempotency-Key": "q-1"})
        assert again.status_code == 201 and again.get_json() == first.get_json()
        assert booked(app) == 1
    with subtests.test("escapes inside an sf-string"):
        body = {**booking, "time": "11:00"}
        first = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": r'"a\"b\\c"'})
        assert first.status_code == 201, first.get_json()
        again = client.post("/api/v1/appointments", json=body, headers={"Idempotency-Key": 'a"b\\c'})
        assert again.get_json() == first.get_json() and booked(app) == 2
    with subtests.test("255 visible characters are fine"):
        r = client.post(
            "/api/v1/appointments", json={**booking, "time": "12:00"}, headers={"Idempotency-Key": "~" * 255}
        )
        assert r.status_code == 201


def test_json_body_text_is_checked_after_decoding(client, bodies):
    """A control character sent as a JSON escape (``\\u001b``) is refused all the same."""
    raw = json.dumps({**bodies["/api/v1/appointments"], "name": "Ada\x1bLovelace"})
    assert "\\u001b" in raw
    r = client.post("/api/v1/appointments", data=raw, content_type="application/json")
    assert_field_error(r, "name")


def test_the_document_states_the_strict_rules(client):
    """Generated clients and the fuzzer see the same rules the schemas enforce."""
    import re

    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    date = schemas["SlotIn"]["properties"]["date"]
    assert date["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" and "1900-01-01" in date["description"]
    assert schemas["SlotIn"]["properties"]["time"]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
    assert schemas["HeartbeatIn"]["oneOf"] == [{"required": ["employee_id"]}, {"required": ["employee_ids"]}]
    post = doc["paths"]["/api/v1/appointments"]["post"]
    key = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")["schema"]
    pattern = re.compile(key["pattern"])
    assert pattern.fullmatch("q-1") and pattern.fullmatch('"q-1"') and pattern.fullmatch(r'"a\"b"')
    assert not pattern.fullmatch("") and not pattern.fullmatch('""') and not pattern.fullmatch("two words")
    assert not pattern.fullmatch("k" * 256) and pattern.fullmatch("k" * 255)
