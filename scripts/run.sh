#!/usr/bin/env bash
# One command from a fresh clone to a running service on the embedded default:
# virtualenv + packages, schema migrations, demo data, gunicorn on http://127.0.0.1:${PORT:-8000}
# and, beside it, the notification worker (emails, webhooks; SPEC §7).
# APPOINTEASE_DEMO=0 skips the demo data: a real business starts with an empty catalogue
# (migrations only) and adds its own services and staff (default 1: load the demo).
# SIGTERM/SIGINT stop both; if gunicorn exits, the worker is stopped too.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${APPOINTEASE_DEMO:-1}" in
  1 | true | yes | on) demo=1 ;;
  0 | false | no | off) demo=0 ;;
  *) echo "APPOINTEASE_DEMO must be 1 (load the demo data) or 0 (empty catalogue), got '${APPOINTEASE_DEMO}'" >&2; exit 2 ;;
esac

scripts/setup.sh
.venv/bin/flask --app app db upgrade
if [ "$demo" = 1 ]; then
  .venv/bin/flask --app app seed-demo
else
  echo "AppointEase: APPOINTEASE_DEMO=0, no demo data loaded (add services and staff through /api/v1/admin)"
fi
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
