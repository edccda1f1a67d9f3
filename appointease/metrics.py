"""Prometheus metrics (``GET /metrics``), multiprocess-safe under gunicorn.

Uses prometheus-client's multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set
(``gunicorn.conf.py`` sets it), so every worker's counts add up in one scrape
(https://prometheus.github.io/client_python/multiprocess/). Live holds are read from the
hold store at scrape time, so they are the same whichever worker answers. Widgets
polling now are *estimated* from the heartbeat rate — each process counts its
heartbeats in the last ``POLLER_WINDOW`` seconds, × interval / window, and the
processes' gauges add up (``livesum``) — so a heartbeat never writes anything to record
its poller (issue 8).

Every label value comes from a fixed set, so no request can add a series: the endpoint is
the matched route's rule (or ``unmatched``), the method one of the HTTP methods the API
knows (or ``other``). With ``APPOINTEASE_METRICS_TOKEN`` set the scrape needs that bearer
token (RFC 6750), compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections import deque

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from appointease.errors import Unauthorized

REQUESTS = Counter(
    "appointease_http_requests_total", "HTTP requests by endpoint, method and status.", ["endpoint", "method", "status"]
)
LATENCY = Histogram(
    "appointease_http_request_duration_seconds",
    "Request latency in seconds by endpoint.",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BOOKINGS = Counter("appointease_bookings_total", "Appointments booked (201 answers, replays included).")
CONFLICTS = Counter("appointease_conflicts_total", "409 answers by error code.", ["code"])
POLLERS = Gauge(
    "appointease_heartbeat_pollers",
    "Widgets polling now, estimated from the heartbeat rate (heartbeats in the last 15 s x interval / 15).",
    multiprocess_mode="livesum",
)
POLLER_WINDOW = 15.0  # seconds


class PollerRate:
    """This process's share of the pollers estimate: heartbeats in a sliding window.

    ``note()`` costs an append; a daemon thread (started on first use, so after
    gunicorn forks) re-sets the gauge every second so the estimate decays when
    polling stops.
    """

    def __init__(self, window: float = POLLER_WINDOW):
        self.window = window
        self.interval = 5
        self._seen: deque[float] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def note(self, interval_seconds: int) -> None:
        """Count one heartbeat now; ``interval_seconds`` is the poll interval widgets are told."""
        self.interval = interval_seconds
        self._seen.append(time.monotonic())
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._refresh_forever, name="pollers-gauge", daemon=True)
                    self._thread.start()
        self.refresh()

    def refresh(self) -> float:
        """Drop heartbeats older than the window, set the gauge, return this process's estimate."""
        cutoff = time.monotonic() - self.window
        with self._lock:
            while self._seen and self._seen[0] < cutoff:
                self._seen.popleft()
            estimate = len(self._seen) * self.interval / self.window
        POLLERS.set(estimate)
        return estimate

    def _refresh_forever(self) -> None:
        while True:
            time.sleep(1.0)
            self.refresh()


POLLER_RATE = PollerRate()


def pollers_estimate() -> float:
    """Return the estimated number of widgets polling now, across every worker process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry.get_sample_value("appointease_heartbeat_pollers") or 0.0
    return REGISTRY.get_sample_value("appointease_heartbeat_pollers") or 0.0


class StoreCollector:
    """Scrape-time gauges read from the hold store: live holds by kind."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        holds = GaugeMetricFamily("appointease_holds_active", "Live selections and locks.", labels=["kind"])
        with self.app.app_context():
            store = self.app.extensions["appointease.hold_stats"]
            try:
                for kind, n in store.count_active().items():
                    holds.add_metric([kind], n)
            except Exception:  # a down store must not break the scrape of everything else
                self.app.logger.warning("metrics: hold store unreadable", exc_info=True)
        yield holds


class MetricsUnauthorized(Unauthorized):
    """A scrape without the metrics token (401 ``unauthorized``, SPEC §4), challenging for the
    ``metrics`` realm (RFC 6750 §3). The app's error handler gives it SPEC §4's JSON shape."""

    default_message = "A valid metrics token is required."
    headers = {"WWW-Authenticate": 'Bearer realm="metrics"'}


#: Method label values; anything else (``ZZAAB``, ``PROPFIND``) counts as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _endpoint() -> str:
    return request.url_rule.rule if request.url_rule is not None else "unmatched"


def _method() -> str:
    return request.method if request.method in METHODS else "other"


def _authorized(token: str | None) -> bool:
    """True when no token is configured, or the request carries it as a bearer token."""
    if not token:
        return True
    auth = request.authorization
    sent = auth.token if auth is not None and auth.type == "bearer" else None
    return bool(sent) and hmac.compare_digest(sent.encode(), token.encode())


def init_app(app: Flask) -> None:
    """Time and count every request, and serve ``GET /metrics``."""

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = _endpoint()
        started = g.pop("metrics_started", None)
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, _method(), str(response.status_code)).inc()
        if request.endpoint == "live.heartbeat" and response.status_code in (200, 304):
            POLLER_RATE.note(current_app.extensions["appointease.rules"].heartbeat_interval)
        if response.status_code == 201 and request.endpoint == "appointments.create_appointment":
            BOOKINGS.inc()
        elif response.status_code == 409 and response.is_json:
            CONFLICTS.labels((response.get_json(silent=True) or {}).get("error", {}).get("code", "unknown")).inc()
        return response

    @app.get("/metrics")
    def metrics():
        """Prometheus text exposition of every worker's metrics plus the hold-store gauges.

        Raises:
            MetricsUnauthorized: ``APPOINTEASE_METRICS_TOKEN`` is set and the request lacks
                it (401 ``unauthorized``, SPEC §4).
        """
        if not _authorized(current_app.config["APPOINTEASE_METRICS_TOKEN"]):
            raise MetricsUnauthorized()
        body = _workers_exposition() + generate_latest(_store_registry(current_app))
        return Response(body, content_type=CONTENT_TYPE_LATEST)


def _workers_exposition(attempts: int = 3) -> bytes:
    """Every worker's metrics as Prometheus text (multiprocess files, or this process's registry).

    A scrape can meet a worker's metrics file while that worker grows it (prometheus-client
    resizes and re-maps the file when a new series appears), and read a half-written
    entry; the next read sees the whole file, so the scrape is retried a few times.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import REGISTRY

        return generate_latest(REGISTRY)
    for _ in range(attempts - 1):
        try:
            return _multiprocess_exposition()
        except Exception:
            current_app.logger.warning("metrics: a worker's metrics file was mid-update; reading again", exc_info=True)
            time.sleep(0.05)
    return _multiprocess_exposition()


def _multiprocess_exposition() -> bytes:
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


def _store_registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(app))
    return registry
