"""Marshmallow schemas of the customer routes (SPEC §4 Customers): sign-in, appointments, feed.

``AppointmentFull`` is the full appointment JSON every route that shows one in full
uses (customer routes here, the admin routes too).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from appointease.events import MAX_PAGE
from appointease.feeds import DEFAULT_LIMIT
from appointease.schemas import (
    CLIENT_ID,
    HHMM,
    ID,
    TIME_PATTERN,
    AppointmentOut,
    Day,
    free_text,
)

EMAIL = {"required": True, "validate": free_text(254), "metadata": {"example": "ann@example.com"}}


class OtpIn(Schema):
    """Body of ``POST /auth/otp``."""

    email = fields.Email(**EMAIL)


class VerifyIn(Schema):
    """Body of ``POST /auth/verify``: the email and the six-digit code it received."""

    email = fields.Email(**EMAIL)
    code = fields.String(required=True, validate=free_text(32, min_length=1), metadata={"example": "042917"})


class TokenOut(Schema):
    """A new bearer token (shown once) and when it expires."""

    token = fields.String(required=True, metadata={"description": "Send as 'Authorization: Bearer <token>'."})
    expires_at = fields.AwareDateTime(required=True)


class AppointmentFull(AppointmentOut):
    """The full appointment (SPEC §4 "An appointment in JSON")."""

    service_name = fields.String(required=True)
    employee_name = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)
    notes = fields.String(required=True, allow_none=True)
    timezone = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The visitor's IANA time zone given at booking, or null (SPEC §4)."},
    )
    business_timezone = fields.String(
        required=True, metadata={"description": "The business's IANA time zone (APPOINTEASE_TIMEZONE)."}
    )

    class Meta:
        fields = (
            "reference",
            "status",
            "service_id",
            "service_name",
            "employee_id",
            "employee_name",
            "date",
            "time",
            "start",
            "end",
            "name",
            "email",
            "phone",
            "notes",
            "timezone",
            "business_timezone",
        )


class MyAppointmentsQuery(Schema):
    """Query of ``GET /me/appointments``."""

    upcoming = fields.Boolean(load_default=False, metadata={"description": "Only appointments not yet over."})


class RescheduleIn(Schema):
    """Body of ``POST /appointments/<reference>/reschedule``."""

    day = Day(required=True, data_key="date")
    time = HHMM(required=True)
    employee_id = fields.Integer(allow_none=True, **ID)
    client_id = fields.String(
        allow_none=True,
        validate=CLIENT_ID,
        metadata={"description": "The caller's widget id: its own hold on the new slot does not block the move."},
    )


class EventsQuery(Schema):
    """Query of the event feeds (``since`` exclusive, ``limit`` 1–500)."""

    since = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_PAGE))


class FeedEventOut(Schema):
    """One change: ``date``/``time`` are the appointment's start after it, business-local."""

    seq = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"example": "appointment.rescheduled"})
    reference = fields.String(required=True)
    status = fields.String(required=True)
    date = fields.Date(required=True, attribute="day")
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    occurred_at = fields.AwareDateTime(required=True)


class FeedOut(Schema):
    """A page of a feed (``GET /me/events``) and the cursor for the next one."""

    events = fields.List(fields.Nested(FeedEventOut), required=True)
    next_since = fields.Integer(required=True, metadata={"description": "Pass back as 'since' for the next page."})


__all__ = [
    "AppointmentFull",
    "EventsQuery",
    "FeedEventOut",
    "FeedOut",
    "MyAppointmentsQuery",
    "OtpIn",
    "RescheduleIn",
    "TokenOut",
    "VerifyIn",
]
