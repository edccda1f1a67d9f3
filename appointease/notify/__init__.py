"""Notifications (SPEC §7): a worker follows the event log and delivers email and signed webhooks.

Nothing is sent inside a web request. Requests only write rows in their own
transaction; the worker (``flask --app app worker``, or ``appointease.notify_cli.run_once(app)``
in tests) sends
them at least once, with retries and back-off, and commits each outcome at once.

Python API for the other parts of the app
-----------------------------------------
One-time codes (``POST /auth/otp`` and ``/auth/verify``, SPEC §4 Customers)::

    from appointease.notify import request_code, verify_code

    with write_transaction(session):            # POST /auth/otp — always answer 202
        request_code(session, email, now)       # stores "a code was asked for", queues the mail
    # the worker makes the code within ~0.5–1 s, stores only its keyed hash
    # (valid 10 min), and mails it: the text body's only run of six digits.

    with write_transaction(session):            # POST /auth/verify
        ok = verify_code(session, email, code, now, secret_key=secret_key)  # the app's SECRET_KEY
    # True once for the current code; wrong tries are counted (commit them too:
    # the block commits either way) and the 5th burns it; a new request replaces it.

Other mail: ``enqueue_mail(session, to, kind, payload)`` in the caller's transaction,
for a ``kind`` registered with ``register_renderer(kind, fn)``; ``fn(session, row,
settings, now)`` returns an ``EmailMessage`` or None (skip). Payloads are stored in
plain text: never put a secret in one.

Webhooks (the admin routes, SPEC §4 "Staff and admin")::

    endpoint, secret = register_endpoint(session, url, ["*"], secret_key=secret_key, allow_private=False)
    # 422 on bad input or an internal address (appointease.outbound, SPEC §11); show secret once
    list_endpoints(session); get_endpoint(session, id)          # NotFound → 404
    delete_endpoint(session, id)
    list_deliveries(session, id, limit=100)                     # newest first, with attempt_log
    send_test(session, id)                                      # queues a webhook.test delivery
    endpoint_json(endpoint); delivery_json(delivery)            # the JSON shapes to answer with

These commit themselves and raise ``ValidationFailed`` / ``NotFound`` from
``appointease.errors``.

Secrets: ``appointease.secrets`` — ``hash_secret(value, purpose=..., secret_key=...)`` /
``verify_secret(value, digest, purpose=..., secret_key=...)`` (keyed HMAC-SHA256,
constant-time) for codes and tokens; ``encrypt_secret``/``decrypt_secret`` (Fernet) for
webhook secrets. The key is always passed explicitly (the app's ``SECRET_KEY``; the
worker's comes from ``NotifySettings.secret_key``): nothing here needs an app context,
and no module of this package imports Flask (an import-linter contract, ``pyproject.toml``).

Modules: ``models`` (tables, migration 0005), ``mailer`` (SMTP / outbox transports),
``messages`` + ``ics`` (the emails and their calendar files), ``content`` (an
appointment as of an event), ``outbox`` (the mail queue), ``otp_mail`` (codes),
``consumers`` (event-log cursors), ``webhooks`` (admin functions),
``webhook_delivery`` (signed POSTs and retries), ``worker`` (the loop; its command and
Flask wiring are ``appointease.notify_cli``).
"""

from appointease.notify.otp_mail import request_code, verify_code
from appointease.notify.outbox import enqueue_mail, register_renderer
from appointease.notify.webhooks import (
    delete_endpoint,
    delivery_json,
    endpoint_json,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    register_endpoint,
    send_test,
)
from appointease.notify.worker import Worker

__all__ = [
    "Worker",
    "delete_endpoint",
    "delivery_json",
    "endpoint_json",
    "enqueue_mail",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "register_endpoint",
    "register_renderer",
    "request_code",
    "send_test",
    "verify_code",
]
