#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the pinned requirements.
#   scripts/setup.sh        runtime packages (requirements.txt)
#   scripts/setup.sh --dev  runtime + test packages (requirements-dev.txt), and the
#                           browser tests' pinned npm packages (tests/browser/package-lock.json:
#                           axe-core) with `npm ci`
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
req=requirements.txt
[ "${1:-}" = "--dev" ] && req=requirements-dev.txt

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Skip pip when this exact requirements file was already installed into this venv.
stamp=".venv/.installed-$(basename "$req")"
if [ ! -f "$stamp" ] || ! cmp -s "$req" "$stamp" || { [ "$req" = requirements-dev.txt ] && ! cmp -s requirements.txt .venv/.installed-requirements.txt 2>/dev/null; }; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
  [ "$req" = requirements-dev.txt ] && cp requirements.txt .venv/.installed-requirements.txt
fi
if [ "${1:-}" = "--dev" ]; then
  # Same idea for the browser tests' npm packages: `npm ci` only when the lock file changed.
  npm_stamp=tests/browser/node_modules/.installed-package-lock.json
  if [ ! -f "$npm_stamp" ] || ! cmp -s tests/browser/package-lock.json "$npm_stamp"; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
    cp tests/browser/package-lock.json "$npm_stamp"
  fi
fi
exit 0
