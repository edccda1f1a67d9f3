"""``GET /availability/days``: how many start times are free on each day of a range (SPEC §4)."""
from __future__ import annotations

from flask import jsonify
from marshmallow import Schema, ValidationError, fields, validates_schema

from appointease.api import api
from appointease.api.common import query, rules, session
from appointease.models import utcnow
from appointease.open_days import MAX_DAYS, free_days
from appointease.schemas import QID, calendar_day


class DaysQuery(Schema):
    """``?from=&to=&service_id=[&employee_id=]``; at most ``MAX_DAYS`` days, ``to`` ≥ ``from``."""

    first = fields.Date(required=True, data_key="from", validate=calendar_day)
    last = fields.Date(required=True, data_key="to", validate=calendar_day)
    service_id = fields.Integer(required=True, **QID)
    employee_id = fields.Integer(**QID)

    @validates_schema
    def _range(self, data, **kwargs):
        if "first" in data and "last" in data:
            span = (data["last"] - data["first"]).days + 1
            if not 1 <= span <= MAX_DAYS:
                raise ValidationError(f"Must be on or after 'from', at most {MAX_DAYS} days in all.", "to")


class DayOut(Schema):
    date = fields.Date()
    free = fields.Integer()


class DaysOut(Schema):
    days = fields.List(fields.Nested(DayOut))
    bookable_until = fields.Date()


@api.get("/availability/days")
def availability_days():
    """Free start times per day: ``{days: [{date, free}], bookable_until}``."""
    args = query(DaysQuery())
    result = free_days(session(), rules(), utcnow(), args["first"], args["last"], args["service_id"],
                       args.get("employee_id"))
    return jsonify(DaysOut().dump(result))
