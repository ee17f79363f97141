#!/usr/bin/env bash
# check-format: fail when a tracked .c/.h file is not as clang-format (the repo's .clang-format)
# would write it (reference/aesthetics.md R16).
#
# Usage: tools/check-format.sh [--fix] [files...]   (default: git ls-files '*.c' '*.h');
#        --fix rewrites the files in place. CLANG_FORMAT overrides the binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
clang_format=${CLANG_FORMAT:-clang-format}

fix=0
if [[ ${1:-} == --fix ]]; then
    fix=1
    shift
fi
if (($# > 0)); then
    files=("$@")
elif git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.c' '*.h')
else
    mapfile -t files < <(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
if ((${#files[@]} == 0)); then
    echo "check-format: no C files"
    exit 0
fi
if ((fix)); then
    "$clang_format" -i "${files[@]}"
    echo "check-format: formatted ${#files[@]} files"
    exit 0
fi

bad=()
for f in "${files[@]}"; do
    if ! out=$("$clang_format" --dry-run -Werror "$f" 2>&1); then
        bad+=("$f")
        printf '%s\n' "$out" | head -n 12
    fi
done
if ((${#bad[@]} > 0)); then
    echo "check-format: ${#bad[@]} of ${#files[@]} files need formatting (tools/check-format.sh --fix):"
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
