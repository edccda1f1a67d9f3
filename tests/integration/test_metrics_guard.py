"""``/metrics`` cannot be inflated or read by strangers (SPEC §8, issue 11 finding 4 and 6).

In-process (one process, the default prometheus registry); the multi-worker sums are
tested in test_metrics.py.
"""

from __future__ import annotations

import pytest

from support.helpers import TEST_CONFIG

TOKEN = "metrics-token-7f3a9c"


@pytest.fixture
def guarded(database_url, redis_url):
    """A test client of an app whose ``/metrics`` needs ``TOKEN``."""
    from appointease import create_app
    from appointease.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            **TEST_CONFIG,
            "APPOINTEASE_METRICS_TOKEN": TOKEN,
        }
    )
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("appointease_http_requests_total{")]


def test_odd_methods_and_unknown_paths_add_no_series(client):
    for method in ("ZZAAB", "PROPFIND", "BREW"):
        assert client.open("/healthz", method=method).status_code == 405
    for n in range(5):
        assert client.get(f"/no/such/page-{n}").status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    series = _series(text)
    assert not [s for s in series if "ZZAAB" in s or "PROPFIND" in s or "BREW" in s or "page-" in s], series
    assert any('endpoint="unmatched",method="other",status="405"' in s for s in series), series
    assert any('endpoint="unmatched",method="GET",status="404"' in s for s in series), series
    methods = {s.split('method="')[1].split('"')[0] for s in series}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}


def test_metrics_are_public_without_a_token(client):
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer ", f"Bearer {TOKEN}x"])
def test_metrics_refuse_a_missing_or_wrong_token(guarded, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {"error": {"code": "unauthorized", "message": "A valid metrics token is required."}}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in response.get_data(as_text=True)


def test_metrics_answer_the_right_token(guarded):
    response = guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "appointease_http_requests_total" in response.get_data(as_text=True)
