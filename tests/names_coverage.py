#!/usr/bin/env python3
"""Hostname coverage: per capture, the share of TCP/UDP bytes (DNS flows,
ports 53/5353/5355, left out) whose record carries a hostname, among the
flows where naming is possible -- defined from tshark alone:
  - the conversation (the 5-tuple, both directions) holds a TLS ClientHello
    with SNI, an HTTP request with Host (TCP reassembly on) or a QUIC
    Initial with SNI (decrypted), or
  - before the packet creating the flow, a DNS answer for the peer address
    was told to this side (the flow's source for its destination, or its
    destination for its source) and is still live (max(TTL, 300 s)).
Asserted: >= 95 % of those bytes are named, in every capture with any.
Printed too (not asserted): the share over all TCP/UDP bytes."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = hftest.DNS_CAPTURES + hftest.APP_CAPTURES + ['dlt_ppp.pcap']
MIN_SHARE = 95.0


def pct(a, b):
    return '%.1f' % (100.0 * a / b) if b else 'n/a'


def coverage(run):
    """(possible, named, all, all named) bytes, and the possible flows left
    unnamed."""
    model = hftest.NameCacheModel()
    events = sorted([(i.first.number, 0, n) for n, i in enumerate(run.instances)] +
                    [(m.frame, 1, n) for n, m in enumerate(run.messages)
                     if m.response and m.addrs])
    by_dns = set()
    for _, kind, n in events:
        if kind:
            model.put(run.messages[n])
            continue
        inst = run.instances[n]
        src, dst = inst.tuple[:2]
        now = inst.first.ts_us
        if model.by_client(src, dst, now) or model.by_client(dst, src, now):
            by_dns.add(n)
    hello_tuples = set()
    for h in run.hellos:
        if h.name and h.kind in ('tls', 'http', 'quic'):
            hello_tuples |= {h.tuple, hftest.reverse_tuple(h.tuple)}
    possible = named = total = total_named = 0
    missed = []
    for n, inst in enumerate(run.instances):
        if hftest.is_dns_tuple(inst.tuple):
            continue
        for r in inst.records:
            total += r['bytes']
            total_named += r['bytes'] if r['hostname'] else 0
            if n in by_dns or inst.tuple in hello_tuples:
                possible += r['bytes']
                if r['hostname']:
                    named += r['bytes']
                else:
                    missed.append('%s (%d bytes; %s)' % (
                        inst.describe(), r['bytes'],
                        'DNS answer' if n in by_dns else 'hello on the conversation'))
    return possible, named, total, total_named, missed


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('names_coverage')
    rows = []
    with hftest.tempdir() as tmp:
        runs = hftest.parallel(lambda n: hftest.NamesRun(n, tmp, hellos=True, elements=False),
                               CAPTURES)
        for run in runs:
            run.merge_into(check)
            possible, named, total, total_named, missed = coverage(run)
            rows.append((run.name, possible, named, pct(named, possible), total, total_named,
                         pct(total_named, total)))
            if possible:
                ok = check.ok(100.0 * named / possible >= MIN_SHARE,
                              '%s: %s%% of the %d bytes that could be named are, want >= %.0f%%'
                              % (run.name, pct(named, possible), possible, MIN_SHARE))
                if not ok or missed:
                    for m in missed[:20]:
                        print('  %s: unnamed: %s' % (run.name, m))
    print()
    hftest.table(['capture', 'possible bytes', 'named bytes', '%', 'all TCP/UDP bytes',
                  'named', '% of all (not asserted)'], rows)
    check.finish()


if __name__ == '__main__':
    main()
