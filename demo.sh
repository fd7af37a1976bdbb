#!/bin/sh
# The main job on a bundled capture: installs what hostflow needs (Debian 12,
# as root or with sudo), builds it, starts a collector on loopback, meters
# the sample captures with the probe, sends the flows to the collector over
# IPFIX, stops the collector, prints what it stored and asks hostflow-report
# the questions people collect flows for.
set -eu
cd "$(dirname "$0")"
[ "${HF_SKIP_DEPS:-0}" = 1 ] || sh packaging/install-deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
meson compile -C build >/dev/null

work=$(mktemp -d /tmp/hostflow-demo.XXXXXX)
./build/hostflow-collector -l udp:127.0.0.1:0 -w "$work/flows" \
    -s "$work/state" 2>"$work/collector.log" &
collector=$!
trap 'kill $collector 2>/dev/null || true' EXIT
while ! grep -q 'listening on udp' "$work/collector.log"; do sleep 0.1; done
port=$(sed -n 's/.*listening on udp:127.0.0.1:\([0-9]*\).*/\1/p' "$work/collector.log")

echo "== probe: samples/*.pcap -> IPFIX/UDP -> collector on 127.0.0.1:$port"
./build/probe/hostflow-probe -v -r samples/chrome.pcap samples/http_ipv6.pcap \
    -C "127.0.0.1:$port"
sleep 1.5                       # the collector writes once a second
kill -TERM $collector
wait $collector || true
trap - EXIT

echo "== collector store ($work/flows)"
find "$work/flows" -name '*.ipfix' | sort
echo "== stored flows"
./build/dump/hostflow-dump $(find "$work/flows" -name '*.ipfix' | sort) | head -40
./build/dump/hostflow-dump -n $(find "$work/flows" -name '*.ipfix')
echo "== collector counters: $work/state/status.json"

# the captures are from 2021/2022: a window from 2000 on takes them in
report="./build/report/hostflow-report -w $work/flows --from 2000-01-01"
echo "== hostflow-report: the timeline, one line per conversation"
$report | head -25
echo "== hostflow-report --by device,domain: who talked to which domains"
$report --by device,domain -n 15
echo "== hostflow-report --by dstport -o flows 'proto tcp' (nfdump's filter syntax)"
$report --by dstport -o flows -n 5 'proto tcp'
echo "(see man/hostflow-report.1 and man/hostflow-filter.7 for more)"
