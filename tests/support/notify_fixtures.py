"""Fixtures and helpers for the notification tests (registered by ``tests/conftest.py``, ``pytest_plugins``).

``notify_app`` is the app on the matrix's database with mail going to a real SMTP
capture server, the business in Europe/Berlin (a zone with daylight saving), and
retry schedules and time-outs short enough for tests to run in seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import select

from support.dates import workday_after
from support.receivers import HTTPReceiver, SMTPCapture

TZ = "Europe/Berlin"
#: Short schedules: retries come after 0.2–0.5 s instead of minutes.
FAST = {
    "APPOINTEASE_TIMEZONE": TZ,
    "APPOINTEASE_WORKER_POLL_SECONDS": 0.05,
    "APPOINTEASE_MAIL_RETRY_SCHEDULE": (0.2, 0.3, 0.5),
    "APPOINTEASE_WEBHOOK_RETRY_SCHEDULE": (0.2, 0.3, 0.5),
    "APPOINTEASE_WEBHOOK_TIMEOUT": 2.0,
    "APPOINTEASE_SMTP_TIMEOUT": 5.0,
    "APPOINTEASE_PUBLIC_URL": "https://booking.example-salon.test",
    "MAIL_FROM": "bookings@example-salon.test",
    "APPOINTEASE_BUSINESS_NAME": "Example Salon",
}


@pytest.fixture
def smtp():
    """A real SMTP capture server (aiosmtpd) on 127.0.0.1."""
    server = SMTPCapture().start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    """A real HTTP webhook receiver on 127.0.0.1."""
    server = HTTPReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def make_app(database_url, redis_url, tmp_path):
    """Build apps on this test's database: ``make_app(**config)`` (FAST settings, demo catalogue)."""
    from appointease import create_app
    from appointease.commands import seed_catalogue
    from appointease.extensions import db

    from support.helpers import TEST_CONFIG

    apps = []

    def build(**config):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url,
                **TEST_CONFIG,
                **FAST,
                "APPOINTEASE_OUTBOX_DIR": str(tmp_path / "outbox"),
                **config,
            }
        )
        with app.app_context():
            seed_catalogue(db.session())
            db.session.remove()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def notify_app(make_app, smtp):
    """The app with ``SMTP_URL`` pointing at the capture server."""
    return make_app(SMTP_URL=smtp.url)


def monday() -> date:
    """A Monday 2–8 days ahead: every demo staff member works 09:00–17:00 local
    (``support.dates.workday_after``)."""
    return workday_after(date.today())


def book(
    app,
    time_: str = "10:00",
    email: str = "ann@example.com",
    name: str = "Ann Example",
    employee_id: int = 1,
    service_id: int = 1,
    day: date | None = None,
) -> dict:
    """Book through ``POST /api/v1/appointments``; return the 201 body."""
    r = app.test_client().post(
        "/api/v1/appointments",
        json={
            "service_id": service_id,
            "employee_id": employee_id,
            "date": (day or monday()).isoformat(),
            "time": time_,
            "name": name,
            "email": email,
        },
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _change(app, reference: str, type_: str, **values) -> None:
    """Change an appointment's columns and append its event in one write transaction."""
    from appointease.db import write_transaction
    from appointease.events import append_event
    from appointease.extensions import db
    from appointease.models import Appointment, utcnow

    with app.app_context():
        session = db.session()
        with write_transaction(session):
            apt = session.scalars(select(Appointment).where(Appointment.reference == reference)).one()
            for key, value in values.items():
                setattr(apt, key, value)
            session.flush()
            append_event(session, apt, type_, utcnow())
        db.session.remove()


def reschedule(app, reference: str, new_start: datetime) -> None:
    """Move an appointment and append ``appointment.rescheduled`` (as the reschedule route will)."""
    from appointease.extensions import db
    from appointease.models import Appointment

    with app.app_context():
        apt = db.session.scalars(select(Appointment).where(Appointment.reference == reference)).one()
        length = apt.end_at - apt.start_at
        db.session.remove()
    _change(app, reference, "appointment.rescheduled", start_at=new_start, end_at=new_start + length)


def set_status(app, reference: str, status: str) -> None:
    """Set an appointment's status and append ``appointment.<status>`` (as the status routes will)."""
    _change(app, reference, f"appointment.{status}", status=status)


def rows(app, model, *where) -> list:
    """All rows of ``model`` (detached snapshots as dicts of their columns)."""
    from appointease.extensions import db

    with app.app_context():
        result = [
            {c.key: getattr(r, c.key) for c in model.__table__.columns}
            for r in db.session.scalars(select(model).where(*where).order_by(*model.__table__.primary_key))
        ]
        db.session.remove()
    return result


def register_webhook(app, url: str, events=("*",)) -> tuple[int, str]:
    """Register a webhook endpoint (as the admin API will); return ``(endpoint id, secret)``."""
    from appointease.extensions import db
    from appointease.notify import register_endpoint

    with app.app_context():
        allow_private = app.config["APPOINTEASE_ALLOW_PRIVATE_URLS"]
        endpoint, secret = register_endpoint(
            db.session(), url, list(events), secret_key=app.config["SECRET_KEY"], allow_private=allow_private
        )
        endpoint_id = endpoint.id
        db.session.remove()
    return endpoint_id, secret


def wait_until(predicate: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    """Poll ``predicate`` every 20 ms until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def running_worker(app) -> Iterator:
    """Run ``build_worker(app).run()`` in a thread for the block; stop it (and wait) after."""
    from appointease.notify_cli import build_worker

    worker = build_worker(app)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the worker did not stop"
