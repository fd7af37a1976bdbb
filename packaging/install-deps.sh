#!/bin/sh
# Installs everything hostflow needs to build, run and test on Debian 12.
# Run as root (or with sudo).  Idempotent; apt-get update runs once per call.
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# tshark asks whether non-root users may capture: answer no, quietly
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# publicsuffix: the Public Suffix List that reports' domains come from
# (query/psl.c reads /usr/share/publicsuffix); Debian keeps it current, so
# hostflow carries no suffix table of its own
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config python3 \
    libpcap-dev libfixbuf-dev libssl-dev libglib2.0-dev librrd-dev libmicrohttpd-dev \
    rrdtool \
    publicsuffix \
    clang libclang-rt-14-dev \
    tshark nfdump softflowd tcpreplay iproute2 \
    >/dev/null
