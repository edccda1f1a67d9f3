"""A bare Flask app with one JSON route: the ceiling of the web stack for the benchmark.

Served by ``bench/run.py`` under the same ``gunicorn.conf.py`` and worker count as the
real app (``gunicorn -c gunicorn.conf.py bench.bare_app:app``), so "heartbeat / bare"
says how much of the stack's capacity the heartbeat leaves unused. The route answers
exactly what the app's ``/healthz`` answers (``{"status": "ok"}``), so the two differ only
by what the app adds around a request (extensions, metrics, CORS, error handlers).
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    """Return ``{"status": "ok"}``; touches nothing."""
    return jsonify({"status": "ok"})
