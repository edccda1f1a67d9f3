"""Outbound URL policy (SPEC §11 "Outbound URLs"): where the server may send its own requests.

Webhook receivers (and, later, calendar busy sources) are URLs an admin types in, and
the worker then requests them from inside the network. So a destination must be
``http``/``https`` and must not be a loopback, private, link-local, unique-local,
multicast, unspecified, reserved or cloud-metadata address, unless the operator sets
``APPOINTEASE_ALLOW_PRIVATE_URLS=1`` (tests, on-premise receivers).

The rule is applied twice:

* **At registration** (:func:`check_registration`): an IP literal, or a name that
  resolves to a refused address, raises :class:`RefusedURL`; a name that does not
  resolve (yet) is accepted.
* **At every request** (:func:`request`): the name is resolved again, *every* address is
  checked, and the connection is made to a checked address (the name is not looked up
  a second time, so DNS rebinding between check and connect cannot move it). TLS still
  verifies the certificate against, and sends SNI for, the URL's host name; HTTP sends
  the URL's ``Host``. Redirects are never followed, and proxies from the environment
  (``HTTP_PROXY``…) are not used: a proxy would connect by name.

The address rules use the standard library's ``ipaddress`` properties (IANA special-
purpose registries, RFC 6890), including IPv4 addresses embedded in IPv6 (IPv4-mapped,
6to4, Teredo).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud instance-metadata services (AWS, GCP, Azure, OpenStack; AWS IPv6; Alibaba),
#: named in the error; the general rules refuse them too.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(ValueError):
    """A request to an outbound URL was not made; ``str(error)`` says why (shown to admins)."""


class RefusedURL(OutboundError):
    """The URL, or an address its host name resolves to, is not allowed by the policy."""


class UnresolvedHost(OutboundError):
    """The URL's host name does not resolve (at request time this is a failed attempt)."""


@dataclass(frozen=True)
class Destination:
    """A parsed outbound URL: ``scheme`` (http/https), ``host`` (a name, or an IP without
    brackets), ``port`` (the default for the scheme when absent)."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def literal(self) -> IPAddress | None:
        """The host as an IP address when the URL names one (``http://10.0.0.5/``), else None."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def parse(url: str) -> Destination:
    """Split an absolute http(s) URL into a :class:`Destination`.

    Raises:
        RefusedURL: another scheme (``ftp:``, ``file:``…), no host, or a malformed port.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedURL("Not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise RefusedURL("Only http:// and https:// URLs can be used.")
    if not parts.hostname:
        raise RefusedURL("The URL has no host name.")
    return Destination(url, scheme, parts.hostname, port or DEFAULT_PORTS[scheme])


def refusal(address: str | IPAddress) -> str | None:
    """Return why the policy refuses ``address`` (e.g. ``"a loopback address"``), or None if it is public.

    IPv4 addresses inside IPv6 (``::ffff:127.0.0.1``, 6to4, Teredo) are judged as IPv4.
    Anything that is not globally routable is refused (``ipaddress``'s ``is_global``),
    which also covers shared (100.64.0.0/10) and documentation ranges.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
            return refusal(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and (reason := refusal(embedded)):
            return reason
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for test, reason in (
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return reason
    return None


def resolve(dest: Destination) -> list[IPAddress]:
    """Return the addresses ``dest.host`` resolves to, in ``getaddrinfo`` order, without repeats.

    Raises:
        UnresolvedHost: the name does not resolve.
    """
    if dest.literal is not None:
        return [dest.literal]
    try:
        infos = socket.getaddrinfo(dest.host, dest.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost(f"{dest.host} does not resolve ({exc}).") from None
    seen: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


def vet(dest: Destination, allow_private: bool) -> list[IPAddress]:
    """Resolve ``dest`` and check every address; return them (all allowed).

    Raises:
        RefusedURL: any address is refused (one bad address refuses the URL: a
            connection could reach it). Never raised when ``allow_private``.
        UnresolvedHost: the name does not resolve.
    """
    addresses = resolve(dest)
    if not allow_private:
        for ip in addresses:
            reason = refusal(ip)
            if reason:
                what = f"{ip} is" if dest.literal is not None else f"{dest.host} resolves to {ip}, which is"
                raise RefusedURL(
                    f"{what} {reason}; outbound requests go only to public addresses "
                    "(APPOINTEASE_ALLOW_PRIVATE_URLS=1 allows others)."
                )
    return addresses


def check_registration(url: str, allow_private: bool) -> Destination:
    """Check a URL an admin registers (SPEC §11): scheme, and the addresses it names now.

    A host name that does not resolve yet is accepted (it is checked again at every request).

    Raises:
        RefusedURL: not http(s), no host, or an IP literal / resolved address the policy refuses.
    """
    dest = parse(url)
    with contextlib.suppress(UnresolvedHost):  # not in DNS yet: checked again at every request
        vet(dest, allow_private)
    return dest


class _PinnedAdapter(HTTPAdapter):
    """A transport that verifies TLS against, and sends SNI for, ``host`` whatever the URL's host.

    Used with a URL whose host is the vetted IP, so the connection goes to that IP only.
    """

    def __init__(self, host: str):
        self._server_hostname = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        """Build the pool manager with ``server_hostname`` (urllib3 drops it for plain http)."""
        super().init_poolmanager(connections, maxsize, block, server_hostname=self._server_hostname, **pool_kwargs)


def _pinned_url(url: str, ip: IPAddress) -> str:
    """``url`` with its host replaced by ``ip`` (bracketed for IPv6), keeping port, path and query."""
    parts = urlsplit(url)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _host_header(dest: Destination, url: str) -> str:
    """The ``Host`` header for ``url``: its host (bracketed for IPv6) and any explicit port (RFC 9110 §7.2)."""
    port = urlsplit(url).port
    host = f"[{dest.host}]" if ":" in dest.host else dest.host
    return host if port is None else f"{host}:{port}"


def _connect_failed(exc: requests.RequestException) -> bool:
    """Whether nothing was sent: the TCP connection to this address could not be made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def request(method: str, url: str, *, allow_private: bool, **kwargs) -> requests.Response:
    """Make one request to an outbound URL under the policy, connected to a vetted address.

    Resolves the host, checks every address (:func:`vet`), and connects to them in turn
    (the next one only when a connection could not be made). Redirects are not followed
    (a 3xx is returned as is); environment proxies are not used. ``kwargs`` go to
    ``requests`` (``data``, ``headers``, ``timeout`` in seconds, ``stream``…); a ``Host``
    header is set from the URL.

    Returns:
        The ``requests.Response`` (close it, or use it as a context manager, with ``stream``).

    Raises:
        RefusedURL: the scheme or an address is refused.
        UnresolvedHost: the name does not resolve.
        requests.RequestException: the request failed (time-out, connection, TLS…).
    """
    dest = parse(url)
    addresses = vet(dest, allow_private)
    headers = {**(kwargs.pop("headers", None) or {}), "Host": _host_header(dest, url)}
    kwargs.pop("allow_redirects", None)
    parts = urlsplit(url)
    if parts.username is not None and "auth" not in kwargs:  # the pinned URL drops userinfo
        kwargs["auth"] = (unquote(parts.username), unquote(parts.password or ""))
    last: requests.RequestException | None = None
    for ip in addresses:
        with requests.Session() as session:
            session.trust_env = False
            session.mount(f"{dest.scheme}://", _PinnedAdapter(dest.host))
            try:
                return session.request(method, _pinned_url(url, ip), headers=headers, allow_redirects=False, **kwargs)
            except requests.RequestException as exc:
                if not _connect_failed(exc):
                    raise
                last = exc
    assert last is not None  # vet() returned at least one address
    raise last
