"""iCalendar files for appointment emails (RFC 5545 objects, RFC 5546 iTIP methods), via ``icalendar``.

* ``UID`` is ``<reference>@<public host>``: the same for every message about one
  appointment, so a calendar updates its entry instead of adding another.
* ``SEQUENCE`` is the number of earlier events of the appointment: it rises with each
  change, and calendars ignore an update whose ``SEQUENCE`` is not higher.
* ``METHOD:REQUEST`` for booked and rescheduled; ``METHOD:CANCEL`` with
  ``STATUS:CANCELLED`` for cancelled (RFC 5546 §3.2.5) — a cancellation sent as REQUEST
  would leave the entry in the customer's calendar.
* ``DTSTART``/``DTEND`` carry the business time zone as ``TZID`` with its ``VTIMEZONE``
  (or ``Z`` when the business runs on UTC), so they parse back to the same instant.
* ``DESCRIPTION`` says the time as the email does (``when_text``: the visitor's zone,
  the business zone beside it; SPEC §4 ``timezone``), for calendars that show it as text.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar, Event, vCalAddress

from appointease.notify.content import AppointmentAt, one_line, when_text
from appointease.notify.settings import NotifySettings

PRODID = "-//AppointEase//Appointment booking//EN"


def method_for(event_type: str) -> str:
    """Return the iTIP method for an event type: ``CANCEL`` for a cancellation, else ``REQUEST``."""
    return "CANCEL" if event_type == "appointment.cancelled" else "REQUEST"


def calendar_uid(reference: str, settings: NotifySettings) -> str:
    """Return the stable ``UID`` of an appointment: ``<reference>@<host>``."""
    return f"{reference}@{settings.host}"


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{one_line(email)}")
    address.params["cn"] = one_line(name)
    return address


def appointment_ics(at: AppointmentAt, settings: NotifySettings) -> bytes:
    """Build the ``.ics`` for the message about ``at`` (one VEVENT, plus VTIMEZONE when needed).

    Returns:
        The calendar as RFC 5545 text (CRLF line ends, folded), UTF-8 encoded.
    """
    method = method_for(at.type)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", calendar_uid(at.reference, settings))
    event.add("sequence", at.sequence)
    event.add("dtstamp", at.occurred_at.astimezone(UTC))
    event.add("last-modified", at.occurred_at.astimezone(UTC))
    tz = UTC if getattr(at.tz, "key", None) in ("UTC", "Etc/UTC") else at.tz
    event.add("dtstart", at.start.astimezone(tz))
    event.add("dtend", at.end.astimezone(tz))
    event.add("summary", one_line(f"{at.service_name} with {at.employee_name}"))
    event.add(
        "description",
        f"{when_text(at)}. Booking reference {at.reference}. Manage or cancel it at {settings.manage_url}",
    )
    event.add("url", settings.manage_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(settings.mail_from, settings.business_name))
    attendee = _address(at.email, at.name)
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    event.add("attendee", attendee)
    cal.add_component(event)
    if tz is not UTC:
        year = timedelta(days=366)
        cal.add_missing_timezones(first_date=(at.start - year).date(), last_date=(at.end + year).date())
    return cal.to_ical()
