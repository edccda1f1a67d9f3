"""The emails themselves (SPEC §7): appointment confirmations with an ``.ics``, and the one-time code.

Each message is a stdlib :class:`email.message.EmailMessage` with a plain-text body and
an HTML alternative. Header values are made single-line first (:func:`one_line`: no CR
or LF can start a new header), and every piece of user text is HTML-escaped in the HTML
part. Confirmations carry the reference, service, staff member, the time (in the
visitor's zone with the business zone beside it, SPEC §4 ``timezone``; ``when_text``), a
link to ``/manage`` and the calendar file (``appointease.notify.ics``).
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from appointease.notify.content import AppointmentAt, one_line, when_text
from appointease.notify.ics import appointment_ics, method_for
from appointease.notify.settings import NotifySettings

CONFIRMATION_TYPES = ("appointment.created", "appointment.rescheduled", "appointment.cancelled")

#: Per event type: subject prefix, the sentence that opens the message, what the .ics does.
_WORDING = {
    "appointment.created": ("Booking confirmed", "Your appointment is booked.", "adds it to"),
    "appointment.rescheduled": ("Booking moved", "Your appointment has been moved to a new time.", "updates it in"),
    "appointment.cancelled": ("Booking cancelled", "Your appointment has been cancelled.", "removes it from"),
}


def _sender(settings: NotifySettings) -> Address:
    return Address(display_name=one_line(settings.business_name), addr_spec=one_line(settings.mail_from))


def _envelope(settings: NotifySettings, to: str, subject: str, message_id: str, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _sender(settings)
    msg["To"] = one_line(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{one_line(message_id)}@{settings.host}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    return msg


def confirmation_subject(at: AppointmentAt) -> str:
    """Return the subject line, e.g. ``Booking confirmed: Haircut on Mon 12 Jan 2026 04:00 (APT-2026-000042)``.

    The time is the one the body's "When" line starts with: in the visitor's zone when the
    booking gave one, else the business's. The zone is named in the body only (subjects
    stay short enough not to be folded).
    """
    prefix = _WORDING[at.type][0]
    start = at.start.astimezone(at.shown_tz)
    return f"{prefix}: {at.service_name} on {start:%a} {start.day} {start:%b %Y %H:%M} ({at.reference})"


def confirmation_message(
    at: AppointmentAt, settings: NotifySettings, *, message_id: str, now: datetime
) -> EmailMessage:
    """Build the confirmation for a created, rescheduled or cancelled appointment.

    Args:
        at: the appointment as of the event (``at.type`` one of :data:`CONFIRMATION_TYPES`).
        message_id: the left part of ``Message-ID``, stable for one mail row so a
            re-send after an unclear failure can be recognised as the same message.
        now: the ``Date`` header.

    Returns:
        ``multipart/mixed``: text + HTML alternatives and ``appointment.ics``
        (``text/calendar; method=REQUEST|CANCEL``).
    """
    _, opening, ics_does = _WORDING[at.type]
    when = when_text(at)
    msg = _envelope(settings, at.email, confirmation_subject(at), message_id, now)
    rows = [("Reference", at.reference), ("Service", at.service_name), ("With", at.employee_name), ("When", when)]
    keep = f" The attached calendar file {ics_does} your calendar."
    text = "\n".join(
        [
            f"Hello {one_line(at.name)},",
            "",
            opening,
            "",
            *(f"  {label + ':':<11}{value}" for label, value in rows),
            "",
            f"To see your bookings, or to reschedule or cancel, go to {settings.manage_url}",
            f"and sign in with this email address ({at.email}); we send you a one-time code.{keep}",
            "",
            f"— {settings.business_name}",
            "",
        ]
    )
    msg.set_content(text)
    cells = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{escape(label)}</th><td>{escape(value)}</td></tr>'
        for label, value in rows
    )
    html = (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222">'
        f"<p>Hello {escape(at.name)},</p><p><strong>{escape(opening)}</strong></p>"
        f"<table>{cells}</table>"
        f'<p><a href="{escape(settings.manage_url)}">Manage your booking</a> — sign in with '
        f"{escape(at.email)}; we send you a one-time code.{escape(keep)}</p>"
        f"<p>— {escape(settings.business_name)}</p></body></html>"
    )
    msg.add_alternative(html, subtype="html")
    method = method_for(at.type)
    msg.add_attachment(
        appointment_ics(at, settings),
        maintype="text",
        subtype="calendar",
        filename="appointment.ics",
        params={"method": method, "charset": "UTF-8"},
    )
    return msg


def otp_message(
    email: str, code: str, settings: NotifySettings, *, message_id: str, now: datetime, valid_minutes: int = 10
) -> EmailMessage:
    """Build the one-time code message (SPEC §4 Customers).

    The text body holds the code as its only run of six digits (clients and tests can
    pick it out), and nothing else from outside (no business name there: it could
    contain digits). The subject never holds the code: subjects are logged.
    """
    if not (len(code) == 6 and code.isdigit()):
        raise ValueError("a one-time code is six digits")
    subject = f"Your sign-in code for {settings.business_name}"
    msg = _envelope(settings, email, subject, message_id, now)
    msg.set_content(
        f"Your sign-in code is {code}\n\n"
        f"Enter it on the booking page within {valid_minutes} minutes. It works once.\n"
        "If you did not ask for it, you can ignore this message: nobody can sign in without it.\n"
    )
    msg.add_alternative(
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222">'
        f'<p>Your sign-in code is</p><p style="font-size:28px;letter-spacing:4px"><strong>{code}</strong></p>'
        f"<p>Enter it on the booking page within {valid_minutes} minutes. It works once.</p>"
        "<p>If you did not ask for it, you can ignore this message: nobody can sign in without it.</p>"
        "</body></html>",
        subtype="html",
    )
    return msg
