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
Printed too (not asserted): the share over all TCP/UDP bytes.

Names that outlive a DNS TTL: among the flows to an address the flow's
client was answered for earlier in the capture (however long ago), the
share whose record carries that (latest) answer's name, >= 99 %, also with
the TTL floor at 1 s so that most answers have run out when their flows
begin (the probe keeps a client's expired answer as a fallback, name source
dns-stale)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = hftest.DNS_CAPTURES + hftest.APP_CAPTURES + ['dlt_ppp.pcap']
MIN_SHARE = 95.0
MIN_ANSWERED = 99.0
SHORT_FLOOR = '--dns-ttl-floor=1'


def answered_share(run):
    """(flows answered earlier for their client, of those carrying that
    answer's name, the misses): each flow's client is its source, the
    answer the latest one told it for the destination before the flow."""
    model = hftest.NameCacheModel()
    events = sorted([(i.first.number, 0, n) for n, i in enumerate(run.instances)] +
                    [(m.frame, 1, n) for n, m in enumerate(run.messages)
                     if m.response and m.addrs])
    answered = carried = 0
    missed = []
    for _, kind, n in events:
        if kind:
            model.put(run.messages[n])
            continue
        inst = run.instances[n]
        if hftest.is_dns_tuple(inst.tuple):
            continue
        e = model.answered(inst.tuple[0], inst.tuple[1])
        if not e:
            continue
        answered += 1
        if all(r['dns_name'] == e[0] for r in inst.records):
            carried += 1
        else:
            missed.append('%s: want %r, got %r' % (inst.describe(), e[0],
                                                  [r['dns_name'] for r in inst.records]))
    return answered, carried, missed


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
        short = hftest.parallel(lambda n: hftest.NamesRun(n, tmp, SHORT_FLOOR, elements=False,
                                                          tag='.short'),
                                hftest.DNS_CAPTURES)
        answered_rows = []
        for run, floor in [(r, 'default') for r in runs] + [(r, '1 s') for r in short]:
            if floor != 'default':
                run.merge_into(check)
            answered, carried, missed = answered_share(run)
            if not answered:
                continue
            answered_rows.append((run.name, floor, answered, carried, pct(carried, answered)))
            ok = check.ok(100.0 * carried / answered >= MIN_ANSWERED,
                          '%s (TTL floor %s): %s%% of the %d flows to an address answered '
                          'earlier for their client carry that name, want >= %.0f%%'
                          % (run.name, floor, pct(carried, answered), answered,
                             MIN_ANSWERED))
            if not ok:
                for m in missed[:20]:
                    print('  %s: %s' % (run.name, m))
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
    print()
    hftest.table(['capture', 'TTL floor', 'flows answered earlier', 'carry the answer',
                  '%'], answered_rows)
    check.finish()


if __name__ == '__main__':
    main()
