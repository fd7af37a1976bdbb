#!/usr/bin/env python3
"""nfdump's collector takes the probe's IPFIX over UDP on loopback: nfcapd
receives the export of several captures, and the flows nfdump then reads
(count, packets, bytes, and each record's addresses, ports and counts)
equal hostflow-dump's view of the same runs written to a file (the probe
has one output per run: it runs twice, records are deterministic)."""
import collections
import csv
import io
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = ['chrome.pcap', 'dns.pcap', 'dns_fragmented.pcap', 'http_ipv6.pcap',
            'googledns_android10.pcap', 'iphone.pcap', 'vxlan.pcap']


def flow_key(src, dst, sport, dport, packets, octets):
    return (hftest.norm_addr(src), hftest.norm_addr(dst), sport, dport, packets, octets)


def nfdump_flows(flowdir):
    """(flows as a Counter of flow_key, summary dict) from nfdump -o csv."""
    p = hftest.run(['nfdump', '-R', flowdir, '-o', 'csv'])
    if p.returncode != 0:
        raise RuntimeError('nfdump: %s' % p.stderr)
    text = p.stdout
    body, _, summary = text.partition('\nSummary\n')
    flows = collections.Counter()
    for row in csv.DictReader(io.StringIO(body)):
        dp = row['dp']
        if '.' in dp:                     # ICMP: type.code
            t, c = dp.split('.')
            dp = int(t) << 8 | int(c)
        flows[flow_key(row['sa'], row['da'], int(row['sp']), int(dp),
                       int(row['ipkt']), int(row['ibyt']))] += 1
    srow = next(csv.DictReader(io.StringIO(summary)), {})
    return flows, {k: int(v) for k, v in srow.items() if v.strip().isdigit()}


def main():
    hftest.need_tools('nfcapd', 'nfdump')
    check = hftest.Check('probe_nfcapd')
    with hftest.tempdir() as tmp:
        flowdir = os.path.join(tmp, 'flows')
        os.mkdir(flowdir)
        port = hftest.free_port()
        log = open(os.path.join(tmp, 'nfcapd.log'), 'w+')
        nfcapd = subprocess.Popen(['nfcapd', '-b', '127.0.0.1', '-p', str(port), '-w', flowdir],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 20
            while 'Startup' not in open(log.name).read():
                if nfcapd.poll() is not None or time.time() > deadline:
                    print(open(log.name).read())
                    check.ok(False, 'nfcapd did not start')
                    check.finish()
                time.sleep(0.1)
            rows = []
            want = collections.Counter()
            for name in CAPTURES:
                p = hftest.run_probe(['-r', hftest.pcap(name), '-C', '127.0.0.1:%d' % port, '-v'])
                check.probe_ran(p, '%s: UDP export to nfcapd' % name)
                counters = hftest.probe_counters(p.stderr) or {}
                check.eq('%s: export_errors' % name, 0, counters.get('export_errors'))
                out = os.path.join(tmp, name + '.ipfix')
                hftest.probe_to_file(hftest.pcap(name), out)
                recs = hftest.dump_records(out, check, name)
                n, pk, by = hftest.totals(recs)
                for r in recs:
                    want[flow_key(r['src'], r['dst'], r['sport'], r['dport'],
                                  r['packets'], r['bytes'])] += 1
                rows.append((name, n, pk, by))
            time.sleep(0.5)            # the last datagrams reach nfcapd
        finally:
            rc = hftest.stop(nfcapd)   # SIGTERM: nfcapd writes its file and exits
        print(open(log.name).read().strip())
        check.eq('nfcapd exit status', 0, rc)
        hftest.table(['capture', 'records', 'packets', 'bytes'], rows)
        flows, summary = nfdump_flows(flowdir)
        n, pk, by = (sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows))
        print('\nall captures: hostflow-dump flows %d packets %d bytes %d' % (n, pk, by))
        print('nfdump summary: flows %s packets %s bytes %s' % (
            summary.get('flows'), summary.get('packets'), summary.get('bytes')))
        print('nfdump records: %d, packets %d, bytes %d' % (
            sum(flows.values()), sum(k[4] * c for k, c in flows.items()),
            sum(k[5] * c for k, c in flows.items())))
        check.eq('flows (nfdump summary)', n, summary.get('flows'))
        check.eq('packets (nfdump summary)', pk, summary.get('packets'))
        check.eq('bytes (nfdump summary)', by, summary.get('bytes'))
        check.eq('flow records (nfdump csv)', n, sum(flows.values()))
        missing, extra = want - flows, flows - want
        check.ok(not missing and not extra,
                 'records differ (src, dst, sport, dport, packets, bytes): '
                 'only hostflow-dump %s, only nfdump %s' %
                 (sorted(missing.elements())[:5], sorted(extra.elements())[:5]))
    check.finish()


if __name__ == '__main__':
    main()
