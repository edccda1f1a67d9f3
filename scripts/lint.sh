#!/usr/bin/env bash
# Lint and format check with the pinned ruff (requirements-dev.txt; rules in pyproject.toml), then
# the import-linter layer contracts.
# Fix locally with: .venv/bin/ruff format . && .venv/bin/ruff check --fix .
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Layer contracts (pyproject.toml [tool.importlinter]): the domain never imports Flask or appointease.api.
.venv/bin/lint-imports
