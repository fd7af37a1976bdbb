#!/usr/bin/env bash
# query-read-bench.sh — how fast the query engine reads the store
# (query/store_scan.h: hf_scan_run on 1 and 2 threads) against
# hf_ipfix_reader (libfixbuf's transcoder), the collector's own decoder
# (hf_decoder_feed per message) and nfdump -r on nfcapd's copy.
#
# Usage: bench/query-read-bench.sh [RECORDS]
#   RECORDS   flow records blasted into a collector on 127.0.0.1 with
#             ../shared/bench/ipfix_blast.py (default 3000000)
# Environment:
#   RUNS=3            runs per reader; the best time counts
#   BENCH_OUT=DIR     where the store is built and kept (default bench/out/query)
#   BUILD_DIR=DIR     release build (default build-rel)
#   RATE=200000       blast rate, records/s (UDP on loopback: too fast drops)
#   PROBE_FILES=GLOB  read these files (e.g. the probe's -o output of
#                     make-big-pcap.sh) instead of building a store
#   SKIP_NFDUMP=1     leave nfcapd/nfdump out
# Prints records/s per reader; no assertion.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
n=${1:-3000000}
runs=${RUNS:-3}
out=${BENCH_OUT:-$here/out/query}
build=${BUILD_DIR:-$repo/build-rel}
rate=${RATE:-200000}
shared=${SHARED:-$repo/../shared}
blast=$shared/bench/ipfix_blast.py

if [ ! -d "$build" ]; then
    meson setup "$build" --buildtype=release -Dpcaps="$shared/pcaps" >/dev/null
fi
meson compile -C "$build" tests/query_read hostflow-collector >/dev/null
reader=$build/tests/query_read
collector=$build/hostflow-collector

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$out"
if [ -n "${PROBE_FILES:-}" ]; then
    # shellcheck disable=SC2086
    files=$(ls $PROBE_FILES)
else
    store=$out/store-$n
    if [ ! -d "$store" ]; then
        rm -rf "$out/state" "$out/nfcapd-$n"
        port=$(free_port)
        "$collector" -l udp:127.0.0.1:$port -w "$store.tmp" -s "$out/state" \
            --slot-seconds 60 --no-hourly 2>"$out/collector.log" &
        cpid=$!
        sleep 1
        python3 "$blast" 127.0.0.1 "$port" "$n" "$rate" --quiet
        sleep 2
        kill -TERM $cpid; wait $cpid || true
        mv "$store.tmp" "$store"
        if [ -z "${SKIP_NFDUMP:-}" ] && command -v nfcapd >/dev/null; then
            mkdir -p "$out/nfcapd-$n"
            port=$(free_port)
            nfcapd -p "$port" -w "$out/nfcapd-$n" -t 60 >"$out/nfcapd.log" 2>&1 &
            npid=$!
            sleep 1
            python3 "$blast" 127.0.0.1 "$port" "$n" "$rate" --quiet
            sleep 2
            kill -TERM $npid; wait $npid || true
        fi
    fi
    files=$(find "$store" -name 'flows-*.ipfix' | sort)
fi
# shellcheck disable=SC2086
bytes=$(du -cb $files | tail -1 | cut -f1)
echo "files: $(echo "$files" | wc -l), $((bytes / 1048576)) MiB"

best() {    # best of $runs: prints the line of the fastest run
    local line bestline="" bests=999999
    for _ in $(seq "$runs"); do
        line=$("$@")
        s=$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$line")
        if awk "BEGIN{exit !($s < $bests)}"; then bests=$s; bestline=$line; fi
    done
    echo "$bestline"
}

# shellcheck disable=SC2086
cat $files >/dev/null      # page cache warm for every reader
printf '%-10s %10s %9s %14s %s\n' reader records seconds records/s checksum
for m in scan1 scan2 decoder fixbuf; do
    # shellcheck disable=SC2086
    line=$(best "$reader" $m $files)
    eval "$(tr ' ' '\n' <<<"$line" | grep '=' | sed 's/^/r_/')"
    printf '%-10s %10s %9s %14s %s\n' "$m" "$r_records" "$r_seconds" "$r_records_per_s" "$r_checksum"
done
if [ -z "${PROBE_FILES:-}" ] && [ -d "$out/nfcapd-$n" ] && command -v nfdump >/dev/null; then
    # every record read and aggregated by protocol (one line printed)
    bests=999999
    for _ in $(seq "$runs"); do
        t0=$(date +%s.%N)
        nfdump -R "$out/nfcapd-$n" -q -s proto >/dev/null 2>&1
        t1=$(date +%s.%N)
        s=$(awk "BEGIN{print $t1 - $t0}")
        if awk "BEGIN{exit !($s < $bests)}"; then bests=$s; fi
    done
    printf '%-10s %10s %9.3f %14.0f %s\n' "nfdump-s" "$n" "$bests" "$(awk "BEGIN{print $n / $bests}")" "(nfdump -R -s proto: its own threads)"
fi
