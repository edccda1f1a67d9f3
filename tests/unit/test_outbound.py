"""The outbound address rules (SPEC §11 "Outbound URLs", ``appointease.outbound``), without a network."""

from __future__ import annotations

import pytest

from appointease import outbound


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),  # unique local
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),  # shared address space (carrier-grade NAT)
        ("192.0.2.10", "private"),  # documentation (TEST-NET-1)
        ("fec0::1", "site-local"),
        ("2002:a00:5::1", "private"),  # 6to4 of 10.0.0.5
    ],
)
def test_internal_addresses_are_refused(address, why):
    reason = outbound.refusal(address)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert outbound.refusal(address) is None


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://crm.example.com/hooks", "crm.example.com", 443),
        ("http://crm.example.com:8080/x?y=1", "crm.example.com", 8080),
        ("HTTP://[2606:4700::1]/", "2606:4700::1", 80),
    ],
)
def test_parse(url, host, port):
    dest = outbound.parse(url)
    assert (dest.host, dest.port) == (host, port)


@pytest.mark.parametrize("url", ["ftp://x.example/", "file:///etc/passwd", "gopher://x.example", "http:///x", "x"])
def test_only_http_and_https_with_a_host(url):
    with pytest.raises(outbound.RefusedURL):
        outbound.check_registration(url, allow_private=True)


def test_ip_literals_are_checked_without_dns_and_allowed_on_request():
    with pytest.raises(outbound.RefusedURL, match="169.254.169.254 is a cloud metadata address"):
        outbound.check_registration("http://169.254.169.254/latest/meta-data", allow_private=False)
    assert outbound.check_registration("http://10.0.0.5/", allow_private=True).host == "10.0.0.5"
    # A name that does not resolve is accepted at registration, but is a failure at request time.
    assert outbound.check_registration("https://no-such-host.invalid/", allow_private=False)
    with pytest.raises(outbound.UnresolvedHost):
        outbound.request("POST", "https://no-such-host.invalid/", allow_private=False, timeout=2)
