"""A first end-to-end pass through the public API."""

from support.helpers import Widget, assert_error


def test_select_heartbeat_lock_book(client, workday):
    a, b = "client-aaaa", "client-bbbb"
    w = Widget(client, workday)
    assert w.select("10:00", a).status_code == 200
    assert_error(w.select("10:00", b), 409, "slot_held")
    assert w.beat(b, service_id=1)["processing"] == ["10:00"]
    r = w.book(time="10:00", client_id=a, name="Ann")
    assert r.status_code == 201, r.json
    hb = w.beat(b, service_id=1)
    assert hb["booked"] == ["10:00"] and hb["processing"] == []
