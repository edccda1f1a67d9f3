"""What an appointment looked like at one event: the facts every email, calendar file and webhook carry.

The event row fixes the status, staff member and start at that ``seq``; the
appointment row adds what a change does not touch (service, customer, notes, the
visitor's time zone). The calendar ``SEQUENCE`` is the number of earlier events of the
same appointment, so it rises strictly with each change (RFC 5545 §3.8.7.4).

``when_text`` is the one wording of an appointment's time that emails and calendar
files share (SPEC §4 ``timezone``): the visitor's zone first, the business's beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.core import get_global
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.models import Appointment, Employee, Event, Service

#: Zones whose time is UTC itself: named "UTC", not after a city.
_UTC_ZONES = {"Etc/UTC", "Etc/GMT", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/Greenwich"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(text: str | None) -> str:
    """Collapse CR, LF and other control characters to single spaces (header and parameter values)."""
    return _CONTROL.sub(" ", text or "").strip()


@dataclass(frozen=True)
class AppointmentAt:
    """One appointment as of one event. Instants are aware; ``tz`` is the business time zone."""

    seq: int
    type: str
    occurred_at: datetime
    sequence: int
    reference: str
    status: str
    service_id: int
    service_name: str
    employee_id: int
    employee_name: str
    start: datetime
    end: datetime
    name: str
    email: str
    phone: str | None
    notes: str | None
    tz: tzinfo
    #: The visitor's zone given at booking (SPEC §4 ``timezone``), or None.
    visitor_tz: tzinfo | None = None

    @property
    def local_start(self) -> datetime:
        """The start in the business time zone."""
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        """The end in the business time zone."""
        return self.end.astimezone(self.tz)

    @property
    def shown_tz(self) -> tzinfo:
        """The zone the customer reads times in: the visitor's when given, else the business's."""
        return self.visitor_tz or self.tz

    def as_json(self) -> dict:
        """The SPEC §4 appointment JSON (business-local ``date``/``time``; ``start``/``end`` ISO 8601 with offset)."""
        return {
            "reference": self.reference,
            "status": self.status,
            "service_id": self.service_id,
            "service_name": self.service_name,
            "employee_id": self.employee_id,
            "employee_name": self.employee_name,
            "date": self.local_start.date().isoformat(),
            "time": self.local_start.strftime("%H:%M"),
            "start": self.local_start.isoformat(),
            "end": self.local_end.isoformat(),
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "notes": self.notes,
            "timezone": zone_key(self.visitor_tz) if self.visitor_tz else None,
            "business_timezone": zone_key(self.tz),
        }


def zone_key(tz: tzinfo) -> str:
    """Return the IANA name of ``tz`` (``ZoneInfo.key``; ``str(tz)`` for other tzinfos)."""
    return getattr(tz, "key", None) or str(tz)


def _canonical(tz: tzinfo) -> str:
    """The CLDR canonical IANA name (``Asia/Calcutta`` → ``Asia/Kolkata``, ``UTC`` → ``Etc/UTC``)."""
    key = zone_key(tz)
    return get_global("zone_aliases").get(key, key)


@cache
def _english_zones() -> dict:
    return Locale.parse("en").time_zones


def zone_city(tz: tzinfo) -> str:
    """Return the place a zone is named after, as people say it: ``New York``, ``Berlin``,
    ``Ho Chi Minh City`` (CLDR exemplar city via Babel, else the IANA name's last part);
    ``UTC`` for the zones that are UTC itself."""
    key = _canonical(tz)
    if key in _UTC_ZONES:
        return "UTC"
    city = _english_zones().get(key, {}).get("city")
    return city or key.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(tz: tzinfo) -> str:
    """Return how a time in ``tz`` is labelled: ``New York time``, or ``UTC``."""
    city = zone_city(tz)
    return city if city == "UTC" else f"{city} time"


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def _hours(start: datetime, end: datetime) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"


def when_text(at: AppointmentAt) -> str:
    """Return the appointment's time as emails and calendar files say it (SPEC §4 ``timezone``).

    The visitor's zone first, the business's beside it when they differ; the business's
    date too when the two zones are on different days. 24-hour ``HH:MM``; zones named
    after their city (``zone_city``). Examples::

        Monday 12 January 2026, 10:00–10:30 Berlin time
        Monday 12 January 2026, 04:00–04:30 New York time (10:00–10:30 in Berlin)
        Tuesday 13 January 2026, 00:30–01:00 Tokyo time (Monday 12 January, 16:30–17:00 in Berlin)
    """
    shown = at.shown_tz
    start, end = at.start.astimezone(shown), at.end.astimezone(shown)
    text = f"{_day(start)}, {_hours(start, end)} {zone_label(shown)}"
    if at.visitor_tz is None or _canonical(at.visitor_tz) == _canonical(at.tz):
        return text
    local, local_end = at.local_start, at.local_end
    other_day = f"{local:%A} {local.day} {local:%B}, " if local.date() != start.date() else ""
    return f"{text} ({other_day}{_hours(local, local_end)} in {zone_city(at.tz)})"


def appointment_at(session: Session, event: Event, tz: tzinfo) -> AppointmentAt:
    """Build the :class:`AppointmentAt` for ``event`` (reads the appointment, service and staff rows).

    The end is the event's start plus the appointment's current length.

    Raises:
        LookupError: the appointment row is gone (it never is: appointments are not deleted).
    """
    apt = session.get(Appointment, event.appointment_id)
    if apt is None:
        raise LookupError(f"appointment {event.appointment_id} of event {event.seq} is missing")
    service = session.get(Service, apt.service_id)
    employee = session.get(Employee, event.employee_id)
    earlier = session.scalar(
        select(func.count()).select_from(Event).where(Event.appointment_id == apt.id, Event.seq < event.seq)
    )
    return AppointmentAt(
        seq=event.seq,
        type=event.type,
        occurred_at=event.occurred_at,
        sequence=earlier or 0,
        reference=apt.reference,
        status=event.status,
        service_id=apt.service_id,
        service_name=service.name if service else "",
        employee_id=event.employee_id,
        employee_name=employee.name if employee else "",
        start=event.start_at,
        end=event.start_at + (apt.end_at - apt.start_at),
        name=apt.customer_name,
        email=apt.customer_email,
        phone=apt.customer_phone,
        notes=apt.notes,
        tz=tz,
        visitor_tz=_visitor_zone(apt.visitor_timezone),
    )


def _visitor_zone(name: str | None) -> tzinfo | None:
    """The stored visitor zone, or None when none was given or this system's tz database
    no longer has it (then the business zone alone, rather than a mail that never goes)."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
