#!/usr/bin/env bash
# check-src: the grep-level source rules of the house style (reference/aesthetics.md R8, R18,
# DESIGN.md section 1), over every tracked .c/.h file. Comments and string literals are blanked
# before matching, so prose may name a banned function.
#
#   banned functions   sprintf vsprintf strcpy strcat strncat gets atoi atol strtok system
#   direct allocation  malloc calloc realloc reallocarray strdup strndup outside engine/mem.c
#                      (use xmalloc and friends from engine/mem.h)
#   engine purity      engine/ includes no libpq-fe.h, event2/, hiredis or cJSON, and reads no
#                      clock (time, clock_gettime, gettimeofday)
#
# Usage: tools/check-src.sh [files...]   (default: git ls-files '*.c' '*.h'); exit 1 on findings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if (($# > 0)); then
    files=("$@")
elif git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.c' '*.h')
else
    mapfile -t files < <(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
if ((${#files[@]} == 0)); then
    echo "check-src: no C files"
    exit 0
fi

# scan RULE REGEX FILES...: print "file:line: rule: code" for code lines matching REGEX (perl).
scan() {
    perl -e '
        my ($rule, $re) = (shift, shift);
        for my $f (@ARGV) {
            open(my $fh, "<", $f) or die "check-src: $f: $!\n";
            local $/;
            my $src = <$fh>;
            my @orig = split /\n/, $src, -1;
            # blank comments and string/char literals, keeping the line breaks
            $src =~ s{//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'\''(?:\\.|[^'\''\\\n])*'\''}
                     {(my $m = $&) =~ tr/\n//cd; $m}gse;
            my $n = 0;
            for my $line (split /\n/, $src, -1) {
                $n++;
                print "$f:$n: $rule: $orig[$n - 1]\n" if $line =~ /$re/;
            }
        }' "$@"
}

engine=()
others=()
for f in "${files[@]}"; do
    f=${f#./}
    case $f in
    engine/*) engine+=("$f") ;;
    esac
    [[ $f == engine/mem.c ]] || others+=("$f")
done

call='(?<![\w.>])'
findings=$(
    scan "banned function" "${call}(sprintf|vsprintf|strcpy|strcat|strncat|gets|atoi|atol|strtok|system)\s*\(" "${files[@]}"
    if ((${#others[@]} > 0)); then
        scan "allocate through engine/mem.h" "${call}(malloc|calloc|realloc|reallocarray|strdup|strndup)\s*\(" "${others[@]}"
    fi
    if ((${#engine[@]} > 0)); then
        scan "engine reads no clock" "${call}(time|clock_gettime|gettimeofday)\s*\(" "${engine[@]}"
        grep -nHE '^\s*#\s*include\s*[<"](libpq-fe\.h|event2/|event\.h|hiredis|cjson/|cJSON\.h)' \
            "${engine[@]}" | sed 's/^\([^:]*:[0-9]*\):/\1: engine includes no I\/O library: /' || true
    fi
)
if [[ -n $findings ]]; then
    printf '%s\n' "$findings"
    echo "check-src: $(printf '%s\n' "$findings" | wc -l) finding(s) in ${#files[@]} files"
    exit 1
fi
echo "check-src: ${#files[@]} files clean"
