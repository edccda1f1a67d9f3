"""Bodies over ``MAX_CONTENT_LENGTH`` (64 KB) are 413 however they are sent (SPEC §5.4).

With ``Content-Length`` werkzeug refuses them up front. A chunked body has no length:
werkzeug then reads *up to* the limit and drops the rest, so a valid JSON object padded
past 64 KB used to be cut and parsed. Checked through real servers, gunicorn and
werkzeug's own, since each terminates chunked input itself (``wsgi.input_terminated``).
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from werkzeug.serving import make_server

from support.gunicorn_server import GunicornServer

LIMIT = 64 * 1024


def post(port: int, body: bytes, *, chunked: bool) -> tuple[int, dict]:
    """POST ``body`` to ``/api/v1/heartbeat`` on 127.0.0.1:``port``; return (status, JSON)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if chunked:
            pieces = [body[i : i + 8192] for i in range(0, len(body), 8192)]
            conn.request("POST", "/api/v1/heartbeat", body=iter(pieces), headers=headers, encode_chunked=True)
        else:
            conn.request("POST", "/api/v1/heartbeat", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def padded(beat: dict, size: int) -> bytes:
    """A valid heartbeat body followed by JSON whitespace up to ``size`` bytes."""
    data = json.dumps(beat).encode()
    return data + b" " * (size - len(data))


def check_limits(port: int, beat: dict, subtests) -> None:
    for chunked in (True, False):
        with subtests.test(chunked=chunked, size="one byte over"):
            status, body = post(port, padded(beat, LIMIT + 1), chunked=chunked)
            assert (status, body["error"]["code"]) == (413, "payload_too_large"), body
        with subtests.test(chunked=chunked, size="twice the limit"):
            status, body = post(port, padded(beat, 2 * LIMIT), chunked=chunked)
            assert (status, body["error"]["code"]) == (413, "payload_too_large"), body
        with subtests.test(chunked=chunked, size="exactly the limit"):
            status, body = post(port, padded(beat, LIMIT), chunked=chunked)
            assert status == 200 and "version" in body, body


@pytest.fixture
def beat(workday) -> dict:
    return {"date": workday.isoformat(), "employee_id": 1, "client_id": "client-size-0001"}


@pytest.mark.slow
def test_gunicorn_refuses_oversize_chunked_bodies(app, database_url, redis_url, beat, tmp_path, subtests):
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    with GunicornServer(env, workers=1, log_path=tmp_path / "gunicorn.log") as server:
        check_limits(server.port, beat, subtests)


def test_werkzeug_server_refuses_oversize_chunked_bodies(app, beat, subtests):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        check_limits(server.server_port, beat, subtests)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
