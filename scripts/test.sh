#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite, in both matrices:
#   1. embedded default: SQLite + SQL-table hold store
#   2. production: PostgreSQL + Redis (real servers started by the fixtures)
# System servers (redis-server, PostgreSQL 15, Chromium) are installed when missing.
# Extra arguments go to pytest (e.g. scripts/test.sh -k heartbeat).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-deps.sh
scripts/setup.sh --dev

status=0
echo "== matrix 1/2: embedded (SQLite + SQL hold store) =="
APPOINTEASE_TEST_ENGINE=embedded .venv/bin/python -m pytest "$@" || status=$?
echo "== matrix 2/2: production (PostgreSQL + Redis) =="
APPOINTEASE_TEST_ENGINE=production .venv/bin/python -m pytest "$@" || status=$?
exit "$status"
