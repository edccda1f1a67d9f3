"""``/admin/staff/<id>/hours`` and ``/admin/staff/<id>/time-off`` (admin tokens, SPEC §4)."""

from appointease.admin import schedule
from appointease.api.admin.common import ID, AdminBlueprint
from appointease.api.admin.schemas import (
    IntervalIn,
    TimeOffChangeOut,
    TimeOffIn,
    TimeOffOut,
    WeekChangeOut,
    WeekOut,
)
from appointease.api.common import domain
from appointease.auth.principal import ADMIN

blp = AdminBlueprint(
    "admin_schedule", __name__, url_prefix="/api/v1/admin", description="Working hours and time off (admin)."
)


@blp.get(f"/staff/<{ID}:employee_id>/hours")
@blp.guard(ADMIN)
@blp.response(200, WeekOut)
@blp.errors(404)
def get_hours(employee_id):
    """The staff member's week: ``[{weekday, start, end}]`` (0 = Monday)."""
    return schedule.get_week(domain(), employee_id)


@blp.put(f"/staff/<{ID}:employee_id>/hours")
@blp.guard(ADMIN)
@blp.arguments(IntervalIn(many=True))
@blp.response(200, WeekChangeOut)
@blp.errors(400, 404, 422)
def set_hours(intervals, employee_id):
    """Replace the whole week; intervals of a day may not overlap; ``affected`` lists stranded appointments."""
    return schedule.set_week(domain(), employee_id, intervals)


@blp.get(f"/staff/<{ID}:employee_id>/time-off")
@blp.guard(ADMIN)
@blp.response(200, TimeOffOut(many=True))
@blp.errors(404)
def list_time_off(employee_id):
    """The staff member's time off, earliest first."""
    return schedule.list_time_off(domain(), employee_id)


@blp.post(f"/staff/<{ID}:employee_id>/time-off")
@blp.guard(ADMIN)
@blp.arguments(TimeOffIn)
@blp.response(201, TimeOffChangeOut)
@blp.errors(400, 404, 422)
def add_time_off(args, employee_id):
    """Add whole days off (inclusive); ``affected`` lists appointments on those days."""
    return schedule.add_time_off(domain(), employee_id, **args)


@blp.delete(f"/staff/<{ID}:employee_id>/time-off/<{ID}:time_off_id>")
@blp.guard(ADMIN)
@blp.response(204)
@blp.errors(404)
def delete_time_off(employee_id, time_off_id):
    """Remove a time-off range; its days are bookable again at once."""
    schedule.delete_time_off(domain(), employee_id, time_off_id)
