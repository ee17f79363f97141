#!/usr/bin/env bash
# dev.sh: the development environment in one command.
#
#   deploy/dev.sh up     install what is missing, build, start a private PostgreSQL and Redis
#                        under .run/ (unix sockets only, no system service touched), migrate,
#                        start otad on 127.0.0.1:8080 in the background, run deploy/demo.py,
#                        then the live demo: otasim load runs deploy/demo-fleet.json (1,000
#                        simulated devices, exponential ramp, failures and retries) through
#                        that otad with its clock accelerated, prints the report and writes
#                        the chart to .run/demo-fleet.svg
#   deploy/dev.sh test   install what is missing, build with -Werror, install the Node SDK test
#                        packages, run every test layer with ctest (extra arguments go to
#                        ctest; default -LE soak). Needs no `up`: tests start their own servers.
#   deploy/dev.sh down   stop what `up` started (the data stays in .run/; rm -rf .run wipes it)
#   deploy/dev.sh deps   only install what is missing
#
# Installing needs Debian and root (one apt-get update, then apt-get install -y of the missing
# packages only). As root, the PostgreSQL programs run as the postgres user.
# Environment: OTAD_BUILD_DIR (default build), OTAD_DEV_LISTEN (default 127.0.0.1:8080),
# OTAD_AUTH / OTAD_CREDENTIALS for the dev otad (default sigv4 with the example key pair
# AKIDEXAMPLE that demo.py and the printed aws/boto3 examples sign with),
# OTAD_DEV_TIME_SCALE (default 20): the dev otad's OTAD_TIME_SCALE, its clock runs that many
# times faster than real time (1 = real time; an otad already running with another scale is
# restarted), OTAD_DEV_LIVE_DEMO (default 1; 0 skips the otasim live demo),
# JOBS (build parallelism, default nproc), CTEST_PARALLEL_LEVEL (default JOBS).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${OTAD_BUILD_DIR:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
RUN=$ROOT/.run
LISTEN=${OTAD_DEV_LISTEN:-127.0.0.1:8080}
JOBS=${JOBS:-$(nproc)}
PACKAGES=(build-essential cmake pkg-config libevent-dev libpq-dev libhiredis-dev libcjson-dev
    check libssl-dev postgresql redis-server python3 clang clang-format libclang-rt-14-dev
    nodejs npm curl)
FAKE_KEY=AKIDEXAMPLE
FAKE_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
AUTH=${OTAD_AUTH:-sigv4}
CREDENTIALS=${OTAD_CREDENTIALS:-$FAKE_KEY:$FAKE_SECRET}
TIME_SCALE=${OTAD_DEV_TIME_SCALE:-20}
LIVE_DEMO=${OTAD_DEV_LIVE_DEMO:-1}

say() { printf 'dev.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}
is_root() { [[ $(id -u) == 0 ]]; }

# wait_until SECONDS WHAT CMD...: poll CMD until it succeeds, fail after SECONDS.
wait_until() {
    local limit=$1 what=$2
    local deadline=$((SECONDS + limit))
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || die "$what: not ready after ${limit} s"
        sleep 0.1
    done
}

# --- packages ------------------------------------------------------------------------------

apt_updated=0
apt_install() {
    is_root || die "missing: $* (run as root, or install them)"
    export DEBIAN_FRONTEND=noninteractive
    if ((!apt_updated)); then
        apt-get update -q
        apt_updated=1
    fi
    apt-get install -y -q "$@"
}

# present PACKAGE: dpkg has it, or, for node and npm (which may come from elsewhere, e.g. a
# nodejs build that bundles npm and conflicts with Debian's npm), the command is on PATH.
present() {
    case $1 in
    nodejs) command -v node >/dev/null && return 0 ;;
    npm) command -v npm >/dev/null && return 0 ;;
    esac
    dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

deps() {
    if ! command -v dpkg-query >/dev/null; then
        say "not Debian: make sure these are installed: ${PACKAGES[*]}"
        return 0
    fi
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        present "$p" || missing+=("$p")
    done
    if ((${#missing[@]} > 0)); then
        say "installing ${missing[*]}"
        apt_install "${missing[@]}"
    fi
    if ! python3 -c 'import boto3' 2>/dev/null; then
        say "python3 cannot import boto3: installing python3-boto3"
        apt_install python3-boto3
    fi
}

# --- build ---------------------------------------------------------------------------------

build() {
    cmake -S "$ROOT" -B "$BUILD" -DOTAD_WERROR=ON >/dev/null
    cmake --build "$BUILD" -j "$JOBS"
}

node_deps() {
    local dir=$ROOT/tests/sdk/node
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        say "node or npm missing: the Node SDK tests cannot run"
        return 0
    fi
    [[ -f $dir/package-lock.json ]] || return 0
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    ((major >= 20)) || say "node $major: the locked @aws-sdk clients ask for node >= 20"
    if [[ ! -f $dir/node_modules/.package-lock.json ||
        $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
        say "installing the Node SDK test packages"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

# --- private PostgreSQL and Redis under .run/ ----------------------------------------------

pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d ]] || d=$(dirname "$(command -v initdb || echo /initdb-not-found)")
    [[ -x $d/initdb ]] || die "initdb not found (install postgresql)"
    printf '%s\n' "$d"
}

# Run a PostgreSQL program as postgres when root (PostgreSQL refuses to run as root).
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Sets SOCK (both servers' sockets), PGDATA and PGLOG. They live in .run/ unless the postgres
# user cannot reach it (a repo under /root) or the socket path would be too long: then in
# /tmp/otad-dev-<hash>, linked from .run/.
run_dirs() {
    mkdir -p "$RUN/redis"
    if [[ -L $RUN/pg ]]; then
        PGDATA=$(readlink "$RUN/pg")
        SOCK=$(readlink "$RUN/sock")
        PGLOG=$(readlink "$RUN/postgres.log")
        return
    fi
    SOCK=$RUN/sock PGDATA=$RUN/pg PGLOG=$RUN/postgres.log
    ((${#SOCK} <= 90)) && pg_can_use "$RUN" && return
    local alt
    alt=/tmp/otad-dev-$(printf '%s' "$ROOT" | cksum | cut -d ' ' -f 1)
    say "the postgres user cannot use $RUN (unreachable or too long a path): data in $alt"
    pg_can_use "$alt" || die "cannot prepare $alt for postgres"
    rm -rf "$RUN/sock" "$RUN/pg" "$RUN/postgres.log"
    ln -s "$alt/sock" "$RUN/sock"
    ln -s "$alt/pg" "$RUN/pg"
    ln -s "$alt/postgres.log" "$RUN/postgres.log"
    SOCK=$alt/sock PGDATA=$alt/pg PGLOG=$alt/postgres.log
}

# pg_can_use DIR: make DIR/sock, DIR/pg and DIR/postgres.log usable by postgres; succeed if
# postgres can then write to them.
pg_can_use() {
    local dir=$1
    mkdir -p "$dir/sock" "$dir/pg"
    touch "$dir/postgres.log"
    chmod 700 "$dir/pg"
    if is_root; then
        chown postgres: "$dir/sock" "$dir/pg" "$dir/postgres.log"
        runuser -u postgres -- test -w "$dir/sock" -a -w "$dir/pg" -a -w "$dir/postgres.log" \
            2>/dev/null
    fi
}

pg_conninfo() { printf 'host=%s dbname=otad user=otad\n' "$SOCK"; }

pg_up() {
    local bin
    bin=$(pg_bindir)
    if [[ ! -f $PGDATA/PG_VERSION ]]; then
        say "postgres: initdb $PGDATA"
        as_pg "$bin/initdb" -D "$PGDATA" -U otad -A trust -E UTF8 --no-locale >/dev/null
        printf "\n# dev.sh\nlisten_addresses = ''\nunix_socket_directories = '%s'\n" "$SOCK" |
            as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
    fi
    if as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        say "postgres: already running"
    else
        as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null ||
            die "postgres did not start; see $PGLOG"
    fi
    if [[ -z $(psql -X -qtA -d "host=$SOCK dbname=postgres user=otad" \
        -c "SELECT 1 FROM pg_database WHERE datname = 'otad'") ]]; then
        psql -X -q -d "host=$SOCK dbname=postgres user=otad" -c 'CREATE DATABASE otad'
    fi
}

pg_down() {
    local bin
    bin=$(pg_bindir)
    if [[ -f $PGDATA/PG_VERSION ]] && as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
        say "postgres: stopped"
    fi
}

redis_ping() { [[ -S $SOCK/redis.sock && $(redis-cli -s "$SOCK/redis.sock" ping 2>/dev/null) == PONG ]]; }
redis_gone() { ! redis_ping; }

redis_up() {
    if redis_ping; then
        say "redis: already running"
        return
    fi
    redis-server --port 0 --unixsocket "$SOCK/redis.sock" --unixsocketperm 700 \
        --dir "$RUN/redis" --save '' --appendonly no --daemonize yes \
        --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
    wait_until 30 redis redis_ping
}

redis_down() {
    if redis_ping; then
        redis-cli -s "$SOCK/redis.sock" shutdown nosave >/dev/null 2>&1 || true
        wait_until 30 "redis shutdown" redis_gone
        say "redis: stopped"
    fi
}

# --- otad ----------------------------------------------------------------------------------

otad_pid() {
    local pid
    [[ -f $RUN/otad.pid ]] || return 1
    pid=$(cat "$RUN/otad.pid")
    kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

otad_ready() {
    otad_pid >/dev/null || die "otad exited; see $RUN/otad.log"
    curl -fsS -o /dev/null --max-time 2 "http://$LISTEN/readyz" 2>/dev/null
}

otad_up() {
    local pid
    if pid=$(otad_pid); then
        if [[ $(cat "$RUN/otad.time-scale" 2>/dev/null) == "$TIME_SCALE" ]]; then
            say "otad: already running (pid $pid, time scale $TIME_SCALE)"
            return
        fi
        say "otad: running with another time scale: restarting it with $TIME_SCALE"
        otad_down
    fi
    if curl -s -o /dev/null --max-time 2 "http://$LISTEN/healthz"; then
        die "something that is not our otad already answers on $LISTEN"
    fi
    [[ -x $BUILD/otad ]] || die "$BUILD/otad is not built"
    say "otad: migrate"
    "$BUILD/otad" migrate --pg "$(pg_conninfo)"
    say "otad: start on $LISTEN (time scale $TIME_SCALE)"
    OTAD_AUTH=$AUTH OTAD_CREDENTIALS=$CREDENTIALS OTAD_TIME_SCALE=$TIME_SCALE \
        setsid "$BUILD/otad" --listen "$LISTEN" --pg "$(pg_conninfo)" \
        --redis "$SOCK/redis.sock" --no-migrate </dev/null >>"$RUN/otad.log" 2>&1 &
    echo $! >"$RUN/otad.pid"
    echo "$TIME_SCALE" >"$RUN/otad.time-scale"
    wait_until 30 otad otad_ready
}

otad_down() {
    local pid
    if pid=$(otad_pid); then
        kill -TERM "$pid"
        local deadline=$((SECONDS + 10))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        say "otad: stopped"
    fi
    rm -f "$RUN/otad.pid" "$RUN/otad.time-scale"
}

# The live demo: otasim load drives deploy/demo-fleet.json's 1,000 devices through our otad.
live_demo() {
    local keys=()
    [[ $AUTH == sigv4 ]] && keys=(--access-key "${CREDENTIALS%%:*}" --secret-key "${CREDENTIALS#*:}")
    say "live demo: 1,000 simulated devices through otad (clock x$TIME_SCALE), about" \
        "$((650 / TIME_SCALE + 5)) s"
    "$BUILD/otasim" load --endpoint "http://$LISTEN" --redis "$SOCK/redis.sock" \
        --scenario "$ROOT/deploy/demo-fleet.json" --time-scale "$TIME_SCALE" "${keys[@]}" \
        --timeline "$RUN/demo-fleet.csv" --svg "$RUN/demo-fleet.svg"
    say "live demo: chart $RUN/demo-fleet.svg, timeline $RUN/demo-fleet.csv" \
        "(the same scenario in virtual time: $BUILD/otasim rollout --scenario deploy/demo-fleet.json)"
}

# --- commands ------------------------------------------------------------------------------

cmd_up() {
    deps
    build
    run_dirs
    pg_up
    redis_up
    otad_up
    cat <<EOF

otad is up: http://$LISTEN (auth: $AUTH, clock x$TIME_SCALE: OTAD_DEV_TIME_SCALE=1 for real time)
  aws CLI:  AWS_ACCESS_KEY_ID=$FAKE_KEY AWS_SECRET_ACCESS_KEY=$FAKE_SECRET \\
              aws iot-managed-integrations list-ota-task-configurations \\
              --endpoint-url http://$LISTEN --region us-east-1
  boto3:    boto3.client("iot-managed-integrations", endpoint_url="http://$LISTEN",
              region_name="us-east-1", aws_access_key_id="$FAKE_KEY",
              aws_secret_access_key="$FAKE_SECRET")
  database: psql "$(pg_conninfo)"
  redis:    redis-cli -s $SOCK/redis.sock
  logs:     $RUN/otad.log $PGLOG $RUN/redis.log
  stop:     deploy/dev.sh down

EOF
    python3 "$ROOT/deploy/demo.py" "http://$LISTEN"
    if [[ $LIVE_DEMO != 0 ]]; then
        live_demo
    fi
}

cmd_test() {
    deps
    build
    node_deps
    (($# > 0)) || set -- -LE soak
    cd "$BUILD"
    ctest --output-on-failure -j "${CTEST_PARALLEL_LEVEL:-$JOBS}" "$@"
}

cmd_down() {
    [[ -d $RUN ]] || return 0
    run_dirs
    otad_down
    redis_down
    pg_down
}

case ${1:-} in
up) cmd_up ;;
test)
    shift
    cmd_test "$@"
    ;;
down) cmd_down ;;
deps) deps ;;
*)
    echo "usage: deploy/dev.sh up | test [ctest args...] | down | deps" >&2
    echo "  environment: OTAD_DEV_TIME_SCALE (20: the dev otad's clock runs 20x; 1 = real time)," >&2
    echo "  OTAD_DEV_LIVE_DEMO (1; 0 skips the otasim live demo of up), OTAD_DEV_LISTEN," >&2
    echo "  OTAD_AUTH, OTAD_CREDENTIALS, OTAD_BUILD_DIR, JOBS (see the header of deploy/dev.sh)" >&2
    exit 2
    ;;
esac
