#!/usr/bin/env bash
# collector-profile.sh — where hostflow-collector spends its CPU under the
# blast (called by collector-bench.sh when hostflow is not 2× nfcapd).
#
# Usage: bench/collector-profile.sh [RATE]
#   RATE                records/s to replay (default 400000)
# Environment:
#   VERSIONS="10 9"     streams to profile
#   DURATION=5          seconds of blast (COUNT = RATE × DURATION)
#   RCVBUF=4194304      hostflow --rcvbuf
#   PROFILER=perf       perf (cpu-clock sampling, all threads, kernel too);
#                       falls back to callgrind if perf cannot record
#   PROFILE_COUNT=300000  records for callgrind (paced at CG_RATE=20000/s)
#   PROFILE_BUILD_DIR   release + debug info build (default build-bench-prof)
#   BENCH_OUT, SHARED   as in collector-bench.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
RATE=${1:-400000}
VERSIONS=${VERSIONS:-"10 9"}
DURATION=${DURATION:-5}
RCVBUF=${RCVBUF:-4194304}
PROFILER=${PROFILER:-perf}
PROFILE_COUNT=${PROFILE_COUNT:-300000}
CG_RATE=${CG_RATE:-20000}
OUT=${BENCH_OUT:-$here/out}
PBUILD=${PROFILE_BUILD_DIR:-$repo/build-bench-prof}
SHARED=${SHARED:-$repo/../shared}
BLAST=$SHARED/bench/ipfix_blast.py

die() { echo "collector-profile: $*" >&2; exit 1; }
log() { echo "$*" >&2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [ ! -f "$PBUILD/build.ninja" ]; then
    log "== meson setup $PBUILD (release + debug info)"
    meson setup "$PBUILD" "$repo" --buildtype=release -Ddebug=true >/dev/null
fi
for _ in $(seq 240); do pgrep -f "ninja -C $PBUILD( |\$)" >/dev/null 2>&1 || break; sleep 0.5; done
ninja -C "$PBUILD" hostflow-collector > "$OUT/ninja-collector-prof.log" 2>&1 \
    || { tail -n 20 "$OUT/ninja-collector-prof.log" >&2; die "profile build failed"; }
HF=$PBUILD/hostflow-collector
REPLAY=$OUT/udp_replay
if [ ! -x "$REPLAY" ] || [ "$here/udp_replay.c" -nt "$REPLAY" ]; then
    cc -O2 -Wall -o "$REPLAY" "$here/udp_replay.c" || die "cannot build udp_replay"
fi

tmp=$(mktemp -d)
CPID=
cleanup() { if [ -n "$CPID" ]; then kill -TERM "$CPID" 2>/dev/null || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT

start() {       # start CMD... -> CPID PORT
    rm -rf "$tmp/run"; mkdir -p "$tmp/run"
    "$@" -l udp:127.0.0.1:0 -w "$tmp/run/store" -s "$tmp/run/state" --rcvbuf "$RCVBUF" \
        > "$tmp/run/log" 2>&1 &
    CPID=$!
    for _ in $(seq 600); do grep -q 'listening on' "$tmp/run/log" && break; sleep 0.05; done
    PORT=$(sed -n 's/.*listening on udp:127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/run/log")
    [ -n "$PORT" ] || { cat "$tmp/run/log" >&2; die "collector did not start"; }
}
stop() {
    kill -TERM "$CPID" 2>/dev/null || true
    wait "$CPID" 2>/dev/null || true
    CPID=
}

use_perf=0
if [ "$PROFILER" = perf ] && command -v perf >/dev/null \
   && perf record -e cpu-clock -o "$tmp/probe.data" -- true >/dev/null 2>&1; then
    use_perf=1
fi

for v in $VERSIONS; do
    if [ "$use_perf" = 1 ]; then
        count=$((RATE * DURATION))
        python3 "$here/blast_build.py" "$BLAST" "$tmp/stream" "$v" "$count" >/dev/null
        start "$HF"
        perf record -e cpu-clock -F 1999 -g -p "$CPID" -o "$OUT/perf-collector-v$v.data" \
            > "$tmp/perf.log" 2>&1 &
        PPID_=$!
        sleep 0.5
        "$REPLAY" "$tmp/stream" 127.0.0.1 "$PORT" "$RATE" >&2
        sleep 2                                 # the backlog, if any
        kill -INT "$PPID_"; wait "$PPID_" 2>/dev/null || true
        stop
        rm -f "$tmp/stream"
        echo
        data=$OUT/perf-collector-v$v.data
        perf report -i "$data" --stdio --no-children --sort comm,dso,sym -g none \
            > "$tmp/self.txt" 2>/dev/null || true
        perf report -i "$data" --stdio --children --sort comm,sym -g none \
            > "$tmp/children.txt" 2>/dev/null || true
        perf report -i "$data" --stdio --no-children --sort comm -g none \
            > "$tmp/comm.txt" 2>/dev/null || true
        echo "== perf: hostflow-collector, v$v at $RATE records/s ($count records)"
        echo "-- share of samples by thread"
        grep -E '^ +[0-9]' "$tmp/comm.txt" | head -n 6 || true
        echo "-- self time by thread and function (top 30; in this VM kernel time mostly shows as pvm_irq_enable, see below)"
        grep -E '^ +[0-9]' "$tmp/self.txt" | head -n 30 || true
        echo "-- kernel time by entry (inclusive): syscalls and page faults"
        grep -E '^ +[0-9].*\[k\] (asm_exc_page_fault|__x64_sys_[a-z_0-9]+|__do_softirq)$' "$tmp/children.txt" \
            | head -n 20 || true
    else
        command -v valgrind >/dev/null || die "neither perf nor valgrind usable"
        python3 "$here/blast_build.py" "$BLAST" "$tmp/stream" "$v" "$PROFILE_COUNT" >/dev/null
        start valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.collector-v$v.out" "$HF"
        "$REPLAY" "$tmp/stream" 127.0.0.1 "$PORT" "$CG_RATE" >&2
        sleep 5
        stop
        echo
        echo "== callgrind: hostflow-collector, v$v, $PROFILE_COUNT records at $CG_RATE/s (user space only), top 30 by Ir"
        callgrind_annotate "$OUT/callgrind.collector-v$v.out" 2>/dev/null | sed -n '/^-* *$/,$p' | grep -v "^-" | head -n 34 || true
    fi
done
