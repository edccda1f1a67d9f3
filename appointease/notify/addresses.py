"""Email addresses on the wire: IDNA for domains, SMTPUTF8 for the rest (RFC 6530–6532).

An address keeps the form the customer typed in the database and in the ``.eml`` files;
only what goes to an SMTP server is converted. A domain with non-ASCII letters becomes
its IDNA A-labels (``exämple.com`` → ``xn--exmple-cua.com``, RFC 5890/5891), with the
``idna`` package's IDNA 2008 + UTS #46 mapping when it is installed (it comes with
``requests``), else the stdlib's IDNA 2003 codec. A non-ASCII local part (``jöhn@``)
cannot be converted: such a message needs a server that offers SMTPUTF8 (RFC 6531),
and then its headers travel in UTF-8 (RFC 6532). Nothing here touches the network.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

try:  # IDNA 2008 with UTS #46 mapping (a dependency of requests)
    import idna as _idna
except ImportError:  # pragma: no cover - the stdlib codec (IDNA 2003) then
    _idna = None


class AddressError(ValueError):
    """An address of a message cannot be put on the wire.

    Attributes:
        sender: True when it is the sender's (``From``, i.e. ``MAIL_FROM``): every
            message would fail alike; False for a recipient's (that message only).
    """

    def __init__(self, message: str, *, sender: bool):
        super().__init__(message)
        self.sender = sender


def ascii_domain(domain: str) -> str:
    """Return ``domain`` as sent on the wire: unchanged when ASCII, else its IDNA A-labels.

    ``"exämple.com"`` → ``"xn--exmple-cua.com"`` (RFC 5890/5891, UTS #46 mapping, so
    ``"EXÄMPLE.com"`` gives the same; the stdlib IDNA 2003 codec without the ``idna``
    package).

    Raises:
        ValueError: not a valid internationalised domain name.
    """
    if domain.isascii():
        return domain
    try:
        if _idna is not None:
            return _idna.encode(domain, uts46=True).decode("ascii")
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:  # idna.IDNAError is a UnicodeError too
        raise ValueError(f"not a valid internationalised domain name: {domain!r}") from exc


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope of one message (RFC 5321 ``MAIL FROM`` / ``RCPT TO``), domains in A-labels.

    ``smtputf8`` tells whether any address still has non-ASCII characters (in its local
    part), so the message can only be sent with SMTPUTF8 (RFC 6531).
    """

    sender: str
    recipients: tuple[str, ...]

    @property
    def smtputf8(self) -> bool:
        """True when some address has a non-ASCII local part (the message needs SMTPUTF8)."""
        return not all(a.isascii() for a in (self.sender, *self.recipients))

    @property
    def sender_smtputf8(self) -> bool:
        """True when the sender (``MAIL_FROM``) itself needs SMTPUTF8."""
        return not self.sender.isascii()


def wire_addresses(msg: EmailMessage, header: str) -> list[Address]:
    """The addresses of one header, each with its domain in A-labels (display names kept).

    Raises:
        AddressError: a domain is not a valid internationalised domain name.
    """
    found = []
    for address in getattr(msg[header], "addresses", ()):
        try:
            domain = ascii_domain(address.domain)
        except ValueError as exc:
            raise AddressError(f"{header} address: {exc}", sender=header == "From") from None
        found.append(Address(display_name=address.display_name, username=address.username, domain=domain))
    return found


def envelope_of(msg: EmailMessage) -> Envelope:
    """The envelope for ``msg``: sender from ``From``, recipients from ``To``/``Cc``/``Bcc``.

    Raises:
        AddressError: no recipient, or a domain that IDNA cannot encode (``sender`` tells
            whether it is the sender's).
    """
    senders = wire_addresses(msg, "From")
    recipients = [a.addr_spec for h in ("To", "Cc", "Bcc") for a in wire_addresses(msg, h)]
    if not recipients:
        raise AddressError("the message has no valid recipient address", sender=False)
    return Envelope(senders[0].addr_spec if senders else "", tuple(recipients))


def ascii_headers(msg: EmailMessage) -> EmailMessage:
    """Return ``msg`` with the domains in its address headers in A-labels (a copy if any changes).

    For a message sent without SMTPUTF8: an address header may not hold non-ASCII, and
    the RFC 2047 encoding the stdlib would apply is invalid inside an address (RFC 2047 §5).
    """
    changed = {}
    for header in ("From", "To", "Cc", "Bcc"):
        field = msg[header]
        if field is not None and not all(a.domain.isascii() for a in getattr(field, "addresses", ())):
            changed[header] = wire_addresses(msg, header)
    if not changed:
        return msg
    wire = copy.deepcopy(msg)
    for header, addresses in changed.items():
        wire.replace_header(header, addresses)
    return wire
