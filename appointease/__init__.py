"""AppointEase: real-time appointment booking with a polling heartbeat (SPEC §1).

``create_app`` is the application factory; nothing connects at import time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from appointease.config import engine_options, load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app from the named ``register_*`` steps below, in order.

    Args:
        config: overrides applied after the environment (tests pass a database URL,
            TTLs, …).

    Returns:
        The configured ``Flask`` application.

    Raises:
        RuntimeError: no usable ``SECRET_KEY`` outside development/testing (SPEC §8).
    """
    app = Flask(
        __name__, static_folder=str(ROOT / "static"), static_url_path="/static", instance_path=str(ROOT / "instance")
    )
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json.sort_keys = False
    register_secret_key(app)
    register_proxy_fix(app)
    register_extensions(app)
    register_limiter(app)
    register_stores(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_metrics(app)
    register_commands(app)
    register_static(app)
    logging.basicConfig(level=logging.INFO)
    return app


def register_secret_key(app: Flask) -> None:
    """Refuse the development ``SECRET_KEY`` outside development/testing (SPEC §8)."""
    from appointease.secret_key import ensure_secret_key

    ensure_secret_key(app)


def register_proxy_fix(app: Flask) -> None:
    """Take the client IP and scheme from ``APPOINTEASE_PROXY_HOPS`` proxies (SPEC §8).

    With N > 0, werkzeug's ``ProxyFix`` uses the N-th address from the right of
    ``X-Forwarded-For`` (the one our own proxy added; anything a client sent is further
    left) and ``X-Forwarded-Proto``; with 0 the socket peer is the client.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["APPOINTEASE_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask) -> None:
    """Wire SQLAlchemy (with the SQLite transaction recipe) and Migrate."""
    from appointease.db import configure_engine
    from appointease.extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    with app.app_context():
        configure_engine(db.engine)


def register_limiter(app: Flask) -> None:
    """Wire the request rate limits (SPEC §8): Redis storage with ``REDIS_URL``, else memory."""
    from appointease.api import limits

    limits.init_app(app)


def register_stores(app: Flask) -> None:
    """Build the booking rules and the hold store once per process.

    The one store object serves both the request path (``appointease.holds``,
    ``HoldStore``) and operations (``appointease.hold_stats``, ``HoldStats``).
    """
    from appointease.cache import LiveCache
    from appointease.config import build_rules
    from appointease.extensions import db
    from appointease.holds import build_hold_store

    rules = build_rules(app.config)
    app.extensions["appointease.rules"] = rules
    app.extensions["appointease.cache"] = LiveCache()
    with app.app_context():
        store = build_hold_store(
            app.config["REDIS_URL"],
            db.engine,
            rules.lock_ttl,
            cluster=app.config["REDIS_CLUSTER"],
            max_holds_per_ip=app.config["APPOINTEASE_MAX_HOLDS_PER_IP"],
            reader=lambda: db.session().connection(),
            max_life_seconds=rules.lock_max,
        )
    app.extensions["appointease.holds"] = store
    app.extensions["appointease.hold_stats"] = store


def register_blueprints(app: Flask) -> None:
    """Register the API and operations blueprints."""
    from appointease.api import register_blueprints as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    """Give every error SPEC §4's JSON shape."""
    from appointease.api.handlers import register_errorhandlers as register

    register(app)


def register_security(app: Flask) -> None:
    """Security headers on every response, CORS for the configured origins (SPEC §8)."""
    from appointease import security

    security.init_app(app)


def register_metrics(app: Flask) -> None:
    """Count and time requests; serve ``/metrics`` (Prometheus)."""
    from appointease import metrics

    metrics.init_app(app)


def register_static(app: Flask) -> None:
    """Serve ``static/`` compressed, cached and under versioned URLs (WhiteNoise)."""
    from appointease import assets

    assets.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` CLI commands: ``seed-demo``, ``worker``, and the API token commands
    ``create-token``, ``list-tokens``, ``revoke-token``."""
    from appointease.commands import TOKEN_COMMANDS, seed_demo
    from appointease.notify_cli import worker_command

    app.cli.add_command(seed_demo)
    app.cli.add_command(worker_command)
    for command in TOKEN_COMMANDS:
        app.cli.add_command(command)
