#!/usr/bin/env bash
# events-compare.sh — do two hostflow-probe builds write the same --events
# lines?  Runs both on every capture in ../shared/pcaps with several option
# sets (names on and off, --match, devices from an ethers file, IPFIX
# export alongside) and compares the lines byte for byte once the random
# UUIDs are replaced by their order of first appearance.  For a change
# that must keep the event content as it was (issue 18's speed work).
#
# Usage: bench/events-compare.sh OLD_PROBE NEW_PROBE
# Environment:
#   SHARED=DIR      the shared material (default REPO/../shared)
#   KEEP=DIR        keep the normalised outputs there (default: a temp dir)
# Exit status 0 when every run gave the same lines, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
SHARED=${SHARED:-$repo/../shared}
old=${1:?usage: events-compare.sh OLD_PROBE NEW_PROBE}
new=${2:?usage: events-compare.sh OLD_PROBE NEW_PROBE}
[ -x "$old" ] && [ -x "$new" ] || { echo "events-compare: both probes must be executables" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${KEEP:-$tmp}
mkdir -p "$out"

# UUIDs in order of first appearance: ids are random per run, but made in
# the same order, so equal structure gives equal text.
normalise() {
    python3 -c '
import re, sys
ids = {}
def sub(m):
    return "id-%d" % ids.setdefault(m.group(0), len(ids))
pat = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
for line in sys.stdin:
    sys.stdout.write(pat.sub(sub, line))
' < "$1" > "$2"
}

# Devices: every MAC the default run of a capture shows gets a name.
ethers_for() {
    { grep -o '"[sd][rs][ct]_mac":"[0-9a-f:]*"' "$1" || true; } | cut -d'"' -f4 | sort -u \
        | awk '{ printf "%s dev-%d\n", $1, NR }' > "$2"
}

runs=0 same=0 lines=0
failed=()
for cap in "$SHARED"/pcaps/*.pcap "$SHARED"/pcaps/*.pcapng; do
    [ -f "$cap" ] || continue
    name=$(basename "$cap")
    "$old" -q -r "$cap" --events="$tmp/probe-ethers.jsonl" >/dev/null 2>&1 || true
    ethers_for "$tmp/probe-ethers.jsonl" "$tmp/ethers"
    rm -f "$tmp/probe-ethers.jsonl"
    variants=(
        "default|"
        "no-names|--no-names"
        "match|--match=proto tcp and not port 443 or dns \"*.com\""
        "devices|--ethers=$tmp/ethers"
        "ipfix|-o $tmp/x.ipfix"
    )
    for v in "${variants[@]}"; do
        label=${v%%|*}
        opt=${v#*|}
        args=(-q -r "$cap")
        if [ "$label" = ipfix ]; then args+=(-o "$tmp/x.ipfix"); elif [ -n "$opt" ]; then args+=("$opt"); fi
        for side in old new; do
            rm -f "$tmp/$side.jsonl"
            bin=$old; [ $side = new ] && bin=$new
            "$bin" "${args[@]}" --events="$tmp/$side.jsonl" > /dev/null 2> "$tmp/$side.err" || true
            touch "$tmp/$side.jsonl"
            normalise "$tmp/$side.jsonl" "$out/$name.$label.$side"
        done
        runs=$((runs + 1))
        if cmp -s "$out/$name.$label.old" "$out/$name.$label.new"; then
            same=$((same + 1))
            lines=$((lines + $(wc -l < "$out/$name.$label.new")))
        else
            failed+=("$name $label")
            diff "$out/$name.$label.old" "$out/$name.$label.new" | head -n 6 >&2 || true
        fi
    done
done
echo "events-compare: $same of $runs runs gave the same lines ($lines lines compared)"
if [ ${#failed[@]} -gt 0 ]; then
    printf '  differs: %s\n' "${failed[@]}"
    exit 1
fi
