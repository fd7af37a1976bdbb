#!/usr/bin/env bash
# events-bench.sh — what live flow events cost hostflow-probe: packets/s on
# a big capture with --events to /dev/null next to without (issue 18: at
# least 80% kept), and with --events alone (no IPFIX).
#
# Usage: bench/events-bench.sh [N]
#   N          copies for ../shared/bench/make-big-pcap.sh (default 50,
#              about 400 k packets)
# Environment:
#   RUNS=3             interleaved rounds; the best time of each job counts
#   BENCH_OUT=DIR      where the capture and logs are cached (default
#                      bench/out, git-ignored)
#   BUILD_DIR=DIR      release build of hostflow (default build-bench)
#   SHARED=DIR         the shared material (default REPO/../shared)
#   MATCH=EXPR         also a job with --match EXPR (default 'proto tcp')
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
N=${1:-${N:-50}}
RUNS=${RUNS:-3}
OUT=${BENCH_OUT:-$here/out}
BUILD=${BUILD_DIR:-$repo/build-bench}
SHARED=${SHARED:-$repo/../shared}
MATCH=${MATCH:-proto tcp}

die() { echo "events-bench: $*" >&2; exit 1; }
command -v meson >/dev/null || die "meson not found"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$SHARED/bench/make-big-pcap.sh" ] || die "no $SHARED/bench/make-big-pcap.sh (set SHARED=)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ ! -f "$BUILD/build.ninja" ]; then
    echo "== meson setup $BUILD (release)" >&2
    meson setup "$BUILD" "$repo" --buildtype=release >/dev/null
fi
echo "== ninja -C $BUILD hostflow-probe" >&2
ninja -C "$BUILD" probe/hostflow-probe > "$OUT/ninja-events.log" 2>&1 \
    || { tail -n 20 "$OUT/ninja-events.log" >&2; die "build failed"; }
PROBE=$BUILD/probe/hostflow-probe

PCAP=$OUT/big-$N.pcap
if [ ! -s "$PCAP" ]; then
    echo "== building $PCAP ($N copies)" >&2
    "$SHARED/bench/make-big-pcap.sh" "$PCAP.tmp" "$N" >&2
    mv "$PCAP.tmp" "$PCAP"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# jobs: best wall time (us) and best CPU time user+sys (us) over RUNS rounds
declare -A WALL CPU
run_once() {
    local label=$1 t0 t1 dt c u sy
    local -n cmd="CMD_$label"
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$tmp/time" "${cmd[@]}" > "$tmp/$label.log" 2>&1 \
        || { cat "$tmp/$label.log" >&2; die "$label failed: ${cmd[*]}"; }
    t1=$(date +%s%N)
    dt=$(( (t1 - t0) / 1000 ))
    read -r u sy < <(tail -n1 "$tmp/time")
    c=$(awk -v u="$u" -v s="$sy" 'BEGIN{printf "%.0f", (u + s) * 1e6}')
    if [ -z "${WALL[$label]:-}" ] || [ "$dt" -lt "${WALL[$label]}" ]; then WALL[$label]=$dt; fi
    if [ -z "${CPU[$label]:-}" ] || [ "$c" -lt "${CPU[$label]}" ]; then CPU[$label]=$c; fi
    printf '   %-14s wall %7.3f s  cpu %6.2f s\n' "$label" "$(awk -v u="$dt" 'BEGIN{print u/1e6}')" \
        "$(awk -v u="$c" 'BEGIN{print u/1e6}')" >&2
}
field() {   # field LOG NAME: the number after NAME in the -v counters
    sed -n "s/.*\\b$2 \\([0-9][0-9]*\\).*/\\1/p" "$1" | head -n1
}

CMD_ipfix=("$PROBE" -v -r "$PCAP" -o "$tmp/a.ipfix")
CMD_ipfix_events=("$PROBE" -v -r "$PCAP" -o "$tmp/b.ipfix" --events=/dev/null)
CMD_events_only=("$PROBE" -v -r "$PCAP" --events=/dev/null)
CMD_events_match=("$PROBE" -v -r "$PCAP" -o "$tmp/c.ipfix" --events=/dev/null --match "$MATCH")
JOBS=(ipfix ipfix_events events_only events_match)

cat "$PCAP" > /dev/null
echo "== $RUNS rounds of: ${JOBS[*]} on $PCAP" >&2
for ((r = 1; r <= RUNS; r++)); do
    for j in "${JOBS[@]}"; do run_once "$j"; done
done

PKTS=$(field "$tmp/ipfix.log" packets)
[ -n "$PKTS" ] && [ "$PKTS" -gt 0 ] || die "the probe counted no packets"
printf '\n%-14s %10s %12s %10s %12s %9s %9s %8s\n' job wall_s pkts/s cpu_s pkts/s_cpu events delivered drops
for j in "${JOBS[@]}"; do
    ev=$(field "$tmp/$j.log" events); ev=${ev:--}
    de=$(field "$tmp/$j.log" delivered); de=${de:--}
    qd=$(field "$tmp/$j.log" queue_drops); qd=${qd:--}
    awk -v j="$j" -v w="${WALL[$j]}" -v c="${CPU[$j]}" -v p="$PKTS" -v e="$ev" -v d="$de" -v q="$qd" \
        'BEGIN{printf "%-14s %10.3f %12.0f %10.3f %12.0f %9s %9s %8s\n", j, w/1e6, p/(w/1e6), c/1e6, p/(c/1e6), e, d, q}'
done
awk -v a="${WALL[ipfix]}" -v b="${WALL[ipfix_events]}" -v ca="${CPU[ipfix]}" -v cb="${CPU[ipfix_events]}" \
    'BEGIN{printf "\nwith --events=/dev/null: %.0f%% of the packets/s without (wall), %.0f%% (CPU); target >= 80%%\n", 100*a/b, 100*ca/cb}'
echo "packets $PKTS, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
