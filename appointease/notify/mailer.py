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

Internationalised addresses (RFC 6530, ``appointease.notify.addresses``): a domain with non-ASCII letters is sent in its
IDNA A-label form (``x@exämple.com`` → ``x@xn--exmple-cua.com``, RFC 5891; UTS #46
mapping with the ``idna`` package, else the stdlib's IDNA 2003 codec), which every server
accepts. A non-ASCII local part (``jöhn@…``) can only travel with SMTPUTF8 (RFC 6531):
the message is then sent with ``SMTPUTF8`` and its headers in UTF-8 (RFC 6532); a server
that does not offer it refuses that one message for good. ``.eml`` files always have
their headers in UTF-8, so addresses stay readable.

Failures raise :class:`MailError`: :class:`PermanentMailError` when the server refuses
one message for good (5xx to its recipient, sender or data; SMTPUTF8 needed but not
offered), :class:`TemporaryMailError` for everything worth retrying (4xx answers, a
refused sender — a configuration problem that a fix will clear). Only a failure of the
connection itself (refused, lost, timed out, TLS, login, ``421`` "closing channel") is
``unreachable``: the outbox then defers the other due messages too; any other failure
concerns that message alone.
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

from appointease.notify.addresses import AddressError, Envelope, ascii_headers, envelope_of

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
    """Turn an ``smtplib``/socket error raised while sending one message into a :class:`MailError`.

    RFC 5321 §4.2.1 reply classes: a 5xx to the recipient, the sender or the data fails
    that message (:class:`PermanentMailError`; a refused sender other than ``552`` "too
    large" is a configuration problem and stays temporary), a 4xx defers it. Neither says
    anything about the other messages. ``unreachable`` only for the connection itself:
    socket errors, time-outs, a dropped connection, a refused login and ``421`` (the
    server closes the channel, RFC 5321 §3.8).
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        if 421 in codes:
            return TemporaryMailError(f"recipient refused: {codes} (server closing)", unreachable=True)
        cls = PermanentMailError if codes and all(500 <= c < 600 for c in codes) else TemporaryMailError
        return cls(f"recipient refused: {codes}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TemporaryMailError(f"login refused: {exc.smtp_code} (check SMTP_URL)", unreachable=True)
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return TemporaryMailError(f"server closing the connection: {exc.smtp_code}", unreachable=True)
    if isinstance(exc, smtplib.SMTPConnectError):
        return TemporaryMailError(f"connection refused by the server: {exc.smtp_code}", unreachable=True)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        if exc.smtp_code == 552:  # SIZE too large for this server (RFC 1870 §6.1): this message only
            return PermanentMailError(f"message too large: {exc.smtp_code}")
        return TemporaryMailError(f"sender refused: {exc.smtp_code} (check MAIL_FROM)")
    if isinstance(exc, smtplib.SMTPDataError):
        cls = PermanentMailError if 500 <= exc.smtp_code < 600 else TemporaryMailError
        return cls(f"message refused: {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPResponseException):
        cls = PermanentMailError if 500 <= exc.smtp_code < 600 else TemporaryMailError
        return cls(f"SMTP error {exc.smtp_code}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # a feature this one message needs
        return PermanentMailError(f"not supported by the server: {exc}"[:300])
    return TemporaryMailError(f"{type(exc).__name__}: {exc}"[:300], unreachable=True)


def connection_error(exc: BaseException) -> TemporaryMailError:
    """Turn a failure to open the SMTP session (connect, greeting, STARTTLS, login) into an ``unreachable`` error.

    Whatever the reason, every other message would fail the same way right now.
    """
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        text = f"login refused: {exc.smtp_code} (check SMTP_URL)"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"session refused by the server: {exc.smtp_code}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return TemporaryMailError(text[:300], unreachable=True)


def wire_envelope(msg: EmailMessage) -> Envelope:
    """The envelope of ``msg`` (:func:`~appointease.notify.addresses.envelope_of`), its errors as MailErrors.

    Raises:
        PermanentMailError: no recipient, or a recipient domain IDNA cannot encode.
        TemporaryMailError: ``unreachable``: the sender's (``MAIL_FROM``) cannot be
            encoded, so every message would fail alike.
    """
    try:
        return envelope_of(msg)
    except AddressError as exc:
        if exc.sender:
            raise TemporaryMailError(f"{exc} (check MAIL_FROM)", unreachable=True) from None
        raise PermanentMailError(str(exc)) from None


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

    def _connection(self) -> smtplib.SMTP:
        """The open session, connecting first if needed.

        Raises:
            TemporaryMailError: unreachable (see :func:`connection_error`).
        """
        if self._conn is None:
            try:
                self._conn = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                raise connection_error(exc) from None
        return self._conn

    def _check_smtputf8(self, conn: smtplib.SMTP, envelope: Envelope) -> None:
        """Refuse a message that needs SMTPUTF8 (RFC 6531) when the server does not offer it.

        Raises:
            PermanentMailError: a recipient's local part is not ASCII (that message only).
            TemporaryMailError: ``MAIL_FROM``'s is (every message: ``unreachable``).
        """
        if not envelope.smtputf8 or conn.has_extn("smtputf8"):
            return
        if envelope.sender_smtputf8:
            raise TemporaryMailError(
                "MAIL_FROM needs SMTPUTF8, which the server does not offer (check MAIL_FROM)", unreachable=True
            )
        raise PermanentMailError("recipient needs SMTPUTF8, which the server does not offer")

    def send(self, msg: EmailMessage, *, ident: str) -> None:
        """Hand ``msg`` to the SMTP server (one ``MAIL FROM`` … ``DATA`` exchange).

        Domains go in A-labels; a non-ASCII local part goes with ``SMTPUTF8`` and UTF-8
        headers (smtplib adds ``SMTPUTF8 BODY=8BITMIME`` for a non-ASCII envelope).

        Raises:
            PermanentMailError, TemporaryMailError: see :func:`classify`,
                :func:`connection_error` and :meth:`_check_smtputf8`.
        """
        envelope = wire_envelope(msg)
        conn = self._connection()
        self._check_smtputf8(conn, envelope)
        wire = msg if envelope.smtputf8 else ascii_headers(msg)
        try:
            refused = conn.send_message(wire, envelope.sender or None, list(envelope.recipients))
        except (OSError, smtplib.SMTPException) as exc:
            error = classify(exc)
            usable = isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused))
            if error.unreachable or not usable:  # smtplib reset the others (RSET); 421 closed them
                self.close()
            raise error from None
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
    """Writes each message to ``<folder>/<UTC timestamp>-<ident>.eml`` (development, SPEC §7).

    Headers are written in UTF-8 (the policy's ``utf8=True``, as ``email.policy.SMTPUTF8``; RFC 6532), so an address
    such as ``jöhn@exämple.com`` stays readable instead of becoming RFC 2047 words, which
    are not allowed inside an address.
    """

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
                fh.write(msg.as_bytes(policy=msg.policy.clone(utf8=True)))
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
