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
# python3-jsonschema: tests/probe_events.py validates every event line
# against the installed schema (run under /usr/bin/python3: a Debian module)
# libsystemd-dev: sd_notify, so that the collector's Type=notify unit
# tells systemd it is ready once its sockets are bound (collector/notify.c)
# debhelper dpkg-dev fakeroot lintian: build and check the Debian package
# (packaging/build-deb.sh, tests/packaging_deb.py); debootstrap: the clean
# Debian 12 root the package test installs it into; systemd: systemd-analyze
# verify/security on the units; procps: /bin/kill, the collector unit's
# ExecReload; util-linux: setpriv and unshare, to run the units' command
# lines as their user in a network namespace of their own
# groff-base: groff and tbl, with which tests/man_pages.py renders every
# manual page and fails on a warning
# chromium chromium-driver python3-selenium: tests/web_browser.py drives
# the web view in headless Chromium (run under /usr/bin/python3, whose
# dist-packages hold Debian's selenium); wrk: bench/web-bench.sh's load
# libcurl4-openssl-dev: the collector's ClickHouse sink inserts over HTTP
# with libcurl (collector/clickhouse_sink.c); clickhouse-server: the
# servers tests/collector_clickhouse.py starts on loopback (as the user
# running the tests, in a directory of their own: not the package's unit)
# libcrypt-dev: crypt_rn() checks the web view's htpasswd hashes
# (web/auth.c); openssl: tests/web_safety.py makes a self-signed
# certificate for the web view's TLS; libjs-dygraphs: the web view's
# zoomable graphs (web/graphs.js), served from /usr/share/javascript, never
# copied into the tree
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential meson ninja-build pkg-config python3 \
    libpcap-dev libfixbuf-dev libssl-dev libglib2.0-dev librrd-dev libmicrohttpd-dev \
    libsystemd-dev libcrypt-dev openssl python3-jsonschema \
    libcurl4-openssl-dev clickhouse-server \
    publicsuffix rrdtool libjs-dygraphs \
    debhelper dpkg-dev fakeroot lintian debootstrap systemd procps util-linux \
    groff-base \
    clang libclang-rt-14-dev \
    tshark nfdump softflowd tcpreplay iproute2 \
    chromium chromium-driver python3-selenium wrk \
    >/dev/null
