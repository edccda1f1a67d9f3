"""Request rate limits (SPEC §8): every limit answers 429 ``rate_limited`` with
``Retry-After`` once reached, counts per the right key (IP, client id, email), and
leaves other keys alone. Runs on both engines: Redis storage in production, memory in
the embedded mode.

Each test builds its app with small limits (the suite's default config sets them out of
reach). Addresses are set per request (``REMOTE_ADDR``), as ProxyFix would behind a proxy.
"""

from __future__ import annotations

import time

import pytest

from appointease import create_app
from appointease.commands import seed_catalogue
from appointease.config import load_config
from appointease.extensions import db

from support.helpers import TEST_CONFIG

IP_A, IP_B = "198.51.100.7", "203.0.113.9"


@pytest.fixture
def make_app(database_url, redis_url):
    """Factory: the app on this test's seeded database with ``overrides`` (limits on)."""
    apps = []

    def make(**overrides):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": redis_url,
                **TEST_CONFIG,
                "RATELIMIT_ENABLED": True,
                **overrides,
            }
        )
        with app.app_context():
            if not apps:
                seed_catalogue(db.session())
            db.session.remove()
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def assert_limited(response, window: int) -> int:
    """Assert a 429 ``rate_limited`` in SPEC §4's shape with ``Retry-After`` in 1..window s."""
    assert response.status_code == 429, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.get_json() == {
        "error": {"code": "rate_limited", "message": response.get_json()["error"]["message"]}
    }
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window, retry_after
    assert str(retry_after) in response.get_json()["error"]["message"]
    return retry_after


def post(client, url: str, body: dict, ip: str = IP_A, **kw):
    return client.post(url, json=body, environ_base={"REMOTE_ADDR": ip}, **kw)


def slot(day: str, client_id: str, time_: str = "10:00") -> dict:
    return {"date": day, "time": time_, "employee_id": 1, "service_id": 1, "client_id": client_id}


def test_heartbeat_is_limited_per_ip(make_app, workday):
    client = make_app(APPOINTEASE_RATE_HEARTBEAT_PER_IP="5/minute").test_client()
    day = workday.isoformat()
    for i in range(5):  # five widgets behind one office address
        r = post(client, "/api/v1/heartbeat", {"date": day, "employee_id": 1, "client_id": f"office-tab-{i:03d}"})
        assert r.status_code == 200, r.get_json()
    assert_limited(
        post(client, "/api/v1/heartbeat", {"date": day, "employee_id": 1, "client_id": "office-tab-999"}), 60
    )
    assert (
        post(
            client, "/api/v1/heartbeat", {"date": day, "employee_id": 1, "client_id": "home-tab-0001"}, ip=IP_B
        ).status_code
        == 200
    )


def test_slots_are_limited_per_client_across_select_lock_and_release(make_app, workday):
    client = make_app(APPOINTEASE_RATE_SLOTS_PER_CLIENT="3/minute").test_client()
    day = workday.isoformat()
    body = slot(day, "client-slots-001")
    assert post(client, "/api/v1/slots/select", body).status_code == 200
    assert post(client, "/api/v1/slots/lock", body).status_code == 200
    release = {k: v for k, v in body.items() if k != "service_id"}
    assert post(client, "/api/v1/slots/release", release).status_code == 204
    for url in ("/api/v1/slots/select", "/api/v1/slots/lock"):
        assert_limited(post(client, url, body), 60)
    assert_limited(post(client, "/api/v1/slots/release", release), 60)
    # Another client on the same address has its own budget.
    assert post(client, "/api/v1/slots/select", slot(day, "client-slots-002")).status_code == 200


def test_slots_are_limited_per_ip_whatever_the_client_id(make_app, workday):
    """The painting script's trick, a fresh client id per request, does not reset the count."""
    client = make_app(APPOINTEASE_RATE_SLOTS_PER_IP="4/minute").test_client()
    day = workday.isoformat()
    times = ["09:00", "09:30", "10:00", "10:30", "11:00"]
    for i in range(4):
        assert post(client, "/api/v1/slots/lock", slot(day, f"painter-{i:05d}", times[i])).status_code == 200
    assert_limited(post(client, "/api/v1/slots/lock", slot(day, "painter-99999", times[4])), 60)
    assert post(client, "/api/v1/slots/select", slot(day, "visitor-00001", times[4]), ip=IP_B).status_code == 200


def booking(day: str, time_: str, **extra) -> dict:
    return {
        "service_id": 1,
        "employee_id": 1,
        "date": day,
        "time": time_,
        "name": "Ann Example",
        "email": "ann@example.com",
        **extra,
    }


def test_bookings_are_limited_per_client(make_app, workday):
    client = make_app(APPOINTEASE_RATE_BOOKING_PER_CLIENT="2/minute").test_client()
    day = workday.isoformat()
    assert post(client, "/api/v1/appointments", booking(day, "09:00", client_id="booker-00001")).status_code == 201
    assert post(client, "/api/v1/appointments", booking(day, "09:30", client_id="booker-00001")).status_code == 201
    assert_limited(post(client, "/api/v1/appointments", booking(day, "10:00", client_id="booker-00001")), 60)
    # A booking without a client id is not counted by the per-client limit (only per IP).
    assert post(client, "/api/v1/appointments", booking(day, "10:00")).status_code == 201
    assert post(client, "/api/v1/appointments", booking(day, "10:30", client_id="booker-00002")).status_code == 201


def test_bookings_are_limited_per_ip_per_minute_and_per_hour(make_app, workday):
    client = make_app(APPOINTEASE_RATE_BOOKING_PER_IP="3/minute;4/hour").test_client()
    day = workday.isoformat()
    for i, t in enumerate(["09:00", "09:30", "10:00"]):
        assert post(client, "/api/v1/appointments", booking(day, t, client_id=f"booker-{i:05d}")).status_code == 201
    assert_limited(post(client, "/api/v1/appointments", booking(day, "10:30", client_id="booker-00009")), 60)
    assert post(client, "/api/v1/appointments", booking(day, "10:30"), ip=IP_B).status_code == 201


def test_hourly_limit_gives_retry_after_up_to_an_hour(make_app, workday):
    client = make_app(APPOINTEASE_RATE_BOOKING_PER_IP="50/minute;2/hour").test_client()
    day = workday.isoformat()
    for t in ("09:00", "09:30"):
        assert post(client, "/api/v1/appointments", booking(day, t)).status_code == 201
    retry_after = assert_limited(post(client, "/api/v1/appointments", booking(day, "10:00")), 3600)
    assert retry_after > 60  # the hourly window, not the minute one


def test_auth_routes_are_limited_per_email(make_app):
    """Per address, whichever IPs the requests come from; ``/auth/otp`` and
    ``/auth/verify`` each have their own budget."""
    client = make_app(APPOINTEASE_RATE_AUTH_PER_EMAIL="3/minute;20/hour").test_client()
    ips = (f"192.0.2.{n}" for n in range(1, 100))
    for _ in range(3):
        assert post(client, "/api/v1/auth/otp", {"email": "ada@example.com"}, ip=next(ips)).status_code == 202
    assert_limited(post(client, "/api/v1/auth/otp", {"email": "ada@example.com"}, ip=next(ips)), 60)
    # The same address spelled differently is the same customer (trimmed, lower-case).
    assert_limited(post(client, "/api/v1/auth/otp", {"email": "  ADA@Example.com "}, ip=next(ips)), 60)
    assert post(client, "/api/v1/auth/otp", {"email": "bob@example.com"}, ip=next(ips)).status_code == 202
    # Guessing codes: /auth/verify counts apart, and wrong codes count.
    for code in ("000000", "111111", "222222"):
        r = post(client, "/api/v1/auth/verify", {"email": "ada@example.com", "code": code}, ip=next(ips))
        assert r.status_code == 401, r.get_json()
    assert_limited(
        post(client, "/api/v1/auth/verify", {"email": "ada@example.com", "code": "333333"}, ip=next(ips)), 60
    )


def test_auth_routes_are_limited_per_ip_together(make_app):
    """Fresh addresses do not help one IP: ``/auth/*`` share one per-IP budget."""
    client = make_app(APPOINTEASE_RATE_AUTH_PER_IP="4/minute").test_client()
    for n in range(3):
        assert post(client, "/api/v1/auth/otp", {"email": f"spray{n}@example.com"}).status_code == 202
    assert post(client, "/api/v1/auth/verify", {"email": "spray9@example.com", "code": "123456"}).status_code == 401
    assert_limited(post(client, "/api/v1/auth/otp", {"email": "spray5@example.com"}), 60)
    assert_limited(post(client, "/api/v1/auth/verify", {"email": "spray6@example.com", "code": "123456"}), 60)
    assert_limited(post(client, "/api/v1/auth/logout", {}), 60)
    assert post(client, "/api/v1/auth/otp", {"email": "spray5@example.com"}, ip=IP_B).status_code == 202


def test_retry_after_is_long_enough(make_app, workday):
    """A client that waits ``Retry-After`` seconds is served again."""
    client = make_app(APPOINTEASE_RATE_HEARTBEAT_PER_IP="2/2second").test_client()
    body = {"date": workday.isoformat(), "employee_id": 1, "client_id": "patient-00001"}
    assert [post(client, "/api/v1/heartbeat", body).status_code for _ in range(2)] == [200, 200]
    retry_after = assert_limited(post(client, "/api/v1/heartbeat", body), 2)
    time.sleep(retry_after)
    assert post(client, "/api/v1/heartbeat", body).status_code == 200


def test_bad_bodies_count_and_get_their_own_error(make_app):
    """Limits are counted before validation; a body the key functions cannot read is
    still answered by the parser (400/413/422), never a 500."""
    client = make_app(APPOINTEASE_RATE_SLOTS_PER_IP="3/minute").test_client()
    env = {"REMOTE_ADDR": IP_A}
    assert client.post("/api/v1/slots/select", data=b"{not json", environ_base=env).status_code == 400
    assert client.post("/api/v1/slots/select", json={"client_id": 7}, environ_base=env).status_code == 422
    assert client.post("/api/v1/slots/select", data=b"[" * 20000, environ_base=env).status_code == 400
    assert_limited(client.post("/api/v1/slots/select", json={}, environ_base=env), 60)


def test_ratelimit_enabled_false_switches_the_limits_off(make_app, workday):
    client = make_app(RATELIMIT_ENABLED=False, APPOINTEASE_RATE_HEARTBEAT_PER_IP="1/minute").test_client()
    body = {"date": workday.isoformat(), "employee_id": 1, "client_id": "loadtest-0001"}
    assert [post(client, "/api/v1/heartbeat", body).status_code for _ in range(5)] == [200] * 5


def test_configuration_is_read_from_the_environment(tmp_path):
    assert load_config(str(tmp_path), env={})["RATELIMIT_ENABLED"] is True
    for value, expected in [("false", False), ("0", False), ("off", False), ("true", True), ("1", True)]:
        assert load_config(str(tmp_path), env={"RATELIMIT_ENABLED": value})["RATELIMIT_ENABLED"] is expected
    with pytest.raises(ValueError, match="RATELIMIT_ENABLED"):
        load_config(str(tmp_path), env={"RATELIMIT_ENABLED": "maybe"})
    cfg = load_config(str(tmp_path), env={"APPOINTEASE_RATE_HEARTBEAT_PER_IP": "100/second"})
    assert cfg["APPOINTEASE_RATE_HEARTBEAT_PER_IP"] == "100/second"
    assert cfg["APPOINTEASE_RATE_AUTH_PER_EMAIL"] == "5/minute;20/hour"


def test_a_malformed_limit_fails_at_start_up(database_url):
    with pytest.raises(ValueError, match="APPOINTEASE_RATE_SLOTS_PER_IP"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "REDIS_URL": None,
                **TEST_CONFIG,
                "APPOINTEASE_RATE_SLOTS_PER_IP": "lots",
            }
        )


def test_every_operation_documents_429_with_retry_after(make_app):
    doc = make_app().test_client().get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                ref = operation["responses"]["429"]["$ref"]
                response = doc["components"]["responses"][ref.rsplit("/", 1)[1]]
                assert "Retry-After" in response["headers"], (method, path)
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_counts_live_in_redis_when_redis_url_is_set(make_app, redis_url, request, workday):
    """Production (``REDIS_URL``): the counters are Redis keys every instance shares;
    embedded: per-process memory."""
    from limits.storage import MemoryStorage, RedisStorage

    from appointease.extensions import limiter

    client = make_app().test_client()
    assert (
        post(
            client, "/api/v1/heartbeat", {"date": workday.isoformat(), "employee_id": 1, "client_id": "counted-00001"}
        ).status_code
        == 200
    )
    if redis_url:
        assert isinstance(limiter.storage, RedisStorage)
        assert request.getfixturevalue("redis_server").command("KEYS", "LIMITS*")
    else:
        assert isinstance(limiter.storage, MemoryStorage)
