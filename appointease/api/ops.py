"""Operations endpoints: ``/healthz``, ``/readyz`` and the demo page at ``/`` (SPEC §4)."""

from pathlib import Path

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from appointease.assets import versioned_url
from appointease.extensions import db

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz():
    """Process is up; touches no backing store."""
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz():
    """Each backing store answers: 200 when all do, 503 (``unavailable``) otherwise."""
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # any failure means "not ready"; the detail goes to the log only
        current_app.logger.warning("readyz: database check failed", exc_info=True)
        checks["database"] = "down"
    if current_app.config["REDIS_URL"]:
        checks["redis"] = "ok" if current_app.extensions["appointease.hold_stats"].ping() else "down"
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if not ready:
        body["error"] = {"code": "unavailable", "message": "A backing store is down."}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = "5"
    return response


@ops.get("/")
def demo_page():
    """The demo page embedding the widget, loaded from its long-cached versioned URL."""
    html = (Path(current_app.static_folder) / "index.html").read_text(encoding="utf-8")
    html = html.replace('src="/static/appointease.js"', f'src="{versioned_url(current_app, "appointease.js")}"')
    return current_app.response_class(html, mimetype="text/html")
