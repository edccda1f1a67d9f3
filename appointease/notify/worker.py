"""The notification worker: ``flask --app app worker [--once]`` (SPEC §7).

Each *pass* (every ``APPOINTEASE_WORKER_POLL_SECONDS``, default 0.5 s) does, in the main
thread, only quick indexed queries: it moves both event consumers forward
(``appointease.notify.consumers``), then starts every due *lane* that is not already
running — the mail lane on a thread of its own, and one thread per due webhook lane
from a pool of ``APPOINTEASE_WEBHOOK_CONCURRENCY`` (default 8). The main loop never
waits on the network, so a dead SMTP server or a slow receiver delays neither the
event log, nor mail, nor other endpoints. An idle pass costs six small indexed ``SELECT``\\s.

Without ``--once`` it runs until SIGTERM or SIGINT, then lets the running lanes finish
their current message (bounded by the SMTP and webhook time-outs) and exits. With
``--once`` it repeats passes until nothing is due, waits for the lanes, prints what it
did and exits. Any number of workers may run against one database (claims and cursors
are safe, see ``consumers``, ``outbox`` and ``webhook_delivery``).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from appointease.extensions import db
from appointease.models import utcnow
from appointease.notify.consumers import EMAIL, WEBHOOKS, follow, queue_confirmations, queue_webhooks
from appointease.notify.mailer import OutboxTransport, build_transport
from appointease.notify.outbox import mail_due, send_due_mail
from appointease.notify.settings import NotifySettings
from appointease.notify.webhook_delivery import Lane, due_lanes, run_lane

log = logging.getLogger(__name__)
MAIL_LANE = "mail"


class Worker:
    """Follows the event log and delivers mail and webhooks for one app.

    Args:
        app: the Flask app (its config and database).
        clock: returns the current aware UTC instant (tests may pass their own).
    """

    def __init__(self, app: Flask, clock: Callable[[], datetime] = utcnow):
        self.app = app
        self.clock = clock
        self.settings = NotifySettings.from_config(app.config)
        build_transport(app.config)  # a malformed SMTP_URL fails now, not on the first mail
        self.stopping = threading.Event()
        self.totals: Counter = Counter()
        self._lock = threading.Lock()
        self._running: dict[object, Future] = {}
        self._mail_pool = ThreadPoolExecutor(1, thread_name_prefix="notify-mail")
        self._hook_pool = ThreadPoolExecutor(self.settings.webhook_concurrency, thread_name_prefix="notify-webhook")
        self._queue_webhooks = queue_webhooks(self.settings.tz)

    # -- lanes (run on pool threads, each with its own app context and session)
    def _add(self, prefix: str, tally: dict[str, int]) -> None:
        with self._lock:
            for key, n in tally.items():
                self.totals[f"{prefix}_{key}"] += n

    def _keep_going(self) -> bool:
        return not self.stopping.is_set()

    def _mail_lane(self) -> None:
        with self.app.app_context(), build_transport(self.app.config) as transport:
            self._add(
                "mail",
                send_due_mail(
                    db.session(), transport, self.settings, self.settings.mail_lease, self.clock, self._keep_going
                ),
            )

    def _webhook_lane(self, lane: Lane) -> None:
        with self.app.app_context():
            self._add("webhook", run_lane(db.session(), lane, self.settings, self.clock, keep_going=self._keep_going))

    def _start(self, key: object, pool: ThreadPoolExecutor, fn, *args) -> bool:
        if key in self._running:
            return False
        self._running[key] = pool.submit(fn, *args)
        return True

    def _reap(self) -> None:
        for key, future in list(self._running.items()):
            if future.done():
                del self._running[key]
                if future.exception() is not None:
                    log.error(
                        "notification lane %s failed; it is retried on a later pass", key, exc_info=future.exception()
                    )

    # -- the main loop
    def poll(self) -> int:
        """Run one pass: follow the event log, start due lanes. Returns events handled + lanes started."""
        self._reap()
        with self.app.app_context():
            session = db.session()
            now = self.clock()
            work = follow(session, EMAIL, queue_confirmations, now)
            work += follow(session, WEBHOOKS, self._queue_webhooks, now)
            if mail_due(session, now) and self._start(MAIL_LANE, self._mail_pool, self._mail_lane):
                work += 1
            for lane in due_lanes(session, now):
                if self._start(("webhook", lane), self._hook_pool, self._webhook_lane, lane):
                    work += 1
            session.rollback()
        return work

    def drain(self) -> Counter:
        """Deliver everything due now and wait for it (``--once``). Returns the running totals."""
        while True:
            work = self.poll()
            wait(list(self._running.values()))
            self._reap()
            if work == 0:
                return self.totals

    def run(self, stop: threading.Event | None = None) -> None:
        """Poll until ``stop`` (or :attr:`stopping`) is set; then finish running lanes and return."""
        stop = stop or self.stopping
        while not stop.is_set():
            try:
                self.poll()
            except Exception:  # the loop's top level: log, keep polling (a database outage passes)
                log.exception("notification pass failed; retrying in %s s", self.settings.poll_seconds)
            stop.wait(self.settings.poll_seconds)
        self.stopping.set()
        self.close()

    def close(self) -> None:
        """Wait for running lanes and release the thread pools."""
        self._mail_pool.shutdown(wait=True)
        self._hook_pool.shutdown(wait=True)
        self._reap()

    def describe(self) -> str:
        """One line for the log: poll interval, mail transport, webhook threads."""
        transport = build_transport(self.app.config)
        mail = (
            f"to .eml files in {transport.folder}"
            if isinstance(transport, OutboxTransport)
            else f"via SMTP {transport.settings.host}:{transport.settings.port}"
        )
        return (
            f"notification worker: polling every {self.settings.poll_seconds:g} s; mail {mail}; "
            f"webhooks on up to {self.settings.webhook_concurrency} threads"
        )


def run_once(app: Flask, clock: Callable[[], datetime] = utcnow) -> Counter:
    """Deliver what is due for ``app`` and return the totals (what ``worker --once`` does; for tests).

    Returns:
        Counts such as ``mail_sent``, ``mail_retry``, ``mail_failed``, ``mail_skipped``,
        ``webhook_delivered``, ``webhook_pending`` (a retry was scheduled),
        ``webhook_failed``.
    """
    worker = Worker(app, clock)
    try:
        return worker.drain()
    finally:
        worker.close()


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
    worker = Worker(app)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    log.info(worker.describe())
    worker.run(stop)
    log.info("notification worker stopped")
