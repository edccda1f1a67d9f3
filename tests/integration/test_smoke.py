"""A first end-to-end pass through the public API."""


def test_select_heartbeat_lock_book(client, workday):
    d = workday.isoformat()
    a, b = "client-aaaa", "client-bbbb"
    body = {"date": d, "time": "10:00", "employee_id": 1, "service_id": 1}
    assert client.post("/api/v1/slots/select", json={**body, "client_id": a}).status_code == 200
    r = client.post("/api/v1/slots/select", json={**body, "client_id": b})
    assert r.status_code == 409 and r.json["error"]["code"] == "slot_held"
    hb = client.post("/api/v1/heartbeat", json={"date": d, "employee_id": 1, "client_id": b, "service_id": 1}).json
    assert hb["processing"] == ["10:00"]
    r = client.post("/api/v1/appointments", json={**body, "client_id": a, "name": "Ann", "email": "ann@example.com"})
    assert r.status_code == 201, r.json
    hb = client.post("/api/v1/heartbeat", json={"date": d, "employee_id": 1, "client_id": b, "service_id": 1}).json
    assert hb["booked"] == ["10:00"] and hb["processing"] == []
