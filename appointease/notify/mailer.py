"""Mail transports: SMTP from ``SMTP_URL`` (stdlib ``smtplib``), or ``.eml`` files in the outbox folder.

``SMTP_URL`` forms (SPEC §6):

* ``smtp://[user:pass@]host[:port]`` — plain SMTP (port 25 by default);
* ``smtp+starttls://[user:pass@]host[:port]`` — upgraded with STARTTLS (port 587);
* ``smtps://[user:pass@]host[:port]`` — TLS from the first byte (port 465).

User and password are percent-decoded. TLS certificates are verified with the system
trust store (``ssl.create_default_context``). Every network wait is bounded by
``APPOINTEASE_SMTP_TIMEOUT`` seconds.

Without ``SMTP_URL`` each message is written to ``instance/outbox/<timestamp>-<id>.eml``
(``APPOINTEASE_OUTBOX_DIR``) and one log line names its recipient and subject — never
its body, which may hold a code.

Failures raise :class:`MailError`: :class:`PermanentMailError` when the server refuses
for good (5xx to a recipient or to the message), :class:`TemporaryMailError` for
everything worth retrying (connection refused or lost, time-outs, 4xx answers, a
refused sender or login — a configuration problem that a fix will clear).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, Self
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    """A message could not be handed over.

    Attributes:
        permanent: retrying cannot help.
        unreachable: the server could not be reached at all (so other messages will
            fail the same way right now).
    """

    permanent = False
    unreachable = False


class TemporaryMailError(MailError):
    """Worth retrying later: the server is down, busy (4xx) or misconfigured."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class PermanentMailError(MailError):
    """Refused for good (5xx to the recipient or the message): retrying will not help."""

    permanent = True


@dataclass(frozen=True)
class SMTPSettings:
    """A parsed ``SMTP_URL``: ``scheme`` is one of :data:`DEFAULT_PORTS`."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"SMTPSettings({self.scheme}://{self.host}:{self.port}, user={self.username!r})"


def parse_smtp_url(url: str) -> SMTPSettings:
    """Parse ``SMTP_URL`` (forms in the module docstring).

    Raises:
        ValueError: unknown scheme, no host, or a port that is not a number.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"SMTP_URL scheme must be one of {', '.join(DEFAULT_PORTS)}")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("SMTP_URL port must be a number") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SMTPSettings(scheme, parts.hostname, port, username, password)


class Transport(Protocol):
    """Hands messages over. Use as a context manager so connections are closed."""

    def send(self, msg: EmailMessage, *, ident: str) -> None:
        """Send ``msg``; ``ident`` is a short safe id (file names, logs). Raises MailError."""

    def close(self) -> None:
        """Release any connection (idempotent)."""


def classify(exc: BaseException) -> MailError:
    """Turn an ``smtplib``/socket error into a :class:`MailError` (RFC 5321 §4.2.1 reply classes)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        cls = PermanentMailError if codes and all(500 <= c < 600 for c in codes) else TemporaryMailError
        return cls(f"recipient refused: {sorted(set(codes))}")
    if isinstance(exc, smtplib.SMTPDataError):
        cls = PermanentMailError if 500 <= exc.smtp_code < 600 else TemporaryMailError
        return cls(f"message refused: {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return TemporaryMailError(f"sender refused: {exc.smtp_code} (check MAIL_FROM)")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TemporaryMailError(f"login refused: {exc.smtp_code} (check SMTP_URL)")
    if isinstance(exc, smtplib.SMTPResponseException):
        return TemporaryMailError(f"SMTP error {exc.smtp_code}")
    return TemporaryMailError(f"{type(exc).__name__}: {exc}"[:300], unreachable=True)


class SMTPTransport:
    """Sends over one SMTP connection, opened on first use and reopened after a failure.

    Args:
        settings: the parsed ``SMTP_URL``.
        timeout: seconds for connecting and for each reply.
    """

    def __init__(self, settings: SMTPSettings, timeout: float):
        self.settings = settings
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.scheme == "smtps":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if s.scheme == "smtp+starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: EmailMessage, *, ident: str) -> None:
        """Hand ``msg`` to the SMTP server (one ``MAIL FROM`` … ``DATA`` exchange).

        Raises:
            PermanentMailError, TemporaryMailError: see :func:`classify`.
        """
        try:
            if self._conn is None:
                self._conn = self._connect()
            refused = self._conn.send_message(msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            raise classify(exc) from None  # the connection is still usable
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise classify(exc) from None
        if refused:  # some of several recipients refused
            raise classify(smtplib.SMTPRecipientsRefused(refused))
        log.info(
            "mail %s to %s: %r accepted by %s:%s",
            ident,
            msg["To"],
            msg["Subject"],
            self.settings.host,
            self.settings.port,
        )

    def close(self) -> None:
        """Say QUIT (or just drop the socket when the server is gone)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class OutboxTransport:
    """Writes each message to ``<folder>/<UTC timestamp>-<ident>.eml`` (development, SPEC §7)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def send(self, msg: EmailMessage, *, ident: str) -> None:
        """Write ``msg`` atomically (temp file + rename) and log recipient and subject.

        Raises:
            TemporaryMailError: the folder cannot be written (disk full, permissions).
        """
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{ident}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as fh:
                fh.write(msg.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:
            raise TemporaryMailError(f"cannot write {path}: {exc.strerror}") from None
        log.info("mail %s to %s: %r written to %s", ident, msg["To"], msg["Subject"], path)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build_transport(config) -> SMTPTransport | OutboxTransport:
    """Pick the transport for an app config: SMTP when ``SMTP_URL`` is set, else the outbox folder.

    Raises:
        ValueError: ``SMTP_URL`` is malformed.
    """
    if config.get("SMTP_URL"):
        return SMTPTransport(parse_smtp_url(config["SMTP_URL"]), float(config["APPOINTEASE_SMTP_TIMEOUT"]))
    return OutboxTransport(config["APPOINTEASE_OUTBOX_DIR"])
