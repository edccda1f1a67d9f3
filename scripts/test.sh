#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite, in both matrices:
#   1. embedded default: SQLite + SQL-table hold store — every test;
#   2. production: PostgreSQL + Redis (real servers started by the fixtures) — every test
#      but those marked engine_independent, whose outcome cannot depend on the matrix
#      (they already ran in 1).
# System servers (redis-server, PostgreSQL 15, Chromium) are installed when missing.
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

# The two matrices run at the same time: each starts its own servers (random ports, temp
# dirs) and most of the suite's time is spent waiting (TTLs, restarts, browsers), not
# computing. Every output line is prefixed with its matrix. APPOINTEASE_TEST_SERIAL=1
# runs them one after the other instead.
run_matrix() {  # run_matrix NAME ENGINE PYTEST_ARGS...
  local name=$1 engine=$2
  shift 2
  APPOINTEASE_TEST_ENGINE=$engine .venv/bin/python -m pytest "$@" 2>&1 | sed -u "s/^/[$name] /"
}

echo "== matrix 1/2: embedded (SQLite + SQL hold store), every test =="
echo "== matrix 2/2: production (PostgreSQL + Redis), -m \"$marker\" =="
embedded=0 production=0
if [ "${APPOINTEASE_TEST_SERIAL:-0}" = 1 ]; then
  run_matrix embedded embedded "${all_args[@]}" || embedded=$?
  run_matrix production production "${production_args[@]}" -m "$marker" || production=$?
else
  run_matrix embedded embedded "${all_args[@]}" &
  first=$!
  run_matrix production production "${production_args[@]}" -m "$marker" &
  second=$!
  wait "$first" || embedded=$?
  wait "$second" || production=$?
fi
# Exit code 5 = no test selected: the caller's selection may hold only engine-independent
# tests, which matrix 1 ran. Any other failure counts.
[ "$production" -eq 5 ] && production=0
echo "== pytest exit codes: embedded $embedded, production $production =="
[ "$embedded" -eq 0 ] && [ "$production" -eq 0 ]
