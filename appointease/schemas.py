"""Marshmallow schemas: request bodies and query strings in, responses out (SPEC §4).

They drive validation and the OpenAPI document alike (flask-smorest). ``unknown=RAISE``
(marshmallow's default) makes unknown fields a validation error; strict integers refuse
``"1"`` and ``true``; strings carry length limits so no oversize value reaches the
database. Output fields are ``required`` so the document says what is always there.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, post_dump, pre_dump, validate, validates_schema

from appointease.grid import parse_hhmm
from appointease.lifecycle import Status


class FullMatch(validate.Regexp):
    """``validate.Regexp`` that must match the whole value (Python's ``$`` also matches
    before a final newline); the pattern is still published as is in the OpenAPI document."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


CLIENT_ID = FullMatch(r"^[A-Za-z0-9_-]{8,64}$", flags=re.ASCII, error="Must be 8–64 letters, digits, '-' or '_'.")
ID = {"strict": True, "validate": validate.Range(min=1, max=2**31 - 1)}
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
# ASCII digits only: Python's \d also matches "２" or "٣", which int() would accept.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
QUERY_ID_PATTERN = r"^[0-9]{1,10}$"
HEARTBEAT_STATES = ["available", "processing", "locked", "booked", "mine"]


def calendar_day(value: date) -> None:
    """Refuse dates near ``date.min``/``date.max``: a day's bounds there overflow ``datetime``."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(f"Must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.")


#: Files in the zone directory that are not zones a visitor is in (the server's own, a placeholder).
_NOT_ZONES = {"localtime", "Factory"}


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def iana_zone(value: str) -> None:
    """Refuse a time zone name that is not in the IANA database ``zoneinfo`` reads (SPEC §4
    ``timezone``): membership, not ``ZoneInfo(value)``, so a path or ``localtime`` is refused too."""
    if value not in _zone_names():
        raise ValidationError("Not a known IANA time zone, such as 'Europe/Berlin' or 'America/New_York'.")


def storable_text(value: str) -> None:
    """Refuse NUL and unpaired surrogates (from ``\\u0000`` / ``\\ud800`` JSON escapes):
    neither PostgreSQL nor UTF-8 can store them."""
    if any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("Contains characters that cannot be stored.")


#: Joiners that some scripts need inside words (ZWNJ in Persian, ZWJ in Indic scripts and
#: emoji sequences): the only format characters (Cf) free text may hold, and only
#: between two visible characters (cf. RFC 5892 Appendix A.1–A.2, CONTEXTJ).
_JOINERS = {"\u200c", "\u200d"}
#: Control (Cc), format (Cf) and line/paragraph separators (Zl, Zp): invisible or
#: line-breaking characters that enable header/log injection and display spoofing
#: (ESC, CR/LF, BEL, U+202E RIGHT-TO-LEFT OVERRIDE, zero-width spaces).
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def _visible(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) not in _REFUSED_CATEGORIES


def plain_text(multiline: bool = False):
    """Build a validator refusing invisible and control characters in free text.

    Refused: Unicode categories Cc, Cf, Zl and Zp (a ZWJ/ZWNJ joiner between two
    visible characters excepted), and text with no visible character at all (only
    spaces or zero-width characters). With ``multiline`` (notes), LF and TAB are allowed.

    Raises (from the validator):
        ValidationError: naming the first refused character as ``U+XXXX``.
    """
    allowed = {"\n", "\t"} if multiline else set()

    def validator(value: str) -> None:
        for i, ch in enumerate(value):
            if ch in allowed or unicodedata.category(ch) not in _REFUSED_CATEGORIES:
                continue
            if ch in _JOINERS and 0 < i < len(value) - 1 and _visible(value[i - 1]) and _visible(value[i + 1]):
                continue
            raise ValidationError(f"Contains an invisible or control character (U+{ord(ch):04X}).")
        if value and not any(_visible(ch) for ch in value):
            raise ValidationError("Must contain visible characters.")

    return validator


def free_text(max_length: int, min_length: int | None = None, *, multiline: bool = False) -> list:
    """Validators for free text: its length, only storable characters, no invisible or
    control characters (``plain_text``; LF and TAB allowed when ``multiline``)."""
    return [validate.Length(min=min_length, max=max_length), storable_text, plain_text(multiline)]


class _IsoDate(fields.Date):
    """``fields.Date`` accepting only ASCII ``YYYY-MM-DD`` (``date.fromisoformat`` also
    takes ``20261202`` and ISO week dates such as ``2026-W49-3``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not re.fullmatch(DATE_PATTERN, value):
            raise ValidationError("Not a valid date; use YYYY-MM-DD.")
        return super()._deserialize(value, attr, data, **kwargs)


def Day(**kwargs) -> fields.Date:
    """A calendar date ``YYYY-MM-DD`` (business-local), within the storable range."""
    metadata = {
        "pattern": DATE_PATTERN,
        "example": "2026-11-23",
        "description": f"A date YYYY-MM-DD from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}.",
    }
    return _IsoDate(validate=calendar_day, metadata=metadata, **kwargs)


class QueryId(fields.Integer):
    """An id in a query string: 1 to 2³¹−1 written in ASCII digits only (no sign, space
    or other digits: ``int()`` would read ``"＋１"`` or ``" 1"`` as 1)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=2**31 - 1))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, str) and re.fullmatch(QUERY_ID_PATTERN, value)):
            raise ValidationError("Not a valid id; use digits 0–9 only.")
        return super()._deserialize(value, attr, data, **kwargs)


class HHMM(fields.String):
    """A business-local wall time ``HH:MM`` (24-hour)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(pattern=TIME_PATTERN, example="10:00")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(TIME_PATTERN, text):  # ASCII only: "１０:００" is not a time
            raise ValidationError("Not a valid time; use HH:MM (24-hour).")
        try:
            parse_hhmm(text)
        except ValueError:
            raise ValidationError("Not a valid time; use HH:MM (24-hour).") from None
        return text


def Price(**kwargs) -> fields.Decimal:
    """A price as a decimal string with two places (``"25.00"``), never a float."""
    return fields.Decimal(
        as_string=True,
        places=2,
        metadata={"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "25.00"},
        **kwargs,
    )


class ServiceOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    price = Price(required=True)
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code (APPOINTEASE_CURRENCY)."})


class StaffQuery(Schema):
    service_id = QueryId()


class StaffOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    service_ids = fields.Method("_service_ids", required=True, metadata={"type": "array", "items": {"type": "integer"}})

    def _service_ids(self, employee) -> list[int]:
        return sorted(s.id for s in employee.services)


class AvailabilityQuery(Schema):
    day = Day(required=True, data_key="date")
    employee_id = QueryId(required=True)
    service_id = QueryId(required=True)
    client_id = fields.String(validate=CLIENT_ID)


class SlotOut(Schema):
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    start = fields.AwareDateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(HEARTBEAT_STATES))


class AvailabilityOut(Schema):
    date = fields.Date(required=True, attribute="day")
    employee_id = fields.Integer(required=True)
    service_id = fields.Integer(required=True)
    timezone = fields.String(required=True)
    slots = fields.List(fields.Nested(SlotOut), required=True)


class DaysQuery(Schema):
    first = Day(required=True, data_key="from")
    last = Day(required=True, data_key="to")
    service_id = QueryId(required=True)
    employee_id = QueryId()


class DayOut(Schema):
    date = fields.Date(required=True)
    free = fields.Integer(required=True, metadata={"description": "Bookable start times that day."})


class DaysOut(Schema):
    days = fields.List(fields.Nested(DayOut), required=True)
    bookable_until = fields.Date(required=True, metadata={"description": "The last date inside the booking horizon."})


class SlotIn(Schema):
    """Body of ``/slots/select`` and ``/slots/lock``."""

    day = Day(required=True, data_key="date")
    time = HHMM(required=True)
    employee_id = fields.Integer(required=True, **ID)
    service_id = fields.Integer(required=True, **ID)
    client_id = fields.String(required=True, validate=CLIENT_ID)


class ReleaseIn(Schema):
    """Body of ``/slots/release``."""

    day = Day(required=True, data_key="date")
    time = HHMM(required=True)
    employee_id = fields.Integer(required=True, **ID)
    client_id = fields.String(required=True, validate=CLIENT_ID)


class HoldOut(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["selection", "lock"]))
    date = fields.Date(required=True, attribute="day")
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    employee_id = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)
    ttl_seconds = fields.Integer(required=True)
    storage = fields.String(required=True, validate=validate.OneOf(["redis", "database"]))


class HeartbeatIn(Schema):
    """A widget poll: one staff member (``employee_id``) or several (``employee_ids``, 1–20)."""

    class Meta:
        # Exactly one of the two, in the OpenAPI document too (appointease.api.openapi).
        openapi = {"oneOf": [{"required": ["employee_id"]}, {"required": ["employee_ids"]}]}

    day = Day(required=True, data_key="date")
    employee_id = fields.Integer(**ID)
    employee_ids = fields.List(fields.Integer(**ID), validate=validate.Length(min=1, max=20))
    client_id = fields.String(required=True, validate=CLIENT_ID)
    service_id = fields.Integer(allow_none=True, **ID)
    selected_time = HHMM(allow_none=True)
    known_version = fields.String(allow_none=True, validate=free_text(64))

    @validates_schema(skip_on_field_errors=False)
    def _one_of_employee_id_or_ids(self, data: dict, **kwargs) -> None:
        """Exactly one of ``employee_id`` / ``employee_ids`` (SPEC §4)."""
        if ("employee_id" in data) == ("employee_ids" in data):
            field = "employee_ids" if "employee_ids" in data else "employee_id"
            raise ValidationError("Give either employee_id or employee_ids (1–20 ids), not both.", field)


class MineOut(Schema):
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    kind = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    employee_id = fields.Integer(metadata={"description": "Only when the poll named employee_ids."})


TIMES_DOC = {
    "description": "Every bookable start time of the day, in order (booked/locked/processing are among them); "
    "a time the widget shows that is missing here is no longer offered."
}


class StaffListsOut(Schema):
    employee_id = fields.Integer(required=True)
    booked = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}), required=True)
    locked = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}), required=True)
    processing = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}), required=True)
    times = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}), required=True, metadata=TIMES_DOC)


#: The short heartbeat answer's keys, all it holds when the poll's ``known_version`` is current (SPEC §4).
HEARTBEAT_SHORT_KEYS = ("changed", "version", "interval_seconds", "server_time")


class HeartbeatOut(Schema):
    """A ``live.Heartbeat`` on the wire, the one owner of its shape (SPEC §4): ``HEARTBEAT_SHORT_KEYS``
    when ``changed`` is false; else one staff member: ``employee_id`` + ``booked/locked/processing/times``;
    several: ``staff``."""

    changed = fields.Boolean(metadata={"description": "Present (false) only on the short unchanged answer."})
    server_time = fields.AwareDateTime(required=True)
    interval_seconds = fields.Integer(required=True)
    version = fields.String(required=True)
    date = fields.Date(attribute="day")
    employee_id = fields.Integer()
    booked = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}))
    locked = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}))
    processing = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}))
    times = fields.List(fields.String(metadata={"pattern": TIME_PATTERN}), metadata=TIMES_DOC)
    duration_minutes = fields.Integer(metadata={"description": "The slot length the times were computed with."})
    staff = fields.List(fields.Nested(StaffListsOut))
    mine = fields.Nested(MineOut, allow_none=True)
    storage = fields.String(validate=validate.OneOf(["redis", "database"]))

    @pre_dump
    def _short_when_unchanged(self, beat, **kwargs):
        """Dump an unchanged beat as its ``HEARTBEAT_SHORT_KEYS`` only (its lists are never serialised)."""
        return beat if beat.changed else {key: getattr(beat, key) for key in HEARTBEAT_SHORT_KEYS}

    @post_dump
    def _drop_what_the_answer_lacks(self, data: dict, **kwargs) -> dict:
        """``changed`` appears (as false) only on the short answer; the single-staff
        lists only for ``employee_id``, ``staff`` only for ``employee_ids`` (SPEC §4)."""
        if data.get("changed") is True:
            del data["changed"]
        return {k: v for k, v in data.items() if v is not None or k == "mine"}


class AppointmentIn(Schema):
    service_id = fields.Integer(required=True, **ID)
    employee_id = fields.Integer(required=True, **ID)
    day = Day(required=True, data_key="date")
    time = HHMM(required=True)
    name = fields.String(required=True, validate=free_text(200, min_length=1))
    email = fields.Email(required=True, validate=free_text(254))
    phone = fields.String(allow_none=True, validate=free_text(40))
    notes = fields.String(allow_none=True, validate=free_text(2000, multiline=True))
    client_id = fields.String(allow_none=True, validate=CLIENT_ID)
    timezone = fields.String(
        allow_none=True,
        validate=[validate.Length(max=64), iana_zone],
        metadata={
            "example": "America/New_York",
            "description": "The visitor's IANA time zone: emails, calendar files and /manage show the time in it, "
            "with the business zone beside it.",
        },
    )


class AppointmentOut(Schema):
    reference = fields.String(required=True, metadata={"example": "APT-2026-000042"})
    status = fields.Enum(Status, by_value=True, required=True)
    service_id = fields.Integer(required=True)
    employee_id = fields.Integer(required=True)
    date = fields.Date(required=True, attribute="day")
    time = fields.String(required=True, metadata={"pattern": TIME_PATTERN})
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class ErrorOut(Schema):
    """SPEC §4's error shape."""

    error = fields.Nested(ErrorBody, required=True)


class HealthOut(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())
