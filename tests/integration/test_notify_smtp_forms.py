"""The ``SMTP_URL`` forms against real servers: STARTTLS with a login, implicit TLS (SPEC §6).

Plain ``smtp://`` is what every other notification test uses.
"""

from __future__ import annotations

import ssl

import pytest

from appointease.notify.models import MailMessage
from appointease.notify_cli import run_once

from support.notify_fixtures import book, rows
from support.receivers import SMTPCapture, self_signed_certificate


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A server context with a self-signed certificate that the client trusts (``SSL_CERT_FILE``)."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # read by ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def deliver(make_app, server: SMTPCapture, url: str) -> None:
    server.start()
    try:
        app = make_app(SMTP_URL=url)
        ref = book(app)["reference"]
        assert run_once(app)["mail_sent"] == 1
        assert ref in server.wait_for(1)[0]["Subject"]
    finally:
        server.stop()


def login_server(tls) -> SMTPCapture:
    server = SMTPCapture(tls_context=tls, require_starttls=True, auth_required=True, auth_exclude_mechanism=["LOGIN"])
    server.options["authenticator"] = server.authenticate
    return server


def test_starttls_with_a_percent_encoded_login(make_app, tls):
    server = login_server(tls)
    deliver(make_app, server, f"smtp+starttls://user:secret%20pass@127.0.0.1:{server.port}")
    assert server.logins == [("user", "secret pass")]


def test_a_refused_login_is_retried_not_lost(make_app, tls):
    server = login_server(tls)
    server.start()
    try:
        app = make_app(SMTP_URL=f"smtp+starttls://user:wrong@127.0.0.1:{server.port}")
        book(app)
        assert run_once(app)["mail_retry"] == 1
        [row] = rows(app, MailMessage)
        assert row["status"] == "pending" and "login refused" in row["last_error"] and "wrong" not in row["last_error"]
    finally:
        server.stop()


def test_implicit_tls(make_app, tls):
    server = SMTPCapture(ssl_context=tls)
    deliver(make_app, server, f"smtps://127.0.0.1:{server.port}")


def test_an_untrusted_certificate_is_refused_and_retried(make_app, tls, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    server = SMTPCapture(ssl_context=tls)
    server.start()
    try:
        app = make_app(SMTP_URL=f"smtps://127.0.0.1:{server.port}")
        book(app)
        assert run_once(app)["mail_retry"] == 1
        assert "CERTIFICATE_VERIFY_FAILED" in rows(app, MailMessage)[0]["last_error"]
        assert server.messages == []
    finally:
        server.stop()
