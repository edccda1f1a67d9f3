"""The notification worker loop behind ``flask --app app worker [--once]`` (SPEC §7).

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

No Flask here: the worker gets its dependencies explicitly (settings with the
``SECRET_KEY``, a session factory, a mail transport factory). The ``worker`` command
and the wiring to a Flask app are in ``appointease.notify_cli``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from sqlalchemy.orm import Session

from appointease.models import utcnow
from appointease.notify.consumers import EMAIL, WEBHOOKS, follow, queue_confirmations, queue_webhooks
from appointease.notify.mailer import OutboxTransport, SMTPTransport
from appointease.notify.outbox import mail_due, send_due_mail
from appointease.notify.settings import NotifySettings
from appointease.notify.webhook_delivery import Lane, due_lanes, run_lane

log = logging.getLogger(__name__)
MAIL_LANE = "mail"

#: Opens a new SQLAlchemy session (e.g. a ``sessionmaker``); the worker closes each one it opens.
SessionFactory = Callable[[], Session]
#: Builds a mail transport (``appointease.notify.mailer.build_transport`` over the config).
TransportFactory = Callable[[], SMTPTransport | OutboxTransport]


class Worker:
    """Follows the event log and delivers mail and webhooks.

    Args:
        settings: the notification settings, ``secret_key`` included (one-time codes
            are hashed and webhook secrets decrypted with it).
        sessions: opens a session on the app's database; called once per pass and per
            lane run, from several threads (each call must give a new session).
        transports: builds the mail transport; called once here (so a malformed
            ``SMTP_URL`` fails at start, ``ValueError``), then once per mail lane run.
        clock: returns the current aware UTC instant (tests may pass their own).
    """

    def __init__(
        self,
        settings: NotifySettings,
        sessions: SessionFactory,
        transports: TransportFactory,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.settings = settings
        self.sessions = sessions
        self.transports = transports
        self.clock = clock
        transports()  # a malformed SMTP_URL fails now, not on the first mail
        self.stopping = threading.Event()
        self.totals: Counter = Counter()
        self._lock = threading.Lock()
        self._running: dict[object, Future] = {}
        self._mail_pool = ThreadPoolExecutor(1, thread_name_prefix="notify-mail")
        self._hook_pool = ThreadPoolExecutor(self.settings.webhook_concurrency, thread_name_prefix="notify-webhook")
        self._queue_webhooks = queue_webhooks(self.settings.tz)

    # -- lanes (run on pool threads, each with its own session)
    def _add(self, prefix: str, tally: dict[str, int]) -> None:
        with self._lock:
            for key, n in tally.items():
                self.totals[f"{prefix}_{key}"] += n

    def _keep_going(self) -> bool:
        return not self.stopping.is_set()

    def _mail_lane(self) -> None:
        with self.sessions() as session, self.transports() as transport:
            self._add(
                "mail",
                send_due_mail(
                    session, transport, self.settings, self.settings.mail_lease, self.clock, self._keep_going
                ),
            )

    def _webhook_lane(self, lane: Lane) -> None:
        with self.sessions() as session:
            self._add("webhook", run_lane(session, lane, self.settings, self.clock, keep_going=self._keep_going))

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
        with self.sessions() as session:
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
        transport = self.transports()
        mail = (
            f"to .eml files in {transport.folder}"
            if isinstance(transport, OutboxTransport)
            else f"via SMTP {transport.settings.host}:{transport.settings.port}"
        )
        return (
            f"notification worker: polling every {self.settings.poll_seconds:g} s; mail {mail}; "
            f"webhooks on up to {self.settings.webhook_concurrency} threads"
        )


def run_once(
    settings: NotifySettings,
    sessions: SessionFactory,
    transports: TransportFactory,
    clock: Callable[[], datetime] = utcnow,
) -> Counter:
    """Deliver what is due and return the totals (what ``worker --once`` does).

    Args:
        settings, sessions, transports, clock: as for :class:`Worker`.

    Returns:
        Counts such as ``mail_sent``, ``mail_retry``, ``mail_failed``, ``mail_skipped``,
        ``webhook_delivered``, ``webhook_pending`` (a retry was scheduled),
        ``webhook_failed``.
    """
    worker = Worker(settings, sessions, transports, clock)
    try:
        return worker.drain()
    finally:
        worker.close()
