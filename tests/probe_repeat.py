#!/usr/bin/env python3
"""The probe is deterministic on a file: two runs on the same capture give
identical records (hostflow-dump CSV compared line for line)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

# large, fragmented (the fragment table hashes with a random seed),
# tunnelled, IPv6, VLAN/PPPoE, and malformed captures
CAPTURES = ['1kxun.pcap', 'netflix.pcap', 'dns_fragmented.pcap', 'ip_fragmented_garbage.pcap',
            'vxlan.pcap', 'http_ipv6.pcap', 'dns.pcap', 'badpackets.pcap']


def main():
    check = hftest.Check('probe_repeat')
    rows = []
    with hftest.tempdir() as tmp:
        for name in CAPTURES:
            texts = []
            for run in (1, 2):
                out = os.path.join(tmp, '%s.%d.ipfix' % (name, run))
                p = hftest.probe_to_file(hftest.pcap(name), out)
                check.probe_ran(p, '%s run %d' % (name, run))
                hftest.dump_records(out, check, '%s run %d' % (name, run))
                texts.append(hftest.dump_text(out).splitlines())
            a, b = texts
            diff = [(i + 2, x, y) for i, (x, y) in enumerate(zip(a[1:], b[1:])) if x != y]
            same = a == b
            check.ok(same, '%s: runs differ: %d vs %d records, first different line %s'
                     % (name, len(a) - 1, len(b) - 1, diff[:1]))
            rows.append((name, len(a) - 1, len(b) - 1, 'identical' if same else 'DIFFERENT'))
    hftest.table(['capture', 'records run 1', 'records run 2', 'CSV'], rows)
    check.finish()


if __name__ == '__main__':
    main()
