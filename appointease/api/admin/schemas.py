"""Marshmallow schemas of the admin API (SPEC §4 "Staff and admin"): bodies and queries
in, answers out. Same conventions as ``appointease.schemas``: unknown fields refused,
strict integers and booleans in bodies, bounded text, ``required`` on what is always sent.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from appointease.admin.schedule import Interval, week_problems
from appointease.auth.principal import ROLES
from appointease.grid import parse_hhmm
from appointease.lifecycle import Status
from appointease.notify.webhooks import EVENT_TYPES
from appointease.schemas import HHMM, ID, TIME_PATTERN, Day, Price, QueryId, free_text

MAX_PRICE = Decimal("99999999.99")
Bool = {"truthy": {True}, "falsy": {False}}  # JSON true/false only, not "yes" or 1
AFFECTED = {
    "required": True,
    "metadata": {
        "description": "References of upcoming active appointments this change leaves outside the schedule "
        "(kept, not cancelled: contact the customers)."
    },
}


def price_range(value: Decimal) -> None:
    """A price fits ``Numeric(10, 2)``: 0.00 to 99999999.99."""
    if not Decimal(0) <= value <= MAX_PRICE:
        raise ValidationError(f"Must be between 0.00 and {MAX_PRICE}.")


def _affected() -> fields.List:
    return fields.List(fields.String(metadata={"example": "APT-2026-000042"}), **AFFECTED)


# ------------------------------------------------------------------ services


class ServiceIn(Schema):
    """``POST /admin/services``."""

    name = fields.String(required=True, validate=free_text(200, min_length=1))
    duration_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60))
    price = fields.Decimal(
        required=True,
        places=2,
        validate=price_range,
        metadata={"type": "string", "pattern": r"^\d{1,8}(\.\d{1,2})?$", "example": "25.00"},
    )
    active = fields.Boolean(load_default=True, **Bool)


class ServicePatch(ServiceIn):
    """``PATCH /admin/services/<id>``: any subset of the fields (load with ``partial=True``)."""

    active = fields.Boolean(**Bool)


class AdminServiceOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    price = Price(required=True)
    active = fields.Boolean(required=True)


class ServiceChangeOut(AdminServiceOut):
    affected = _affected()


# ------------------------------------------------------------------ staff


class StaffIn(Schema):
    """``POST /admin/staff``: new staff work Mon–Fri 09:00–17:00 until their hours are set."""

    name = fields.String(required=True, validate=free_text(200, min_length=1))
    service_ids = fields.List(fields.Integer(**ID), load_default=list, validate=validate.Length(max=200))
    active = fields.Boolean(load_default=True, **Bool)


class StaffPatch(StaffIn):
    """``PATCH /admin/staff/<id>``: any subset of the fields (load with ``partial=True``)."""

    service_ids = fields.List(fields.Integer(**ID), validate=validate.Length(max=200))
    active = fields.Boolean(**Bool)


class AdminStaffOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    service_ids = fields.List(fields.Integer(), required=True)


class StaffChangeOut(AdminStaffOut):
    affected = _affected()


# ------------------------------------------------------------------ working hours


class IntervalIn(Schema):
    """One working interval of ``PUT /admin/staff/<id>/hours`` (the body is a list of them)."""

    weekday = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=6),
        metadata={"description": "0 = Monday … 6 = Sunday"},
    )
    start = HHMM(required=True)
    end = HHMM(required=True)

    @validates_schema
    def _end_after_start(self, data: dict, **kwargs) -> None:
        if parse_hhmm(data["end"]) <= parse_hhmm(data["start"]):
            raise ValidationError("Must be after start.", "end")

    @validates_schema(pass_collection=True)
    def _no_overlaps(self, data, many: bool, **kwargs) -> None:
        """SPEC §4: the intervals of one day may not overlap; a week has at least one."""
        if many:
            problems = week_problems(
                [Interval(d["weekday"], parse_hhmm(d["start"]), parse_hhmm(d["end"])) for d in data]
            )
            if problems:
                raise ValidationError(problems)

    @post_load
    def _interval(self, data: dict, **kwargs) -> Interval:
        return Interval(data["weekday"], parse_hhmm(data["start"]), parse_hhmm(data["end"]))


class IntervalOut(Schema):
    weekday = fields.Integer(required=True)
    start = fields.Time(format="%H:%M", required=True, metadata={"type": "string", "pattern": TIME_PATTERN})
    end = fields.Time(format="%H:%M", required=True, metadata={"type": "string", "pattern": TIME_PATTERN})


class WeekOut(Schema):
    employee_id = fields.Integer(required=True)
    hours = fields.List(fields.Nested(IntervalOut), required=True)


class WeekChangeOut(WeekOut):
    affected = _affected()


# ------------------------------------------------------------------ time off


class TimeOffIn(Schema):
    """``POST /admin/staff/<id>/time-off``: whole days, inclusive."""

    start_date = Day(required=True)
    end_date = Day(required=True)
    reason = fields.String(allow_none=True, validate=free_text(200))

    @validates_schema
    def _ordered(self, data: dict, **kwargs) -> None:
        if data["end_date"] < data["start_date"]:
            raise ValidationError("Must not be before start_date.", "end_date")


class TimeOffOut(Schema):
    id = fields.Integer(required=True)
    employee_id = fields.Integer(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    reason = fields.String(required=True, allow_none=True)


class TimeOffChangeOut(TimeOffOut):
    affected = _affected()


# ------------------------------------------------------------------ appointments


class AdminAppointmentsQuery(Schema):
    date = Day(required=True)
    employee_id = QueryId()
    status = fields.Enum(Status, by_value=True)


class StatusIn(Schema):
    """``POST /admin/appointments/<reference>/status``."""

    status = fields.Enum(Status, by_value=True, required=True)


# ------------------------------------------------------------------ feed, holds, debug


class DayHoldsQuery(Schema):
    date = Day(required=True)
    employee_id = QueryId(metadata={"description": "Required for an admin token."})


class LiveHoldOut(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["selection", "lock"]))
    employee_id = fields.Integer(required=True)
    date = fields.Date(required=True, attribute="day")
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    seconds_left = fields.Integer(required=True)
    client = fields.String(required=True, metadata={"description": "The holder's client id, first 4 characters only."})


class DebugOut(Schema):
    server_time = fields.AwareDateTime(required=True)
    storage = fields.String(required=True, validate=validate.OneOf(["redis", "database"]))
    pollers = fields.Integer(
        required=True,
        metadata={
            "description": "Widgets polling now: an estimate from the heartbeat rate in the window, across workers."
        },
    )
    poller_window_seconds = fields.Integer(required=True)
    selections = fields.Integer(required=True)
    locks = fields.Integer(required=True)
    holds = fields.List(fields.Nested(LiveHoldOut), required=True)


class WhoAmIOut(Schema):
    token_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    employee_id = fields.Integer(required=True, allow_none=True)
    employee_name = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    latest_seq = fields.Integer(
        required=True,
        metadata={"description": "The newest event's seq: follow /admin/events from here after loading the day."},
    )


# ------------------------------------------------------------------ tokens


class ApiTokenIn(Schema):
    """``POST /admin/tokens``."""

    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    employee_id = fields.Integer(allow_none=True, **ID)
    name = fields.String(allow_none=True, validate=free_text(200))


class ApiTokenOut(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    employee_id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)


class NewApiTokenOut(ApiTokenOut):
    token = fields.String(required=True, metadata={"description": "The bearer token, shown this once only."})


# ------------------------------------------------------------------ webhooks


class WebhookIn(Schema):
    """``POST /admin/webhooks``: the receiver's URL and the event types it wants (or ``["*"]``)."""

    url = fields.String(
        required=True,
        validate=free_text(2000, min_length=1),
        metadata={"description": "An absolute http or https URL."},
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(("*", *EVENT_TYPES))),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES) + 1),
    )


class WebhookOut(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True, metadata={"description": "False once a 410 Gone disabled it."})
    disabled_reason = fields.String(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class NewWebhookOut(WebhookOut):
    secret = fields.String(
        required=True, metadata={"description": "The Standard Webhooks signing secret (whsec_…), shown this once only."}
    )


class DeliveriesQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AttemptOut(Schema):
    attempted_at = fields.AwareDateTime(required=True)
    response_code = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Integer(required=True)


class DeliveryOut(Schema):
    id = fields.Integer(required=True)
    webhook_id = fields.String(
        required=True, metadata={"description": "The webhook-id header, the same on every retry."}
    )
    seq = fields.Integer(required=True, allow_none=True, attribute="event_seq")
    type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "delivered", "failed"]))
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.Method(
        "_next", required=True, allow_none=True, metadata={"type": "string", "format": "date-time", "nullable": True}
    )
    last_response_code = fields.Integer(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True, allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptOut), required=True)

    def _next(self, delivery) -> str | None:
        """When the worker tries again; null once delivered or failed."""
        return delivery.next_attempt_at.isoformat() if delivery.status == "pending" else None
