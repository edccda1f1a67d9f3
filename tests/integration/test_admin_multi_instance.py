"""Catalogue and schedule changes reach every worker of every instance at once (SPEC §2, §4):
two gunicorn instances (two workers each) on one PostgreSQL and one Redis; an admin change
made through one instance shows in the next heartbeat and availability of the other.

Runs in both matrices (it always needs PostgreSQL and Redis, like test_multi_instance.py).
"""

from __future__ import annotations

import os

import pytest
import requests

from support.admin_kit import ALEX, HAIRCUT, make_token
from support.gunicorn_server import GunicornServer
from support.helpers import TEST_CONFIG, seed

pytestmark = [pytest.mark.slow, pytest.mark.engine_independent]

#: Requests per check: new connections land on the instance's workers at random, so a
#: stale per-process cache in any of them would show up.
POLLS = 8


@pytest.fixture
def shared(pg_server, redis_server):
    """A migrated, seeded PostgreSQL database on the session's server, and an admin token for it."""
    from appointease import create_app

    name = f"admin_multi_{os.getpid()}"
    pg_server.psql(f'CREATE DATABASE "{name}" TEMPLATE ae_template')
    url = pg_server.url_for(name)
    seed(url)
    redis_server.command("FLUSHALL")
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    token = make_token(app, "admin")
    with app.app_context():
        from appointease.extensions import db

        db.engine.dispose()
    yield url, token
    pg_server.drop_database(name)


def test_admin_changes_show_in_the_next_heartbeat_on_every_instance(shared, redis_server, workday, tmp_path):
    url, token = shared
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
        "RATELIMIT_ENABLED": "false",
    }
    day = workday.isoformat()
    auth = {"Authorization": f"Bearer {token}"}

    with (
        GunicornServer(env, workers=2, log_path=tmp_path / "a.log") as a,
        GunicornServer(env, workers=2, log_path=tmp_path / "b.log") as b,
    ):

        def beats(server, **body):
            out = []
            for i in range(POLLS):
                r = requests.post(
                    server.url + "/api/v1/heartbeat",
                    timeout=10,
                    json={"date": day, "employee_id": ALEX, "client_id": f"observer-{i:04d}", **body},
                )
                out.append((r.status_code, r.json()))
            return out

        def booked(server):
            answers = beats(server, service_id=HAIRCUT)
            assert all(status == 200 for status, _ in answers), answers
            return {tuple(body["booked"]) for _, body in answers}

        def times(server):
            found = set()
            for _ in range(POLLS):
                r = requests.get(
                    server.url + "/api/v1/availability",
                    timeout=10,
                    params={"date": day, "employee_id": ALEX, "service_id": HAIRCUT},
                )
                found.add(tuple(s["time"] for s in r.json()["slots"]) if r.status_code == 200 else r.status_code)
            return found

        def admin(server, method, path, **kw):
            r = requests.request(method, server.url + "/api/v1/admin" + path, headers=auth, timeout=10, **kw)
            assert r.status_code < 300, (r.status_code, r.text)
            return r.json() if r.content else None

        for t in ("10:00", "14:00"):
            r = requests.post(
                a.url + "/api/v1/appointments",
                timeout=10,
                json={
                    "service_id": HAIRCUT,
                    "employee_id": ALEX,
                    "date": day,
                    "time": t,
                    "name": "Ann",
                    "email": "ann@example.com",
                },
            )
            assert r.status_code == 201, r.text
        assert booked(a) == booked(b) == {("10:00", "14:00")}
        assert len(next(iter(times(b)))) == 16  # 09:00…16:30

        # Hours shrunk through A: B's next heartbeats and availability follow at once.
        changed = admin(
            a, "PUT", f"/staff/{ALEX}/hours", json=[{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]
        )
        assert len(changed["affected"]) == 1
        assert booked(b) == booked(a) == {("10:00",)}
        assert times(b) == times(a) == {("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")}

        # Time off added through B: A shows a closed day.
        off = admin(b, "POST", f"/staff/{ALEX}/time-off", json={"start_date": day, "end_date": day})
        assert booked(a) == booked(b) == {()}
        assert times(a) == times(b) == {()}
        # … and removed through A: B shows the day again.
        admin(a, "DELETE", f"/staff/{ALEX}/time-off/{off['id']}")
        assert booked(b) == {("10:00",)}

        # A new service and a rename through A: B's public catalogue has them.
        beard = admin(a, "POST", "/services", json={"name": "Beard trim", "duration_minutes": 15, "price": "10.00"})
        admin(a, "PATCH", f"/staff/{ALEX}", json={"name": "Alex M.", "service_ids": [HAIRCUT, beard["id"]]})
        for _ in range(POLLS):
            services = requests.get(b.url + "/api/v1/services", timeout=10).json()
            staff = requests.get(b.url + f"/api/v1/staff?service_id={beard['id']}", timeout=10).json()
            assert "Beard trim" in [s["name"] for s in services]
            assert staff == [{"id": ALEX, "name": "Alex M.", "service_ids": [HAIRCUT, beard["id"]]}]

        # Deactivating the staff member through B: A's heartbeats answer 404 at once.
        admin(b, "DELETE", f"/staff/{ALEX}")
        assert {status for status, _ in beats(a)} == {404}
        assert times(a) == {404}

        # Reactivated with the whole day back.
        admin(a, "PATCH", f"/staff/{ALEX}", json={"active": True})
        admin(a, "PUT", f"/staff/{ALEX}/hours", json=[{"weekday": workday.weekday(), "start": "09:00", "end": "17:00"}])
        assert booked(b) == booked(a) == {("10:00", "14:00")}
        assert times(b) == {tuple(f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30))}
