"""Webhook endpoints for admins (SPEC §4 "Staff and admin", §7), over ``appointease.notify``.

Registration, listing, deletion, deliveries and test messages are the notification
worker's own functions (``appointease.notify.webhooks``); this module gives them the
domain-context signature the views use and a typed endpoint view whose ``secret`` is
set only in the answer to the registration (it is never shown again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from appointease import notify
from appointease.context import Context
from appointease.notify.models import WebhookDelivery, WebhookEndpoint
from appointease.secrets import SecretKey


@dataclass(frozen=True)
class EndpointInfo:
    """A webhook endpoint as admins see it; ``secret`` only right after registration."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    disabled_reason: str | None
    created_at: datetime
    secret: str | None = None

    @classmethod
    def of(cls, row: WebhookEndpoint, secret: str | None = None) -> EndpointInfo:
        """View a ``WebhookEndpoint`` row."""
        return cls(row.id, row.url, tuple(row.events), row.active, row.disabled_reason, row.created_at, secret)


def register(ctx: Context, url: str, events: list[str], *, secret_key: SecretKey) -> EndpointInfo:
    """Register a receiver for ``events`` (types or ``["*"]``); it gets events committed from now on.

    The signing secret is stored encrypted under ``secret_key`` (the app's ``SECRET_KEY``,
    ``str`` or ``bytes``).

    Returns:
        The endpoint with its Standard Webhooks signing ``secret`` (``whsec_…``), shown this once.

    Raises:
        ValidationFailed: not an absolute http(s) URL, an address the outbound policy refuses
            (loopback, private, metadata…, SPEC §11; allowed with ``APPOINTEASE_ALLOW_PRIVATE_URLS``),
            or an unknown event type.
    """
    endpoint, secret = notify.register_endpoint(
        ctx.session, url, events, ctx.now, secret_key=secret_key, allow_private=ctx.rules.allow_private_urls
    )
    return EndpointInfo.of(endpoint, secret)


def list_endpoints(ctx: Context) -> list[EndpointInfo]:
    """Return every endpoint, oldest first, without secrets (disabled ones say why)."""
    return [EndpointInfo.of(e) for e in notify.list_endpoints(ctx.session)]


def delete(ctx: Context, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries; nothing more is sent to it. Raises NotFound."""
    notify.delete_endpoint(ctx.session, endpoint_id)


def deliveries(ctx: Context, endpoint_id: int, limit: int) -> list[WebhookDelivery]:
    """Return the endpoint's newest ``limit`` deliveries, newest first, each with every attempt.

    Raises:
        NotFound: unknown endpoint.
    """
    return notify.list_deliveries(ctx.session, endpoint_id, limit)


def send_test(ctx: Context, endpoint_id: int) -> WebhookDelivery:
    """Queue a signed ``webhook.test`` delivery; the worker sends it like any other. Raises NotFound."""
    return notify.send_test(ctx.session, endpoint_id, ctx.now)
