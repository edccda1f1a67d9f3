#!/usr/bin/env bash
# The heartbeat benchmark (issues 8 and 18, bench/README.md) from a fresh clone:
#   1. system servers and wrk (scripts/install-system-deps.sh, only when missing)
#   2. .venv with the pinned runtime + dev requirements (scripts/setup.sh --dev)
#   3. bench/run.py with the given arguments; it starts and stops its own servers on 127.0.0.1
#
#   scripts/bench.sh                     both engines, full length (about 8 minutes each)
#   scripts/bench.sh --quick             about 1 minute per engine: a smoke test of the harness
#   scripts/bench.sh --engine embedded --duration 30 --soak 600 --note "quiet machine"
#   scripts/bench.sh --profile           also py-spy record one app worker in an extra heartbeat row (not in the table)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-deps.sh
scripts/setup.sh --dev
exec .venv/bin/python bench/run.py "$@"
