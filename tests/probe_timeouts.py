#!/usr/bin/env python3
"""Flow timeouts on packet time, checked on long captures:
- --active-timeout 1: no record spans more than 1 s, long flows are
  reported in "active" slices (the next slice of the flow starts >= 1 s
  after the previous one), and no packet is lost;
- --idle-timeout 2: a flow ended as "idle" saw no packet for more than
  2 s (the next record of the same flow starts >= 2 s after its end, and a
  later packet of the capture triggered it), idle records come out in the
  order their flows went quiet, flows still open at the end of the file
  ("forced") are the ones active in the last 2 s, and no packet is lost.
Totals are compared with tshark's independent count."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

# long captures (90 s and 255 s) in strict time order
CAPTURES = ['netflix.pcap', 'googledns_android10.pcap']
ACTIVE_S = 1
IDLE_S = 2


def by_flow(recs):
    flows = {}
    for r in recs:
        flows.setdefault(hftest.probe_flow_key(r), []).append(r)
    for v in flows.values():
        v.sort(key=lambda r: hftest.ms(r['start']))
    return flows


def run(tmp, name, args, check, exp):
    out = os.path.join(tmp, '%s%s.ipfix' % (name, '_'.join(args)))
    p = hftest.probe_to_file(hftest.pcap(name), out, *args)
    check.probe_ran(p, '%s %s' % (name, ' '.join(args)))
    recs = hftest.dump_records(out, check, name)
    _, packets, octets = hftest.totals(recs)
    check.eq('%s %s: packets vs tshark' % (name, ' '.join(args)), exp.packets, packets)
    check.eq('%s %s: bytes vs tshark' % (name, ' '.join(args)), exp.bytes, octets)
    check.ok(hftest.record_tuples(recs) == exp.tuples,
             '%s %s: 5-tuples differ from tshark\'s' % (name, ' '.join(args)))
    return recs, '%d/%d' % (exp.packets, packets), '%d/%d' % (exp.bytes, octets)


def active(tmp, name, check, exp):
    recs, pk, by = run(tmp, name, ['--active-timeout', str(ACTIVE_S)], check, exp)
    longest = max((hftest.ms(r['end']) - hftest.ms(r['start']) for r in recs), default=0)
    check.ok(longest <= ACTIVE_S * 1000, '%s: a record spans %d ms > active timeout %d s'
             % (name, longest, ACTIVE_S))
    n_active = sum(1 for r in recs if r['end_reason'] == 'active')
    check.ok(n_active > 0, '%s: no record ended by the active timeout' % name)
    early, pairs = [], 0
    for flow in by_flow(recs).values():
        for a, b in zip(flow, flow[1:]):
            # the packet that closes a slice arrives >= active timeout after
            # the slice's first packet, and starts the next slice
            if a['end_reason'] == 'active':
                pairs += 1
                if hftest.ms(b['start']) - hftest.ms(a['start']) < ACTIVE_S * 1000:
                    early.append((a['start'], b['start']))
    check.ok(not early, '%s: active slices closer than %d s: %s' % (name, ACTIVE_S, early[:3]))
    return (name, '--active-timeout %d' % ACTIVE_S, len(recs), n_active,
            'longest %d ms, %d slice pairs' % (longest, pairs), pk, by)


def idle(tmp, name, check, exp):
    recs, pk, by = run(tmp, name, ['--idle-timeout', str(IDLE_S)], check, exp)
    last = max(hftest.ms(r['end']) for r in recs)          # last IP packet
    idle_recs = [r for r in recs if r['end_reason'] == 'idle']
    check.ok(idle_recs, '%s: no record ended by the idle timeout' % name)
    bad, pairs = [], 0
    for flow in by_flow(recs).values():
        for a, b in zip(flow, flow[1:]):
            if a['end_reason'] == 'idle':
                pairs += 1
                if hftest.ms(b['start']) - hftest.ms(a['end']) < IDLE_S * 1000:
                    bad.append('idle record ending %s, same flow again at %s'
                               % (a['end'], b['start']))
    for r in idle_recs:
        if hftest.ms(r['end']) + IDLE_S * 1000 > last:
            bad.append('idle record ending %s, but the capture ends %d ms later'
                       % (r['end'], last - hftest.ms(r['end'])))
    for r in recs:
        if r['end_reason'] == 'forced' and hftest.ms(r['end']) < last - IDLE_S * 1000:
            bad.append('flow idle since %s still open at the end (%d ms)'
                       % (r['end'], last - hftest.ms(r['end'])))
    ends = [hftest.ms(r['end']) for r in idle_recs]
    order = [i for i in range(1, len(ends)) if ends[i] < ends[i - 1]]
    check.ok(not order, '%s: idle records out of order at positions %s' % (name, order[:5]))
    check.ok(not bad, '%s: idle rule broken: %s' % (name, bad[:3]))
    return (name, '--idle-timeout %d' % IDLE_S, len(recs), len(idle_recs),
            '%d idle gaps, out of order %d, rule broken %d' % (pairs, len(order), len(bad)),
            pk, by)


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('probe_timeouts')
    rows = []
    with hftest.tempdir() as tmp:
        expected = dict(zip(CAPTURES, hftest.parallel(
            lambda n: hftest.expected_from_tshark(hftest.pcap(n)), CAPTURES)))
        for name in CAPTURES:
            rows.append(active(tmp, name, check, expected[name]))
            rows.append(idle(tmp, name, check, expected[name]))
    hftest.table(['capture', 'option', 'records', 'ended by it', 'checks',
                  'packets tshark/probe', 'bytes tshark/probe'], rows)
    check.finish()


if __name__ == '__main__':
    main()
