"""Response hardening (SPEC §8): security headers on every response and CORS for the API.

* Every response: ``X-Content-Type-Options: nosniff`` and a ``Referrer-Policy``.
* HTML pages (the demo page, and any page served later): a Content-Security-Policy that
  allows only this origin and lets only this origin frame them. Every other response
  gets ``default-src 'none'`` (OWASP REST Security Cheat Sheet): JSON is never a document.
  No ``Cross-Origin-Resource-Policy``: the widget's script and stylesheet are embedded by
  other sites.
* A 204 carries no body, so no ``Content-Type`` or ``Content-Length`` (RFC 9110 §8.3, §8.6).
* CORS (flask-cors) on ``/api/*`` for the configured origins. A preflight is answered only
  for a method the matched route has, and lists only that route's methods. With ``*``
  configured any origin is allowed except ``null`` (sandboxed frames, ``file:`` pages),
  which is echoed only when listed explicitly.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

from appointease.extensions import cors

HTML_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
REFERRER_POLICY = "strict-origin-when-cross-origin"

#: Request headers the widget and API clients send cross-origin.
CORS_ALLOW_HEADERS = ["Content-Type", "Idempotency-Key", "X-Idempotency-Key", "If-None-Match", "Authorization"]
#: Response headers the widget reads.
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "ETag"]
#: Methods CORS may ever allow; each preflight is narrowed to the matched route's own.
CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
#: Any origin but ``null`` (what "*" means here).
ANY_ORIGIN_BUT_NULL = re.compile(r"^(?!null$).+$", re.IGNORECASE)


def init_app(app: Flask) -> None:
    """Install the header hook and CORS on ``app``.

    The hook is registered *before* flask-cors's own ``after_request``: Flask runs those
    hooks in reverse order, so ours sees the CORS headers and can narrow them.
    """
    app.after_request(secure_headers)
    origins = app.config["APPOINTEASE_CORS_ORIGINS"]
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": cors_origins(origins)}},
        methods=CORS_METHODS,
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=600,
    )


def cors_origins(configured: list[str]) -> list:
    """Map ``APPOINTEASE_CORS_ORIGINS`` to flask-cors origins: ``*`` allows all but ``null``."""
    return [ANY_ORIGIN_BUT_NULL if origin == "*" else origin for origin in configured]


def secure_headers(response: Response) -> Response:
    """Add the security headers, narrow a CORS preflight, strip a 204's content headers."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    headers.setdefault("Content-Security-Policy", HTML_CSP if response.mimetype == "text/html" else OTHER_CSP)
    if response.status_code == 204:
        headers.pop("Content-Type", None)
        headers.pop("Content-Length", None)
    if request.method == "OPTIONS" and "Access-Control-Allow-Methods" in headers:
        _narrow_preflight(headers)
    return response


def _narrow_preflight(headers) -> None:
    """Allow only the matched route's methods; refuse (drop all CORS headers) any other."""
    rule = request.url_rule
    methods = sorted(set(rule.methods) & set(CORS_METHODS)) if rule is not None else []
    asked = request.headers.get("Access-Control-Request-Method", "").upper()
    if asked in methods:
        headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        return
    for name in [k for k in headers.keys() if k.lower().startswith("access-control-")]:  # noqa: SIM118 (werkzeug Headers iterate as pairs)
        del headers[name]
