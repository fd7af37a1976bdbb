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
#   BASE_PROBE=PATH    another hostflow-probe (say, a build of main) run in
#                      the same rounds, interleaved, without and with events:
#                      an A/B on the same input and the same machine load
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
command -v python3 >/dev/null || die "python3 not found"
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

# jobs: best wall time (us) and best CPU time user+sys of all threads (us,
# from the kernel's rusage: /usr/bin/time prints it to 10 ms only) over
# RUNS rounds
declare -A WALL CPU
run_once() {
    local label=$1 dt c
    local -n cmd="CMD_$label"
    python3 - "$tmp/time" "$tmp/$label.log" "${cmd[@]}" <<'PY' \
        || { cat "$tmp/$label.log" >&2; die "$label failed: ${cmd[*]}"; }
import resource, subprocess, sys, time
out, log, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
with open(log, "w") as f:
    rc = subprocess.call(argv, stdout=f, stderr=subprocess.STDOUT)
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as f:
    f.write("%d %d\n" % (wall * 1e6, (r.ru_utime + r.ru_stime) * 1e6))
sys.exit(rc)
PY
    read -r dt c < "$tmp/time"
    if [ -z "${WALL[$label]:-}" ] || [ "$dt" -lt "${WALL[$label]}" ]; then WALL[$label]=$dt; fi
    if [ -z "${CPU[$label]:-}" ] || [ "$c" -lt "${CPU[$label]}" ]; then CPU[$label]=$c; fi
    printf '   %-18s wall %7.3f s  cpu %6.3f s\n' "$label" "$(awk -v u="$dt" 'BEGIN{print u/1e6}')" \
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
if [ -n "${BASE_PROBE:-}" ]; then
    [ -x "$BASE_PROBE" ] || die "BASE_PROBE=$BASE_PROBE is not an executable"
    CMD_base_ipfix=("$BASE_PROBE" -v -r "$PCAP" -o "$tmp/d.ipfix")
    CMD_base_ipfix_events=("$BASE_PROBE" -v -r "$PCAP" -o "$tmp/e.ipfix" --events=/dev/null)
    JOBS=(base_ipfix base_ipfix_events "${JOBS[@]}")
fi

cat "$PCAP" > /dev/null
echo "== $RUNS rounds of: ${JOBS[*]} on $PCAP" >&2
for ((r = 1; r <= RUNS; r++)); do
    for j in "${JOBS[@]}"; do run_once "$j"; done
done

PKTS=$(field "$tmp/ipfix.log" packets)
[ -n "$PKTS" ] && [ "$PKTS" -gt 0 ] || die "the probe counted no packets"
printf '\n%-18s %10s %12s %10s %12s %9s %9s %8s\n' job wall_s pkts/s cpu_s pkts/s_cpu events delivered drops
for j in "${JOBS[@]}"; do
    ev=$(field "$tmp/$j.log" events); ev=${ev:--}
    de=$(field "$tmp/$j.log" delivered); de=${de:--}
    qd=$(field "$tmp/$j.log" queue_drops); qd=${qd:--}
    awk -v j="$j" -v w="${WALL[$j]}" -v c="${CPU[$j]}" -v p="$PKTS" -v e="$ev" -v d="$de" -v q="$qd" \
        'BEGIN{printf "%-18s %10.3f %12.0f %10.3f %12.0f %9s %9s %8s\n", j, w/1e6, p/(w/1e6), c/1e6, p/(c/1e6), e, d, q}'
done
ratio() {   # ratio LABEL A B: packets/s of job B as a share of job A's
    awk -v l="$1" -v a="${WALL[$2]}" -v b="${WALL[$3]}" -v ca="${CPU[$2]}" -v cb="${CPU[$3]}" \
        'BEGIN{printf "%s: %.0f%% of the packets/s without (wall), %.0f%% (CPU); target >= 80%%\n", l, 100*a/b, 100*ca/cb}'
}
echo
ratio "with --events=/dev/null" ipfix ipfix_events
if [ -n "${BASE_PROBE:-}" ]; then
    ratio "BASE_PROBE with --events=/dev/null" base_ipfix base_ipfix_events
    awk -v a="${CPU[base_ipfix_events]}" -v b="${CPU[ipfix_events]}" -v wa="${WALL[base_ipfix_events]}" \
        -v wb="${WALL[ipfix_events]}" -v na="${CPU[base_ipfix]}" -v nb="${CPU[ipfix]}" \
        'BEGIN{printf "this probe / BASE_PROBE, with events: CPU %.2f, wall %.2f; without: CPU %.2f\n", b/a, wb/wa, nb/na}'
fi
echo "packets $PKTS, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
