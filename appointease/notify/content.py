"""What an appointment looked like at one event: the facts every email, calendar file and webhook carry.

The event row fixes the status, staff member and start at that ``seq``; the
appointment row adds what a change does not touch (service, customer, notes). The
calendar ``SEQUENCE`` is the number of earlier events of the same appointment, so it
rises strictly with each change (RFC 5545 §3.8.7.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.models import Appointment, Employee, Event, Service

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

    @property
    def local_start(self) -> datetime:
        """The start in the business time zone."""
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        """The end in the business time zone."""
        return self.end.astimezone(self.tz)

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
        }


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
    )
