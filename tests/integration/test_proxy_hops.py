"""The client address (SPEC §8): the socket peer, or what N trusted proxies put in X-Forwarded-For.

The nginx fixture test (tests/deploy/test_nginx.py) shows the same through a real proxy.
"""

from __future__ import annotations

import pytest
from flask import jsonify, request

from appointease.config import load_config

from support.helpers import TEST_CONFIG

FORWARDED = {"X-Forwarded-For": "198.51.100.7, 203.0.113.20", "X-Forwarded-Proto": "https"}


@pytest.fixture
def seen_by_app(database_url, redis_url):
    """``seen_by_app(hops)`` → (remote_addr, scheme) the app sees for a forwarded request from 10.0.0.5."""
    from appointease import create_app
    from appointease.extensions import db

    apps = []

    def seen(hops: int) -> tuple[str, str]:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url,
                **TEST_CONFIG,
                "APPOINTEASE_PROXY_HOPS": hops,
            }
        )
        apps.append(app)
        # A test-only route: the product has no way to echo a client's address.
        app.add_url_rule("/_test/whoami", "whoami", lambda: jsonify(addr=request.remote_addr, scheme=request.scheme))
        body = (
            app.test_client()
            .get("/_test/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.5"})
            .get_json()
        )
        return body["addr"], body["scheme"]

    yield seen
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_without_hops_the_socket_peer_is_the_client_and_headers_are_ignored(seen_by_app):
    assert seen_by_app(0) == ("10.0.0.5", "http")


def test_one_hop_takes_the_address_our_proxy_added(seen_by_app):
    assert seen_by_app(1) == ("203.0.113.20", "https")


def test_two_hops_take_the_address_the_outer_proxy_added(seen_by_app):
    assert seen_by_app(2)[0] == "198.51.100.7"


def test_hops_default_to_zero_and_must_be_a_non_negative_integer():
    assert load_config("/tmp", env={})["APPOINTEASE_PROXY_HOPS"] == 0
    assert load_config("/tmp", env={"APPOINTEASE_PROXY_HOPS": "1"})["APPOINTEASE_PROXY_HOPS"] == 1
    for bad in ("-1", "one", "1.5"):
        with pytest.raises(ValueError, match="APPOINTEASE_PROXY_HOPS"):
            load_config("/tmp", env={"APPOINTEASE_PROXY_HOPS": bad})
