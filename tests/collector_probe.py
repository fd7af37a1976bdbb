#!/usr/bin/env python3
"""hostflow-probe exports to hostflow-collector on loopback, over UDP and
over TCP: the records the collector stores equal the probe's records for
the same capture written with -o (hostflow-dump -F csv, every column --
times, addresses, ports, counters, flags, MACs, hostname, name_source,
dns_name, app, sampling -- rows compared as sorted multisets).  The
probe's options records (its statistics) are counted, not stored."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = ['1kxun.pcap', 'chrome.pcap', 'dns.pcap', 'http_ipv6.pcap', 'quic.pcap',
            'dns_tcp.pcap', 'googledns_android10.pcap']
TRANSPORTS = ['udp', 'tcp']


def rows(recs):
    """Stored/written records as a multiset of CSV rows (all columns)."""
    return collections.Counter(tuple(sorted((k, str(v)) for k, v in r.items())) for r in recs)


def one(tmp, name, transport):
    tag = '%s-%s' % (name, transport)
    out = os.path.join(tmp, tag + '.ipfix')
    pf = hftest.probe_to_file(hftest.pcap(name), out)
    want, dp = hftest.dump_csv(out)
    with hftest.Collector(tmp, tag, listen=['%s:127.0.0.1:0' % transport]) as col:
        col.start()
        port = col.udp if transport == 'udp' else col.tcp
        p = hftest.run_probe(['-r', hftest.pcap(name), '-C', '127.0.0.1:%d' % port,
                              '-t', transport, '-v'])
        col.wait(lambda st: hftest.exporter_sum(st)['records'] >= len(want), timeout=30)
        rc = col.stop()
        st = col.status()
        got = col.records()
        tmp_left = col.files(temp=True)
        nsrc = col.sources()
    return dict(name=name, transport=transport, pf=pf, dp=dp, want=want, p=p, col=col,
                rc=rc, st=st, got=got, tmp_left=tmp_left, sources=nsrc)


def main():
    check = hftest.Check('collector_probe')
    table = []
    with hftest.tempdir() as tmp:
        results = hftest.parallel(lambda r: one(tmp, *r),
                                  [(n, t) for n in CAPTURES for t in TRANSPORTS])
    for r in results:
        what = '%s over %s' % (r['name'], r['transport'])
        check.probe_ran(r['pf'], '%s: probe -o' % what)
        check.probe_ran(r['p'], '%s: probe -c' % what)
        counters = hftest.probe_counters(r['p'].stderr) or {}
        check.eq('%s: probe export_errors' % what, 0, counters.get('export_errors'))
        r['col'].check_exit(check, what, r['rc'])
        tot = hftest.exporter_sum(r['st'])
        want, got = rows(r['want']), rows(r['got'])
        check.ok(len(r['want']) > 0, '%s: the probe wrote no record' % what)
        check.eq('%s: records stored vs written by the probe' % what, len(r['want']),
                 len(r['got']))
        missing, extra = want - got, got - want
        check.ok(not missing and not extra,
                 '%s: %d rows only in the probe file, %d only in the store; first: %s / %s'
                 % (what, sum(missing.values()), sum(extra.values()),
                    dict(sorted(missing)[0]) if missing else None,
                    dict(sorted(extra)[0]) if extra else None))
        check.eq('%s: records decoded (status)' % what, len(r['want']), tot['records'])
        check.eq('%s: malformed' % what, 0, tot['malformed'])
        check.eq('%s: sequence_lost' % what, 0, tot['sequence_lost'])
        check.eq('%s: temp files left after SIGTERM' % what, [], r['tmp_left'])
        check.eq('%s: store sources' % what, ['exp-127.0.0.1'], r['sources'])
        if r['transport'] == 'tcp':
            check.eq('%s: TCP connections' % what, 1, r['st']['sockets']['tcp_connections'])
            check.eq('%s: bad TCP streams' % what, 0, r['st']['sockets']['tcp_bad_streams'])
        named = sum(1 for x in r['got'] if x['hostname'] or x['dns_name'] or x['app'])
        table.append((r['name'], r['transport'], len(r['want']), len(r['got']),
                      tot['options_records'], named, tot['messages'],
                      hftest.malformed_text(tot)))
    print()
    hftest.table(['capture', 'transport', 'probe -o records', 'stored', 'options records',
                  'stored with a name', 'messages', 'malformed'], table)
    check.finish()


if __name__ == '__main__':
    main()
