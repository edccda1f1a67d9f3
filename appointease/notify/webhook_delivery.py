"""Sending webhook deliveries: signed POSTs, per-endpoint order, retries with back-off (SPEC §7).

* **Lanes.** An endpoint's event deliveries form one lane, handled strictly in order:
  only the oldest pending one (its *head*) is ever tried, so ``seq`` order holds and
  the next event waits until the head is delivered or finally failed. Test messages
  (``webhook.test``) form a second lane of the same endpoint. The worker runs lanes
  of different endpoints in parallel threads, so a slow receiver holds up only itself.
* **Claiming.** A worker claims a head with a conditional ``UPDATE`` that moves its
  ``next_attempt_at`` past the HTTP time-out (a lease): another worker (or thread)
  then sees the lane as not due and leaves it alone; if the claiming process dies,
  the lease runs out and the head is tried again (at least once).
* **Attempt.** The body fixed at fan-out is POSTed with ``Content-Type:
  application/json`` and the Standard Webhooks headers ``webhook-id`` (the same on
  every retry), ``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + HMAC-SHA256,
  signed by the ``standardwebhooks`` library). A 2xx within ``APPOINTEASE_WEBHOOK_TIMEOUT``
  (10 s) is success; redirects are not followed (a 3xx is a failure). Every attempt is
  recorded. Each attempt resolves the receiver's name again and connects only to an
  address the outbound URL policy allows (``appointease.outbound``, SPEC §11): a
  loopback, private or metadata destination is a failed attempt ("refused: …").
* **Retries.** After the n-th failed attempt the next is due ``schedule[n-1]`` seconds
  later (``APPOINTEASE_WEBHOOK_RETRY_SCHEDULE``: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
  10 h — eight attempts over ~27.6 h); then the delivery is ``failed`` and the lane
  moves on. ``410 Gone`` fails the delivery and disables the endpoint at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from appointease import outbound
from appointease.db import write_transaction
from appointease.models import utcnow
from appointease.notify.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from appointease.notify.settings import NotifySettings
from appointease.secrets import decrypt_secret

log = logging.getLogger(__name__)

USER_AGENT = "AppointEase-Webhooks/1"

#: A lane: (endpoint id, True for the test-message lane).
Lane = tuple[int, bool]


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt gave: a response code, or an error text; and how long it took."""

    response_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """A 2xx answer in time (SPEC §7)."""
        return self.error is None and self.response_code is not None and 200 <= self.response_code < 300


def _lane_filter(lane: Lane):
    endpoint_id, test = lane
    seq = WebhookDelivery.event_seq.is_(None) if test else WebhookDelivery.event_seq.is_not(None)
    return (WebhookDelivery.endpoint_id == endpoint_id, seq)


def due_lanes(session: Session, now: datetime) -> list[Lane]:
    """Return the lanes of active endpoints whose head delivery is due now (one grouped query)."""
    test = WebhookDelivery.event_seq.is_(None)
    heads = (
        select(func.min(WebhookDelivery.id).label("id"))
        .where(WebhookDelivery.status == "pending")
        .group_by(WebhookDelivery.endpoint_id, test)
        .subquery()
    )
    stmt = (
        select(WebhookDelivery.endpoint_id, WebhookDelivery.event_seq)
        .join(heads, heads.c.id == WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.active.is_(True), WebhookDelivery.next_attempt_at <= now)
    )
    return [(endpoint_id, seq is None) for endpoint_id, seq in session.execute(stmt)]


def claim_head(session: Session, lane: Lane, now: datetime, lease: timedelta) -> int | None:
    """Claim the lane's head delivery if it is due (commits); return its id, or None."""
    with write_transaction(session):
        head = session.scalar(
            select(func.min(WebhookDelivery.id)).where(WebhookDelivery.status == "pending", *_lane_filter(lane))
        )
        if head is None:
            return None
        active = session.scalar(select(WebhookEndpoint.active).where(WebhookEndpoint.id == lane[0]))
        if not active:
            return None
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == head, WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now
            )
            .values(next_attempt_at=now + lease, attempts=WebhookDelivery.attempts + 1)
        ).rowcount
    return head if claimed == 1 else None


def signed_headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """Return the request headers for ``body``, signed per Standard Webhooks with ``secret``."""
    at = at.astimezone(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


def post(url: str, body: str, headers: dict[str, str], timeout: float, allow_private: bool = False) -> Outcome:
    """POST ``body`` to ``url``; an answer that takes longer than ``timeout`` seconds in all is a failure.

    The outbound URL policy is applied again on the addresses the name resolves to now,
    and the connection goes to a checked address (``appointease.outbound.request``, SPEC
    §11); a refused or unresolvable destination is a failed attempt. Redirects are not
    followed: a 3xx is a failure like any other non-2xx.

    Never raises for network trouble: it is reported in :attr:`Outcome.error`.
    """
    started = time.monotonic()
    code, error = None, None
    try:
        with outbound.request(
            "POST",
            url,
            allow_private=allow_private,
            data=body.encode(),
            headers=headers,
            timeout=(timeout, timeout),
            stream=True,
        ) as response:
            code = response.status_code
    except outbound.RefusedURL as exc:
        error = f"refused: {exc}"[:500]
    except outbound.UnresolvedHost as exc:
        error = str(exc)[:500]
    except requests.Timeout:
        error = f"timed out after {timeout:g} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    elapsed = time.monotonic() - started
    if error is None and elapsed > timeout:
        error = f"answered after {elapsed:.1f} s (limit {timeout:g} s)"
    return Outcome(code, error, int(elapsed * 1000))


def _record(
    session: Session,
    delivery_id: int,
    started: datetime,
    outcome: Outcome,
    settings: NotifySettings,
    clock: Callable[[], datetime],
) -> str:
    """Store the attempt and the delivery's new state (commits). Returns the new status."""
    with write_transaction(session):
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # the endpoint was deleted meanwhile
            return "gone"
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempted_at=started,
                response_code=outcome.response_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.last_response_code = outcome.response_code
        now = clock()
        schedule = settings.webhook_retry_schedule
        if outcome.ok:
            delivery.status, delivery.finished_at = "delivered", now
        elif outcome.response_code == 410:
            delivery.status, delivery.finished_at = "failed", now
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            endpoint.active, endpoint.disabled_reason = False, f"410 Gone at {now.isoformat()}"
            log.warning("webhook endpoint %s answered 410 Gone: disabled", endpoint.id)
        elif delivery.attempts > len(schedule):
            delivery.status, delivery.finished_at = "failed", now
        else:
            delivery.next_attempt_at = now + timedelta(seconds=schedule[delivery.attempts - 1])
        return delivery.status


def attempt(
    session: Session, delivery_id: int, settings: NotifySettings, clock: Callable[[], datetime] = utcnow
) -> str:
    """Make one HTTP attempt of a claimed delivery and record it.

    The signing secret is decrypted with ``settings.secret_key`` (the app's ``SECRET_KEY``).

    Returns:
        The delivery's status afterwards (``delivered``, ``pending`` for a retry,
        ``failed``), or ``gone`` when it was deleted meanwhile.
    """
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return "gone"
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    endpoint_id, url, webhook_id, body = endpoint.id, endpoint.url, delivery.webhook_id, delivery.payload
    try:
        secret = decrypt_secret(endpoint.secret_encrypted, secret_key=settings.secret_key)
    except ValueError:
        secret = None
    session.rollback()  # no transaction stays open across the network
    started = clock()
    if secret is None:  # counted and retried like any failure, so it ends in "failed", never loops
        outcome = Outcome(None, "cannot read the signing secret: SECRET_KEY changed since registration", 0)
    else:
        headers = signed_headers(secret, webhook_id, body, started)
        outcome = post(url, body, headers, settings.webhook_timeout, settings.allow_private_urls)
    status = _record(session, delivery_id, started, outcome, settings, clock)
    log.info(
        "webhook %s (%s) to endpoint %s: %s → %s",
        webhook_id,
        delivery_id,
        endpoint_id,
        outcome.response_code or outcome.error,
        status,
    )
    return status


def run_lane(
    session: Session,
    lane: Lane,
    settings: NotifySettings,
    clock: Callable[[], datetime] = utcnow,
    max_attempts: int = 100,
    keep_going: Callable[[], bool] = lambda: True,
) -> dict[str, int]:
    """Work one lane: claim and try its head while one is due (at most ``max_attempts`` tries,
    and only while ``keep_going()`` — the worker's stop flag).

    Returns:
        Counts of outcomes: ``{"delivered", "pending", "failed", "gone"}``.
    """
    tally = {"delivered": 0, "pending": 0, "failed": 0, "gone": 0}
    lease = settings.webhook_lease
    for _ in range(max_attempts):
        if not keep_going():
            break
        delivery_id = claim_head(session, lane, clock(), lease)
        if delivery_id is None:
            break
        tally[attempt(session, delivery_id, settings, clock)] += 1
    return tally
