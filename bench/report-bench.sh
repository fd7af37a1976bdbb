#!/usr/bin/env bash
# report-bench.sh — hostflow-report against nfdump on the same flows: the
# same IPFIX stream (../shared/bench/ipfix_blast.py, loopback) is stored by
# hostflow-collector and by nfcapd, then each question is asked of both in
# one run: wall time (best of RUNS) and peak memory (max RSS), and their
# ratios.  Issue 14's target: at least 5x faster at no more than a quarter
# of nfdump's memory on every query.
#
# Usage: bench/report-bench.sh [RECORDS]        (default 10000000)
# Environment:
#   RUNS=3          runs per query; the fastest counts (and its RSS)
#   RATE=300000     blast rate, records/s (too fast drops on loopback)
#   BENCH_OUT=DIR   stores are built once and kept (default bench/out/report)
#   BUILD_DIR=DIR   release build (default build-rel)
# Prints a table; asserts nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
n=${1:-10000000}
runs=${RUNS:-3}
rate=${RATE:-300000}
out=${BENCH_OUT:-$here/out/report}
build=${BUILD_DIR:-$repo/build-rel}
shared=${SHARED:-$repo/../shared}
blast=$shared/bench/ipfix_blast.py

[ -d "$build" ] || meson setup "$build" --buildtype=release -Dpcaps="$shared/pcaps" >/dev/null
meson compile -C "$build" hostflow-collector report/hostflow-report >/dev/null
collector=$build/hostflow-collector
report=$build/report/hostflow-report

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$out"
store=$out/store-$n
nfdir=$out/nfcapd-$n
if [ ! -d "$store" ]; then
    rm -rf "$store.tmp" "$out/state"
    port=$(free_port)
    "$collector" -l udp:127.0.0.1:$port -w "$store.tmp" -s "$out/state" \
        --rcvbuf 67108864 --no-hourly 2>"$out/collector.log" &
    cpid=$!
    sleep 1
    python3 "$blast" 127.0.0.1 "$port" "$n" "$rate" --quiet
    sleep 3
    kill -TERM $cpid; wait $cpid || true
    mv "$store.tmp" "$store"
fi
if [ ! -d "$nfdir" ]; then
    rm -rf "$nfdir.tmp"; mkdir -p "$nfdir.tmp"
    port=$(free_port)
    nfcapd -b 127.0.0.1 -p "$port" -w "$nfdir.tmp" -B 67108864 >"$out/nfcapd.log" 2>&1 &
    npid=$!
    sleep 1
    python3 "$blast" 127.0.0.1 "$port" "$n" "$rate" --quiet
    sleep 3
    kill -TERM $npid; wait $npid || true
    mv "$nfdir.tmp" "$nfdir"
fi
# the columns a running collector writes as each slot completes (a store
# from before them gets them here, once)
"$collector" --columns -w "$store" -s "$out/state" >/dev/null
stored=$("$report" -w "$store" --from 1970-01-01 --by proto --csv | awk -F, '$1=="total"{print $3}')
nf_stored=$(nfdump -R "$nfdir" -q -o csv -s proto 2>/dev/null | awk -F, 'NR>1 && $5!=""{s+=$6} END{print s+0}')
echo "flows stored: hostflow $stored, nfcapd $nf_stored (of $n sent)"

# best of $runs: "seconds max_rss_kib" of the fastest run
measure() {
    local best="" bs=999999 line s
    for _ in $(seq "$runs"); do
        /usr/bin/time -o "$out/time.txt" -f '%e %M' "$@" >/dev/null 2>&1 || true
        line=$(tail -1 "$out/time.txt")
        s=${line% *}
        if awk "BEGIN{exit !($s < $bs)}"; then bs=$s; best=$line; fi
    done
    echo "$best"
}

host=$(nfdump -R "$nfdir" -q -o csv -s dstip/flows -n 1 2>/dev/null | awk -F, 'NR==2{print $5}')
printf '%-28s %9s %9s %8s   %10s %10s %8s\n' query "hostflow" "nfdump" "speed" "host MiB" "nfd MiB" "memory"
row() {   # name, hostflow args..., --, nfdump args...
    local name=$1; shift
    local h=() nf=()
    while [ "$1" != "--" ]; do h+=("$1"); shift; done; shift
    nf=("$@")
    read -r hs hm <<<"$(measure "$report" -w "$store" --from 1970-01-01 --input flows "${h[@]}")"
    read -r ns nm <<<"$(measure nfdump -R "$nfdir" -q "${nf[@]}")"
    printf '%-28s %8.2fs %8.2fs %7.1fx   %10.0f %10.0f %7.2fx\n' "$name" "$hs" "$ns" \
        "$(awk "BEGIN{h = $hs; if (h <= 0) h = 0.001; print $ns / h}")" "$((hm / 1024))" \
        "$((nm / 1024))" "$(awk "BEGIN{print $hm / $nm}")"
}
row "top 10 dstip by bytes"  --by dstip -n 10 -- -s dstip/bytes -n 10
row "top 10 ip by bytes"     --by ip -n 10 -- -s ip/bytes -n 10
row "top 10 srcip by flows"  --by srcip -o flows -n 10 -- -s srcip/flows -n 10
row "host A, top 10 dstport" --by dstport -n 10 "host $host" -- -s dstport/bytes -n 10 "host $host"
row "proto totals"           --by proto -- -s proto
# the same from the IPFIX files only (no columns), for the record
row "dstip, IPFIX files only" --input ipfix --by dstip -n 10 -- -s dstip/bytes -n 10
row "ip, IPFIX files only"    --input ipfix --by ip -n 10 -- -s ip/bytes -n 10
echo "speed: nfdump's time / hostflow's; memory: hostflow's peak RSS / nfdump's"
