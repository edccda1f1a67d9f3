#!/usr/bin/env bash
# Lint and format check with the pinned ruff (requirements-dev.txt; rules in pyproject.toml).
# Fix locally with: .venv/bin/ruff format . && .venv/bin/ruff check --fix .
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
