"""Who is asking: a customer (by email), an admin, or a member of staff (SPEC §4).

``Actor`` is what the domain's readers and changes (``appointease.appointments``,
``appointease.changes``) receive instead of a Flask request, so the same functions
serve the customer routes and the admin ones. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from appointease.errors import AppError, Forbidden, NotFound

CUSTOMER, ADMIN, STAFF = "customer", "admin", "staff"


def normalize_email(email: str) -> str:
    """Return the form a customer's email is matched in: trimmed and lower-case.

    Email addresses are matched case-insensitively (SPEC §4 "a customer is an email
    address"); the address as typed is kept on the appointment for display and mail.
    """
    return email.strip().lower()


@dataclass(frozen=True)
class Actor:
    """Someone acting on appointments.

    Attributes:
        role: ``customer``, ``admin`` or ``staff``.
        email: the customer's normalised email (customers only).
        employee_id: the staff member a staff token belongs to (staff only).
        enforce_cutoff: whether ``APPOINTEASE_CANCEL_CUTOFF_MINUTES`` applies to this
            actor's cancels and reschedules (SPEC §4: admins act "with the customer
            routes' semantics", so it defaults to True for every role).
    """

    role: str
    email: str | None = None
    employee_id: int | None = None
    enforce_cutoff: bool = True

    @classmethod
    def customer(cls, email: str) -> Actor:
        """A customer, identified by ``email`` (normalised here)."""
        return cls(CUSTOMER, email=normalize_email(email))

    @classmethod
    def admin(cls) -> Actor:
        """An admin: may see and change every appointment."""
        return cls(ADMIN)

    @classmethod
    def staff(cls, employee_id: int) -> Actor:
        """A staff member: may see and change the appointments of ``employee_id`` only."""
        return cls(STAFF, employee_id=employee_id)

    @property
    def principal(self) -> str:
        """The Idempotency-Key principal: the customer's email, ``admin`` or ``staff:<id>``."""
        if self.role == CUSTOMER:
            return self.email or ""
        return ADMIN if self.role == ADMIN else f"staff:{self.employee_id}"

    def may_act_on(self, customer_email: str, employee_id: int) -> bool:
        """Tell whether this actor may see and change an appointment with these owners."""
        if self.role == ADMIN:
            return True
        if self.role == STAFF:
            return employee_id == self.employee_id
        return self.email is not None and normalize_email(customer_email) == self.email

    def refusal(self) -> AppError:
        """The error for an appointment this actor may not touch.

        A customer gets ``NotFound`` (404), so references cannot be probed (SPEC §4);
        staff get ``Forbidden`` (403, SPEC §4 "Staff and admin").
        """
        return Forbidden() if self.role == STAFF else NotFound("No such appointment.")
