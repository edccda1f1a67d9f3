"""Outbound URLs (SPEC §11, issue 16 point 4): webhooks never reach loopback, private, link-local or
metadata addresses unless ``APPOINTEASE_ALLOW_PRIVATE_URLS`` is set — at registration (422) and at
every attempt the worker makes (refused, recorded); redirects are not followed; the connection
goes to the address that was checked.

Every other test allows private URLs (``TEST_CONFIG``: the receivers run on 127.0.0.1); here it
is off, and the real receivers on 127.0.0.1 show that nothing reaches them.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from appointease import outbound
from appointease.notify.models import WebhookAttempt, WebhookDelivery
from appointease.notify_cli import run_once

from support.admin_kit import Caller, error, make_token, ok
from support.notify_fixtures import book, register_webhook, rows
from support.receivers import self_signed_certificate

REFUSED_AT_REGISTRATION = [
    "http://localhost:6379/",  # a name resolving to 127.0.0.1: the Redis port
    "http://localhost/hooks",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata
    "http://[fd00:ec2::254]/latest/meta-data",  # AWS metadata over IPv6
    "http://10.0.0.5/",
    "http://192.168.1.20:8080/crm",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://0.0.0.0:8000/api/v1/admin/tokens",
    "http://127.1/",  # resolves (inet_aton) to 127.0.0.1
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "https://100.100.100.200/",  # shared address space (Alibaba metadata)
    "http://224.0.0.1/",
    "ftp://crm.example.com/hooks",
    "file:///etc/passwd",
]


@pytest.fixture
def app(make_app):
    """The app as a real deployment runs it: private URLs not allowed."""
    return make_app(APPOINTEASE_ALLOW_PRIVATE_URLS=False)


@pytest.fixture
def admin(app) -> Caller:
    return Caller(app.test_client(), make_token(app, "admin"))


@pytest.mark.parametrize("url", REFUSED_AT_REGISTRATION)
def test_registration_refuses_internal_destinations(app, admin, url):
    answer = error(admin.post("/webhooks", json={"url": url, "events": ["*"]}), 422, "validation_error")
    assert list(answer["fields"]) == ["url"], answer
    assert ok(admin.get("/webhooks")) == []


def test_the_refusal_says_why(admin):
    answer = error(
        admin.post("/webhooks", json={"url": "http://localhost:6379/", "events": ["*"]}), 422, "validation_error"
    )
    [message] = answer["fields"]["url"]
    assert "localhost resolves to" in message and "loopback" in message and "APPOINTEASE_ALLOW_PRIVATE_URLS" in message


def test_a_name_that_does_not_resolve_yet_is_accepted(admin):
    created = ok(admin.post("/webhooks", json={"url": "https://crm.no-such-host.invalid/hooks", "events": ["*"]}), 201)
    assert created["url"] == "https://crm.no-such-host.invalid/hooks"


def test_allowed_when_the_operator_says_so(make_app, receiver):
    allowing = make_app(APPOINTEASE_ALLOW_PRIVATE_URLS=True)
    admin = Caller(allowing.test_client(), make_token(allowing, "admin"))
    ok(admin.post("/webhooks", json={"url": receiver.url("/on-premise"), "events": ["*"]}), 201)
    book(allowing)
    assert run_once(allowing)["webhook_delivered"] == 1
    assert len(receiver.wait_for("/on-premise", 1)) == 1  # recorded just after answering


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_worker_refuses_an_internal_destination_registered_earlier(app, receiver, host):
    # Registered while allowed (or before this rule existed); the worker checks again.
    register_endpoint_allowed(app, receiver.url("/inside").replace("127.0.0.1", host))
    book(app)
    totals = run_once(app)
    assert totals["webhook_delivered"] == 0
    assert receiver.arrivals == []  # nothing reached the real receiver on 127.0.0.1
    [delivery] = rows(app, WebhookDelivery)
    attempts = rows(app, WebhookAttempt)
    assert delivery["status"] in ("pending", "failed") and attempts
    assert all(a["response_code"] is None for a in attempts)
    assert attempts[0]["error"].startswith("refused: ") and "loopback" in attempts[0]["error"]


def register_endpoint_allowed(app, url: str) -> int:
    """Register ``url`` bypassing the registration check, as an older release (or an allowing config) did."""
    from appointease.extensions import db
    from appointease.notify import register_endpoint

    with app.app_context():
        endpoint, _ = register_endpoint(
            db.session(), url, ["*"], secret_key=app.config["SECRET_KEY"], allow_private=True
        )
        endpoint_id = endpoint.id
        db.session.remove()
    return endpoint_id


def test_a_redirect_is_not_followed_and_the_attempt_fails(make_app, receiver):
    allowing = make_app(APPOINTEASE_ALLOW_PRIVATE_URLS=True)
    receiver.script("/moved", statuses=[302], headers={"Location": receiver.url("/target")})
    register_webhook(allowing, receiver.url("/moved"))
    book(allowing)
    totals = run_once(allowing)
    assert totals["webhook_delivered"] == 0
    assert receiver.wait_for("/moved", 1) and receiver.at("/target") == []
    attempts = rows(allowing, WebhookAttempt)
    assert attempts and all(a["response_code"] == 302 for a in attempts)
    assert rows(allowing, WebhookDelivery)[0]["status"] in ("pending", "failed")


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(receiver, monkeypatch):
    """One lookup per request: the name is not resolved again between the check and the
    connection (DNS rebinding), and the receiver still sees ``Host: localhost:PORT``."""
    real, lookups = socket.getaddrinfo, []

    def spy(host, *args, **kwargs):
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    url = receiver.url("/pinned").replace("127.0.0.1", "localhost")
    with outbound.request("POST", url, allow_private=True, data=b"{}", timeout=5) as response:
        assert response.status_code == 200
    assert lookups.count("localhost") == 1, lookups
    [got] = receiver.wait_for("/pinned", 1)  # the handler records just after answering
    assert got.headers["Host"] == url.split("/")[2]


def test_https_is_verified_for_the_name_and_sends_it_as_sni(tmp_path):
    cert, key = self_signed_certificate(tmp_path, "localhost")  # no IP in the certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: seen.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.dumps({"host": self.headers["Host"]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"https://localhost:{server.server_address[1]}/tls"
        with outbound.request("POST", url, allow_private=True, data=b"{}", timeout=5, verify=cert) as response:
            assert response.status_code == 200
            assert response.json() == {"host": f"localhost:{server.server_address[1]}"}
        assert seen == ["localhost"]
        with pytest.raises(outbound.RefusedURL):
            outbound.request("POST", url, allow_private=False, data=b"{}", timeout=5, verify=cert)
    finally:
        server.shutdown()
        server.server_close()
