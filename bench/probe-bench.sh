#!/usr/bin/env bash
# probe-bench.sh — throughput and memory of hostflow-probe on a big capture,
# against a bare libpcap read loop (the floor) and softflowd.
#
# Usage: bench/probe-bench.sh [N]
#   N          copies for ../shared/bench/make-big-pcap.sh (default 200,
#              about 1.6 M packets / 1.2 GB)
# Environment:
#   RUNS=5             runs per measurement; the best time counts
#   BENCH_OUT=DIR      where the capture, the floor binary and logs are
#                      cached (default bench/out, git-ignored)
#   BUILD_DIR=DIR      release build of hostflow (default build-bench)
#   SHARED=DIR         the shared material (default REPO/../shared)
#   SKIP_SOFTFLOWD=1   leave softflowd out
#   STRICT_BUILD=1     fail if the working tree does not build (default: warn
#                      and bench the last binary built in BUILD_DIR)
#   PROFILE=1          also run callgrind on a small capture (PROFILE_N=5
#                      copies) with a release+debug-info build
#                      (PROFILE_BUILD_DIR, default build-bench-prof) and
#                      print the hottest functions
#
# Jobs (floor, softflowd, probe -o, probe -c udp, probe with a full table,
# probe --max-flows 1000) run in RUNS interleaved rounds; the table shows the
# best wall and the best CPU (user+sys) time of each, packets/s from both,
# peak RSS, and ratios of packets/s to softflowd's and to the floor's.
# All traffic stays on 127.0.0.1: exports go to local python UDP sinks.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
N=${1:-${N:-200}}
RUNS=${RUNS:-5}
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
cleanup() {
    local p
    for p in "${SINK_PID[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- helpers --------------------------------------------------------------
# Each job is an array CMD_<label>.  run_once LABEL runs it once and keeps
# the best wall time (WALL, us), the best CPU time user+sys (CPU, us) and
# the largest peak RSS (MEM, KiB); its last stdout+stderr is $tmp/LABEL.log.
# Jobs run in interleaved rounds (every job once per round), so load from
# other work on the machine spreads over all of them; CPU time is reported
# as well because such load inflates wall time most.
declare -A WALL CPU MEM
run_once() {
    local label=$1 round=$2 t0 t1 dt c m u sy
    local -n cmd="CMD_$label"
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$tmp/rss" "${cmd[@]}" > "$tmp/$label.log" 2>&1 \
        || { cat "$tmp/$label.log" >&2; die "$label failed: ${cmd[*]}"; }
    t1=$(date +%s%N)
    dt=$(( (t1 - t0) / 1000 ))
    read -r u sy m < <(tail -n1 "$tmp/rss")
    c=$(awk -v u="$u" -v s="$sy" 'BEGIN{printf "%.0f", (u + s) * 1e6}')
    if [ -z "${WALL[$label]:-}" ] || [ "$dt" -lt "${WALL[$label]}" ]; then WALL[$label]=$dt; fi
    if [ -z "${CPU[$label]:-}" ] || [ "$c" -lt "${CPU[$label]}" ]; then CPU[$label]=$c; fi
    if [ "$m" -gt "${MEM[$label]:-0}" ]; then MEM[$label]=$m; fi
    printf '   round %d %-14s wall %7.3f s  cpu %6.2f s  rss %7d KiB\n' "$round" "$label" \
        "$(awk -v u="$dt" 'BEGIN{print u/1e6}')" "$(awk -v u="$c" 'BEGIN{print u/1e6}')" "$m" >&2
}

# A python UDP sink that only counts; one per exporter so the counts stay apart.
declare -A SINK_PID
start_sink() {  # start_sink NAME -> sets PORT
    rm -f "$tmp/port.$1"
    python3 "$here/udp_sink.py" "$tmp/port.$1" > "$tmp/sink.$1" &
    SINK_PID[$1]=$!
    for _ in $(seq 200); do [ -s "$tmp/port.$1" ] && break; sleep 0.05; done
    [ -s "$tmp/port.$1" ] || die "UDP sink did not start"
    PORT=$(cat "$tmp/port.$1")
}
stop_sink() {   # stop_sink NAME -> sets SINK to "datagrams N bytes B"
    local i pid=${SINK_PID[$1]}
    kill -TERM "$pid"
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    wait "$pid" 2>/dev/null || true
    unset "SINK_PID[$1]"
    SINK=$(cat "$tmp/sink.$1")
}

probe_field() { # probe_field LOG NAME -> value from the -v counters line
    sed -n "s/.*\\b$2 \\([0-9][0-9]*\\).*/\\1/p" "$1" | tail -n1
}

# ---- jobs -----------------------------------------------------------------
JOBS=(floor)
CMD_floor=("$FLOOR" "$PCAP")
if [ "${SKIP_SOFTFLOWD:-0}" != 1 ]; then
    start_sink softflowd
    # -r implies foreground (-d) and no control socket: softflowd reads the
    # whole file (expiring only when over -m max_flows, default 8192),
    # flushes every flow at EOF, prints statistics and exits.  Do NOT add
    # -c: a control socket with -r makes softflowd 1.1.0 test a pollfd it
    # never polled, and it can block forever in accept().
    CMD_softflowd=(softflowd -d -v 10 -r "$PCAP" -n "127.0.0.1:$PORT")
    JOBS+=(softflowd)
fi
CMD_probe_file=("$PROBE" -v -r "$PCAP" -o "$tmp/x.ipfix")
start_sink probe
CMD_probe_udp=("$PROBE" -v -r "$PCAP" -C "127.0.0.1:$PORT")
# Memory per flow: in this capture flows end well within the default 15 s
# idle timeout, so few are active at once.  Huge timeouts keep flows in the
# table until --max-flows (default 262144) forces evictions, so RSS shows
# the cost per held flow; the same with --max-flows 1000 shows the bound.
LONG=(--idle-timeout 1000000 --active-timeout 1000000 --tcp-linger 1000000)
CMD_probe_full=("$PROBE" -v "${LONG[@]}" -r "$PCAP" -o "$tmp/y.ipfix")
CMD_probe_cap1000=("$PROBE" -v "${LONG[@]}" --max-flows 1000 -r "$PCAP" -o "$tmp/y.ipfix")
# hostname extraction (on by default) against none: it must keep >= 80%
CMD_probe_nonames=("$PROBE" -v --no-names -r "$PCAP" -o "$tmp/z.ipfix")
JOBS+=(probe_file probe_nonames probe_udp probe_full probe_cap1000)

# ---- measurements ---------------------------------------------------------
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== warming the page cache: $PCAP ($(du -h "$PCAP" | cut -f1))" >&2
cat "$PCAP" > /dev/null
echo "== $RUNS rounds of: ${JOBS[*]}" >&2
for ((r = 1; r <= RUNS; r++)); do
    for j in "${JOBS[@]}"; do run_once "$j" "$r"; done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
sleep 0.3   # let the sinks drain

PKTS=$(sed -n 's/^packets \([0-9]*\).*/\1/p' "$tmp/floor.log")
[ -n "$PKTS" ] && [ "$PKTS" -gt 0 ] || die "floor counted no packets"

SF_NOTE=
if [ -n "${SINK_PID[softflowd]:-}" ]; then
    stop_sink softflowd
    sf_proc=$(sed -n 's/^Packets processed: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    sf_ign=$(sed -n 's/^Ignored packets: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    sf_flows=$(sed -n 's/^Flows exported: \([0-9]*\).*/\1/p' "$tmp/softflowd.log")
    grep -q 'Shutting down after pcap EOF' "$tmp/softflowd.log" \
        || die "softflowd did not reach EOF: $(cat "$tmp/softflowd.log")"
    if [ $((sf_proc + sf_ign)) -ne "$PKTS" ]; then
        die "softflowd saw $((sf_proc + sf_ign)) packets, floor $PKTS"
    fi
    SF_NOTE="softflowd: $sf_proc IP packets, $sf_ign ignored, $sf_flows flows exported (bidirectional; default -m 8192); sink total: $SINK over $RUNS runs"
fi
stop_sink probe; P_SINK=$SINK

P_LOG=$tmp/probe_file.log
p_pkts=$(probe_field "$P_LOG" packets)
[ "$p_pkts" = "$PKTS" ] || die "probe read $p_pkts packets, floor $PKTS: $(cat "$P_LOG")"
PEAK=$(probe_field "$P_LOG" peak_flows)
P_FLOWS=$(probe_field "$P_LOG" flows)
P_RECS=$(probe_field "$P_LOG" records)
P_IPFIX=$(stat -c %s "$tmp/x.ipfix")
u_err=$(probe_field "$tmp/probe_udp.log" export_errors)
PEAK_FULL=$(probe_field "$tmp/probe_full.log" peak_flows)
EVICT_FULL=$(probe_field "$tmp/probe_full.log" evicted)
PEAK_CAP=$(probe_field "$tmp/probe_cap1000.log" peak_flows)
EVICT_CAP=$(probe_field "$tmp/probe_cap1000.log" evicted)
rm -f "$tmp/y.ipfix" "$tmp/x.ipfix" "$tmp/z.ipfix"

# ---- report ---------------------------------------------------------------
pps() { awk -v p="$PKTS" -v u="$1" 'BEGIN{printf "%.0f", p / (u / 1e6)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b / a}'; }  # time b/a = pps a/b
secs() { awk -v u="$1" 'BEGIN{printf "%.3f", u/1e6}'; }

echo
echo "hostflow probe benchmark — $(basename "$PCAP"): $PKTS packets, $(du -h "$PCAP" | cut -f1); best of $RUNS; $(nproc) CPUs; load average before/after: $LOAD0 / $LOAD1"
printf '%-34s %7s %10s %7s %10s %7s | %7s %7s | %7s %7s\n' "" wall "pkt/s" cpu "pkt/s" RSS "/softfl" "/floor" "/softfl" "/floor"
printf '%-34s %7s %10s %7s %10s %7s | %15s | %15s\n' run s wall s cpu MiB "by wall time" "by CPU time"
row() { # row LABEL KEY
    local k=$2 w=${WALL[$2]} c=${CPU[$2]} sw=- sc=-
    if [ -n "${WALL[softflowd]:-}" ]; then
        sw=$(ratio "$w" "${WALL[softflowd]}"); sc=$(ratio "$c" "${CPU[softflowd]}")
    fi
    printf '%-34s %7s %10s %7s %10s %7.1f | %7s %7s | %7s %7s\n' "$1" \
        "$(secs "$w")" "$(pps "$w")" "$(secs "$c")" "$(pps "$c")" \
        "$(awk -v m="${MEM[$k]}" 'BEGIN{print m/1024}')" \
        "$sw" "$(ratio "$w" "${WALL[floor]}")" "$sc" "$(ratio "$c" "${CPU[floor]}")"
}
row "floor (pcap_dispatch only)" floor
if [ -n "${WALL[softflowd]:-}" ]; then row "softflowd -v 10 -n udp" softflowd; fi
row "hostflow-probe -o file" probe_file
row "hostflow-probe -o file --no-names" probe_nonames
row "hostflow-probe -C udp" probe_udp
row "probe long timeouts (table fills)" probe_full
row "probe long t/o, --max-flows 1000" probe_cap1000
echo
awk -v r0="${MEM[probe_file]}" -v p0="$PEAK" -v r="${MEM[probe_full]}" -v p="$PEAK_FULL" \
    -v rc="${MEM[probe_cap1000]}" -v pc="$PEAK_CAP" -v ef="$EVICT_FULL" -v ec="$EVICT_CAP" 'BEGIN{
    printf "memory, default timeouts: peak_flows %d, RSS %.1f MiB (%.0f B per active flow, whole RSS)\n", p0, r0/1024, r0*1024/p0;
    printf "memory, long timeouts:    peak_flows %d, RSS %.1f MiB (%.0f B per active flow, whole RSS), evicted %d\n", p, r/1024, r*1024/p, ef;
    if (p > pc) printf "  marginal: (RSS - RSS@max-flows %d) / (%d - %d flows) = %.0f B per active flow\n", pc, p, pc, (r-rc)*1024/(p-pc);
    printf "  --max-flows 1000, long timeouts: peak_flows %d, RSS %.1f MiB, evicted %d (bounded)\n", pc, rc/1024, ec }'
echo "probe: $P_FLOWS flows, $P_RECS records, IPFIX file $P_IPFIX B"
echo "hostname extraction keeps $(awk -v a="${CPU[probe_file]}" -v b="${CPU[probe_nonames]}" 'BEGIN{printf "%.0f", 100*b/a}')% (CPU time) / $(awk -v a="${WALL[probe_file]}" -v b="${WALL[probe_nonames]}" 'BEGIN{printf "%.0f", 100*b/a}')% (wall) of the packets/s without it (target >= 80%)"
echo "probe udp: sink total: $P_SINK over $RUNS runs; export_errors $u_err"
[ -n "$SF_NOTE" ] && echo "$SF_NOTE"
[ -n "${BUILD_WARN:-}" ] && echo "WARNING: $BUILD_WARN"
echo "(/softfl = packets/s ÷ softflowd's packets/s, /floor = ÷ the floor's; >1 is faster)"

for t in WALL CPU; do
    declare -n T=$t
    awk -v t="$t" -v p="${T[probe_file]}" -v s="${T[softflowd]:-0}" -v f="${T[floor]}" 'BEGIN{
        if (s > 0 && p > 2 * s) printf "NOTE (%s): probe -o is more than 2x slower than softflowd: profile it (PROFILE=1)\n", t;
        if (f / p < 0.75) printf "NOTE (%s): probe -o runs at %.0f%% of the floor (< 75%%): profile it (PROFILE=1)\n", t, 100 * f / p }'
    unset -n T
done

# ---- optional profile -----------------------------------------------------
# callgrind on a small capture, with a release build that keeps debug info
# (same -O level) so functions and lines have names.
if [ "$PROFILE" = 1 ]; then
    need valgrind; need callgrind_annotate
    PBUILD=${PROFILE_BUILD_DIR:-$repo/build-bench-prof}
    if [ ! -f "$PBUILD/build.ninja" ]; then
        meson setup "$PBUILD" "$repo" --buildtype=release -Ddebug=true >/dev/null
    fi
    ninja -C "$PBUILD" probe/hostflow-probe > "$OUT/ninja-prof.log" 2>&1 \
        || { tail -n 20 "$OUT/ninja-prof.log" >&2; die "profile build failed"; }
    small=$(make_pcap "$PROFILE_N")
    spk=$("$FLOOR" "$small" | sed -n 's/^packets \([0-9]*\).*/\1/p')
    cg=$OUT/callgrind.probe.out
    cgf=$OUT/callgrind.floor.out
    valgrind --tool=callgrind --callgrind-out-file="$cgf" "$FLOOR" "$small" >/dev/null 2>&1
    valgrind --tool=callgrind --callgrind-out-file="$cg" \
        "$PBUILD/probe/hostflow-probe" -v -r "$small" -o "$tmp/p.ipfix" >/dev/null 2>"$tmp/cg.log" \
        || { cat "$tmp/cg.log" >&2; die "callgrind failed"; }
    total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}'; }
    recs=$(probe_field "$tmp/cg.log" records)
    echo
    echo "== callgrind, $(basename "$small") ($spk packets, $recs records):" \
         "floor $(total "$cgf") Ir, probe $(total "$cg") Ir" \
         "($(awk -v a="$(total "$cgf")" -v n="$spk" 'BEGIN{printf "%.0f", a/n}') vs" \
         "$(awk -v a="$(total "$cg")" -v n="$spk" 'BEGIN{printf "%.0f", a/n}') Ir per packet, startup included)"
    strip_paths() { sed -e 's#[^ ]*/\.\./\(probe\|common\)/#\1/#' -e 's# \[/[^]]*/\([^]/]*\)\]# [\1]#'; }
    echo "-- self cost (top 20)"
    callgrind_annotate --inclusive=no "$cg" 2>/dev/null | sed -n '/file:function/,/^$/p' \
        | sed -n '3,22p' | strip_paths
    echo "-- inclusive cost, probe functions"
    callgrind_annotate --inclusive=yes "$cg" 2>/dev/null | sed -n '/file:function/,/^$/p' \
        | strip_paths | grep -E '  (probe|common)/[a-z_]+\.[ch]:.*\[hostflow-probe\]$' | head -n 14
    echo "(full data: callgrind_annotate --inclusive=yes --tree=calling $cg)"
fi
