#!/usr/bin/env bash
# One command from a fresh clone to a running service on the embedded default:
# virtualenv + packages, schema migrations, demo data, gunicorn on http://127.0.0.1:${PORT:-8000}
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/flask --app app db upgrade
.venv/bin/flask --app app seed-demo
echo "AppointEase: open http://127.0.0.1:${PORT:-8000}/ (demo page)"
exec .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
