"""``APPOINTEASE_CORS_ORIGINS`` entries are origins, ``scheme://host[:port]`` (SPEC §6, issue 16 point 5)."""

from __future__ import annotations

import logging

import pytest

from appointease.config import cors_origins

NAME = "APPOINTEASE_CORS_ORIGINS"


def origins(raw: str | None) -> list[str]:
    return cors_origins({} if raw is None else {NAME: raw})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ["*"]),
        ("", ["*"]),
        ("*", ["*"]),
        ("https://shop.example.org", ["https://shop.example.org"]),
        ("https://www.example.org, https://example.org", ["https://www.example.org", "https://example.org"]),
        ("http://127.0.0.1:8080,null", ["http://127.0.0.1:8080", "null"]),
        ("http://[::1]:3000", ["http://[::1]:3000"]),
        ("https://a.example,,", ["https://a.example"]),
    ],
)
def test_origins_are_kept_as_written(raw, expected, caplog):
    with caplog.at_level(logging.WARNING):
        assert origins(raw) == expected
    assert not caplog.records


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://shop.example.org/", "https://shop.example.org"),
        ("HTTPS://Shop.Example.ORG", "https://shop.example.org"),
        ("https://shop.example.org:443", "https://shop.example.org"),
        ("http://shop.example.org:80/", "http://shop.example.org"),
    ],
)
def test_what_a_browser_never_sends_is_dropped_with_a_warning(raw, expected, caplog):
    with caplog.at_level(logging.WARNING):
        assert origins(raw) == [expected]
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert NAME in record.getMessage() and repr(raw) in record.getMessage()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("shop.example.org", "bare host"),
        ("shop.example.org:8080", "bare host"),
        ("https://shop.example.org/booking", "path"),
        ("https://shop.example.org/booking/", "path"),
        ("https://shop.example.org?x=1", "query"),
        ("https://shop.example.org#top", "fragment"),
        ("ftp://shop.example.org", "scheme"),
        ("file:///var/www", "scheme"),
        ("https://", "no host"),
        ("https://user@shop.example.org", "user info"),
        ("https://shop.example.org:99999", "port"),
        ("https://ok.example.org, shop.example.org", "bare host"),
    ],
)
def test_anything_but_an_origin_refuses_to_start(raw, says):
    with pytest.raises(ValueError, match=NAME) as refused:
        origins(raw)
    assert says in str(refused.value)
