"""SECRET_KEY at start-up (SPEC §8): never the development value in a real deployment."""

from __future__ import annotations

import stat

import pytest
from flask import Flask

from appointease import create_app
from appointease.secret_key import DEV_SECRET_KEY, KEY_FILE, ensure_secret_key

PG = "postgresql+psycopg://appointease@127.0.0.1:1/appointease"


def make_app(tmp_path, **config) -> Flask:
    app = Flask("probe", instance_path=str(tmp_path))
    app.config.update({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.sqlite3", "SECRET_KEY": None, **config})
    return app


def test_a_set_key_is_used_as_is(tmp_path):
    app = make_app(tmp_path, SECRET_KEY="a-long-random-production-key", SQLALCHEMY_DATABASE_URI=PG)
    ensure_secret_key(app)
    assert app.config["SECRET_KEY"] == "a-long-random-production-key"


@pytest.mark.parametrize("database", [PG, "sqlite:///x.sqlite3"])
def test_the_development_value_is_refused_outside_development_and_testing(tmp_path, database):
    with pytest.raises(RuntimeError, match="SECRET_KEY is the development value"):
        ensure_secret_key(make_app(tmp_path, SECRET_KEY=DEV_SECRET_KEY, SQLALCHEMY_DATABASE_URI=database))


def test_a_server_database_without_a_key_fails_with_what_to_set(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        ensure_secret_key(make_app(tmp_path, SQLALCHEMY_DATABASE_URI=PG))


def test_create_app_fails_at_start_up_not_on_a_request(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": PG, "SECRET_KEY": None, "TESTING": False, "DEBUG": False})


@pytest.mark.parametrize("flag", ["TESTING", "DEBUG"])
def test_testing_and_development_may_use_the_development_value(tmp_path, flag):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=PG, **{flag: True})
    ensure_secret_key(app)
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


def test_the_embedded_default_generates_a_private_key_once(tmp_path):
    first = make_app(tmp_path)
    ensure_secret_key(first)
    key = first.config["SECRET_KEY"]
    path = tmp_path / KEY_FILE
    assert len(key) >= 48 and key != DEV_SECRET_KEY
    assert path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = make_app(tmp_path)
    ensure_secret_key(again)
    assert again.config["SECRET_KEY"] == key
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary files left
