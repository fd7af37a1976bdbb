#!/usr/bin/env bash
# web-bench.sh — hostflow-web under load on loopback (wrk --latency):
# requests/s and latency p50/p99 of the overview (RRD graphs' page), a
# details query over the store (six top-N queries) and a JSON export.
# Not a test: it prints numbers and asserts nothing.
#
# Usage: bench/web-bench.sh
# Environment:
#   BUILD=build            build directory (hostflow-web, hostflow-probe);
#                          a build without sanitizers gives the real numbers
#   STORE=                 a store to serve; default: tests/web_view.py's
#                          (the shared captures as slot files, crafted
#                          records, RRDs made with rrdtool) in a temp dir
#   CONNS=50               wrk connections
#   DURATION=10            seconds per endpoint
#   THREADS=2              wrk threads
#   WEB_ARGS=              more hostflow-web options, e.g. "--max-queries 8":
#                          by default 2 queries run at once and the others
#                          are refused with 503 (counted in non2xx; 200/s is
#                          the rate of answers with data)
#   HF_PCAPS               captures for the default store
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${BUILD:-$SRC/build}" && pwd)
WEB=${HF_WEB:-$BUILD/web/hostflow-web}
CONNS=${CONNS:-50}
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is not installed (packaging/install-deps.sh)" >&2; exit 1; }
[ -x "$WEB" ] || { echo "no $WEB: build first" >&2; exit 1; }

tmp=$(mktemp -d /tmp/hfwebbench-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${STORE:-}" ]; then
    STORE=$(HF_SRC=$SRC HF_BUILD=$BUILD python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import hftest, web_view
check = hftest.Check("web-bench store")
print(web_view.build_store(check, sys.argv[2]))
if check.failures:
    sys.exit(1)' "$SRC/tests" "$tmp" | tail -1)
fi
echo "store: $STORE"

# librrd and fontconfig keep caches: no leak report at exit for a sanitized build
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$WEB" -w "$STORE" -l 127.0.0.1:0 ${WEB_ARGS:-} \
    >"$tmp/web.out" 2>"$tmp/web.err" &
pid=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$tmp/web.out" 2>/dev/null && break
    sleep 0.1
done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/web.out" | head -1)
[ -n "$port" ] || { echo "hostflow-web did not start:" >&2; cat "$tmp/web.err" >&2; exit 1; }
base=http://127.0.0.1:$port
wide='from=1970-01-01T00:00:00Z&to=2100-01-01T00:00:00Z'

printf '%-12s %10s %10s %10s %10s %8s %8s\n' endpoint 'req/s' '200/s' p50 p99 non2xx errors
for e in "overview|/" \
         "details|/details?$wide" \
         "top.json|/api/top.json?$wide&by=hostname&n=100"; do
    name=${e%%|*} path=${e#*|}
    status=$(curl -s -o /dev/null -w '%{http_code}' "$base$path" 2>/dev/null || echo '?')
    [ "$status" = 200 ] || echo "  $name: first answer $status" >&2
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$base$path")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
    errs=$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    secs=$(awk '/requests in/ {sub(/s,?$/, "", $4); print $4}' <<<"$out")
    okps=$(awk -v n="$n" -v b="${non2xx:-0}" -v d="$secs" 'BEGIN {printf "%.2f", (n - b) / d}')
    printf '%-12s %10s %10s %10s %10s %8s %8s\n' "$name" "$rps" "$okps" "$p50" "$p99" \
        "${non2xx:-0}" "${errs:-0}"
done
echo "($CONNS connections, ${DURATION} s each, $THREADS wrk threads, loopback;" \
     "$(basename "$BUILD")${WEB_ARGS:+; $WEB_ARGS}; non2xx: 503 when busy)"
