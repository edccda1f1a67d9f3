#!/usr/bin/env bash
# One command from a fresh clone to a running service on the embedded default:
# virtualenv + packages, schema migrations, demo data, gunicorn on http://127.0.0.1:${PORT:-8000}
# and, beside it, the notification worker (emails, webhooks; SPEC §7).
# SIGTERM/SIGINT stop both; if gunicorn exits, the worker is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
.venv/bin/flask --app app db upgrade
.venv/bin/flask --app app seed-demo
# Email links and calendar UIDs name the address this command serves, unless told otherwise.
export APPOINTEASE_PUBLIC_URL="${APPOINTEASE_PUBLIC_URL:-http://127.0.0.1:${PORT:-8000}}"
echo "AppointEase: open http://127.0.0.1:${PORT:-8000}/ (demo page)"

.venv/bin/flask --app app worker &
worker=$!
.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app &
web=$!
stop() { kill -TERM "$web" "$worker" 2>/dev/null || true; }
trap stop TERM INT

status=0
wait "$web" || status=$?
if kill -0 "$web" 2>/dev/null; then  # woken by a signal: let gunicorn finish its graceful stop
  status=0
  wait "$web" || status=$?
fi
stop
wait "$worker" || true
exit "$status"
