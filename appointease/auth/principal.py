"""Who is calling: the principal a bearer API token stands for (SPEC §4 "Staff and admin").

Pure Python (no Flask). The shared appointment functions take its ``actor``
(``appointease.auth.actor.Actor``); ``scope`` limits a staff token's lists and feeds to
its own staff member.
"""

from __future__ import annotations

from dataclasses import dataclass

from appointease.auth.actor import ADMIN, STAFF, Actor
from appointease.errors import Forbidden

ROLES = (ADMIN, STAFF)


@dataclass(frozen=True)
class Principal:
    """An authenticated API token.

    Attributes:
        token_id: the token's id (as ``list-tokens`` shows it).
        role: ``admin`` (everything) or ``staff`` (only its own employee's appointments,
            events and holds).
        employee_id: the staff member a ``staff`` token belongs to; None for ``admin``.
        name: the token's label, if any.
    """

    token_id: int
    role: str
    employee_id: int | None
    name: str | None = None

    @property
    def actor(self) -> Actor:
        """The ``Actor`` the shared appointment functions (``appointments``, ``changes``) take."""
        return Actor.admin() if self.is_admin else Actor.staff(self.employee_id)

    @property
    def is_admin(self) -> bool:
        """True for an ``admin`` token."""
        return self.role == ADMIN

    def check_employee(self, employee_id: int) -> None:
        """Allow acting on ``employee_id``'s appointments, or refuse.

        Raises:
            Forbidden: a staff token and another staff member (SPEC §4: 403 ``forbidden``).
        """
        if not self.is_admin and employee_id != self.employee_id:
            raise Forbidden("A staff token may only act on its own appointments.")

    def scope(self, employee_id: int | None) -> int | None:
        """Return the employee a read is limited to: the asked one, or a staff token's own.

        An admin's ``None`` means everyone; a staff token always reads its own employee.

        Raises:
            Forbidden: a staff token asked for another staff member.
        """
        if self.is_admin:
            return employee_id
        if employee_id is not None:
            self.check_employee(employee_id)
        return self.employee_id
