#!/usr/bin/env python3
"""make-day-store.py IPFIX STORE [FLOWS] [SOURCE]

A day of a busy home network as a hostflow store, for benchmarks: the
flow records of IPFIX (the probe's export of real captures, e.g. of
../shared/bench/make-big-pcap.sh's output), read with hostflow-dump, are
dealt out over the 288 five-minute slots of the 24 hours before the last
whole slot, FLOWS in all (default 1,000,000; records are reused with their
addresses' last octet shifted when FLOWS is more than the file holds), and
written as slot files STORE/SOURCE/YYYY/MM/DD/flows-YYYYMMDDhhmm.ipfix in the
store's own layout (addresses, ports, protocol, counters, times, MACs,
hostname, name source, DNS name, application).  The collector's
--rebuild-rrd then draws the RRDs from them.

Environment: HF_DUMP (hostflow-dump; default build-rel/dump/hostflow-dump).
"""
import ipaddress
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
import hftest  # noqa: E402

SLOT = 300
P, V = hftest.PEN, hftest.VARLEN
NAMES = [(P, 1, V), (P, 2, 1), (P, 3, V), (96, V)]
MACS = [(56, 6), (80, 6)]
FIELDS4 = list(hftest.STD_V4) + MACS + NAMES
FIELDS6 = list(hftest.STD_V6) + MACS + NAMES
SOURCES = {'': 0, 'dns': 1, 'tls': 2, 'http': 3, 'quic': 4, 'dns-stale': 5}


def records(path):
    dump = os.environ.get('HF_DUMP') or os.path.join(HERE, '..', 'build-rel', 'dump',
                                                      'hostflow-dump')
    out = subprocess.run([dump, '-F', 'json', path], check=True, capture_output=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def shifted(addr, k):
    """addr with k added to its last octet (k = 0: itself)."""
    if not k:
        return addr
    a = ipaddress.ip_address(addr)
    last = int(a) & 0xff
    return str(ipaddress.ip_address(int(a) - last + (last + k) % 256))


def values(r, k, start_ms):
    v6 = ':' in r['src']
    dur = max(0, min(SLOT * 1000 - 1, _ms(r['end']) - _ms(r['start'])))
    out = {(27 if v6 else 8): shifted(r['src'], k), (28 if v6 else 12): shifted(r['dst'], k),
           7: r['sport'], 11: r['dport'], 4: r['proto'], 2: r['packets'], 1: r['bytes'],
           152: start_ms, 153: start_ms + dur,
           56: bytes.fromhex(r['src_mac'].replace(':', '')),
           80: bytes.fromhex(r['dst_mac'].replace(':', '')),
           (P, 1): r['hostname'].encode(), (P, 2): SOURCES.get(r['name_source'], 0),
           (P, 3): r['dns_name'].encode(), 96: r['app'].encode()}
    return v6, out


def _ms(stamp):
    t = time.strptime(stamp[:19], '%Y-%m-%dT%H:%M:%S')
    return (int(time.mktime(t)) - time.timezone) * 1000 + int(stamp[20:23])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, store = sys.argv[1], sys.argv[2]
    flows = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    source = sys.argv[4] if len(sys.argv) > 4 else 'home'
    recs = [r for r in records(src) if r['src'] and r['dst']]
    if not recs:
        sys.exit('%s: no flow records' % src)
    last = int(time.time()) // SLOT * SLOT - SLOT
    first = last - 287 * SLOT
    per_slot = flows // 288
    n = 0
    for s in range(288):
        t = first + s * SLOT
        four, six = [], []
        for i in range(per_slot + (1 if s < flows % 288 else 0)):
            r = recs[n % len(recs)]
            v6, val = values(r, n // len(recs), t * 1000 + (i * 997) % (SLOT * 1000 - 1))
            (six if v6 else four).append(hftest.pack_record(FIELDS6 if v6 else FIELDS4, val))
            n += 1
        g = time.gmtime(t)
        path = os.path.join(store, source, time.strftime('%Y/%m/%d', g),
                            time.strftime('flows-%Y%m%d%H%M.ipfix', g))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(hftest.ipfix_message([hftest.ipfix_template_set([(400, FIELDS4),
                                                                      (401, FIELDS6)])],
                                         domain=1, export_s=t + SLOT))
            # messages of at most ~60 KiB, as the collector writes them
            for tid, batch in ((400, four), (401, six)):
                k = 0
                while k < len(batch):
                    j, size = k, 0
                    while j < len(batch) and size + len(batch[j]) < 60000:
                        size += len(batch[j])
                        j += 1
                    f.write(hftest.ipfix_message([hftest.ipfix_data_set(tid, batch[k:j])],
                                                 domain=1, export_s=t + SLOT))
                    k = j
    print('%s: %d flows of %s over %s .. %s' % (store, n, source,
                                                time.strftime('%F %T', time.gmtime(first)),
                                                time.strftime('%F %T', time.gmtime(last + SLOT))))


if __name__ == '__main__':
    main()
