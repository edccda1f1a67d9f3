"""Helpers for the customer tests: book, sign in with the emailed code, call as a customer.

The code really goes through the notification worker: ``POST /auth/otp`` queues it,
``run_once`` (the worker's ``--once`` pass) makes it, stores its hash and writes the
message to the app's outbox folder (``APPOINTEASE_OUTBOX_DIR``, no ``SMTP_URL``); the
code is read back from that ``.eml`` file's text body.

Demo data: services 1 Haircut 30 min, 2 Colour 45, 3 Massage 60; staff 1 Alex (1, 2),
2 Sam (1, 3; lunch 12:30–13:30), 3 Jordan (1, 2, 3); Mon–Fri 09–17 in the business zone.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

HAIRCUT, COLOUR, MASSAGE = 1, 2, 3
ALEX, SAM, JORDAN = 1, 2, 3

#: The fields of an appointment as customers, staff and webhooks see it (``AppointmentFull``,
#: SPEC §4), in the order the API sends them. Written out here, not read from the schema, so
#: a change to the contract has to change a test too.
APPOINTMENT_FIELDS = [
    "reference",
    "status",
    "service_id",
    "service_name",
    "employee_id",
    "employee_name",
    "date",
    "time",
    "start",
    "end",
    "name",
    "email",
    "phone",
    "notes",
    "timezone",
    "business_timezone",
]


def outbox(app) -> Path:
    """The folder the app's worker writes ``.eml`` files to."""
    return Path(app.config["APPOINTEASE_OUTBOX_DIR"])


def code_from(msg) -> str:
    """The sign-in code: the only run of six digits in the message's text body (SPEC §4)."""
    runs = re.findall(r"\d+", msg.get_body(("plain",)).get_content())
    six = [r for r in runs if len(r) == 6]
    assert len(six) == 1, runs
    return six[0]


def latest_mail(app, to: str, subject: str = "sign-in code"):
    """The newest ``.eml`` in the outbox to ``to`` whose subject contains ``subject`` (parsed), or None.

    The worker also mails booking confirmations; by default only sign-in code mails count.
    """
    found = None
    for path in sorted(outbox(app).glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if msg["To"] == to and subject in msg["Subject"]:
            found = msg
    return found


def mailed_code(app, client, address: str) -> str:
    """Ask for a code for ``address`` over HTTP, run the worker once, return the mailed code."""
    from appointease.notify_cli import run_once

    r = client.post("/api/v1/auth/otp", json={"email": address})
    assert r.status_code == 202, r.get_json()
    run_once(app)
    msg = latest_mail(app, address.strip().lower())
    assert msg is not None, f"no code mailed to {address}"
    return code_from(msg)


def sign_in(app, client, address: str) -> dict:
    """Sign ``address`` in; return the ``Authorization`` header for its token."""
    code = mailed_code(app, client, address)
    r = client.post("/api/v1/auth/verify", json={"email": address, "code": code})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def book(
    client,
    day: date,
    time_: str,
    *,
    email_: str = "ann@example.com",
    employee_id: int = ALEX,
    service_id: int = HAIRCUT,
    name: str = "Ann Example",
    **extra,
) -> dict:
    """Book through ``POST /api/v1/appointments``; return the 201 body."""
    r = client.post(
        "/api/v1/appointments",
        json={
            "service_id": service_id,
            "employee_id": employee_id,
            "date": day.isoformat(),
            "time": time_,
            "name": name,
            "email": email_,
            **extra,
        },
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def heartbeat(client, day: date, employee_id: int, client_id: str = "observer-0001", **extra) -> dict:
    """A full heartbeat answer for ``employee_id`` on ``day``."""
    r = client.post(
        "/api/v1/heartbeat", json={"date": day.isoformat(), "employee_id": employee_id, "client_id": client_id, **extra}
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def db_appointments(app) -> list[dict]:
    """Every appointment row as ``{reference, employee_id, start_at, end_at, status, visitor_timezone}``."""
    from appointease.extensions import db
    from appointease.models import Appointment

    with app.app_context():
        out = [
            {
                "reference": a.reference,
                "employee_id": a.employee_id,
                "start_at": a.start_at,
                "end_at": a.end_at,
                "status": a.status,
                "visitor_timezone": a.visitor_timezone,
            }
            for a in db.session.scalars(select(Appointment).order_by(Appointment.id))
        ]
        db.session.remove()
    return out


def event_types(app) -> list[tuple[str, str]]:
    """Every event as ``(type, reference)`` in ``seq`` order."""
    from appointease.extensions import db
    from appointease.models import Event

    with app.app_context():
        out = [(e.type, e.reference) for e in db.session.scalars(select(Event).order_by(Event.seq))]
        db.session.remove()
    return out


def error_code(response) -> str:
    """The SPEC §4 error code of a response."""
    return response.get_json()["error"]["code"]
