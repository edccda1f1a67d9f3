#!/usr/bin/env bash
# Run the date-relative tests (pytest marker `date_relative`: the tests whose dates derive
# from today) as if today were each of the next six days, so that with scripts/test.sh's own
# run for today they pass on seven consecutive days: every weekday, whatever day CI runs on.
#
# The wall clock of the whole process tree is moved by N days with tests/clockshift (a small
# LD_PRELOAD library compiled here; its header says why not libfaketime): pytest, the app,
# gunicorn, the worker, Redis, PostgreSQL and the headless Chromium all see today + N days,
# while the monotonic clock stays real, so TTLs, timeouts and sleeps keep their lengths.
# Embedded engine only: the production matrix of scripts/test.sh covers the engines for today,
# and the date-relative tests that start Redis or PostgreSQL themselves run here too.
#
# Which tests: every date_relative test except the process and fault tests (marked slow, not
# browser: killed workers, restarted PostgreSQL, Redis outages, several instances, the README
# run, the 40-way races). Those take a bookable day from support/dates.py, as the others do,
# and test processes rather than the calendar; they are a third of a day's run. Whether
# support/dates.py keeps its promises on every weekday is checked for fourteen todays by
# tests/unit/test_test_dates.py, and the calendar code itself runs here in the API, worker and
# browser tests. SEVEN_DAYS_ALL=1 runs the process tests on every day too (about 7 minutes a
# day instead of 3 here).
#
# Each day runs in 6 pytest-xdist workers (SEVEN_DAYS_WORKERS): the tests mostly wait on
# servers, polls and TTLs, so six overlap on two cores. That load can stretch a timing window
# past its bound, so a test that fails is run again up to twice (pytest-rerunfailures; each
# rerun shows as R in the output): a date bug is deterministic and fails every time, a
# scheduling hiccup does not.
#
# Usage: scripts/seven-days.sh [pytest args...]     (SEVEN_DAYS="1 2 3 4 5 6" by default)
set -euo pipefail
cd "$(dirname "$0")/.."

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cc -shared -fPIC -O2 -Wall -Werror -o "$build/clockshift.so" tests/clockshift/clockshift.c

selection="date_relative and not (slow and not browser)"
[[ ${SEVEN_DAYS_ALL:-0} == 1 ]] && selection="date_relative"

status=0
for n in ${SEVEN_DAYS:-1 2 3 4 5 6}; do
  shift_env=(CLOCKSHIFT_SECONDS=$((n * 86400)) LD_PRELOAD="$build/clockshift.so")
  expected=$(date -d "+$n days" +%F)
  # Prove the shift took before trusting a green run: Python must see the shifted date.
  seen=$(env "${shift_env[@]}" .venv/bin/python -c 'import datetime; print(datetime.date.today())')
  if [[ $seen != "$expected" ]]; then
    echo "seven-days: the clock did not move (+${n} days: saw $seen, expected $expected)" >&2
    exit 1
  fi
  echo "== seven-days: today + $n = $(date -d "+$n days" '+%A %F'), $selection (embedded) =="
  env "${shift_env[@]}" APPOINTEASE_TEST_ENGINE=embedded \
    .venv/bin/python -m pytest -m "$selection" -p no:cacheprovider -n "${SEVEN_DAYS_WORKERS:-6}" --dist worksteal \
    --reruns "${SEVEN_DAYS_RERUNS:-2}" --reruns-delay 1 "$@" || status=$?
done
exit "$status"
