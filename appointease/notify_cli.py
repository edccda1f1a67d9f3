"""The notification worker wired to a Flask app, and its command: ``flask --app app worker [--once]``.

Web/CLI layer (may use Flask): it reads what ``appointease.notify.worker`` needs from the
app once, at start — the settings with ``SECRET_KEY`` (``NotifySettings.from_config``),
sessions on the app's engine, the mail transport from the config — and hands it over
explicitly, so the worker loop itself never touches Flask or an app context.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import sessionmaker

from appointease.models import utcnow
from appointease.notify.mailer import build_transport
from appointease.notify.settings import NotifySettings
from appointease.notify.worker import Worker
from appointease.notify.worker import run_once as run_worker_once

log = logging.getLogger(__name__)


def worker_dependencies(app: Flask) -> tuple[NotifySettings, sessionmaker, Callable]:
    """Read the worker's dependencies from ``app``.

    Returns:
        ``(settings, sessions, transports)``: the notification settings (``SECRET_KEY``
        included), a ``sessionmaker`` on the app's engine, and a function building the
        mail transport from the app's config.
    """
    from appointease.extensions import db

    with app.app_context():
        engine = db.engine
    return NotifySettings.from_config(app.config), sessionmaker(bind=engine), partial(build_transport, app.config)


def build_worker(app: Flask, clock: Callable[[], datetime] = utcnow) -> Worker:
    """Return a :class:`~appointease.notify.worker.Worker` for ``app``.

    Raises:
        ValueError: ``SMTP_URL`` is malformed.
    """
    return Worker(*worker_dependencies(app), clock)


def run_once(app: Flask, clock: Callable[[], datetime] = utcnow) -> Counter:
    """Deliver what is due for ``app`` and return the totals (what ``worker --once`` does; for tests).

    Returns:
        Counts such as ``mail_sent``, ``mail_retry``, ``mail_failed``, ``mail_skipped``,
        ``webhook_delivered``, ``webhook_pending`` (a retry was scheduled),
        ``webhook_failed``.
    """
    return run_worker_once(*worker_dependencies(app), clock)


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Follow the event log and send emails and webhooks (SPEC §7); runs until SIGTERM/SIGINT."""
    app = current_app._get_current_object()
    if once:
        totals = run_once(app)
        click.echo(", ".join(f"{k}={v}" for k, v in sorted(totals.items()) if v) or "nothing was due")
        return
    worker = build_worker(app)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info(worker.describe())
    worker.run(stop)
    log.info("notification worker stopped")
