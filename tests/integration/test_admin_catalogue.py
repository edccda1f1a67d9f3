"""Admin CRUD of services and staff (SPEC §4): validation, deactivation that keeps
appointments and hides them from new bookings, ``affected`` references, and every change
visible to the public API at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from appointease.extensions import db
from appointease.models import Counter

from support.admin_kit import ALEX, COLOUR, HAIRCUT, JORDAN, MASSAGE, SAM, book, error, ok


def catalog_version(app) -> int:
    with app.app_context():
        value = db.session.scalar(select(Counter.value).where(Counter.name == "catalog_version")) or 0
        db.session.remove()
    return value


def slots(client, day, employee_id=ALEX, service_id=HAIRCUT):
    return client.get(f"/api/v1/availability?date={day}&employee_id={employee_id}&service_id={service_id}")


# ------------------------------------------------------------------ services


def test_services_list_includes_inactive_ones(admin):
    ok(admin.patch(f"/services/{MASSAGE}", json={"active": False}))
    listed = ok(admin.get("/services"))
    assert [s["name"] for s in listed] == ["Colour consultation", "Haircut", "Massage"]
    assert listed[2] == {"id": MASSAGE, "name": "Massage", "duration_minutes": 60, "price": "65.00", "active": False}


def test_create_service_then_it_is_public_and_bookable(app, admin, client, workday):
    before = catalog_version(app)
    created = ok(admin.post("/services", json={"name": "Beard trim", "duration_minutes": 15, "price": "12.5"}), 201)
    assert created == {
        "id": created["id"],
        "name": "Beard trim",
        "duration_minutes": 15,
        "price": "12.50",
        "active": True,
    }
    assert catalog_version(app) == before + 1
    assert "Beard trim" in [s["name"] for s in client.get("/api/v1/services").get_json()]
    assert ok(admin.get(f"/services/{created['id']}")) == created
    ok(admin.patch(f"/staff/{ALEX}", json={"service_ids": [HAIRCUT, COLOUR, created["id"]]}))
    times = [s["time"] for s in ok(slots(client, workday.isoformat(), ALEX, created["id"]))["slots"]]
    assert times[:3] == ["09:00", "09:30", "10:00"] and times[-1] == "16:30"


def test_update_service_changes_duration_for_new_bookings_only(admin, client, workday):
    day = workday.isoformat()
    booked = book(client, day, "10:00")
    changed = ok(admin.patch(f"/services/{HAIRCUT}", json={"duration_minutes": 60, "name": "Long haircut"}))
    assert changed["duration_minutes"] == 60 and changed["name"] == "Long haircut" and changed["affected"] == []
    assert client.get("/api/v1/services").get_json()[1]["name"] == "Long haircut"
    # The 09:30 slot now overlaps the 10:00 appointment (an hour long).
    states = {s["time"]: s["status"] for s in ok(slots(client, day))["slots"]}
    assert states["09:30"] == "booked" and states["16:00"] == "available" and "16:30" not in states
    kept = ok(admin.get(f"/appointments/{booked['reference']}"))
    assert (kept["start"], kept["end"]) == (booked["start"], booked["end"])


def test_deactivating_a_service_keeps_appointments_and_lists_them(admin, client, workday):
    day = workday.isoformat()
    first = book(client, day, "10:00", employee_id=JORDAN, service_id=MASSAGE)
    second = book(client, day, "14:00", employee_id=SAM, service_id=MASSAGE)
    book(client, day, "11:00", employee_id=SAM, service_id=HAIRCUT)
    answer = ok(admin.delete(f"/services/{MASSAGE}"))
    assert answer["active"] is False and answer["affected"] == [first["reference"], second["reference"]]
    assert MASSAGE not in [s["id"] for s in client.get("/api/v1/services").get_json()]
    error(slots(client, day, JORDAN, MASSAGE), 404, "not_found")
    r = client.post(
        "/api/v1/appointments",
        json={
            "service_id": MASSAGE,
            "employee_id": JORDAN,
            "date": day,
            "time": "15:00",
            "name": "Bo",
            "email": "bo@example.com",
        },
    )
    error(r, 404, "not_found")
    assert ok(admin.get(f"/appointments/{first['reference']}"))["status"] == "confirmed"
    # Deactivating again strands nothing new; reactivating makes it bookable again.
    assert ok(admin.delete(f"/services/{MASSAGE}"))["affected"] == []
    ok(admin.patch(f"/services/{MASSAGE}", json={"active": True}))
    assert ok(slots(client, day, JORDAN, MASSAGE))["slots"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"duration_minutes": 30, "price": "1.00"}, "name"),
        ({"name": "", "duration_minutes": 30, "price": "1.00"}, "name"),
        ({"name": "X", "duration_minutes": 0, "price": "1.00"}, "duration_minutes"),
        ({"name": "X", "duration_minutes": "30", "price": "1.00"}, "duration_minutes"),
        ({"name": "X", "duration_minutes": 1441, "price": "1.00"}, "duration_minutes"),
        ({"name": "X", "duration_minutes": 30, "price": "-1"}, "price"),
        ({"name": "X", "duration_minutes": 30, "price": "NaN"}, "price"),
        ({"name": "X", "duration_minutes": 30, "price": "100000000"}, "price"),
        ({"name": "X", "duration_minutes": 30, "price": "1", "active": "yes"}, "active"),
        ({"name": "X\u0000", "duration_minutes": 30, "price": "1"}, "name"),
        ({"name": "X", "duration_minutes": 30, "price": "1", "colour": "red"}, "colour"),
    ],
)
def test_service_bodies_are_validated(admin, body, field):
    assert field in error(admin.post("/services", json=body), 422, "validation_error")["fields"]


def test_service_errors(admin):
    error(admin.get("/services/99"), 404, "not_found")
    error(admin.patch("/services/99", json={"name": "Y"}), 404, "not_found")
    error(admin.delete("/services/99"), 404, "not_found")
    error(admin.get("/services/99999999999"), 404, "not_found")
    error(admin.patch(f"/services/{HAIRCUT}", json={"duration_minutes": -5}), 422, "validation_error")
    error(admin.post("/services", data="[1, 2]", content_type="application/json"), 400, "invalid_json")
    error(admin.post("/services", data="{not json", content_type="application/json"), 400, "invalid_json")


# ------------------------------------------------------------------ staff


def test_staff_list_and_one(admin):
    assert ok(admin.get("/staff")) == [
        {"id": ALEX, "name": "Alex Morgan", "active": True, "service_ids": [HAIRCUT, COLOUR]},
        {"id": JORDAN, "name": "Jordan Lee", "active": True, "service_ids": [HAIRCUT, COLOUR, MASSAGE]},
        {"id": SAM, "name": "Sam Rivera", "active": True, "service_ids": [HAIRCUT, MASSAGE]},
    ]
    assert ok(admin.get(f"/staff/{SAM}"))["name"] == "Sam Rivera"
    error(admin.get("/staff/99"), 404, "not_found")


def test_new_staff_work_the_default_week_and_are_bookable(admin, client, workday):
    created = ok(admin.post("/staff", json={"name": "Robin Park", "service_ids": [MASSAGE]}), 201)
    assert created == {"id": created["id"], "name": "Robin Park", "active": True, "service_ids": [MASSAGE]}
    assert ok(admin.get(f"/staff/{created['id']}/hours"))["hours"] == [
        {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)
    ]
    public = client.get(f"/api/v1/staff?service_id={MASSAGE}").get_json()
    assert created["id"] in [e["id"] for e in public]
    day = workday.isoformat()
    assert [s["time"] for s in ok(slots(client, day, created["id"], MASSAGE))["slots"]][-1] == "16:00"
    ref = book(client, day, "09:00", employee_id=created["id"], service_id=MASSAGE)["reference"]
    assert ok(admin.get(f"/appointments/{ref}"))["employee_name"] == "Robin Park"


def test_staff_services_change_lists_stranded_appointments(admin, client, workday):
    day = workday.isoformat()
    colour = book(client, day, "10:00", employee_id=ALEX, service_id=COLOUR)
    book(client, day, "14:00", employee_id=ALEX, service_id=HAIRCUT)
    answer = ok(admin.patch(f"/staff/{ALEX}", json={"service_ids": [HAIRCUT]}))
    assert answer["service_ids"] == [HAIRCUT] and answer["affected"] == [colour["reference"]]
    error(slots(client, day, ALEX, COLOUR), 422, "validation_error")
    assert ALEX not in [e["id"] for e in client.get(f"/api/v1/staff?service_id={COLOUR}").get_json()]


def test_deactivating_staff_keeps_appointments_and_hides_them(admin, client, workday):
    day = workday.isoformat()
    refs = [book(client, day, t, employee_id=SAM)["reference"] for t in ("09:00", "15:00")]
    answer = ok(admin.delete(f"/staff/{SAM}"))
    assert answer["active"] is False and answer["affected"] == refs
    assert SAM not in [e["id"] for e in client.get("/api/v1/staff").get_json()]
    error(slots(client, day, SAM), 404, "not_found")
    r = client.post("/api/v1/heartbeat", json={"date": day, "employee_id": SAM, "client_id": "watcher-0001"})
    error(r, 404, "not_found")
    assert [a["reference"] for a in ok(admin.get(f"/appointments?date={day}&employee_id={SAM}"))] == refs
    # The day view can still check them in.
    assert ok(admin.post(f"/appointments/{refs[0]}/status", json={"status": "checked_in"}))["status"] == "checked_in"
    assert ok(admin.patch(f"/staff/{SAM}", json={"active": True, "name": "Sam R."}))["affected"] == []
    assert ok(slots(client, day, SAM))["slots"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "service_ids": [99]}, "service_ids"),
        ({"name": "A", "service_ids": ["1"]}, "service_ids.0"),
        ({"name": "A", "service_ids": 1}, "service_ids"),
        ({"name": "A", "active": None}, "active"),
        ({"name": "A" * 201}, "name"),
    ],
)
def test_staff_bodies_are_validated(admin, body, field):
    assert field in error(admin.post("/staff", json=body), 422, "validation_error")["fields"]


def test_staff_patch_errors(admin):
    error(admin.patch("/staff/99", json={"name": "X"}), 404, "not_found")
    error(admin.delete("/staff/99"), 404, "not_found")
    assert (
        "service_ids"
        in error(admin.patch(f"/staff/{ALEX}", json={"service_ids": [HAIRCUT, 77]}), 422, "validation_error")["fields"]
    )
    assert ok(admin.get(f"/staff/{ALEX}"))["service_ids"] == [HAIRCUT, COLOUR]  # nothing changed


def test_every_catalogue_write_bumps_the_catalog_version(app, admin):
    """Each write moves ``catalog_version`` (every process's catalogue cache reloads at its
    next request); a refused write moves nothing."""
    writes = [
        lambda: ok(admin.post("/services", json={"name": "A", "duration_minutes": 10, "price": "1"}), 201),
        lambda: ok(admin.patch(f"/services/{HAIRCUT}", json={"price": "26.00"})),
        lambda: ok(admin.delete(f"/services/{COLOUR}")),
        lambda: ok(admin.post("/staff", json={"name": "B"}), 201),
        lambda: ok(admin.patch(f"/staff/{ALEX}", json={"name": "Alex M."})),
        lambda: ok(admin.patch(f"/staff/{ALEX}", json={"service_ids": [HAIRCUT]})),
        lambda: ok(admin.delete(f"/staff/{SAM}")),
        lambda: ok(admin.put(f"/staff/{ALEX}/hours", json=[{"weekday": 0, "start": "10:00", "end": "12:00"}])),
        lambda: ok(
            admin.post(f"/staff/{ALEX}/time-off", json={"start_date": "2030-01-01", "end_date": "2030-01-02"}), 201
        ),
        lambda: ok(admin.delete(f"/staff/{ALEX}/time-off/1"), 204),
    ]
    for write in writes:
        before = catalog_version(app)
        write()
        assert catalog_version(app) > before
    before = catalog_version(app)
    error(admin.patch("/staff/99", json={"name": "X"}), 404, "not_found")
    error(admin.put(f"/staff/{ALEX}/hours", json=[]), 422, "validation_error")
    assert catalog_version(app) == before
