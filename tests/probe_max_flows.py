#!/usr/bin/env python3
"""A full flow table exports the longest-idle flow early and loses nothing:
with --max-flows 16 on captures holding many more concurrent flows, records
carry end_reason "resources", their number equals the -v counter
"evicted" (> 0), the table never holds more than 16 flows, the flow
evicted is the one idle the longest, and packets, octets and 5-tuples still
equal tshark's independent count."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

MAX_FLOWS = 16
CAPTURES = ['1kxun.pcap', 'netflix.pcap', 'iphone.pcap']


def not_longest_idle(recs):
    """Evictions that did not take the flow idle the longest.  A record S
    exported after an evicted record R, whose last packet came before R's,
    belongs to a flow that was in the table when R was evicted (it cannot
    have started later) and had been idle longer, so it should have gone
    first -- whatever its state: a flow closing after FIN/RST is idle too
    (the option promises "the longest-idle is exported early")."""
    bad = []
    for i, r in enumerate(recs):
        if r['end_reason'] != 'resources':
            continue
        for s in recs[i + 1:]:
            if hftest.ms(s['end']) < hftest.ms(r['end']):
                bad.append('evicted %s %s:%d>%s:%d last seen %s while %s %s:%d>%s:%d '
                           '(tcp flags %d) last seen %s stayed'
                           % (r['proto'], r['src'], r['sport'], r['dst'], r['dport'], r['end'],
                              s['proto'], s['src'], s['sport'], s['dst'], s['dport'],
                              s['flags'], s['end']))
                break
    return bad


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('probe_max_flows')
    rows = []
    with hftest.tempdir() as tmp:
        def one(name):
            out = os.path.join(tmp, name + '.ipfix')
            p = hftest.probe_to_file(hftest.pcap(name), out, '--max-flows', str(MAX_FLOWS), '-v')
            return name, p, out, hftest.expected_from_tshark(hftest.pcap(name))
        for name, p, out, exp in hftest.parallel(one, CAPTURES):
            check.probe_ran(p, name)
            recs = hftest.dump_records(out, check, name)
            c = hftest.probe_counters(p.stderr) or {}
            _, packets, octets = hftest.totals(recs)
            resources = sum(1 for r in recs if r['end_reason'] == 'resources')
            tuples = hftest.record_tuples(recs)
            check.eq('%s: packets vs tshark' % name, exp.packets, packets)
            check.eq('%s: bytes vs tshark' % name, exp.bytes, octets)
            check.eq('%s: distinct 5-tuples vs tshark' % name, len(exp.tuples), len(tuples))
            check.ok(exp.tuples == tuples, '%s: 5-tuples differ from tshark\'s' % name)
            check.ok(c.get('evicted', 0) > 0, '%s: counter evicted = %s, want > 0'
                     % (name, c.get('evicted')))
            check.eq('%s: records with end_reason resources vs counter evicted' % name,
                     c.get('evicted'), resources)
            check.ok(c.get('peak_flows', MAX_FLOWS + 1) <= MAX_FLOWS,
                     '%s: peak_flows %s > --max-flows %d' % (name, c.get('peak_flows'), MAX_FLOWS))
            lru = not_longest_idle(recs)
            check.ok(not lru, '%s: %d evictions of a flow not idle the longest: %s'
                     % (name, len(lru), lru[:2]))
            rows.append((name, len(recs), resources, c.get('evicted'), c.get('peak_flows'),
                         '%d/%d' % (exp.packets, packets), '%d/%d' % (exp.bytes, octets),
                         '%d/%d' % (len(exp.tuples), len(tuples)), len(lru)))
    hftest.table(['capture', 'records', 'resources', 'evicted', 'peak_flows',
                  'packets tshark/probe', 'bytes tshark/probe', 'tuples tshark/probe',
                  'not longest-idle'], rows)
    check.finish()


if __name__ == '__main__':
    main()
