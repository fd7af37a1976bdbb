#!/usr/bin/env bash
# clickhouse-bench.sh — issue 19, done means 5: how fast one collector
# inserts into a local ClickHouse, and the same top-N questions asked of
# ClickHouse (hostflow-report --clickhouse) next to the file store that the
# same collector wrote in the same run.
#
# A clickhouse-server (Debian's) is started on loopback ports in
# BENCH_OUT/ch, the schema applied (hostflow-collector --clickhouse-schema),
# and one collector keeps files and inserts into ClickHouse while
# ../shared/bench/ipfix_blast.py sends it RECORDS records at RATE.  Then
# each query runs RUNS times, the two back ends interleaved (files,
# ClickHouse, files, ...); their answers must be the same CSV.
#
# Usage: bench/clickhouse-bench.sh [RECORDS]        (default 10000000)
# Environment:
#   RUNS=3          runs per query and back end; the fastest wall time counts
#   RATE=300000     blast rate, records/s (too fast drops on loopback)
#   BENCH_OUT=DIR   work directory, emptied first (default bench/out/clickhouse)
#   BUILD_DIR=DIR   release build (default build-rel)
# Prints the insert rate and a table of wall and CPU seconds (the report's
# user+sys; for ClickHouse also the server's); asserts only equal answers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$repo/build-rel}
shared=${SHARED:-$repo/../shared}

command -v clickhouse-server >/dev/null || PATH=$PATH:/usr/sbin
[ -d "$build" ] || meson setup "$build" --buildtype=release -Dpcaps="$shared/pcaps" >/dev/null
meson compile -C "$build" hostflow-collector report/hostflow-report >/dev/null
HF_BUILD=$build HF_COLLECTOR=$build/hostflow-collector HF_REPORT=$build/report/hostflow-report \
HF_SRC=$repo HF_PCAPS=$shared/pcaps \
    exec python3 "$here/clickhouse_bench.py" "${1:-10000000}" "${RUNS:-3}" "${RATE:-300000}" \
    "${BENCH_OUT:-$here/out/clickhouse}" "$shared/bench/ipfix_blast.py"
