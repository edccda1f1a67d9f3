"""SPEC §8: the per-IP hold cap stops one script painting a day, and a hold racing an
overlapping booking never lets both succeed (issue 11 findings 1 and 3)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from support.gunicorn_server import GunicornServer

ATTACKER, VISITOR = "203.0.113.66", "198.51.100.10"


def test_one_ip_with_fresh_client_ids_stops_at_the_cap_while_others_book(app, client, workday):
    app.config["APPOINTEASE_MAX_HOLDS_PER_IP"] = 20  # the default, stated
    attacker = {"REMOTE_ADDR": ATTACKER}
    statuses = []
    for n in range(30):
        day = workday + timedelta(days=7 * (n // 16))
        hour, half = divmod(n % 16, 2)
        body = {
            "date": day.isoformat(),
            "time": f"{9 + hour:02d}:{30 * half:02d}",
            "employee_id": 1,
            "service_id": 1,
            "client_id": f"painter-{n:05d}",
        }
        r = client.post("/api/v1/slots/lock", json=body, environ_base=attacker)
        statuses.append(r.status_code)
        if r.status_code == 429:
            err = r.get_json()["error"]
            assert err["code"] == "rate_limited" and 1 <= int(r.headers["Retry-After"]) <= 600
    assert statuses[:20] == [200] * 20 and set(statuses[20:]) == {429}
    # A real visitor elsewhere still selects and books a free slot.
    free = {"date": workday.isoformat(), "time": "09:00", "employee_id": 2, "service_id": 1, "client_id": "visitor-001"}
    assert client.post("/api/v1/slots/select", json=free, environ_base={"REMOTE_ADDR": VISITOR}).status_code == 200
    booking = {**free, "name": "Real Visitor", "email": "visitor@example.com"}
    assert client.post("/api/v1/appointments", json=booking, environ_base={"REMOTE_ADDR": VISITOR}).status_code == 201


def test_the_cap_can_be_switched_off_for_load_tests(app, database_url, redis_url, workday):
    """``APPOINTEASE_MAX_HOLDS_PER_IP=0`` (SPEC §8, benchmarks only)."""
    from appointease import create_app

    from support.helpers import TEST_CONFIG

    uncapped = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            **TEST_CONFIG,
            "APPOINTEASE_MAX_HOLDS_PER_IP": 0,
        }
    )
    client = uncapped.test_client()
    for n in range(22):
        hour, half = divmod(n % 16, 2)
        day = workday + timedelta(days=7 * (n // 16))
        body = {
            "date": day.isoformat(),
            "time": f"{9 + hour:02d}:{30 * half:02d}",
            "employee_id": 1,
            "service_id": 1,
            "client_id": f"loadtest-{n:05d}",
        }
        assert client.post("/api/v1/slots/lock", json=body, environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 200
    with uncapped.app_context():
        from appointease.extensions import db

        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("hold_store", ["sql", "redis"])
def test_a_lock_and_an_overlapping_booking_sent_together_never_both_succeed(
    request, app, database_url, workday, tmp_path, hold_store
):
    redis_url = request.getfixturevalue("redis_server").url if hold_store == "redis" else None
    if redis_url:
        request.getfixturevalue("redis_server").command("FLUSHALL")
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    rounds, outcomes = 7, []
    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        api = server.url + "/api/v1"
        for r in range(rounds):
            hour = 9 + r
            # A locks a 60-minute massage at HH:00 while B books a haircut at HH:30 with the same staff.
            lock = {
                "date": workday.isoformat(),
                "time": f"{hour:02d}:00",
                "employee_id": 3,
                "service_id": 3,
                "client_id": f"racer-a-{r:04d}",
            }
            booking = {
                "date": workday.isoformat(),
                "time": f"{hour:02d}:30",
                "employee_id": 3,
                "service_id": 1,
                "client_id": f"racer-b-{r:04d}",
                "name": "B",
                "email": "b@example.com",
            }
            barrier, result = threading.Barrier(2), {}

            def send(name, url, body, barrier=barrier, result=result):
                barrier.wait()
                result[name] = requests.post(url, json=body, timeout=30).status_code

            threads = [
                threading.Thread(target=send, args=("lock", api + "/slots/lock", lock)),
                threading.Thread(target=send, args=("book", api + "/appointments", booking)),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            outcomes.append((result["lock"], result["book"]))
    print(f"{hold_store}: (lock, book) per round = {outcomes}")
    for lock_status, book_status in outcomes:
        assert lock_status < 500 and book_status < 500
        assert not (lock_status == 200 and book_status == 201), outcomes
        assert 409 in (lock_status, book_status)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        booked = conn.execute(text("SELECT count(*) FROM appointments")).scalar()
    engine.dispose()
    assert booked == sum(1 for _, b in outcomes if b == 201)
