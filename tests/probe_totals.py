#!/usr/bin/env python3
"""Every capture: the probe's exported packets, octets and distinct 5-tuples
equal what tshark's independent decode of the same capture gives.

The counting rules (outer IP header, malformed frames skipped, fragment
ports...) are stated in hftest.expected_from_tshark."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402


def one(name, tmp):
    path = hftest.pcap(name)
    out = os.path.join(tmp, name + '.ipfix')
    p = hftest.probe_to_file(path, out)
    exp = hftest.expected_from_tshark(path)
    recs, d = hftest.dump_csv(out) if os.path.exists(out) else ([], None)
    return name, p, d, exp, recs


def main():
    check = hftest.Check('probe_totals')
    hftest.need_tools('tshark')
    rows = []
    with hftest.tempdir() as tmp:
        results = hftest.parallel(lambda n: one(n, tmp), hftest.captures())
    for name, p, d, exp, recs in results:
        _, packets, octets = hftest.totals(recs)
        tuples = hftest.record_tuples(recs)
        rows.append((name, '%d/%d' % (exp.packets, packets),
                     '%d/%d' % (exp.bytes, octets),
                     '%d/%d' % (len(exp.tuples), len(tuples)),
                     hftest.describe_exit(p),
                     '; '.join('%s: %d' % kv for kv in sorted(exp.skipped.items()))))
    hftest.table(['capture', 'packets exp/got', 'bytes exp/got', 'tuples exp/got',
                  'probe', 'frames skipped by rule'], rows)
    print()
    for name, p, d, exp, recs in results:
        # a crash is never acceptable; other exit codes are probe_robust's
        check.ok(p.returncode >= 0, '%s: probe %s: %s' % (name, hftest.describe_exit(p),
                                                          p.stderr[-2000:]))
        check.ok(d is not None and d.returncode == 0,
                 '%s: output not readable by hostflow-dump: %s' %
                 (name, d.stderr.strip() if d else 'no file written'))
        _, packets, octets = hftest.totals(recs)
        check.eq('%s packets' % name, exp.packets, packets)
        check.eq('%s bytes' % name, exp.bytes, octets)
        tuples = hftest.record_tuples(recs)
        if check.eq('%s distinct 5-tuples' % name, len(exp.tuples), len(tuples)):
            check.ok(exp.tuples == tuples, '%s: same count, different 5-tuples: '
                     'only tshark %s, only probe %s' %
                     (name, sorted(exp.tuples - tuples)[:5], sorted(tuples - exp.tuples)[:5]))
        else:
            print('    only in tshark: %s' % sorted(exp.tuples - tuples)[:8])
            print('    only in probe:  %s' % sorted(tuples - exp.tuples)[:8])
    check.finish()


if __name__ == '__main__':
    main()
