"""``/admin/services`` and ``/admin/staff``: the catalogue, admin tokens only (SPEC §4).

``DELETE`` deactivates (appointments keep their service and staff member); the answer
lists the upcoming appointments left stranded (``affected``).
"""

from appointease.admin import catalogue
from appointease.api.admin.common import ID, AdminBlueprint
from appointease.api.admin.schemas import (
    AdminServiceOut,
    AdminStaffOut,
    ServiceChangeOut,
    ServiceIn,
    ServicePatch,
    StaffChangeOut,
    StaffIn,
    StaffPatch,
)
from appointease.api.common import domain
from appointease.auth.principal import ADMIN

blp = AdminBlueprint("admin_catalogue", __name__, url_prefix="/api/v1/admin", description="Services and staff (admin).")


@blp.get("/services")
@blp.guard(ADMIN)
@blp.response(200, AdminServiceOut(many=True))
@blp.errors()
def list_services():
    """Every service, inactive ones included."""
    return catalogue.list_services(domain())


@blp.post("/services")
@blp.guard(ADMIN)
@blp.arguments(ServiceIn)
@blp.response(201, AdminServiceOut)
@blp.errors(400, 422)
def create_service(args):
    """Add a service."""
    return catalogue.create_service(domain(), **args)


@blp.get(f"/services/<{ID}:service_id>")
@blp.guard(ADMIN)
@blp.response(200, AdminServiceOut)
@blp.errors(404)
def get_service(service_id):
    """One service, active or not."""
    return catalogue.get_service(domain(), service_id)


@blp.patch(f"/services/<{ID}:service_id>")
@blp.guard(ADMIN)
@blp.arguments(ServicePatch(partial=True))
@blp.response(200, ServiceChangeOut)
@blp.errors(400, 404, 422)
def update_service(args, service_id):
    """Change name, duration, price or ``active``; ``affected`` lists stranded appointments."""
    return catalogue.update_service(domain(), service_id, **args)


@blp.delete(f"/services/<{ID}:service_id>")
@blp.guard(ADMIN)
@blp.response(200, ServiceChangeOut)
@blp.errors(404)
def deactivate_service(service_id):
    """Deactivate a service: hidden from new bookings, its appointments kept."""
    return catalogue.deactivate_service(domain(), service_id)


@blp.get("/staff")
@blp.guard(ADMIN)
@blp.response(200, AdminStaffOut(many=True))
@blp.errors()
def list_staff():
    """Every staff member, inactive ones included, with the services they perform."""
    return catalogue.list_staff(domain())


@blp.post("/staff")
@blp.guard(ADMIN)
@blp.arguments(StaffIn)
@blp.response(201, AdminStaffOut)
@blp.errors(400, 422)
def create_staff(args):
    """Add a staff member (working Mon–Fri 09:00–17:00 until their hours are set)."""
    return catalogue.create_staff(domain(), **args)


@blp.get(f"/staff/<{ID}:employee_id>")
@blp.guard(ADMIN)
@blp.response(200, AdminStaffOut)
@blp.errors(404)
def get_staff(employee_id):
    """One staff member, active or not."""
    return catalogue.get_staff(domain(), employee_id)


@blp.patch(f"/staff/<{ID}:employee_id>")
@blp.guard(ADMIN)
@blp.arguments(StaffPatch(partial=True))
@blp.response(200, StaffChangeOut)
@blp.errors(400, 404, 422)
def update_staff(args, employee_id):
    """Rename, change services, or (de)activate; ``affected`` lists stranded appointments."""
    return catalogue.update_staff(domain(), employee_id, **args)


@blp.delete(f"/staff/<{ID}:employee_id>")
@blp.guard(ADMIN)
@blp.response(200, StaffChangeOut)
@blp.errors(404)
def deactivate_staff(employee_id):
    """Deactivate a staff member: hidden from new bookings, their appointments kept."""
    return catalogue.deactivate_staff(domain(), employee_id)
