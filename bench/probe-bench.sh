#!/usr/bin/env bash
# probe-bench.sh — throughput and memory of hostflow-probe on a big capture,
# against a bare libpcap read loop (the floor) and softflowd.
#
# Usage: bench/probe-bench.sh [N]
#   N          copies for ../shared/bench/make-big-pcap.sh (default 200,
#              about 1.6 M packets / 1.2 GB)
# Environment:
#   RUNS=3             runs per measurement; the best wall time counts
#   BENCH_OUT=DIR      where the capture, the floor binary and logs are
#                      cached (default bench/out, git-ignored)
#   BUILD_DIR=DIR      release build of hostflow (default build-bench)
#   SHARED=DIR         the shared material (default REPO/../shared)
#   SKIP_SOFTFLOWD=1   leave softflowd out
#   PROFILE=1          also run callgrind on a small capture (PROFILE_N=5
#                      copies) and print the hottest functions
#
# All traffic stays on 127.0.0.1: exports go to a local python UDP sink.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
N=${1:-${N:-200}}
RUNS=${RUNS:-3}
OUT=${BENCH_OUT:-$here/out}
BUILD=${BUILD_DIR:-$repo/build-bench}
SHARED=${SHARED:-$repo/../shared}
PROFILE=${PROFILE:-0}
PROFILE_N=${PROFILE_N:-5}

die() { echo "probe-bench: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}"; }

need meson; need ninja; need cc; need python3
need tcprewrite "apt-get install tcpreplay"
need mergecap "apt-get install wireshark-common"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
[ -x "$SHARED/bench/make-big-pcap.sh" ] || die "no $SHARED/bench/make-big-pcap.sh (set SHARED=)"
if [ "${SKIP_SOFTFLOWD:-0}" != 1 ]; then need softflowd "apt-get install softflowd, or SKIP_SOFTFLOWD=1"; fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# ---- builds ---------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
    echo "== meson setup $BUILD (release)" >&2
    meson setup "$BUILD" "$repo" --buildtype=release >/dev/null
fi
echo "== ninja -C $BUILD" >&2
PROBE=$BUILD/probe/hostflow-probe
if ! ninja -C "$BUILD" probe/hostflow-probe > "$OUT/ninja.log" 2>&1; then
    # others edit probe/ concurrently: a half-done edit must not stop the
    # bench if an earlier binary exists (STRICT_BUILD=1 makes it fatal)
    if [ "${STRICT_BUILD:-0}" = 1 ] || [ ! -x "$PROBE" ]; then
        tail -n 20 "$OUT/ninja.log" >&2; die "build failed (see $OUT/ninja.log)"
    fi
    echo "probe-bench: WARNING: build failed (see $OUT/ninja.log); using the existing $PROBE from $(date -r "$PROBE" '+%F %T')" >&2
    BUILD_WARN="stale binary: build of the working tree failed, benchmarked $PROBE built $(date -r "$PROBE" '+%F %T')"
fi

FLOOR=$OUT/pcap_floor
if [ ! -x "$FLOOR" ] || [ "$here/pcap_floor.c" -nt "$FLOOR" ]; then
    cc -O2 -o "$FLOOR" "$here/pcap_floor.c" -lpcap || die "cannot build pcap_floor"
fi

make_pcap() {   # make_pcap COPIES -> path of the cached capture
    local f=$OUT/big-$1.pcap
    if [ ! -s "$f" ]; then
        echo "== building $f ($1 copies)" >&2
        "$SHARED/bench/make-big-pcap.sh" "$f.tmp" "$1" >&2
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
PCAP=$(make_pcap "$N")

tmp=$(mktemp -d)
sink_pid=
cleanup() {
    if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- helpers --------------------------------------------------------------
# measure LABEL CMD... : runs CMD RUNS times; sets BEST (s), RSS (KiB, max
# over runs) and leaves the last run's stdout+stderr in $tmp/LABEL.log.
declare -A WALL MEM
measure() {
    local label=$1; shift
    local best= rss=0 i t0 t1 dt m
    for ((i = 1; i <= RUNS; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -f %M -o "$tmp/rss" "$@" > "$tmp/$label.log" 2>&1 \
            || { cat "$tmp/$label.log" >&2; die "$label failed"; }
        t1=$(date +%s%N)
        dt=$(( (t1 - t0) / 1000 ))                  # microseconds
        m=$(tail -n1 "$tmp/rss")
        if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then best=$dt; fi
        if [ "$m" -gt "$rss" ]; then rss=$m; fi
        printf '   %-22s run %d: %7.3f s  %7d KiB\n' "$label" "$i" \
            "$(awk -v u="$dt" 'BEGIN{print u/1e6}')" "$m" >&2
    done
    WALL[$label]=$best
    MEM[$label]=$rss
}

start_sink() {
    rm -f "$tmp/port"
    python3 "$here/udp_sink.py" "$tmp/port" > "$tmp/sink.out" &
    sink_pid=$!
    for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
    [ -s "$tmp/port" ] || die "UDP sink did not start"
    PORT=$(cat "$tmp/port")
}
stop_sink() {   # prints "datagrams N bytes B"
    sleep 0.3
    kill -TERM "$sink_pid"; wait "$sink_pid" || true; sink_pid=
    cat "$tmp/sink.out"
}

probe_field() { # probe_field LOG NAME -> value from the -v counters line
    sed -n "s/.*\\b$2 \\([0-9][0-9]*\\).*/\\1/p" "$1" | tail -n1
}

# ---- measurements ---------------------------------------------------------
echo "== warming the page cache: $PCAP ($(du -h "$PCAP" | cut -f1))" >&2
cat "$PCAP" > /dev/null

echo "== floor: libpcap read loop" >&2
measure floor "$FLOOR" "$PCAP"
PKTS=$(sed -n 's/^packets \([0-9]*\).*/\1/p' "$tmp/floor.log")
[ -n "$PKTS" ] && [ "$PKTS" -gt 0 ] || die "floor counted no packets"

SF_NOTE=
if [ "${SKIP_SOFTFLOWD:-0}" != 1 ]; then
    echo "== softflowd -r (IPFIX over UDP to the sink)" >&2
    start_sink
    # -d: stay in the foreground; with -r softflowd reads the whole file,
    # flushes every flow at EOF and exits.
    measure softflowd softflowd -d -v 10 -r "$PCAP" -n "127.0.0.1:$PORT" \
        -c "$tmp/softflowd.ctl" -p "$tmp/softflowd.pid"
    SF_SINK=$(stop_sink)
    sf_proc=$(sed -n 's/^Packets processed: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    sf_ign=$(sed -n 's/^Ignored packets: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    sf_flows=$(sed -n 's/^Flows exported: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    grep -q 'Shutting down after pcap EOF' "$tmp/softflowd.log" \
        || die "softflowd did not reach EOF: $(cat "$tmp/softflowd.log")"
    if [ $((sf_proc + sf_ign)) -ne "$PKTS" ]; then
        die "softflowd saw $((sf_proc + sf_ign)) packets, floor $PKTS"
    fi
    SF_NOTE="softflowd: $sf_proc IP packets, $sf_ign ignored, $sf_flows flows exported (biflow-ish, default -m 8192); sink per run: $SF_SINK (x$RUNS)"
fi

echo "== hostflow-probe -o FILE" >&2
measure probe_file "$PROBE" -v -r "$PCAP" -o "$tmp/x.ipfix"
P_LOG=$tmp/probe_file.log
p_pkts=$(probe_field "$P_LOG" packets)
[ "$p_pkts" = "$PKTS" ] || die "probe read $p_pkts packets, floor $PKTS: $(cat "$P_LOG")"
PEAK=$(probe_field "$P_LOG" peak_flows)
P_FLOWS=$(probe_field "$P_LOG" flows)
P_RECS=$(probe_field "$P_LOG" records)
P_IPFIX=$(stat -c %s "$tmp/x.ipfix")

echo "== hostflow-probe -c 127.0.0.1:PORT (UDP to the sink)" >&2
start_sink
measure probe_udp "$PROBE" -v -r "$PCAP" -c "127.0.0.1:$PORT"
P_SINK=$(stop_sink)
u_err=$(probe_field "$tmp/probe_udp.log" export_errors)

echo "== hostflow-probe --max-flows 1000 -o FILE" >&2
measure probe_cap1000 "$PROBE" -v --max-flows 1000 -r "$PCAP" -o "$tmp/y.ipfix"
PEAK_CAP=$(probe_field "$tmp/probe_cap1000.log" peak_flows)
EVICT_CAP=$(probe_field "$tmp/probe_cap1000.log" evicted)

# ---- report ---------------------------------------------------------------
pps() { awk -v p="$PKTS" -v u="$1" 'BEGIN{printf "%.0f", p / (u / 1e6)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b / a}'; }  # wall b/a = pps a/b

echo
echo "hostflow probe benchmark — $(basename "$PCAP"): $PKTS packets, $(du -h "$PCAP" | cut -f1); best of $RUNS; $(nproc) CPUs; $(uname -m)"
printf '%-30s %10s %12s %10s %9s %9s\n' run "wall s" "packets/s" "RSS MiB" "/softfl" "/floor"
row() { # row LABEL KEY
    local k=$2 u=${WALL[$2]} sf=- fl
    if [ -n "${WALL[softflowd]:-}" ]; then sf=$(ratio "$u" "${WALL[softflowd]}"); fi
    fl=$(ratio "$u" "${WALL[floor]}")
    printf '%-30s %10.3f %12s %10.1f %9s %9s\n' "$1" \
        "$(awk -v u="$u" 'BEGIN{print u/1e6}')" "$(pps "$u")" \
        "$(awk -v m="${MEM[$k]}" 'BEGIN{print m/1024}')" "$sf" "$fl"
}
row "floor (pcap_dispatch only)" floor
if [ -n "${WALL[softflowd]:-}" ]; then row "softflowd -v10 -n udp" softflowd; fi
row "hostflow-probe -o file" probe_file
row "hostflow-probe -c udp" probe_udp
row "hostflow-probe --max-flows 1000" probe_cap1000
echo
awk -v r="${MEM[probe_file]}" -v p="$PEAK" -v rc="${MEM[probe_cap1000]}" -v pc="$PEAK_CAP" 'BEGIN{
    printf "memory: peak_flows %d -> RSS %.1f MiB = %.0f B per active flow (whole RSS)\n", p, r/1024, r*1024/p;
    if (p > pc) printf "        marginal (RSS - RSS@max-flows 1000) / (peak - %d) = %.0f B per flow\n", pc, (r-rc)*1024/(p-pc);
    printf "        --max-flows 1000: peak_flows %d, RSS %.1f MiB (bounded)\n", pc, rc/1024 }'
echo "probe: $P_FLOWS flows, $P_RECS records, IPFIX file $P_IPFIX B; --max-flows 1000 evicted $EVICT_CAP"
echo "probe udp: sink per run: $P_SINK (x$RUNS); export_errors $u_err"
[ -n "$SF_NOTE" ] && echo "$SF_NOTE"
[ -n "${BUILD_WARN:-}" ] && echo "WARNING: $BUILD_WARN"
echo "(/softfl = probe packets/s ÷ softflowd packets/s; /floor = ÷ floor packets/s)"

if [ -n "${WALL[softflowd]:-}" ]; then
    awk -v p="${WALL[probe_file]}" -v s="${WALL[softflowd]}" -v f="${WALL[floor]}" 'BEGIN{
        if (p > 2 * s) print "NOTE: probe is more than 2x slower than softflowd — profile it (PROFILE=1)";
        if (f / p < 0.75) printf "NOTE: probe runs at %.0f%% of the floor (< 75%%) — profile it (PROFILE=1)\n", 100 * f / p }'
fi

# ---- optional profile -----------------------------------------------------
if [ "$PROFILE" = 1 ]; then
    need valgrind; need callgrind_annotate
    small=$(make_pcap "$PROFILE_N")
    echo
    echo "== callgrind: hostflow-probe -r $(basename "$small") -o file"
    cg=$OUT/callgrind.probe.out
    valgrind --tool=callgrind --callgrind-out-file="$cg" \
        "$PROBE" -r "$small" -o "$tmp/p.ipfix" >/dev/null 2>"$tmp/cg.log" \
        || { cat "$tmp/cg.log" >&2; die "callgrind failed"; }
    callgrind_annotate --inclusive=no "$cg" 2>/dev/null | sed -n '1,/^-- Auto-annotated/p' | head -n 40
    echo "(full data: callgrind_annotate --inclusive=yes $cg)"
fi
