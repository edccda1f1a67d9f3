"""A reschedule racing bookings for the same new slot, through gunicorn with 4 workers
(SPEC §4 Customers, §5.1): exactly one wins each round, the loser changes nothing, and
no two active appointments of one employee ever overlap — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import pytest
import requests
from sqlalchemy import create_engine, text

from support.customer_kit import ALEX, HAIRCUT, code_from, latest_mail
from support.gunicorn_server import GunicornServer

pytestmark = pytest.mark.slow
ANN = "ann@example.com"
ROUNDS = ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]
BOOKERS = 3  # bookings per round, all for the slot the reschedule wants
#: The bookings' head start in ms, by round: a reschedule does more reading before its
#: transaction than a booking, so some rounds give the bookings a handicap instead; either
#: way both race for the same write lock within a few milliseconds.
DELAYS_MS = [0, 0, 5, 10, 15, 20, 30, 40]


def sign_in(app, url: str) -> dict:
    """Sign Ann in over HTTP; the test process plays the notification worker for the code."""
    from appointease.notify_cli import run_once

    assert requests.post(url + "/api/v1/auth/otp", json={"email": ANN}, timeout=10).status_code == 202
    run_once(app)
    code = code_from(latest_mail(app, ANN))
    r = requests.post(url + "/api/v1/auth/verify", json={"email": ANN, "code": code}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def race(url: str, headers: dict, reference: str, day: str, hhmm: str, round_no: int) -> tuple[int, list[int]]:
    """Release one reschedule and ``BOOKERS`` bookings for ``hhmm`` together (the bookings
    ``DELAYS_MS[round_no]`` later); return their statuses."""
    barrier = threading.Barrier(BOOKERS + 1)

    def reschedule() -> int:
        barrier.wait()
        return requests.post(
            f"{url}/api/v1/appointments/{reference}/reschedule",
            headers=headers,
            json={"date": day, "time": hhmm},
            timeout=60,
        ).status_code

    def booking(i: int) -> int:
        barrier.wait()
        time.sleep(DELAYS_MS[round_no] / 1000)
        return requests.post(
            url + "/api/v1/appointments",
            json={
                "service_id": HAIRCUT,
                "employee_id": ALEX,
                "date": day,
                "time": hhmm,
                "name": "Racer",
                "email": f"r{round_no}-{i}@example.com",
            },
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(BOOKERS + 1) as pool:
        moved = pool.submit(reschedule)
        booked = [pool.submit(booking, i) for i in range(BOOKERS)]
        return moved.result(), [f.result() for f in booked]


def test_a_reschedule_racing_bookings_never_double_books(app, database_url, redis_url, workday, tmp_path):
    app.config["APPOINTEASE_OUTBOX_DIR"] = str(tmp_path / "outbox")
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
        "APPOINTEASE_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    day = workday.isoformat()
    results = []
    with GunicornServer(env, workers=4, log_path=tmp_path / "gunicorn.log") as server:
        r = requests.post(
            server.url + "/api/v1/appointments",
            json={
                "service_id": HAIRCUT,
                "employee_id": ALEX,
                "date": day,
                "time": "10:00",
                "name": "Ann",
                "email": ANN,
            },
            timeout=10,
        )
        assert r.status_code == 201
        reference = r.json()["reference"]
        headers = sign_in(app, server.url)
        position = "10:00"
        for n, hhmm in enumerate(ROUNDS):
            moved, booked = race(server.url, headers, reference, day, hhmm, n)
            results.append((hhmm, moved, booked))
            winners = (moved == 200) + booked.count(201)
            assert winners == 1, results
            assert all(s == 409 for s in [moved, *booked] if s not in (200, 201)), results
            if moved == 200:
                position = hhmm
            mine = requests.get(f"{server.url}/api/v1/appointments/{reference}", headers=headers, timeout=10).json()
            assert mine["time"] == position and mine["status"] == "confirmed"
    wins = sum(1 for _, moved, _ in results if moved == 200)
    print(
        f"reschedule vs {BOOKERS} bookings, {len(ROUNDS)} rounds: reschedule won {wins}, bookings won "
        f"{len(ROUNDS) - wins}; statuses {results}"
    )
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT reference, start_at, end_at FROM appointments "
                "WHERE employee_id = :e AND status IN ('confirmed', 'checked_in')"
            ),
            {"e": ALEX},
        ).all()
        events = conn.execute(text("SELECT type, count(*) FROM events GROUP BY type")).all()
    engine.dispose()
    for (ra, sa, ea), (rb, sb, eb) in combinations(rows, 2):
        assert not (sa < eb and sb < ea), f"{ra} and {rb} overlap"
    assert len(rows) == 1 + len(ROUNDS) - wins
    assert dict(events) == {
        "appointment.created": 1 + len(ROUNDS) - wins,
        **({"appointment.rescheduled": wins} if wins else {}),
    }
