"""Reading appointments as the API shows them in full (SPEC §4 "An appointment in JSON").

``AppointmentDetails`` is ``booking.AppointmentView`` plus the service and staff
names; ``find`` and ``list_for_customer`` read appointments on behalf of an
``Actor``, so the customer routes and the admin routes share one access rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appointease.auth.actor import Actor, normalize_email
from appointease.booking import AppointmentView
from appointease.context import Context
from appointease.errors import NotFound
from appointease.models import Appointment, Employee, Service


@dataclass(frozen=True)
class AppointmentDetails(AppointmentView):
    """The full appointment: ``AppointmentView`` with ``service_name`` and ``employee_name``.

    ``start``/``end`` are business-local aware datetimes; ``to_record``/``from_record``
    (inherited) round-trip it through the idempotency store.
    """

    service_name: str = ""
    employee_name: str = ""

    @classmethod
    def build(
        cls, apt: Appointment, ctx: Context, service_name: str | None = None, employee_name: str | None = None
    ) -> AppointmentDetails:
        """View ``apt`` in full; names not given are read by primary key (identity-map cached)."""
        if service_name is None:
            service_name = ctx.session.get(Service, apt.service_id).name
        if employee_name is None:
            employee_name = ctx.session.get(Employee, apt.employee_id).name
        return replace(cls.of(apt, ctx), service_name=service_name, employee_name=employee_name)


def locate(session: Session, reference: str, actor: Actor, *, for_update: bool = False) -> Appointment:
    """Return the appointment ``reference`` if ``actor`` may see it.

    Args:
        for_update: lock the row until the transaction ends (``SELECT … FOR UPDATE``
            on PostgreSQL; SQLite's write transaction already excludes other writers).

    Raises:
        NotFound: no such reference, or (for a customer) someone else's — the same
            answer, so references cannot be probed (SPEC §4). Forbidden: a staff
            member's reference of another employee.
    """
    stmt = select(Appointment).where(Appointment.reference == reference)
    if for_update:
        stmt = stmt.with_for_update()
    apt = session.scalars(stmt).first()
    if apt is None:
        raise NotFound("No such appointment.")
    if not actor.may_act_on(apt.customer_email, apt.employee_id):
        raise actor.refusal()
    return apt


def get(ctx: Context, reference: str, actor: Actor) -> AppointmentDetails:
    """Return one appointment in full (SPEC §4 ``GET /appointments/<reference>``).

    Raises:
        NotFound, Forbidden: as ``locate``.
    """
    return AppointmentDetails.build(locate(ctx.session, reference, actor), ctx)


def list_for_customer(ctx: Context, email: str, *, upcoming: bool = False) -> list[AppointmentDetails]:
    """Return every appointment booked with ``email`` (case-insensitive), soonest first.

    Args:
        upcoming: keep only appointments that have not ended yet (``end > now``),
            whatever their status.

    Returns:
        Details ordered by start, then reference (SPEC §4 ``GET /me/appointments``).
    """
    stmt = (
        select(Appointment, Service.name, Employee.name)
        .join(Service, Service.id == Appointment.service_id)
        .join(Employee, Employee.id == Appointment.employee_id)
        .where(func.lower(Appointment.customer_email) == normalize_email(email))
        .order_by(Appointment.start_at, Appointment.reference)
    )
    if upcoming:
        stmt = stmt.where(Appointment.end_at > ctx.now)
    return [
        AppointmentDetails.build(apt, ctx, service, employee) for apt, service, employee in ctx.session.execute(stmt)
    ]
