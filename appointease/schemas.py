"""Marshmallow schemas: request bodies and query strings in, responses out (SPEC §4).

``unknown=RAISE`` (marshmallow's default) makes unknown fields a validation error;
strict integers refuse ``"1"`` and ``true``; strings carry length limits so no
oversize value reaches the database.
"""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from appointease.availability import parse_hhmm

CLIENT_ID = validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$", error="Must be 8–64 letters, digits, '-' or '_'.")
ID = {"strict": True, "validate": validate.Range(min=1, max=2**31 - 1)}
# Query strings are text: their integers are parsed, not strict.
QID = {"validate": validate.Range(min=1, max=2**31 - 1)}
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def calendar_day(value: date) -> None:
    """Refuse dates near ``date.min``/``date.max``: a day's bounds there overflow ``datetime``."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(f"Must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.")


def storable_text(value: str) -> None:
    """Refuse NUL and unpaired surrogates (from ``\\u0000`` / ``\\ud800`` JSON escapes):
    neither PostgreSQL nor UTF-8 can store them."""
    if any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("Contains characters that cannot be stored.")


def free_text(max_length: int, min_length: int | None = None) -> list:
    """Validators for free text: its length, and only storable characters."""
    return [validate.Length(min=min_length, max=max_length), storable_text]


class HHMM(fields.String):
    """A business-local wall time ``HH:MM`` (24-hour)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_hhmm(text)
        except ValueError:
            raise ValidationError("Not a valid time; use HH:MM (24-hour).") from None
        return text


class ServiceOut(Schema):
    id = fields.Integer()
    name = fields.String()
    duration_minutes = fields.Integer()
    price = fields.Decimal(as_string=True, places=2)


class StaffQuery(Schema):
    service_id = fields.Integer(**QID)


class StaffOut(Schema):
    id = fields.Integer()
    name = fields.String()
    service_ids = fields.Method("_service_ids")

    def _service_ids(self, employee) -> list[int]:
        return sorted(s.id for s in employee.services)


class AvailabilityQuery(Schema):
    date = fields.Date(required=True, validate=calendar_day)
    employee_id = fields.Integer(required=True, **QID)
    service_id = fields.Integer(required=True, **QID)
    client_id = fields.String(validate=CLIENT_ID)


class SlotOut(Schema):
    time = fields.String()
    start = fields.AwareDateTime()
    status = fields.String()


class AvailabilityOut(Schema):
    date = fields.Date()
    employee_id = fields.Integer()
    service_id = fields.Integer()
    timezone = fields.String()
    slots = fields.List(fields.Nested(SlotOut))


class SlotIn(Schema):
    """Body of ``/slots/select`` and ``/slots/lock``."""

    date = fields.Date(required=True, validate=calendar_day)
    time = HHMM(required=True)
    employee_id = fields.Integer(required=True, **ID)
    service_id = fields.Integer(required=True, **ID)
    client_id = fields.String(required=True, validate=CLIENT_ID)


class ReleaseIn(Schema):
    """Body of ``/slots/release``."""

    date = fields.Date(required=True, validate=calendar_day)
    time = HHMM(required=True)
    employee_id = fields.Integer(required=True, **ID)
    client_id = fields.String(required=True, validate=CLIENT_ID)


class HoldOut(Schema):
    kind = fields.String()
    date = fields.Date(attribute="day")
    time = fields.String()
    employee_id = fields.Integer()
    expires_at = fields.AwareDateTime()
    ttl_seconds = fields.Integer()
    storage = fields.String()


class HeartbeatIn(Schema):
    date = fields.Date(required=True, validate=calendar_day)
    employee_id = fields.Integer(required=True, **ID)
    client_id = fields.String(required=True, validate=CLIENT_ID)
    service_id = fields.Integer(allow_none=True, **ID)
    selected_time = HHMM(allow_none=True)
    known_version = fields.String(allow_none=True, validate=free_text(64))


class MineOut(Schema):
    time = fields.String()
    kind = fields.String()
    expires_at = fields.AwareDateTime()


class HeartbeatOut(Schema):
    """The full heartbeat answer, or only ``changed/version/interval_seconds/server_time``."""

    changed = fields.Boolean()
    server_time = fields.AwareDateTime()
    interval_seconds = fields.Integer()
    date = fields.Date()
    employee_id = fields.Integer()
    booked = fields.List(fields.String())
    locked = fields.List(fields.String())
    processing = fields.List(fields.String())
    mine = fields.Nested(MineOut, allow_none=True)
    version = fields.String()
    storage = fields.String()


class AppointmentIn(Schema):
    service_id = fields.Integer(required=True, **ID)
    employee_id = fields.Integer(required=True, **ID)
    date = fields.Date(required=True, validate=calendar_day)
    time = HHMM(required=True)
    name = fields.String(required=True, validate=free_text(200, min_length=1))
    email = fields.Email(required=True, validate=free_text(254))
    phone = fields.String(allow_none=True, validate=free_text(40))
    notes = fields.String(allow_none=True, validate=free_text(2000))
    client_id = fields.String(allow_none=True, validate=CLIENT_ID)


class AppointmentOut(Schema):
    reference = fields.String()
    status = fields.String()
    service_id = fields.Integer()
    employee_id = fields.Integer()
    date = fields.String()
    time = fields.String()
    start = fields.String()
    end = fields.String()
    name = fields.String()
    email = fields.String()


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class ErrorOut(Schema):
    error = fields.Nested(ErrorBody)


class HealthOut(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())
