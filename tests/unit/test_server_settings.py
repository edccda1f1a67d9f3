"""gunicorn settings (gunicorn.conf.py) and the SQLite lock wait that must fit inside them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from appointease.config import load_config

from support.helpers import ROOT, TEST_CONFIG

#: Prints the settings gunicorn.conf.py computes under the given environment.
READ_CONF = (
    "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
    "print(json.dumps({k: c[k] for k in ('worker_class', 'threads', 'workers', 'timeout')}))"
)


def gunicorn_settings(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY"))}
    out = subprocess.run(
        [sys.executable, "-c", READ_CONF],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**clean, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **env},
    ).stdout
    return json.loads(out)


def test_threaded_workers_by_default(tmp_path):
    settings = gunicorn_settings(tmp_path)
    assert settings["worker_class"] == "gthread" and settings["threads"] == 4 and settings["timeout"] == 30


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"GUNICORN_WORKER_CLASS": "sync"}, ("sync", 1)),
        ({"GUNICORN_THREADS": "8"}, ("gthread", 8)),
        ({"WEB_CONCURRENCY": "3"}, ("gthread", 4)),
    ],
)
def test_the_worker_class_and_threads_come_from_the_environment(tmp_path, env, expected):
    settings = gunicorn_settings(tmp_path, **env)
    assert (settings["worker_class"], settings["threads"]) == expected
    if "WEB_CONCURRENCY" in env:
        assert settings["workers"] == 3


def test_sqlite_gives_up_on_a_lock_well_before_gunicorn_kills_the_worker(tmp_path):
    from appointease import create_app
    from appointease.extensions import db

    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "REDIS_URL": None}
    )
    with app.app_context():
        busy_ms = db.session.execute(text("PRAGMA busy_timeout")).scalar()
        db.session.remove()
        db.engine.dispose()
    assert busy_ms * 2 <= gunicorn_settings(tmp_path)["timeout"] * 1000, busy_ms


@pytest.mark.parametrize("raw, expected", [(None, "EUR"), ("gbp", "GBP"), (" usd ", "USD")])
def test_currency_is_an_iso_4217_code(tmp_path, raw, expected):
    env = {} if raw is None else {"APPOINTEASE_CURRENCY": raw}
    assert load_config(str(tmp_path), env)["APPOINTEASE_CURRENCY"] == expected


@pytest.mark.parametrize("raw", ["EURO", "€", "E1R", "ÉUR"])
def test_a_currency_that_is_not_a_code_stops_the_start(tmp_path, raw):
    with pytest.raises(ValueError, match="APPOINTEASE_CURRENCY must be an ISO 4217 code"):
        load_config(str(tmp_path), {"APPOINTEASE_CURRENCY": raw})


def test_lock_max_defaults_to_twice_the_lock_ttl_and_is_validated(tmp_path):
    """Issue 16 point 8: a hold's life is bounded; the bound must leave a lock its TTL."""
    assert load_config(str(tmp_path), {})["APPOINTEASE_LOCK_MAX_SECONDS"] == 1200
    assert load_config(str(tmp_path), {"APPOINTEASE_LOCK_TTL": "300"})["APPOINTEASE_LOCK_MAX_SECONDS"] == 600
    env = {"APPOINTEASE_LOCK_TTL": "300", "APPOINTEASE_LOCK_MAX_SECONDS": "900"}
    assert load_config(str(tmp_path), env)["APPOINTEASE_LOCK_MAX_SECONDS"] == 900
    with pytest.raises(ValueError, match="APPOINTEASE_LOCK_MAX_SECONDS must be at least APPOINTEASE_LOCK_TTL"):
        load_config(str(tmp_path), {"APPOINTEASE_LOCK_MAX_SECONDS": "599"})
    with pytest.raises(ValueError, match="APPOINTEASE_LOCK_MAX_SECONDS must be an integer"):
        load_config(str(tmp_path), {"APPOINTEASE_LOCK_MAX_SECONDS": "20m"})
