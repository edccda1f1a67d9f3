"""Fuzz the API from its own OpenAPI document (SPEC §5.4, issue 11): schemathesis
generates valid and invalid requests for every operation and sends them to a live
gunicorn on this matrix's engine. No answer may be a 5xx, and every answer must match
the document: a documented status, content type, headers and body schema; invalid input
must be refused.

Bounded: ``FUZZ_EXAMPLES`` cases per operation and phase (default 40), a fixed seed
(``FUZZ_SEED``, default 20261122) so CI is repeatable, and a hard time limit. Limits are
off for the run (SPEC §8: ``RATELIMIT_ENABLED=false``, ``APPOINTEASE_MAX_HOLDS_PER_IP=0``)
or the fuzzer would mostly meet 429s. Loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from support.gunicorn_server import GunicornServer

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = os.environ.get("FUZZ_SEED", "20261122")
TIME_LIMIT = 150  # seconds; a normal run takes 20–60 s per engine

#: What the answers are checked for. ``positive_data_acceptance`` is left out: a
#: schema-valid request can still break a booking rule (a past date, a staff member who
#: does not perform the service), which the document cannot express.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]


def test_fuzzing_finds_no_server_error_and_no_answer_outside_the_document(app, database_url, redis_url, tmp_path):
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": "false",
        "APPOINTEASE_MAX_HOLDS_PER_IP": "0",
    }
    with GunicornServer(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        started = time.monotonic()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                server.url + "/api/v1/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                SEED,
                # One worker: hypothesis parses lambda sources with ast.parse, which is not
                # thread-safe on CPython 3.11 ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                "--request-timeout",
                "20",
                "--generation-database",
                "none",
                "--no-color",
                "--output-sanitize",
                "false",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        took = time.monotonic() - started
    summary = [
        line.strip() for line in run.stdout.splitlines() if line.strip().endswith(" passed") and "generated" in line
    ]
    print(f"\nschemathesis: {took:.0f}s, {' '.join(summary)}")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    assert "passed" in run.stdout and " 0 passed" not in run.stdout, run.stdout[-3000:]
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
