"""Real receivers for notification tests: an SMTP capture server (aiosmtpd) and an HTTP webhook receiver.

Both listen on 127.0.0.1 on a free port, run in background threads, and keep what
they received for the test to inspect. Both can be told how to answer: the SMTP
server can refuse recipients (4xx/5xx) or be stopped and started again on the same
port (an SMTP outage); the HTTP receiver answers each path by a small script (status
codes in turn, delays).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from support.process import free_port


@dataclass
class Delivery:
    """One accepted message as the server saw it: ``MAIL FROM``, ``RCPT TO`` addresses, the
    ``MAIL FROM`` options (``SMTPUTF8``, ``BODY=8BITMIME``, ``SIZE=…``) and the raw bytes."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes


class _Capture:
    """aiosmtpd handler: keeps every accepted message; answers RCPT as ``refuse`` says."""

    def __init__(self, owner: SMTPCapture):
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.owner.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        delivery = Delivery(envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), envelope.content)
        with self.owner.lock:
            self.owner.messages.append(msg)
            self.owner.deliveries.append(delivery)
        return "250 Message accepted for delivery"


class SMTPCapture:
    """An SMTP server on 127.0.0.1 that keeps what it accepts.

    Args:
        **smtp_options: passed to aiosmtpd's ``Controller`` (``ssl_context`` for implicit
            TLS, ``tls_context`` + ``require_starttls`` for STARTTLS, ``auth_required`` …,
            ``enable_SMTPUTF8=True`` to offer SMTPUTF8 — aiosmtpd's default is not to).

    Attributes:
        messages: parsed ``EmailMessage`` objects, in arrival order.
        deliveries: the same messages as :class:`Delivery` records (envelope and raw bytes).
        refuse: ``{lower-case address: "550 …" | "451 …"}`` answers to RCPT TO.
        logins: ``(user, password)`` pairs presented with AUTH.
        url: ``smtp://127.0.0.1:PORT`` for ``SMTP_URL``.
    """

    def __init__(self, **smtp_options):
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.deliveries: list[Delivery] = []
        self.refuse: dict[str, str] = {}
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.options = smtp_options
        self._controller: Controller | None = None

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        """aiosmtpd authenticator: records the login; accepts only ``user``/``secret pass``."""
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("user", "secret pass"), handled=False)  # handled=False: send 535

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SMTPCapture:
        """Listen (again) on the same port."""
        if self._controller is None:
            self._controller = Controller(_Capture(self), hostname="127.0.0.1", port=self.port, **self.options)
            self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until :meth:`start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        """Messages whose ``To`` is ``address``."""
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@dataclass
class Received:
    """One request the HTTP receiver got: path, headers, raw body, when it arrived and was
    answered (``time.monotonic()``), and the status it was given."""

    path: str
    headers: dict[str, str]
    body: bytes
    arrived: float
    answered: float
    status: int


@dataclass
class Script:
    """How a path answers: ``statuses`` in turn (the last repeats), after ``delays`` seconds in turn,
    with extra response ``headers`` (e.g. a redirect's ``Location``)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delays: list[float] = field(default_factory=lambda: [0.0])
    headers: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def next(self) -> tuple[int, float]:
        i = self.calls
        self.calls += 1
        return self.statuses[min(i, len(self.statuses) - 1)], self.delays[min(i, len(self.delays) - 1)]


class HTTPReceiver:
    """A threaded HTTP server on 127.0.0.1 that records POSTs and answers by :class:`Script`.

    Usage: ``receiver.script("/slow", delays=[3])``; ``receiver.url("/slow")``.
    """

    def __init__(self):
        self.received: list[Received] = []
        self.arrivals: list[str] = []  # paths, as requests arrive (before they are answered)
        self.scripts: dict[str, Script] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.arrivals.append(self.path)
                    script = receiver.scripts.setdefault(self.path, Script())
                    status, delay = script.next()
                    extra = dict(script.headers)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                except OSError:  # the client gave up waiting
                    pass
                # Recorded before the body goes out: the sender cannot have read the whole
                # answer yet, so whatever it does next finds this request already recorded.
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, arrived, time.monotonic(), status)
                    )
                with contextlib.suppress(OSError):
                    self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> HTTPReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def script(
        self,
        path: str,
        statuses: list[int] | None = None,
        delays: list[float] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        with self.lock:
            self.scripts[path] = Script(statuses or [200], delays or [0.0], dict(headers or {}))

    def at(self, path: str) -> list[Received]:
        """Requests to ``path`` that have been answered (their status sent), in order of arrival.

        Sorted by arrival, not by when their handler thread recorded them: a slow handler
        can record after the sender's next request was recorded. A request is recorded
        before its body is written, so a sender that has read its answer always finds it."""
        with self.lock:
            return sorted((r for r in self.received if r.path == path), key=lambda r: r.arrived)

    def wait_for(self, path: str, count: int, timeout: float = 10) -> list[Received]:
        """Wait until ``path`` has answered ``count`` requests; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests at {path}, got {len(self.at(path))}")


def self_signed_certificate(folder, name: str = "127.0.0.1") -> tuple[str, str]:
    """Write a self-signed certificate for ``name`` (an IP address or a host name) and its key
    to ``folder``; return both paths."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    try:
        alt_name = x509.IPAddress(ip_address(name))
    except ValueError:
        alt_name = x509.DNSName(name)
    subject = name
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt_name]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = f"{folder}/cert.pem", f"{folder}/key.pem"
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path
