#!/usr/bin/env bash
# Run every date-relative test (pytest marker `date_relative`: the tests whose dates derive
# from today) as if today were each of the next six days, so that with scripts/test.sh's own
# run for today they pass on seven consecutive days: every weekday, whatever day CI runs on.
#
# The clock is shifted for the whole process tree with libfaketime (Debian's faketime, installed
# by scripts/install-system-deps.sh): pytest, the app, gunicorn, the worker, Redis and the
# headless Chromium all see today + N days, while time keeps running, so TTLs and timeouts
# behave as usual. The multi-threaded build (libfaketimeMT) is used: the single-threaded one
# deadlocks Python's threads. Embedded engine only: the dates a test derives do not depend on
# the engine, and the production matrix of scripts/test.sh covers the engines for today.
# Tests marked real_servers (they start redis-server or PostgreSQL) are left out: redis-server
# (jemalloc) cannot start under libfaketime, and Redis's TIME is the Redis hold store's clock,
# so a real-clock Redis would disagree with the shifted app. They derive their dates from the
# same fixtures as the tests that do run here, and they run for today in both matrices.
#
# Usage: scripts/seven-days.sh [pytest args...]     (SEVEN_DAYS="1 2 3 4 5 6" by default)
set -euo pipefail
cd "$(dirname "$0")/.."

lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1 || true)
if [[ -z $lib ]]; then
  echo "seven-days: libfaketime is missing (scripts/install-system-deps.sh installs it)" >&2
  exit 1
fi

status=0
for n in ${SEVEN_DAYS:-1 2 3 4 5 6}; do
  expected=$(date -d "+$n days" +%F)
  # Prove the shift took before trusting a green run: Python must see the shifted date.
  seen=$(FAKETIME="+${n}d" LD_PRELOAD=$lib .venv/bin/python -c 'import datetime; print(datetime.date.today())')
  if [[ $seen != "$expected" ]]; then
    echo "seven-days: libfaketime did not shift the clock (+${n}d: saw $seen, expected $expected)" >&2
    exit 1
  fi
  echo "== seven-days: today + $n = $(date -d "+$n days" '+%A %F'), date_relative tests (embedded, not real_servers) =="
  FAKETIME="+${n}d" LD_PRELOAD=$lib APPOINTEASE_TEST_ENGINE=embedded \
    .venv/bin/python -m pytest -m "date_relative and not real_servers" -p no:cacheprovider "$@" || status=$?
done
exit "$status"
