#!/usr/bin/env bash
# updates.sh: durable UpdateJobExecution throughput of otad's group commit against PostgreSQL's
# own one-row-UPDATE-per-transaction rate, measured in the same run on the same server.
#
# Starts its own PostgreSQL (fsync = on, synchronous_commit = on: every commit waits for the
# WAL flush), Redis and otad (OTAD_AUTH=none, OTAD_LOG_LEVEL=warn), creates NTHINGS managed
# things and a task with all of them IN_PROGRESS (SQL), then measures
#   (a) pgbench, CLIENTS clients, each transaction one UPDATE of one execution row, the same
#       change a device update makes (statusDetails, version + 1, updated_at = now), for DURATION;
#   (b) wrk, CLIENTS connections, UpdateJobExecution IN_PROGRESS with statusDetails over HTTP,
#       cycling over the things, for DURATION: requests/s, p50 and p99;
#   (c) tests/bench/updates/pace (open loop, latency from when each request was due) at half of
#       the rate measured in (b): p99.
# (a) and (b) alternate ROUNDS (3) times, so that a passing load on the shared machine hits both;
# the ratio is median (b) / median (a) (goal >= 1.5), and the p99 of (c) is the other goal
# (< 25 ms). The CPU other processes used during each phase is printed: the figures mean
# something only when that is near 0 (the machine has 2 cores, shared).
#
# Usage: tests/bench/updates.sh [BUILD_DIR]   (default build/; needs otad built there)
# Environment: NTHINGS (10000), CLIENTS (64), DURATION (15 s per phase), ROUNDS (3),
# OTAD_DEVICE_CONNS (passed to otad, which reads it once api/config.c has the knob; default 2).
# A benchmark, not a test: run it by hand on a quiet machine. Installs wrk with apt-get if
# missing (Debian, root). Everything runs in a temp dir that is removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BUILD=${1:-build}
OTAD=$ROOT/$BUILD/otad
NTHINGS=${NTHINGS:-10000}
CLIENTS=${CLIENTS:-64}
DURATION_S=${DURATION:-15}
[[ -x $OTAD ]] || { echo "updates.sh: $OTAD not built" >&2; exit 2; }

if ! command -v wrk >/dev/null; then
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
PGBIN=${OTAD_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}

as_pg() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
TMP=$(mktemp -d /tmp/otad-bench-updates.XXXXXX)
PIDS=()
cleanup() {
    [[ -f $TMP/pg/postmaster.pid ]] && as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    rm -rf "$TMP"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] && chown postgres "$TMP"

# PostgreSQL: durable commits (fsync and synchronous_commit on, the defaults, said explicitly).
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
sql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$CONN" "$@"; }
echo "fsync=$(sql -c 'SHOW fsync') synchronous_commit=$(sql -c 'SHOW synchronous_commit')"

redis-server --port 0 --unixsocket "$TMP/redis.sock" --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=($!)

OTAD_AUTH=none OTAD_LOG_LEVEL=warn "$OTAD" --listen 127.0.0.1:0 --port-file "$TMP/otad.port" \
    --pg "$CONN" --redis "$TMP/redis.sock" >"$TMP/otad.log" 2>&1 &
OTAD_PID=$!
PIDS+=($!)
for _ in $(seq 300); do
    [[ -s $TMP/otad.port ]] && curl -fs "http://127.0.0.1:$(cat "$TMP/otad.port")/readyz" >/dev/null && break
    sleep 0.1
done
PORT=$(cat "$TMP/otad.port")
URL=http://127.0.0.1:$PORT

# The fleet: NTHINGS things, one task with every execution IN_PROGRESS.
sql <<EOF
INSERT INTO things (id, arn, doc, provisioning_status, created_at, updated_at)
    SELECT 'thing-' || i, 'arn:thing-' || i, '{}', 'ACTIVATED', 0, 0
    FROM generate_series(1, $NTHINGS) i;
INSERT INTO tasks (id, arn, job_id, spec, job_document, status, ota_type, created_at, updated_at)
    VALUES ('bench', 'arn:bench', 'bench', '{}', '{"otaTask":{"taskId":"bench"}}', 'IN_PROGRESS',
            'ONE_TIME', 0, 0);
INSERT INTO executions (task_id, thing_id, execution_number, status, seq, queued_at, started_at,
                        updated_at)
    SELECT 'bench', 'thing-' || i, 1, 2, i, 0, 0, 0 FROM generate_series(1, $NTHINGS) i;
INSERT INTO task_counters (task_id, status, shard, n) VALUES ('bench', 2, 0, $NTHINGS);
VACUUM ANALYZE;
EOF

# Each phase starts from the same state: dead rows vacuumed, a fresh checkpoint.
settle() { sql -c "VACUUM ANALYZE executions" -c "CHECKPOINT"; sleep 1; }

# (a) pgbench: one UPDATE of one execution row per transaction.
cat >"$TMP/update.sql" <<EOF
\set i random(1, $NTHINGS)
UPDATE executions SET status_details = '{"progress":"1"}', version = version + 1, updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint WHERE task_id = 'bench' AND thing_id = 'thing-' || :i AND execution_number = 1;
EOF
metric() { curl -fs "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# CPU time of the whole machine (jiffies) and of our processes, to tell a quiet run from one
# that shared the 2 cores with something else.
busy_total() { awk '/^cpu / {print $2 + $3 + $4}' /proc/stat; }
# Ours: PostgreSQL (the postmaster with its live and reaped backends), otad, Redis, and what this
# script ran (pgbench, wrk, pace: reaped children). /proc/PID/stat fields 14-17 are utime,
# stime and the children's cutime, cstime.
cpu_of() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy_ours() {
    local t pm pid
    t=$(awk '{print $16 + $17}' "/proc/$$/stat")
    pm=$(head -1 "$TMP/pg/postmaster.pid")
    for pid in "$pm" $(pgrep -P "$pm" || true) "$OTAD_PID" "$REDIS_PID"; do
        t=$((t + $(cpu_of "$pid")))
    done
    echo "$t"
}
# run_phase NAME COMMAND...: runs it and prints the share of the machine's CPU time that was
# not ours (other processes) during it.
run_phase() {
    local name=$1 t0 o0 t1 o1
    shift
    t0=$(busy_total)
    o0=$(busy_ours)
    "$@"
    t1=$(busy_total)
    o1=$(busy_ours)
    awk -v n="$name" -v t=$((t1 - t0)) -v o=$((o1 - o0)) -v d="$DURATION_S" \
        'BEGIN { f = t - o; if (f < 0) f = 0; printf "%s: other processes used %.0f%% of a core\n", n, 100 * f / (d * 100) }' \
        >>"$TMP/noise.out"
}

# (a) and (b) alternate ROUNDS times; the ratio is taken from the medians.
ROUNDS=${ROUNDS:-3}
for round in $(seq "$ROUNDS"); do
    settle
    run_phase "round $round pgbench" "$PGBIN/pgbench" -n -h "$TMP" -p 5432 -U otad -c "$CLIENTS" \
        -j 2 -T "$DURATION_S" -f "$TMP/update.sql" otad >"$TMP/pgbench.$round" 2>&1
    B0=$(metric otad_device_batches_total || true)
    R0=$(metric otad_device_batch_requests_total || true)
    settle
    run_phase "round $round wrk" wrk -t2 -c"$CLIENTS" -d"${DURATION_S}s" --latency \
        -s "$ROOT/tests/bench/updates/update.lua" "$URL" -- "$NTHINGS" 2 >"$TMP/wrk.$round" 2>&1
    B1=$(metric otad_device_batches_total || true)
    R1=$(metric otad_device_batch_requests_total || true)
    tps=$(awk '/^tps = / {print int($3)}' "$TMP/pgbench.$round" | tail -1)
    rps=$(awk '/^Requests\/sec:/ {print int($2)}' "$TMP/wrk.$round")
    echo "$tps" >>"$TMP/tps.all"
    echo "$rps" >>"$TMP/rps.all"
    awk -v r="$round" -v t="$tps" -v h="$rps" -v b0="${B0:-0}" -v b1="${B1:-0}" -v r0="${R0:-0}" \
        -v r1="${R1:-0}" -v p50="$(awk '$1 == "50%" {print $2}' "$TMP/wrk.$round")" \
        -v p99="$(awk '$1 == "99%" {print $2}' "$TMP/wrk.$round")" \
        -v pl="$(awk '/^latency average/ {print $4}' "$TMP/pgbench.$round")" \
        -v e="$(awk '/^non-200 responses:/ {print $3}' "$TMP/wrk.$round")" \
        'BEGIN { printf "round %d: pgbench %d tps (mean latency %s ms) | HTTP %d req/s (p50 %s, p99 %s, non-200 %s, %d batches of %.1f) | ratio %.2f\n", r, t, pl, h, p50, p99, e, b1 - b0, (b1 > b0 ? (r1 - r0) / (b1 - b0) : 0), h / t }' \
        >>"$TMP/rounds.out"
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
PG_TPS=$(median "$TMP/tps.all")
HTTP_RPS=$(median "$TMP/rps.all")

# (c) half of the median HTTP rate, open loop.
gcc -O2 -o "$TMP/pace" "$ROOT/tests/bench/updates/pace.c"
HALF=$((HTTP_RPS / 2))
settle
run_phase "half load" "$TMP/pace" "$PORT" "$HALF" "$DURATION_S" "$CLIENTS" "$NTHINGS" \
    >"$TMP/pace.out" 2>&1 || cat "$TMP/pace.out"

# Counters must still equal the statuses after all this.
COUNTED=$(sql -c "SELECT coalesce(sum(n), 0) FROM task_counters WHERE task_id = 'bench' AND status = 2")

echo "== (a) pgbench, $CLIENTS clients, one-row UPDATE per transaction, and (b) wrk, $CLIENTS"
echo "   connections, UpdateJobExecution IN_PROGRESS + statusDetails; ${DURATION_S}s each, alternating"
cat "$TMP/rounds.out"
echo "== (c) open loop at half the median HTTP rate ($HALF/s), $CLIENTS connections"
cat "$TMP/pace.out"
echo "== CPU used by other processes during each phase (2 cores = 200%)"
cat "$TMP/noise.out"
echo "== summary"
awk -v h="$HTTP_RPS" -v p="$PG_TPS" 'BEGIN { printf "median HTTP %d req/s vs median pgbench %d tps: ratio %.2f (goal >= 1.5)\n", h, p, h / p }'
echo "half-load p99: $(awk '/^latency ms:/ {print $8 " ms"}' "$TMP/pace.out") (goal < 25 ms)"
echo "IN_PROGRESS counted $COUNTED of $NTHINGS executions"
