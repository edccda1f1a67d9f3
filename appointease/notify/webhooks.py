"""Webhook endpoints for the admin API (SPEC §4 "Staff and admin", §7): register, list, delete, test.

Each function runs its own transaction and commits (except the read-only ones);
domain errors come from ``appointease.errors`` so the API turns them into SPEC §4's
JSON. The ``*_json`` helpers give the shapes the admin routes answer with.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from appointease import outbound
from appointease.db import write_transaction
from appointease.errors import NotFound, ValidationFailed
from appointease.models import Counter, utcnow
from appointease.notify.consumers import new_webhook_id, webhook_body
from appointease.notify.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from appointease.secrets import SecretKey, encrypt_secret

#: Event types an endpoint can subscribe to (SPEC §3 life cycle), besides ``"*"``.
EVENT_TYPES = (
    "appointment.created",
    "appointment.rescheduled",
    "appointment.cancelled",
    "appointment.checked_in",
    "appointment.completed",
    "appointment.no_show",
)
TEST_TYPE = "webhook.test"
MAX_URL = 2000


def new_secret() -> str:
    """Return a Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _validate(url: object, events: object, allow_private: bool) -> tuple[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not isinstance(url, str) or not url.strip():
        problems["url"] = ["Give the receiver's http:// or https:// URL."]
    else:
        url = url.strip()
        try:
            parts = urlsplit(url)
            port_ok = parts.port is None or 0 < parts.port < 65536
        except ValueError:
            parts, port_ok = None, False
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or not port_ok
            or len(url) > MAX_URL
            or any(ch.isspace() or ord(ch) < 32 for ch in url)
        ):
            problems["url"] = [f"Must be an absolute http:// or https:// URL of at most {MAX_URL} characters."]
        else:
            try:
                outbound.check_registration(url, allow_private)
            except outbound.RefusedURL as exc:
                problems["url"] = [str(exc)]
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        problems["events"] = ['Give a non-empty list of event types, or ["*"].']
    else:
        unknown = sorted({e for e in events if e != "*" and e not in EVENT_TYPES})
        if unknown:
            problems["events"] = [f"Unknown event types: {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}."]
    if problems:
        raise ValidationFailed(fields=problems)
    return url, ["*"] if "*" in events else sorted(set(events))


def register_endpoint(
    session: Session,
    url: str,
    events: list[str],
    now: datetime | None = None,
    *,
    secret_key: SecretKey,
    allow_private: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver for ``events`` (types or ``["*"]``) at ``url``; commits.

    The endpoint receives only events committed after this call (``seq`` above the
    newest one now). The signing secret is returned once and stored encrypted under
    ``secret_key`` (the app's ``SECRET_KEY``, ``str`` or ``bytes``; the worker decrypts
    it with ``NotifySettings.secret_key``).
    ``url`` must pass the outbound URL policy (SPEC §11, ``appointease.outbound``):
    no loopback, private, link-local, metadata… address, as an IP literal or as what
    the name resolves to now, unless ``allow_private`` (``APPOINTEASE_ALLOW_PRIVATE_URLS``);
    a name that does not resolve yet is accepted (the worker checks again at every attempt).

    Returns:
        ``(endpoint, secret)`` — show ``secret`` to the admin now: it is never shown again.

    Raises:
        ValidationFailed: the URL is not absolute http(s) or is refused by the outbound
            policy (field ``url``), or an event type is unknown (``events``).
    """
    url, events = _validate(url, events, allow_private)
    secret = new_secret()
    with write_transaction(session):
        newest = session.scalar(select(Counter.value).where(Counter.name == "event_seq")) or 0
        endpoint = WebhookEndpoint(
            url=url,
            events=events,
            secret_encrypted=encrypt_secret(secret, secret_key=secret_key),
            created_after_seq=newest,
            active=True,
            created_at=now or utcnow(),
        )
        session.add(endpoint)
        session.flush()
    return endpoint, secret


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Return every endpoint, oldest first (secrets stay encrypted; never listed)."""
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """Return one endpoint. Raises NotFound for an unknown id."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("Unknown webhook.")
    return endpoint


def delete_endpoint(session: Session, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and attempts; commits. Raises NotFound."""
    with write_transaction(session):
        session.delete(get_endpoint(session, endpoint_id))


def list_deliveries(session: Session, endpoint_id: int, limit: int = 100) -> list[WebhookDelivery]:
    """Return an endpoint's newest ``limit`` deliveries, newest first, each with its attempts.

    Raises:
        NotFound: unknown endpoint.
    """
    get_endpoint(session, endpoint_id)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .options(selectinload(WebhookDelivery.attempt_log))
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def send_test(session: Session, endpoint_id: int, now: datetime | None = None) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery to an endpoint (delivered by the worker like any other); commits.

    Test deliveries have no ``seq`` and do not wait behind the endpoint's pending
    events (they are not part of the event order). Body:
    ``{"seq": null, "type": "webhook.test", "occurred_at": …, "appointment": null}``.

    Raises:
        NotFound: unknown endpoint.
    """
    now = now or utcnow()
    with write_transaction(session):
        endpoint = get_endpoint(session, endpoint_id)
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_seq=None,
            type=TEST_TYPE,
            webhook_id=new_webhook_id(),
            payload=webhook_body(None, TEST_TYPE, now, None),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        session.flush()
    return delivery


def endpoint_json(endpoint: WebhookEndpoint) -> dict:
    """``{id, url, events, active, disabled_reason, created_at}`` (no secret)."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at.isoformat(),
    }


def attempt_json(attempt: WebhookAttempt) -> dict:
    """``{attempted_at, response_code, error, duration_ms}``."""
    return {
        "attempted_at": attempt.attempted_at.isoformat(),
        "response_code": attempt.response_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }


def delivery_json(delivery: WebhookDelivery) -> dict:
    """``{id, webhook_id, seq, type, status, attempts, next_attempt_at, last_response_code, created_at,
    finished_at, attempt_log: [attempt]}``; ``next_attempt_at`` is null once finished."""
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "seq": delivery.event_seq,
        "type": delivery.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.status == "pending" else None,
        "last_response_code": delivery.last_response_code,
        "created_at": delivery.created_at.isoformat(),
        "finished_at": delivery.finished_at.isoformat() if delivery.finished_at else None,
        "attempt_log": [attempt_json(a) for a in delivery.attempt_log],
    }


def delivery_counts(session: Session, endpoint_id: int) -> dict[str, int]:
    """Return ``{status: count}`` of an endpoint's deliveries (for dashboards)."""
    rows = session.execute(
        select(WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .group_by(WebhookDelivery.status)
    )
    return {status: n for status, n in rows}
