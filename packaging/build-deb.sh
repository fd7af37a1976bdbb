#!/bin/sh
# Builds hostflow's Debian package:  packaging/build-deb.sh [OUTDIR]
#
# dpkg-buildpackage wants debian/ at the top of the source tree; hostflow
# keeps it in packaging/debian, beside the units and configuration it
# packages.  So this script exports the working tree (the files git knows,
# committed or not; without git, the tree minus build directories) to a
# temporary directory, copies packaging/debian to its top, runs
# `dpkg-buildpackage -us -uc -b` there, and copies the .deb, .buildinfo
# and .changes to OUTDIR (default: build-deb/ in the source tree).
# DEB_BUILD_OPTIONS passes through (e.g. nocheck, parallel=2).
# Needs: packaging/install-deps.sh (debhelper, dpkg-dev, fakeroot, ...).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build-deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hostflow-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
tree="$work/hostflow"
mkdir "$tree"

if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    # tracked and new (not ignored) files, as they are in the working tree
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
        | tar --null -T - -cf -) | tar -C "$tree" -xf -
else
    (cd "$SRC" && tar --exclude='./build*' --exclude='./.git' -cf - .) | tar -C "$tree" -xf -
fi
rm -rf "$tree/debian"
cp -r "$SRC/packaging/debian" "$tree/debian"

(cd "$tree" && dpkg-buildpackage -us -uc -b)
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
    [ -e "$f" ] && cp "$f" "$OUT/"
done
ls "$OUT"/*.deb
