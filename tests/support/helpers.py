"""Shared test helpers: the widget's API calls, SPEC §4 error assertions, small factories.

Test modules import these (``from support.helpers import Widget, assert_error``);
``pytest.ini`` puts ``tests/`` on the path (``pythonpath``). Fixtures live in
``conftest.py`` or in ``support`` modules that ``conftest.py`` registers with
``pytest_plugins``; anything a test module or a fixture module needs to *call* lives here
or in another ``support`` module, so no test imports ``conftest``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.config import RATE_LIMITS

from support.gunicorn_server import SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
#: The test matrix (``APPOINTEASE_TEST_ENGINE``): ``embedded`` (default, SQLite + SQL hold
#: store) or ``production`` (PostgreSQL + Redis); see ``tests/conftest.py``.
ENGINE = os.environ.get("APPOINTEASE_TEST_ENGINE", "embedded")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

#: Rate limits so high no test reaches them: in-process tests send many requests from one
#: address, but the limiter (and its key functions reading every body) still runs on each
#: request. tests/integration/test_rate_limits.py sets real values.
UNREACHED_RATE_LIMITS = {key: "100000/minute" for key in RATE_LIMITS}

#: Config every test app gets: short TTLs keep expiry tests quick.
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": SECRET_KEY,
    "APPOINTEASE_SELECTION_TTL": 2,
    "APPOINTEASE_LOCK_TTL": 600,
    "APPOINTEASE_HEARTBEAT_INTERVAL": 5,
    "APPOINTEASE_MIN_NOTICE_MINUTES": 0,
    # The webhook receivers run on 127.0.0.1 (SPEC §11 "Outbound URLs");
    # tests/integration/test_outbound_urls.py turns it off.
    "APPOINTEASE_ALLOW_PRIVATE_URLS": True,
    **UNREACHED_RATE_LIMITS,
}

#: A client id valid for every endpoint (8–64 characters, SPEC §4).
CLIENT_A, CLIENT_B, CLIENT_C = "client-aaaa-0001", "client-bbbb-0002", "client-cccc-0003"


# --------------------------------------------------------------------- servers, databases


def need(available: bool, what: str) -> None:
    """Skip when ``what`` is not installed, but fail under ``CI=true`` (a server test must run there)."""
    if not available:
        if IN_CI:
            pytest.fail(f"{what} is not installed; run scripts/install-system-deps.sh")
        pytest.skip(f"{what} is not installed")


def migrate(url: str) -> None:
    """Build the schema at ``url`` with the Alembic migrations (as ``flask db upgrade``)."""
    from flask_migrate import upgrade

    from appointease import create_app
    from appointease.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, **TEST_CONFIG})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


def seed(url: str) -> None:
    """Load the demo catalogue into the migrated database at ``url`` (as ``flask seed-demo``)."""
    from appointease import create_app
    from appointease.commands import seed_catalogue
    from appointease.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, **TEST_CONFIG})
    with app.app_context():
        seed_catalogue(db.session())
        db.session.remove()
        db.engine.dispose()


def count_rows(app, model) -> int:
    """Count the committed rows of ``model`` in ``app``'s database."""
    from appointease.extensions import db

    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return n


# --------------------------------------------------------------------- factories

#: Monday–Friday 09:00–17:00, the demo staff's week.
WEEKDAYS_9_TO_5 = {weekday: [(time(9), time(17))] for weekday in range(5)}


def make_service(
    session: Session, name: str = "Service", *, minutes: int = 30, price: str = "25.00", active: bool = True
):
    """Add a service (``minutes`` long, ``price`` a decimal string) and flush; return it.

    The caller commits (``session.commit()``) when its rows are all in.
    """
    from appointease.models import Service

    service = Service(name=name, duration_minutes=minutes, price=Decimal(price), active=active)
    session.add(service)
    session.flush()
    return service


def make_employee(
    session: Session,
    services: Iterable,
    *,
    name: str = "Employee",
    hours: Mapping[int, Sequence[tuple[time, time]]] | None = None,
    active: bool = True,
):
    """Add a member of staff performing ``services`` and flush; return it.

    Args:
        hours: ``{weekday (0 = Monday): [(start, end), ...]}`` business-local working
            intervals; default Monday–Friday 09:00–17:00.

    The caller commits (``session.commit()``) when its rows are all in.
    """
    from appointease.models import Employee, WorkingHours

    hours = WEEKDAYS_9_TO_5 if hours is None else hours
    employee = Employee(
        name=name,
        active=active,
        services=list(services),
        working_hours=[
            WorkingHours(weekday=weekday, start_time=start, end_time=end)
            for weekday, intervals in hours.items()
            for start, end in intervals
        ],
    )
    session.add(employee)
    session.flush()
    return employee


# --------------------------------------------------------------------- the API


def half_hours(first: str, last: str) -> list[str]:
    """Every ``HH:MM`` from ``first`` to ``last`` inclusive, in 30-minute steps."""
    day = datetime(2000, 1, 1)
    cur = datetime.combine(day, time.fromisoformat(first))
    end = datetime.combine(day, time.fromisoformat(last))
    out = []
    while cur <= end:
        out.append(cur.strftime("%H:%M"))
        cur += timedelta(minutes=30)
    return out


def json_of(response) -> dict | list | None:
    """The JSON body of a Flask test response or a ``requests`` response."""
    return response.get_json() if hasattr(response, "get_json") else response.json()


def _text_of(response) -> str:
    return response.get_data(as_text=True) if hasattr(response, "get_data") else response.text


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Assert SPEC §4's error shape with ``status`` (and ``code``); return the ``error`` object.

    The body is JSON ``{"error": {"code", "message"[, "fields"]}}`` with a non-empty
    message; ``fields`` (``{field: [message, ...]}``, non-empty) is there exactly when the
    code is ``validation_error``; no HTML and no stack trace. Works on Flask test
    responses and on ``requests`` responses.
    """
    text = _text_of(response)
    assert response.status_code == status, (response.status_code, text[:300])
    mimetype = response.headers.get("Content-Type", "").split(";")[0].strip()
    assert mimetype == "application/json", text[:300]
    body = json_of(response)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    err = body["error"]
    assert {"code", "message"} <= set(err) <= {"code", "message", "fields"}, err
    assert isinstance(err["code"], str) and isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err
    if err["code"] == "validation_error":
        assert isinstance(err["fields"], dict) and err["fields"]
        assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in err["fields"].values())
    else:
        assert "fields" not in err
    assert "Traceback" not in text and "<html" not in text.lower()
    return err


def _or(value, default):
    """``value`` unless it is None (``0`` and ``""`` are values a test may mean to send)."""
    return default if value is None else value


class LiveClient:
    """``requests`` against a live server with the Flask test client's call shape.

    ``post(path, json=, headers=)`` / ``get(path, headers=)`` return ``requests.Response``;
    ``path`` starts with ``/`` and is appended to ``base`` (``http://127.0.0.1:PORT``).
    """

    def __init__(self, base: str, timeout: float = 20):
        self.base, self.timeout = base, timeout

    def post(self, path: str, json=None, headers=None) -> requests.Response:
        return requests.post(self.base + path, json=json, headers=headers or {}, timeout=self.timeout)

    def get(self, path: str, headers=None) -> requests.Response:
        return requests.get(self.base + path, headers=headers or {}, timeout=self.timeout)


class Widget:
    """The booking widget's API calls (SPEC §4) for one working day.

    Args:
        http: a Flask test client, or a :class:`LiveClient` for a live server.
        day: the day the calls are about (a ``date`` or ``YYYY-MM-DD``).
        client_id: the default ``client_id`` of holds and heartbeats.
        employee_id, service_id: the defaults of every call.

    Methods named after an endpoint return the raw response; ``hold``, ``booked``,
    ``beat`` and ``statuses`` assert the success status and return the JSON.
    """

    def __init__(self, http, day: date | str, *, client_id: str = CLIENT_A, employee_id: int = 1, service_id: int = 1):
        self.http = http
        self.day = day if isinstance(day, str) else day.isoformat()
        self.client_id, self.employee_id, self.service_id = client_id, employee_id, service_id

    # -- bodies

    def slot(self, time: str, client_id=None, employee_id=None, service_id=None, day=None) -> dict:
        """The body of ``/slots/select`` and ``/slots/lock``."""
        return {
            "date": _or(day, self.day),
            "time": time,
            "employee_id": _or(employee_id, self.employee_id),
            "service_id": _or(service_id, self.service_id),
            "client_id": _or(client_id, self.client_id),
        }

    def booking(self, time: str = "10:00", employee_id=None, service_id=None, day=None, **extra) -> dict:
        """The body of ``POST /appointments`` (no ``client_id`` unless given in ``extra``)."""
        return {
            "service_id": _or(service_id, self.service_id),
            "employee_id": _or(employee_id, self.employee_id),
            "date": _or(day, self.day),
            "time": time,
            "name": "Ann Example",
            "email": "ann@example.com",
            **extra,
        }

    # -- holds

    def select(self, time: str, client_id=None, **kw):
        """``POST /slots/select``; ``kw``: employee_id, service_id, day."""
        return self.http.post("/api/v1/slots/select", json=self.slot(time, client_id, **kw))

    def lock(self, time: str, client_id=None, **kw):
        """``POST /slots/lock``; ``kw``: employee_id, service_id, day."""
        return self.http.post("/api/v1/slots/lock", json=self.slot(time, client_id, **kw))

    def hold(self, kind: str, time: str, client_id=None, **kw) -> dict:
        """Select or lock (``kind``: ``select``/``lock``); assert 200 and return the hold."""
        r = self.select(time, client_id, **kw) if kind == "select" else self.lock(time, client_id, **kw)
        assert r.status_code == 200, json_of(r)
        return json_of(r)

    def release(self, time: str, client_id=None, employee_id=None, day=None):
        """``POST /slots/release``."""
        body = {
            "date": _or(day, self.day),
            "time": time,
            "employee_id": _or(employee_id, self.employee_id),
            "client_id": _or(client_id, self.client_id),
        }
        return self.http.post("/api/v1/slots/release", json=body)

    # -- bookings

    def book(self, body: dict | None = None, headers=None, **kw):
        """``POST /appointments`` with ``body`` (default: ``self.booking(**kw)``)."""
        return self.http.post("/api/v1/appointments", json=body or self.booking(**kw), headers=headers or {})

    def booked(self, time: str, **kw) -> dict:
        """Book ``time`` (``kw`` as :meth:`booking`); assert 201 and return the appointment."""
        r = self.book(self.booking(time, **kw))
        assert r.status_code == 201, json_of(r)
        return json_of(r)

    # -- reading the day

    def availability(self, employee_id=None, service_id=None, client_id=None, day=None):
        """``GET /availability``."""
        url = (
            f"/api/v1/availability?date={_or(day, self.day)}&employee_id={_or(employee_id, self.employee_id)}"
            f"&service_id={_or(service_id, self.service_id)}"
        )
        if client_id:
            url += f"&client_id={client_id}"
        return self.http.get(url)

    def statuses(self, **kw) -> dict[str, str]:
        """``{time: status}`` of ``GET /availability`` (``kw`` as :meth:`availability`)."""
        r = self.availability(**kw)
        assert r.status_code == 200, json_of(r)
        return {s["time"]: s["status"] for s in json_of(r)["slots"]}

    def heartbeat(self, client_id=None, employee_id=None, headers=None, **extra):
        """``POST /heartbeat``; ``extra``: service_id, selected_time, known_version, date,
        employee_ids (several staff: then ``employee_id`` is sent only when given)."""
        body = {"date": self.day, "client_id": _or(client_id, self.client_id)}
        if employee_id is not None or "employee_ids" not in extra:
            body["employee_id"] = _or(employee_id, self.employee_id)
        return self.http.post("/api/v1/heartbeat", json=body | extra, headers=headers or {})

    def beat(self, client_id=None, employee_id=None, **extra) -> dict:
        """A heartbeat (as :meth:`heartbeat`); assert 200 and return the answer."""
        r = self.heartbeat(client_id, employee_id, **extra)
        assert r.status_code == 200, json_of(r)
        return json_of(r)

    def ready(self):
        """``GET /readyz``."""
        return self.http.get("/readyz")
