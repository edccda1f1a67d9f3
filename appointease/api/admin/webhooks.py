"""``/admin/webhooks``: register, list, delete, deliveries, test (admin tokens, SPEC §4, §7).

The secret is in the registration's answer only. Deliveries are made by the worker
(``flask --app app worker``), signed per Standard Webhooks; every attempt is listed.
"""

from flask import current_app

from appointease.admin import webhooks
from appointease.api.admin.common import ID, AdminBlueprint
from appointease.api.admin.schemas import (
    DeliveriesQuery,
    DeliveryOut,
    NewWebhookOut,
    WebhookIn,
    WebhookOut,
)
from appointease.api.common import domain
from appointease.auth.principal import ADMIN

blp = AdminBlueprint("admin_webhooks", __name__, url_prefix="/api/v1/admin", description="Webhooks (admin).")


@blp.get("/webhooks")
@blp.guard(ADMIN)
@blp.response(200, WebhookOut(many=True))
@blp.errors()
def list_webhooks():
    """Every endpoint (never its secret); a disabled one says why."""
    return webhooks.list_endpoints(domain())


@blp.post("/webhooks")
@blp.guard(ADMIN)
@blp.arguments(WebhookIn)
@blp.response(201, NewWebhookOut)
@blp.errors(400, 422)
def register_webhook(args):
    """Register a receiver; the answer's ``secret`` is shown this once only."""
    return webhooks.register(domain(), args["url"], args["events"], secret_key=current_app.config["SECRET_KEY"])


@blp.delete(f"/webhooks/<{ID}:endpoint_id>")
@blp.guard(ADMIN)
@blp.response(204)
@blp.errors(404)
def delete_webhook(endpoint_id):
    """Delete an endpoint and its delivery log."""
    webhooks.delete(domain(), endpoint_id)


@blp.get(f"/webhooks/<{ID}:endpoint_id>/deliveries")
@blp.guard(ADMIN)
@blp.arguments(DeliveriesQuery, location="query")
@blp.response(200, DeliveryOut(many=True))
@blp.errors(404, 422)
def list_deliveries(args, endpoint_id):
    """The newest deliveries, newest first, each with every attempt (time, response code, error)."""
    return webhooks.deliveries(domain(), endpoint_id, args["limit"])


@blp.post(f"/webhooks/<{ID}:endpoint_id>/test")
@blp.guard(ADMIN)
@blp.response(202, DeliveryOut)
@blp.errors(404)
def test_webhook(endpoint_id):
    """Queue a signed ``webhook.test`` delivery; the worker sends it within a second or so."""
    return webhooks.send_test(domain(), endpoint_id)
