"""Prometheus metrics (``GET /metrics``), multiprocess-safe under gunicorn.

Uses prometheus-client's multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set
(``gunicorn.conf.py`` sets it), so every worker's counts add up in one scrape
(https://prometheus.github.io/client_python/multiprocess/). Holds and pollers are
read from the hold store at scrape time, so they are the same whichever worker answers.

Every label value comes from a fixed set, so no request can add a series: the endpoint is
the matched route's rule (or ``unmatched``), the method one of the HTTP methods the API
knows (or ``other``). With ``APPOINTEASE_METRICS_TOKEN`` set the scrape needs that bearer
token (RFC 6750), compared in constant time.
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from appointease.api.handlers import error_response

REQUESTS = Counter("appointease_http_requests_total", "HTTP requests by endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("appointease_http_request_duration_seconds", "Request latency in seconds by endpoint.",
                    ["endpoint"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BOOKINGS = Counter("appointease_bookings_total", "Appointments booked (201 answers, replays included).")
CONFLICTS = Counter("appointease_conflicts_total", "409 answers by error code.", ["code"])


class StoreCollector:
    """Scrape-time gauges read from the hold store: live holds by kind, recent pollers."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        holds = GaugeMetricFamily("appointease_holds_active", "Live selections and locks.", labels=["kind"])
        pollers = GaugeMetricFamily("appointease_heartbeat_pollers", "Distinct widgets that polled in the last 15 s.")
        with self.app.app_context():
            store = self.app.extensions["appointease.holds"]
            try:
                for kind, n in store.count_active().items():
                    holds.add_metric([kind], n)
                pollers.add_metric([], store.count_pollers(15))
            except Exception:  # a down store must not break the scrape of everything else
                self.app.logger.warning("metrics: hold store unreadable", exc_info=True)
        yield holds
        yield pollers


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
        if response.status_code == 201 and request.endpoint == "api.create_appointment":
            BOOKINGS.inc()
        elif response.status_code == 409 and response.is_json:
            CONFLICTS.labels((response.get_json(silent=True) or {}).get("error", {}).get("code", "unknown")).inc()
        return response

    @app.get("/metrics")
    def metrics():
        """Prometheus text exposition of every worker's metrics plus the hold-store gauges.

        401 ``unauthorized`` (SPEC §4) when ``APPOINTEASE_METRICS_TOKEN`` is set and the
        request lacks it.
        """
        if not _authorized(current_app.config["APPOINTEASE_METRICS_TOKEN"]):
            response = error_response("unauthorized", "A valid metrics token is required.", 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(registry)
        else:
            from prometheus_client import REGISTRY as registry  # single process: the default registry
        body = generate_latest(registry) + generate_latest(_store_registry(current_app))
        return Response(body, content_type=CONTENT_TYPE_LATEST)


def _store_registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(app))
    return registry
