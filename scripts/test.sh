#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite, in both matrices:
#   1. embedded default: SQLite + SQL-table hold store — every test;
#   2. production: PostgreSQL + Redis (real servers started by the fixtures) — every test
#      but those marked engine_independent, whose outcome cannot depend on the matrix
#      (they already ran in 1);
#   3. seven days: the tests marked date_relative again, as if today were each of the next six
#      days (scripts/seven-days.sh, tests/clockshift), so main is green on every day of the week.
# System servers (redis-server, PostgreSQL 15, Chromium) are installed when missing.
# Stages 1 and 2 run in TEST_WORKERS pytest-xdist workers (4: the tests mostly wait on servers,
# polls and TTLs, so four overlap on two cores; the long ones start first, tests/conftest.py).
# Under that load a timing bound can be missed once, so a failed test is run again up to
# TEST_RERUNS times (2; pytest-rerunfailures, each rerun an R in the output and listed at the
# end). TEST_WORKERS=0 runs one test at a time.
# Extra arguments go to pytest in both matrices (e.g. scripts/test.sh -k heartbeat); a
# "-m EXPR" of yours is combined with the production matrix's own marker filter.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-deps.sh
scripts/setup.sh --dev

# Matrix 2's arguments: the caller's, with "-m EXPR" folded into the marker filter
# (pytest keeps only the last -m given).
all_args=("$@")
marker="not engine_independent"
production_args=()
while (($#)); do
  case $1 in
    -m) marker="(${2?-m needs an expression}) and ($marker)"; shift 2 ;;
    -m*) marker="(${1#-m}) and ($marker)"; shift ;;
    *) production_args+=("$1"); shift ;;
  esac
done

parallel=(-n "${TEST_WORKERS:-4}" --dist worksteal --reruns "${TEST_RERUNS:-2}" --reruns-delay 1)

status=0
echo "== matrix 1/2: embedded (SQLite + SQL hold store) =="
APPOINTEASE_TEST_ENGINE=embedded .venv/bin/python -m pytest "${parallel[@]}" "${all_args[@]}" || status=$?
echo "== matrix 2/2: production (PostgreSQL + Redis), -m \"$marker\" =="
# Exit code 5 = no test selected: the caller's selection may hold only engine-independent
# tests, which matrix 1 ran. Any other failure counts.
APPOINTEASE_TEST_ENGINE=production .venv/bin/python -m pytest "${parallel[@]}" "${production_args[@]}" -m "$marker" || {
  rc=$?
  [ "$rc" -eq 5 ] || status=$rc
}
# Stage 3 only for the whole suite: a caller's -k/-m/path selection is a quick loop
# (scripts/seven-days.sh takes pytest arguments for that).
if ((${#all_args[@]} == 0)); then
  echo "== seven days: the date_relative tests as if today were each of the next six days =="
  scripts/seven-days.sh || status=$?
fi
exit "$status"
