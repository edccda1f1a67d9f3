"""The error family: domain errors carrying their SPEC §4 code and HTTP status.

Pure Python (no Flask): domain code raises these, and ``appointease.api.handlers`` is
the one place that turns them into the JSON error shape.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the API reports to clients.

    Attributes:
        code: the machine-readable code from SPEC §4's table.
        status: the HTTP status that code maps to.
        message: human text, safe to show to a visitor.
        fields: per-field messages (validation errors only), ``{field: [messages]}``.
        retry_after: seconds for a ``Retry-After`` header, or None.
        headers: further response headers this error always carries.
    """

    code = "error"
    status = 400
    default_message = "The request could not be processed."
    headers: dict[str, str] = {}

    def __init__(self, message: str | None = None, *, fields: dict | None = None, retry_after: int | None = None):
        self.message = message or self.default_message
        self.fields = fields
        self.retry_after = retry_after
        super().__init__(self.message)


class ValidationFailed(AppError):
    """Missing, unknown or ill-typed fields (422 ``validation_error``)."""

    code, status, default_message = "validation_error", 422, "Some fields are missing or invalid."


class InvalidJSON(AppError):
    """The body is not a JSON object (400 ``invalid_json``)."""

    code, status, default_message = "invalid_json", 400, "The request body must be a JSON object."


class NotFound(AppError):
    """Unknown service, employee, appointment or route (404 ``not_found``)."""

    code, status, default_message = "not_found", 404, "Not found."


class OutsideHours(AppError):
    """Time not on the slot grid, outside working hours, on time off or a closed day."""

    code, status, default_message = "outside_hours", 422, "That time is not available for booking."


class PastTime(AppError):
    """Start is before now plus the minimum notice (422 ``past_time``)."""

    code, status, default_message = "past_time", 422, "That time has already passed or is too soon to book."


class TooFarAhead(AppError):
    """Start is beyond the booking horizon (422 ``too_far_ahead``)."""

    code, status, default_message = "too_far_ahead", 422, "That date is too far in the future to book."


class SlotTaken(AppError):
    """Overlaps an active appointment of that employee (409 ``slot_taken``)."""

    code, status, default_message = "slot_taken", 409, "That time has just been booked."


class SlotHeld(AppError):
    """Overlaps another client's selection or lock (409 ``slot_held``)."""

    code, status, default_message = "slot_held", 409, "Another visitor is booking that time right now."


class InvalidTransition(AppError):
    """A status change the appointment life cycle does not allow (409)."""

    code, status, default_message = "invalid_transition", 409, "That status change is not allowed."


class IdempotencyKeyReused(AppError):
    """Same Idempotency-Key with a different body (422 ``idempotency_key_reused``)."""

    code, status = "idempotency_key_reused", 422
    default_message = "This Idempotency-Key was already used for a different request."


class IdempotencyInProgress(AppError):
    """Same Idempotency-Key while the first request still runs (409)."""

    code, status = "idempotency_in_progress", 409
    default_message = "A request with this Idempotency-Key is still being processed."


class Unauthorized(AppError):
    """Missing, unknown, expired or revoked token, or a wrong one-time code (401).

    Carries ``WWW-Authenticate: Bearer`` (RFC 6750 §3).
    """

    code, status, default_message = "unauthorized", 401, "Sign in again: the token or code is missing or invalid."
    headers = {"WWW-Authenticate": 'Bearer realm="appointease"'}


class Forbidden(AppError):
    """Authenticated, but not allowed to do this (403 ``forbidden``)."""

    code, status, default_message = "forbidden", 403, "You are not allowed to do that."


class TooLate(AppError):
    """Cancel or reschedule after the cut-off before the start (422 ``too_late``, SPEC §4)."""

    code, status, default_message = "too_late", 422, "It is too late to change this appointment."


class Unavailable(AppError):
    """A backing store is down (503 ``unavailable``, with ``Retry-After``)."""

    code, status, default_message = "unavailable", 503, "The service is temporarily unavailable; please retry."

    def __init__(self, message: str | None = None, *, retry_after: int = 5, **kw):
        super().__init__(message, retry_after=retry_after, **kw)


class RateLimited(AppError):
    """Too many requests, or too many live holds from one IP (429 ``rate_limited``, SPEC §8)."""

    code, status, default_message = "rate_limited", 429, "Too many requests; please wait and retry."

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kw):
        super().__init__(message, retry_after=max(1, int(retry_after)), **kw)
