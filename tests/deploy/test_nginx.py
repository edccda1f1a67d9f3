"""The production proxy (issue 11): Debian's nginx with ``deploy/nginx.conf`` in front of two gunicorns.

Both instances share one database (on the embedded engine one SQLite file, on production
PostgreSQL + Redis) and run with ``APPOINTEASE_PROXY_HOPS=1``. They serve
``probe_app.py``: the product app plus test-only probes that say which instance answered
and what client address the app saw. Everything listens on 127.0.0.1 (a second client
address, 127.0.0.2, is loopback too); every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from support.gunicorn_server import GunicornServer
from support.helpers import ENGINE, need, seed
from support.nginx import NginxServer, nginx_available
from support.servers import free_port
from support.slow_clients import SlowClients, answers, stall_point

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

HERE = Path(__file__).resolve().parent
TIMES = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00", "13:30"]
PER_SLOT = 10
SLOW_CLIENTS = 50


class Instances:
    """The two gunicorn instances (``a``, ``b``) and the file the slow probe logs hits to."""

    def __init__(self, servers: list[GunicornServer], hits: Path):
        self.servers = servers
        self.hits = hits

    @property
    def upstreams(self) -> list[str]:
        return [f"127.0.0.1:{s.port}" for s in self.servers]

    def hit_lines(self) -> list[str]:
        return self.hits.read_text().splitlines() if self.hits.exists() else []


@pytest.fixture(scope="module")
def shared_database(request, tmp_path_factory):
    """(database URL, Redis URL or None): a seeded database of this module's own, on the matrix's engine."""
    if ENGINE == "production":
        pg = request.getfixturevalue("pg_server")
        redis = request.getfixturevalue("redis_server")
        redis.command("FLUSHALL")
        name = f"nginx_{os.getpid()}"
        pg.psql(f'CREATE DATABASE "{name}" TEMPLATE ae_template')
        url = pg.url_for(name)
        seed(url)
        yield url, redis.url
        pg.drop_database(name)
    else:
        path = tmp_path_factory.mktemp("shared") / "shared.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        seed(url)
        yield url, None


@pytest.fixture(scope="module")
def instances(shared_database, tmp_path_factory):
    """Two gunicorns (3 workers each) on the shared database, trusting one proxy hop."""
    url, redis_url = shared_database
    folder = tmp_path_factory.mktemp("instances")
    hits = folder / "hits.txt"
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "APPOINTEASE_PROXY_HOPS": "1",
        "APPOINTEASE_MIN_NOTICE_MINUTES": "0",
        # The booking race sends 100 bookings from one address (everything here comes from
        # 127.0.0.1): the per-IP booking limit (60/minute) would rightly refuse 40 of them.
        # Request limits have their own tests (tests/integration/test_rate_limits*.py).
        "RATELIMIT_ENABLED": "false",
        "PROBE_HITS": str(hits),
        "PYTHONPATH": str(HERE),
    }
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                GunicornServer(
                    {**env, "PROBE_INSTANCE": name}, workers=3, log_path=folder / f"{name}.log", app="probe_app:app"
                )
            )
            for name in ("a", "b")
        ]
        yield Instances(servers, hits)


@pytest.fixture
def proxy(tmp_path):
    """Factory: ``proxy(upstreams, read_timeout=35)`` → a started :class:`NginxServer`, stopped after the test."""
    need(nginx_available(), "nginx (/usr/sbin/nginx)")
    started: list[NginxServer] = []

    def start(upstreams: list[str], read_timeout: int = 35) -> NginxServer:
        prefix = tmp_path / f"nginx{len(started)}"
        prefix.mkdir()
        server = NginxServer(prefix, upstreams, read_timeout).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _assert_nginx_error(response: requests.Response, status: int, code: str) -> None:
    """nginx itself answered ``status`` in SPEC §4's shape (no instance saw the request)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert "X-Probe-Instance" not in response.headers
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error


def _get_from(source_ip: str, port: int, path: str, headers: dict | None = None) -> dict:
    """GET ``path`` on 127.0.0.1:``port`` from the loopback address ``source_ip``; return the JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source_ip, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def test_requests_alternate_between_both_instances(instances, proxy):
    nginx = proxy(instances.upstreams)
    answered = [requests.get(nginx.url + "/healthz", timeout=5).headers["X-Probe-Instance"] for _ in range(20)]
    print(f"\nround robin over 20 requests: a={answered.count('a')} b={answered.count('b')}")
    assert set(answered) == {"a", "b"}
    assert abs(answered.count("a") - answered.count("b")) <= 2


def test_the_client_address_reaches_the_app_and_forged_headers_do_not(instances, proxy):
    nginx = proxy(instances.upstreams)
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    seen = _get_from("127.0.0.2", nginx.port, "/_probe/whoami", forged)
    # nginx appends the real peer; with one hop trusted the app takes that, not the forgery.
    assert seen["forwarded_for"] == "203.0.113.9, 127.0.0.2"
    assert seen["remote_addr"] == "127.0.0.2"
    assert seen["scheme"] == "http"
    # Straight to an instance, the socket peer is the client.
    direct = _get_from("127.0.0.3", instances.servers[0].port, "/_probe/whoami")
    assert direct["remote_addr"] == "127.0.0.3" and direct["forwarded_for"] is None


def test_nginx_answers_its_own_errors_in_the_spec_shape(instances, proxy):
    nginx = proxy(instances.upstreams)
    api = nginx.url + "/api/v1/appointments"
    too_big = json.dumps({"name": "x" * 70_000}).encode()
    _assert_nginx_error(
        requests.post(api, data=too_big, headers={"Content-Type": "application/json"}, timeout=10),
        413,
        "payload_too_large",
    )
    # Chunked, so no Content-Length to refuse up front: nginx counts and still refuses.
    chunks = (b"x" * 8192 for _ in range(10))
    _assert_nginx_error(
        requests.post(api, data=chunks, headers={"Content-Type": "application/json"}, timeout=10),
        413,
        "payload_too_large",
    )
    _assert_nginx_error(requests.get(nginx.url + "/api/v1/services?q=" + "a" * 9000, timeout=10), 414, "uri_too_long")
    _assert_nginx_error(
        requests.get(nginx.url + "/healthz", headers={"X-Big": "a" * 9000}, timeout=10), 400, "bad_request"
    )
    # The app's own errors pass through untouched.
    r = requests.get(nginx.url + "/api/v1/nope", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found" and "X-Probe-Instance" in r.headers


def test_502_when_no_instance_can_be_reached(proxy):
    nginx = proxy([f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"])
    r = requests.get(nginx.url + "/healthz", timeout=10)
    _assert_nginx_error(r, 502, "unavailable")
    assert r.headers["Retry-After"] == "5"


def test_a_timeout_gives_504_and_a_post_is_never_sent_twice(instances, proxy):
    nginx = proxy(instances.upstreams, read_timeout=1)
    instances.hits.write_text("")
    r = requests.get(nginx.url + "/_probe/slow?s=2.5", timeout=15)
    _assert_nginx_error(r, 504, "unavailable")
    # An idempotent request is tried on the other instance once the first times out …
    assert sorted(instances.hit_lines()) == ["a GET", "b GET"]
    instances.hits.write_text("")
    r = requests.post(nginx.url + "/_probe/slow?s=2.5", json={}, timeout=15)
    _assert_nginx_error(r, 504, "unavailable")
    # … a POST that reached an instance never goes to another one.
    assert len(instances.hit_lines()) == 1 and instances.hit_lines()[0].endswith(" POST")


def test_an_unreachable_instance_is_taken_out_and_the_other_serves(instances, proxy):
    a = instances.upstreams[0]
    nginx = proxy([a, f"127.0.0.1:{free_port()}"])
    answered = []
    for _ in range(10):
        r = requests.get(nginx.url + "/healthz", timeout=10)
        assert r.status_code == 200
        answered.append(r.headers["X-Probe-Instance"])
    # A POST whose connection was refused was never sent: it may go to the live instance.
    r = requests.post(nginx.url + "/_probe/slow?s=0", json={}, timeout=10)
    assert r.status_code == 200
    refused = nginx.error_log.count("connect() failed")
    print(f"\nfailover: answered by {set(answered)}; connection attempts to the dead instance: {refused}")
    assert set(answered) == {"a"} and r.headers["X-Probe-Instance"] == "a"
    # Passive health check: after max_fails=3 the dead instance is not tried for fail_timeout.
    assert 1 <= refused <= 3


def test_slow_clients_stall_a_bare_gunicorn_but_not_nginx(instances, proxy, shared_database, tmp_path):
    url, redis_url = shared_database
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "GUNICORN_WORKER_CLASS": "sync"}
    with GunicornServer(env, workers=2, log_path=tmp_path / "bare.log") as bare:
        bare_stall = stall_point("127.0.0.1", bare.port, bare.url + "/healthz", max_clients=6)

    nginx = proxy(instances.upstreams)
    with SlowClients("127.0.0.1", nginx.port) as attack:
        attack.add(SLOW_CLIENTS)
        time.sleep(2.5)  # a few trickled bytes on every connection
        probes = [answers(nginx.url + "/healthz", timeout=2) for _ in range(5)]
        still_attacking = attack.alive
    print(
        f"\nslow clients: a bare gunicorn (2 sync workers) is stalled by {bare_stall}; "
        f"behind nginx {still_attacking} slow clients stall nothing ({sum(probes)}/5 /healthz answered)"
    )
    assert bare_stall is not None and bare_stall <= 2
    assert still_attacking == SLOW_CLIENTS
    assert all(probes)


def test_hundred_parallel_bookings_through_the_proxy_make_exactly_ten(instances, proxy, shared_database, workday):
    nginx = proxy(instances.upstreams)
    attempts = len(TIMES) * PER_SLOT
    barrier = threading.Barrier(attempts)
    day = workday.isoformat()

    def attempt(i: int) -> tuple[int, str | None]:
        body = {
            "service_id": 1,
            "employee_id": 3,
            "date": day,
            "time": TIMES[i % len(TIMES)],
            "name": f"Proxy Racer {i}",
            "email": f"p{i}@example.com",
            "client_id": f"proxy-racer-{i:04d}",
        }
        barrier.wait(timeout=60)
        r = requests.post(nginx.url + "/api/v1/appointments", json=body, timeout=60)
        return r.status_code, r.headers.get("X-Probe-Instance")

    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(attempt, range(attempts)))
    statuses = [s for s, _ in results]
    engine = create_engine(shared_database[0])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM appointments")).scalar()
        starts = conn.execute(text("SELECT count(DISTINCT start_at) FROM appointments")).scalar()
    engine.dispose()
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"\nthrough nginx: attempts={attempts} statuses={counts} rows={rows} "
        f"instances={ {i: [n for _, n in results].count(i) for i in ('a', 'b')} }"
    )
    assert counts == {201: len(TIMES), 409: attempts - len(TIMES)}, counts
    assert rows == starts == len(TIMES)
    assert {n for _, n in results} == {"a", "b"}
