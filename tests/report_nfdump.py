#!/usr/bin/env python3
"""hostflow-report against nfdump, the independent oracle (issue 14, done
means 1).  The same exports -- the probe over real captures, and the router
captures of pmacct's test suite replayed with the shared replay script --
go to nfcapd and to hostflow-collector in one test.  Then:

- for a table of filter expressions in the syntax both share, the flows,
  packets and bytes hostflow-report selects equal nfdump -R's summary;
- for --by srcip|dstip|ip|srcport|dstport|proto with each order (bytes,
  packets, flows), every group's counts equal nfdump -s KEY/ORDER's, and
  the top 10 are in nfdump's order of the measure."""
import collections
import csv
import glob
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'proto']
ORDERS = [('bytes', 'byt'), ('packets', 'pkt'), ('flows', 'fl')]
PROTO_NAMES = {'1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp',
               '58': 'icmp6', '132': 'sctp', 'ipv6-icmp': 'icmp6'}


def nfdump(flowdir, *args):
    p = hftest.run(['nfdump', '-R', flowdir, '-o', 'csv'] + list(args))
    if p.returncode != 0:
        raise RuntimeError('nfdump %s: %s' % (' '.join(args), p.stderr.strip()))
    body, _, summary = p.stdout.partition('\nSummary\n')
    return list(csv.DictReader(io.StringIO(body))), next(csv.DictReader(io.StringIO(summary)), {})


def norm_value(key, v):
    if key in ('srcip', 'dstip', 'ip'):
        # nfdump keys IPv4 and IPv6 in one 128-bit space: :: is 0.0.0.0 there
        v = hftest.norm_addr(v)
        return '0.0.0.0' if v == '::' else v
    if key == 'proto':
        v = v.strip().lower()
        return PROTO_NAMES.get(v, v)
    return str(int(float(v)))


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def filter_totals(check, store, flowdir, expr):
    """(hostflow, nfdump) (flows, packets, bytes) for one filter."""
    _, summary = nfdump(flowdir, expr)
    want = tuple(int(summary.get(k, 0)) for k in ('flows', 'packets', 'bytes'))
    rows, p = hftest.report_rows(store, '--by', 'proto', '-n', '0', expr)
    total = [r for r in rows if r['rank'] == 'total']
    check.ok(p.returncode == 0 and total, 'filter %r: hostflow-report %s: %s'
             % (expr, hftest.describe_exit(p), p.stderr.strip()))
    got = tuple(int(total[0][k]) for k in ('flows', 'packets', 'bytes')) if total else None
    return got, want


def compare_filters(check, store, flowdir):
    rows, _ = nfdump(flowdir, '-s', 'srcip/flows', '-n', '3')
    a = rows[0]['val']
    rows, _ = nfdump(flowdir, '-s', 'dstip/bytes', '-n', '3')
    b = rows[0]['val']
    filters = hftest.report_filters(a, b)
    rows = []
    for expr in filters:
        got, want = filter_totals(check, store, flowdir, expr)
        rows.append((expr, want, got))
        check.eq('filter %r: flows, packets, bytes' % expr, want, got)
    print(hftest.table(('filter', 'nfdump', 'hostflow-report'), rows), flush=True)
    nonempty = sum(1 for _, want, _ in rows if want[0] > 0)
    check.ok(len(filters) >= 30 and nonempty >= 25,
             '%d filters, %d select flows' % (len(filters), nonempty))


def compare_tops(check, store, flowdir):
    for key in KEYS:
        for order, col in ORDERS:
            nrows, _ = nfdump(flowdir, '-s', '%s/%s' % (key, order), '-n', '0')
            want = collections.defaultdict(lambda: (0, 0, 0))
            for r in nrows:
                k = norm_value(key, r['val'])
                want[k] = add(want[k], (int(r['fl']), int(r.get('pkt', r.get('ipkt'))),
                                        int(r.get('byt', r.get('ibyt')))))
            want = dict(want)
            hrows, p = hftest.report_rows(store, '--by', key, '-o', order, '-n', '0')
            check.ok(p.returncode == 0, '--by %s -o %s: %s' % (key, order, p.stderr.strip()))
            got = collections.defaultdict(lambda: (0, 0, 0))
            for r in hrows:
                if r['rank'] not in ('other', 'total'):
                    k = norm_value(key, r[key])
                    got[k] = add(got[k], (int(r['flows']), int(r['packets']), int(r['bytes'])))
            got = dict(got)
            same = want == got
            diff = sorted(set(want.items()) ^ set(got.items()))[:4]
            check.ok(same, '--by %s -o %s: %d groups vs nfdump %d; differing %s'
                     % (key, order, len(got), len(want), diff))
            # the top 10 in the order of the measure
            top, _ = hftest.report_rows(store, '--by', key, '-o', order, '-n', '10')
            idx = {'bytes': 2, 'packets': 1, 'flows': 0}[order]
            ours = [want.get(norm_value(key, r[key]), (0, 0, 0))[idx]
                    for r in top if r['rank'] not in ('other', 'total')]
            theirs = sorted((v[idx] for v in want.values()), reverse=True)[:10]
            check.eq('--by %s -o %s -n 10: the measure, largest first' % (key, order),
                     theirs, ours)
            print('--by %-8s -o %-7s: %4d groups, top %s' % (key, order, len(got), ours[:3]),
                  flush=True)


def main():
    hftest.need_tools('nfcapd', 'nfdump')
    check = hftest.Check('report-nfdump')
    with hftest.tempdir() as tmp:
        nf = hftest.Nfcapd(tmp).start()
        with hftest.Collector(tmp, 'hostflow', listen=['udp:127.0.0.1:0']) as col:
            col.start()
            hftest.report_feed(col.udp)
            hftest.report_feed(nf.port)
            time.sleep(1)
            check.ok(nf.stop() == 0, 'nfcapd exits 0')
            col.check_exit(check, 'collector', col.stop())
        # the collector wrote each completed slot's columns (at exit for
        # the last ones): the answers below come from them
        slots = glob.glob(os.path.join(col.store, '*', '*', '*', '*', 'flows-*.ipfix'))
        cols = [p for p in slots if os.path.exists(p[:-len('.ipfix')] + '.cols')]
        check.ok(slots and len(cols) == len(slots),
                 'columns beside %d of %d slot files' % (len(cols), len(slots)))
        _, p = hftest.report_rows(col.store, '--explain', '--by', 'ip')
        check.ok('columns: %d of the files' % len(slots) in p.stderr
                 and ('keys shared out' in p.stderr or (os.cpu_count() or 1) < 2),
                 'read from the columns: %s' % p.stderr)
        want = nf.totals()
        got, _ = filter_totals(check, col.store, nf.flowdir, 'any')
        print('nfdump: %s flows/packets/bytes; hostflow-report: %s' % (want, got), flush=True)
        check.ok(want[0] > 500, 'enough flows to compare (%d)' % want[0])
        compare_filters(check, col.store, nf.flowdir)
        compare_tops(check, col.store, nf.flowdir)
    check.finish()


if __name__ == '__main__':
    main()
