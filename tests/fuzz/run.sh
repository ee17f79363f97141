#!/bin/sh
# Build the libFuzzer harnesses in a build directory and run each for a while (CI calls this).
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS] [NAME...]
#
# BUILD_DIR is configured for fuzzing (clang, OTAD_FUZZ, ASan+UBSan) when it has no
# CMakeCache.txt yet; an existing one must already have OTAD_FUZZ=ON. SECONDS (default 30, or
# $FUZZ_SECONDS) is the run time of each harness; NAMEs (e.g. "query cron") pick harnesses,
# all tests/fuzz/fuzz_*.c by default. The committed seeds tests/fuzz/corpus/<name>/ are only
# read: new inputs go to BUILD_DIR/fuzz/corpus/<name>/, crashes to BUILD_DIR/fuzz/artifacts/.
# Exits non-zero if any harness found a crash, a leak or a timeout.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [SECONDS] [NAME...]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
build=$1
shift
secs=${FUZZ_SECONDS:-30}
if [ $# -ge 1 ]; then
    secs=$1
    shift
fi
case $secs in
'' | *[!0-9]*) usage ;;
esac
src=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -f "$build/CMakeCache.txt" ]; then
    CC=${CC:-clang} cmake -S "$src" -B "$build" -DOTAD_FUZZ=ON \
        -DOTAD_SANITIZE="address;undefined" -DOTAD_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
elif ! grep -q '^OTAD_FUZZ:BOOL=ON$' "$build/CMakeCache.txt"; then
    echo "$0: $build is not configured with -DOTAD_FUZZ=ON" >&2
    exit 2
fi

names=$*
if [ -z "$names" ]; then
    for f in "$src"/tests/fuzz/fuzz_*.c; do
        n=${f##*/fuzz_}
        names="$names ${n%.c}"
    done
fi
targets=
for n in $names; do
    targets="$targets fuzz_$n"
done
# shellcheck disable=SC2086 # one word per target
cmake --build "$build" -j2 --target $targets

failed=
for n in $names; do
    corpus=$build/fuzz/corpus/$n
    artifacts=$build/fuzz/artifacts/$n/
    mkdir -p "$corpus" "$artifacts"
    set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts"
    if [ -f "$src/tests/fuzz/$n.dict" ]; then
        set -- "$@" -dict="$src/tests/fuzz/$n.dict"
    fi
    set -- "$@" "$corpus"
    if [ -d "$src/tests/fuzz/corpus/$n" ]; then
        set -- "$@" "$src/tests/fuzz/corpus/$n"
    fi
    echo "== fuzz_$n for ${secs}s"
    if ! "$build/fuzz_$n" "$@"; then
        echo "== fuzz_$n FAILED; reproducer(s) in $artifacts" >&2
        failed="$failed $n"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed" >&2
    exit 1
fi
echo "fuzzing: all harnesses ran ${secs}s without findings"
