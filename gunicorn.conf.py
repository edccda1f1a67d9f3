"""gunicorn settings for AppointEase (https://docs.gunicorn.org/en/stable/settings.html).

Every value can be overridden from the environment: ``PORT`` / ``GUNICORN_BIND``,
``WEB_CONCURRENCY`` (workers), ``GUNICORN_WORKER_CLASS`` / ``GUNICORN_THREADS``,
``GUNICORN_TIMEOUT``. The app is stateless, so any number
of instances can run behind a load balancer (docs/production.md).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# 2×cores+1 is gunicorn's documented starting point.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threaded workers, by measurement (docs/production.md "Worker class"): on SQLite, 4 workers × 4 threads
# answered /healthz and the heartbeat faster than 4 sync workers in every interleaved
# round, and need more slow clients to stall (still a handful: the proxy is what stops them).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or (4 if worker_class == "gthread" else 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so slow leaks can never grow unbounded.
# At heartbeat rates (hundreds of requests a second per worker) 5,000 recycled every
# worker every few seconds, each time with cold caches (issue 8 benchmark: 8 recycles in
# a 15 s row, p99 over a second); 100,000 still recycles a busy worker every few minutes.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 100_000)
max_requests_jitter = max_requests // 10
# Access log off by default: at heartbeat rates it costs more than the request itself
# (issue 8 measured ~20 % of /healthz); /metrics counts every request. GUNICORN_ACCESSLOG=-
# turns it on (stdout).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus multiprocess mode: every worker writes its metrics to this folder and
# /metrics sums them (prometheus-client docs, "Multiprocess Mode").
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="appointease-metrics-")


def on_starting(server):
    """Start each master with an empty metrics folder (stale files would add up)."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    """Drop a dead worker's live gauges (prometheus-client multiprocess)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
