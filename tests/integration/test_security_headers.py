"""Security headers and CORS (SPEC §8, issue 11 finding 6), on JSON and HTML responses alike."""

from __future__ import annotations

import re

import pytest

from appointease.security import HTML_CSP, OTHER_CSP

from support.helpers import ROOT, TEST_CONFIG

SHOP = "https://shop.example"
WIDGET_HEADERS = "content-type, idempotency-key, x-idempotency-key, if-none-match, authorization"


@pytest.fixture
def make_client(database_url, redis_url):
    """Factory: ``make_client(**config)`` → a test client of an app with those overrides."""
    from appointease import create_app
    from appointease.extensions import db

    apps = []

    def make(**overrides):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url, **TEST_CONFIG, **overrides})
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def preflight(client, path: str, method: str, origin: str = SHOP, headers: str | None = None):
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=sent)


def assert_secure(response, csp: str) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Content-Security-Policy"] == csp
    # The widget's files are embedded by other sites: nothing may forbid that.
    assert "Cross-Origin-Resource-Policy" not in response.headers


def test_every_json_response_has_the_headers_and_no_document_policy(client, workday):
    responses = {
        "healthz": client.get("/healthz"),
        "services": client.get("/api/v1/services"),
        "404": client.get("/api/v1/nope"),
        "405": client.delete("/api/v1/services"),
        "422": client.post("/api/v1/slots/select", json={}),
        "400": client.post("/api/v1/heartbeat", data="not json"),
        "openapi": client.get("/api/v1/openapi.json"),
    }
    for name, response in responses.items():
        assert response.mimetype == "application/json", name
        assert_secure(response, OTHER_CSP)
    assert "default-src 'none'" in OTHER_CSP and "frame-ancestors 'none'" in OTHER_CSP


def test_html_pages_allow_only_self(client):
    for path in ("/", "/static/index.html", "/api/v1/docs"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert_secure(response, HTML_CSP)
        response.close()
    directives = dict(d.strip().split(" ", 1) for d in HTML_CSP.split(";"))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'self'"
    assert "unsafe" not in HTML_CSP and "*" not in HTML_CSP


@pytest.mark.parametrize("page", ["static/index.html", "appointease/templates/api_docs.html"])
def test_our_html_pages_need_nothing_the_policy_forbids(page):
    html = (ROOT / page).read_text()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\s(style|on[a-z]+)=", html), "inline style or handler attribute"


def test_widget_files_have_their_types_and_no_cross_origin_block(client):
    for path, mimetype in (("/static/appointease.js", "text/javascript"), ("/static/appointease.css", "text/css")):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == mimetype
        assert_secure(response, OTHER_CSP)
        response.close()


def test_the_test_page_is_not_public(client):
    assert client.get("/static/embed-test.html").status_code == 404


def test_a_204_has_no_content_type_or_length(client, workday):
    response = client.post(
        "/api/v1/slots/release",
        json={"date": workday.isoformat(), "time": "10:00", "employee_id": 1, "client_id": "client-aaaa-0001"},
    )
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers and "Content-Length" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_preflight_allows_the_widgets_methods_and_headers(client):
    response = preflight(client, "/api/v1/slots/select", "POST", headers=WIDGET_HEADERS)
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert set(response.headers["Access-Control-Allow-Headers"].split(", ")) == set(WIDGET_HEADERS.split(", "))
    assert response.headers["Access-Control-Max-Age"] == "600"
    reads = preflight(client, "/api/v1/services", "GET", headers="if-none-match")
    assert reads.headers["Access-Control-Allow-Origin"] == SHOP
    assert reads.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/slots/select", "DELETE"),
        ("/api/v1/slots/select", "PUT"),
        ("/api/v1/slots/select", "PATCH"),
        ("/api/v1/slots/select", "GET"),
        ("/api/v1/services", "POST"),
        ("/api/v1/services", "DELETE"),
        ("/api/v1/appointments", "PUT"),
        ("/api/v1/nope", "POST"),
    ],
)
def test_preflight_refuses_methods_the_route_does_not_have(client, path, method):
    response = preflight(client, path, method, headers="content-type")
    assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")], dict(response.headers)  # noqa: SIM118 (Headers iterate as pairs)


def test_preflight_drops_headers_the_api_does_not_take(client):
    response = preflight(client, "/api/v1/slots/select", "POST", headers="content-type, x-evil")
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"


def test_responses_expose_what_the_widget_reads(client):
    response = client.get("/api/v1/services", headers={"Origin": SHOP})
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert set(response.headers["Access-Control-Expose-Headers"].split(", ")) == {"ETag", "Location", "Retry-After"}
    assert "Origin" in response.headers.get("Vary", "")


def test_origin_null_is_never_echoed_by_default(client):
    for response in (
        preflight(client, "/api/v1/slots/select", "POST", origin="null", headers="content-type"),
        client.get("/api/v1/services", headers={"Origin": "null"}),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_configured_origins_only(make_client):
    client = make_client(APPOINTEASE_CORS_ORIGINS=[SHOP])
    assert preflight(client, "/api/v1/slots/select", "POST").headers["Access-Control-Allow-Origin"] == SHOP
    for origin in ("https://evil.example", "null"):
        assert "Access-Control-Allow-Origin" not in preflight(client, "/api/v1/slots/select", "POST", origin).headers
    # "null" is allowed only when listed on purpose.
    opted_in = make_client(APPOINTEASE_CORS_ORIGINS=["null"])
    assert preflight(opted_in, "/api/v1/slots/select", "POST", "null").headers["Access-Control-Allow-Origin"] == "null"


def test_no_cors_outside_the_api(client):
    assert "Access-Control-Allow-Origin" not in client.get("/healthz", headers={"Origin": SHOP}).headers


# APPOINTEASE_CORS_ORIGINS as an operator types it (SPEC §6, issue 16 point 5): the
# environment, not a config override, so the start-up parser runs.


def test_a_trailing_slash_is_dropped_with_a_warning_and_cors_answers(make_client, monkeypatch, caplog):
    monkeypatch.setenv("APPOINTEASE_CORS_ORIGINS", "https://shop.example.org/")
    with caplog.at_level("WARNING", logger="appointease.config"):
        client = make_client()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("APPOINTEASE_CORS_ORIGINS" in m and "'https://shop.example.org/'" in m for m in warned), warned
    origin = "https://shop.example.org"
    assert client.get("/api/v1/services", headers={"Origin": origin}).headers["Access-Control-Allow-Origin"] == origin
    answer = preflight(client, "/api/v1/slots/select", "POST", origin=origin, headers="content-type")
    assert answer.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize("entry", ["shop.example.org", "https://shop.example.org/booking"])
def test_a_bare_host_or_a_path_refuses_to_start(make_client, monkeypatch, entry):
    monkeypatch.setenv("APPOINTEASE_CORS_ORIGINS", f"https://www.example.org,{entry}")
    with pytest.raises(ValueError, match="APPOINTEASE_CORS_ORIGINS") as refused:
        make_client()
    assert repr(entry) in str(refused.value)
