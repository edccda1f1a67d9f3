"""gunicorn settings for AppointEase (https://docs.gunicorn.org/en/stable/settings.html).

Every value can be overridden from the environment: ``PORT`` / ``GUNICORN_BIND``,
``WEB_CONCURRENCY`` (workers), ``GUNICORN_TIMEOUT``. The app is stateless, so any number
of instances can run behind a load balancer (README "Production").
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Sync workers: each request is short (a heartbeat is a few queries); 2×cores+1 is
# gunicorn's documented starting point.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so slow leaks can never grow unbounded.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
