#!/usr/bin/env bash
# otasim_updates.sh: `otasim load --bench updates` against an otad on a durable PostgreSQL, set
# up as tests/bench/updates.sh sets up its own (fsync = on, synchronous_commit = on,
# shared_buffers 512MB, OTAD_AUTH=none, OTAD_LOG_LEVEL=warn), so that the two benchmarks'
# figures compare on one machine: updates.sh drives UpdateJobExecution with wrk over things
# made in SQL; this one makes the things, the task and every start through the API and drives
# the updates with the simulated devices, one request outstanding per device.
#
# Usage: tests/bench/otasim_updates.sh [BUILD_DIR]   (default build/; needs otad and otasim)
# Environment: DEVICES (10000), DURATION (15 s), CONNECTIONS (64), OTAD_WORKERS (1).
# A benchmark, not a test: run it by hand on a quiet machine. Everything runs in a temp dir that
# is removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BUILD=${1:-build}
OTAD=$ROOT/$BUILD/otad
OTASIM=$ROOT/$BUILD/otasim
DEVICES=${DEVICES:-10000}
DURATION_S=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-64}
[[ -x $OTAD && -x $OTASIM ]] || { echo "otasim_updates.sh: $BUILD/otad or $BUILD/otasim not built" >&2; exit 2; }
PGBIN=${OTAD_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}

as_pg() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
TMP=$(mktemp -d /tmp/otad-bench-otasim.XXXXXX)
PIDS=()
cleanup() {
    [[ -f $TMP/pg/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    rm -rf "$TMP"
}
trap cleanup EXIT
[[ $(id -u) == 0 ]] && chown postgres "$TMP"

as_pg "$PGBIN/initdb" -A trust -U otad -E UTF8 --no-locale -D "$TMP/pg" >/dev/null
cat >>"$TMP/pg/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$TMP'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 512MB
max_connections = 300
timezone = UTC
EOF
as_pg "$PGBIN/postgres" -D "$TMP/pg" >"$TMP/postgres.log" 2>&1 &
PIDS+=($!)
CONN="host=$TMP port=5432 dbname=otad user=otad"
for _ in $(seq 100); do
    "$PGBIN/pg_isready" -q -h "$TMP" -p 5432 && break
    sleep 0.1
done
"$PGBIN/createdb" -h "$TMP" -p 5432 -U otad otad

redis-server --port 0 --unixsocket "$TMP/redis.sock" --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)

# The rollout ceiling well above the fleet, so that every device is queued at once.
OTAD_AUTH=none OTAD_LOG_LEVEL=warn OTAD_MAX_RATE_PER_MINUTE=10000000 \
    OTAD_WORKERS=${OTAD_WORKERS:-1} "$OTAD" --listen 127.0.0.1:0 --port-file "$TMP/otad.port" \
    --pg "$CONN" --redis "$TMP/redis.sock" >"$TMP/otad.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do
    [[ -s $TMP/otad.port ]] && curl -fs "http://127.0.0.1:$(cat "$TMP/otad.port")/readyz" >/dev/null && break
    sleep 0.1
done
URL=http://127.0.0.1:$(cat "$TMP/otad.port")
echo "fsync=$("$PGBIN/psql" -X -At "$CONN" -c 'SHOW fsync') devices=$DEVICES duration=${DURATION_S}s connections=$CONNECTIONS"
"$OTASIM" load --endpoint "$URL" --bench updates --devices "$DEVICES" --duration "$DURATION_S" \
    --connections "$CONNECTIONS" --no-progress
