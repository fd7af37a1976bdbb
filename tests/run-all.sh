#!/bin/sh
# The test command: installs dependencies, builds hostflow twice (gcc with
# ASan/UBSan for the suite, clang for the libFuzzer targets), runs every
# test, and ends with one line "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
if [ "${HF_SKIP_DEPS:-0}" != 1 ]; then
    sh packaging/install-deps.sh
fi

asan=build-asan
[ -d $asan ] || meson setup $asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
# ninja prints compiler errors on standard output: show them when it fails
build() { meson compile -C "$1" >"$1/compile.log" 2>&1 || { cat "$1/compile.log"; exit 1; }; }
build $asan

builds="$asan"
if command -v clang >/dev/null 2>&1; then
    fuzz=build-fuzz
    [ -d $fuzz ] || CC=clang meson setup $fuzz -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
    build $fuzz
    builds="$builds $fuzz"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
# a missing cross-check tool (tshark, nfcapd, softflowd...) fails its test
# here instead of skipping it: a green run means the oracles ran
export HF_REQUIRE_TOOLS=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0 failed=0 skipped=0
for b in $builds; do
    suite=""
    [ "$b" = "$asan" ] || suite="--suite fuzz"   # the fuzz build runs only its fuzzers
    meson test -C "$b" $suite --print-errorlogs --num-processes 2 || true
    # count from meson's own log, so the line matches what ran
    set -- $(python3 "$root/tests/count_results.py" "$b/meson-logs/testlog.json")
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
