"""The whole widget path against a real 3-master Redis Cluster (``REDIS_CLUSTER=1``, issue 8)."""

from __future__ import annotations

import pytest

from support.helpers import TEST_CONFIG


@pytest.fixture
def cluster_app(database_url, redis_cluster):
    from appointease import create_app
    from appointease.commands import seed_catalogue
    from appointease.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_cluster.urls[0],
            "REDIS_CLUSTER": True,
            **TEST_CONFIG,
        }
    )
    store = app.extensions["appointease.holds"]
    store.primary._r.flushall()
    with app.app_context():
        seed_catalogue(db.session())
        db.session.remove()
    yield app
    store.primary._r.close()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.engine_independent
def test_select_heartbeat_lock_and_book_through_a_cluster(cluster_app, workday):
    client = cluster_app.test_client()
    day = workday.isoformat()
    slot = {"date": day, "time": "10:00", "employee_id": 1, "service_id": 1, "client_id": "cluster-a-0001"}
    selected = client.post("/api/v1/slots/select", json=slot)
    assert selected.status_code == 200 and selected.get_json()["storage"] == "redis"
    # Holds on other staff land in other slots of the cluster; one poll reads them all.
    other = {**slot, "employee_id": 3, "client_id": "cluster-c-0003"}
    assert client.post("/api/v1/slots/lock", json=other).status_code == 200
    beat = client.post(
        "/api/v1/heartbeat",
        json={"date": day, "employee_ids": [1, 2, 3], "service_id": 1, "client_id": "cluster-b-0002"},
    ).get_json()
    by_id = {s["employee_id"]: s for s in beat["staff"]}
    assert by_id[1]["processing"] == ["10:00"] and by_id[3]["locked"] == ["10:00"] and beat["storage"] == "redis"
    assert client.post("/api/v1/slots/select", json={**slot, "client_id": "cluster-b-0002"}).status_code == 409
    mine = client.post(
        "/api/v1/heartbeat",
        json={"date": day, "employee_id": 1, "service_id": 1, "client_id": "cluster-a-0001", "selected_time": "10:00"},
    ).get_json()
    assert mine["mine"]["time"] == "10:00"
    booking = {**slot, "name": "Ann Example", "email": "ann@example.com"}
    assert client.post("/api/v1/appointments", json=booking).status_code == 201
    after = client.post(
        "/api/v1/heartbeat", json={"date": day, "employee_id": 1, "service_id": 1, "client_id": "cluster-b-0002"}
    ).get_json()
    assert after["booked"] == ["10:00"] and after["processing"] == []
