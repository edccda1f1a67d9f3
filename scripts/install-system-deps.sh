#!/usr/bin/env bash
# Install the system servers the AppointEase test suite needs (Debian 12):
#   redis-server + redis-cli (7.0; the cluster fixture), PostgreSQL 15 server binaries, chromium + chromium-driver,
#   nginx (the buffering proxy of deploy/, tested by a fixture), wrk (bench/), gcc + libc6-dev
#   (scripts/seven-days.sh compiles tests/clockshift), and
#   node + npm (the browser tests' pinned npm packages: axe-core).
#
# Idempotent: checks for the binaries first and only runs apt-get when something is
# missing, so the "everything present" path is a handful of `test -x` calls (< 1 s).
# It never leaves a service running: package postinst scripts are prevented from
# starting services while installing (policy-rc.d), and anything they started anyway is
# stopped and disabled afterwards. The tests start their own throw-away servers
# (tests/support/servers.py).
#
# Usage: scripts/install-system-deps.sh [--check]
#   --check   only report what is missing; exit 1 if anything is, 0 otherwise.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin

# "path package" pairs: the file that must exist, and the Debian package that ships it.
REQUIRED=(
  "/usr/bin/redis-server redis-server"
  "/usr/bin/redis-cli redis-tools"
  "$PG_BIN/initdb postgresql"
  "$PG_BIN/pg_ctl postgresql"
  "$PG_BIN/postgres postgresql"
  "$PG_BIN/psql postgresql"
  "/usr/bin/chromium chromium"
  "/usr/bin/chromedriver chromium-driver"
  "/usr/sbin/nginx nginx-light"
  "/usr/bin/wrk wrk"
  "/usr/bin/cc gcc"
  "/usr/include/time.h libc6-dev"
  "/usr/bin/node nodejs"
  "/usr/bin/npm npm"
)

log() { printf 'install-system-deps: %s\n' "$*" >&2; }
# A program must be executable; a header (libc6-dev's time.h) need only be there.
present() { if [[ $1 == *.h ]]; then [[ -f $1 ]]; else [[ -x $1 ]]; fi; }

missing_pkgs=()
missing_files=()
for entry in "${REQUIRED[@]}"; do
  path=${entry%% *}
  pkg=${entry##* }
  if ! present "$path"; then
    missing_files+=("$path")
    # de-duplicate packages (postgresql covers several files)
    case " ${missing_pkgs[*]-} " in
      *" $pkg "*) ;;
      *) missing_pkgs+=("$pkg") ;;
    esac
  fi
done

if [[ ${#missing_pkgs[@]} -eq 0 ]]; then
  log "all system dependencies present"
  exit 0
fi

log "missing: ${missing_files[*]}"
if [[ ${1-} == --check ]]; then
  log "would install: ${missing_pkgs[*]}"
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "not root and sudo is not available; install as root: ${missing_pkgs[*]}"
    exit 1
  fi
  SUDO=(sudo)
fi

# Keep postinst scripts from starting services while we install. If a policy-rc.d is
# already in place (e.g. Docker images ship one that exits 101) leave it alone.
POLICY=/usr/sbin/policy-rc.d
policy_created=0
cleanup_policy() {
  if [[ $policy_created -eq 1 ]]; then
    "${SUDO[@]}" rm -f "$POLICY" || true
  fi
}
trap cleanup_policy EXIT
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  policy_created=1
fi

log "installing: ${missing_pkgs[*]}"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null

# Stop and disable anything the packages may have started; failures are harmless
# (no init system in containers, service not installed, already stopped, ...).
stop_service() {
  local svc=$1
  "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null 2>&1; then
    "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
}
stop_service redis-server
stop_service nginx
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r ver name _; do
    [[ -n ${ver-} && -n ${name-} ]] || continue
    "${SUDO[@]}" pg_ctlcluster "$ver" "$name" stop -m fast >/dev/null 2>&1 || true
  done < <(pg_lsclusters -h 2>/dev/null || true)
fi
stop_service postgresql

# Verify.
still_missing=()
for entry in "${REQUIRED[@]}"; do
  path=${entry%% *}
  present "$path" || still_missing+=("$path")
done
if [[ ${#still_missing[@]} -gt 0 ]]; then
  log "still missing after install: ${still_missing[*]}"
  exit 1
fi
log "installed: ${missing_pkgs[*]}"
