#!/usr/bin/env python3
"""DNS-paired hostnames, flow by flow, against tshark's decode of the DNS
answers (captures with DNS followed by connections, shared/README.md).

From tshark alone, in packet order: every DNS/mDNS/LLMNR response's A/AAAA
answers for its question name (or the names its CNAME chain leads to) are
told to the response's destination (the client); the (client, address) ->
question name map and the address -> name fallback keep the latest answer,
each living max(TTL, --dns-ttl-floor) from the answer.  For EVERY exported
TCP/UDP flow, at the packet that created it (before that packet's own
answers count): the name its source was told for its destination, else the
name its destination was told for its source, else the fallback for the
destination, else for the source; a flow with none of them has an empty
dns_name.  Asserted per record:
  - dns_name equals that name ('' when none);
  - hostname / name_source: the application name (tls/http/quic) if any,
    else the DNS name with source 'dns' ('dns-stale' past its TTL), else both empty;
  - non-TCP/UDP records carry no DNS name;
  - DNS_QUERY (ntop 35632/205, decoded by tshark): the question of the last
    DNS message parsed on the flow or, while it was in the table, on its
    reverse flow; empty on every flow that carried none.
Run twice: default TTL floor (300 s) and --dns-ttl-floor 1, which lets the
answers' own TTLs expire within the captures."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

RUNS = [('', hftest.TTL_FLOOR_S), ('--dns-ttl-floor=1', 1)]


def check_capture(run, floor, check, what):
    exp = hftest.expected_dns_names(run.instances, run.messages, floor)
    in_instance = set()
    stats = dict(records=0, client=0, stale=0, fallback=0, reverse=0, empty=0, unsure=0,
                 queries=0, bad=0)
    stale_of = {}
    before = len(check.failures)
    for inst in run.instances:
        e = exp[inst]
        queries = hftest.expected_dns_query(inst, run.messages_of)
        for n, r in enumerate(inst.records):
            in_instance.add(id(r))
            stats['records'] += 1
            if not e.certain:
                stats['unsure'] += 1
            else:
                stats[{'answer to src': 'client', 'answer to dst': 'client',
                       'answer to src (stale)': 'stale', 'answer to dst (stale)': 'stale',
                       'fallback dst': 'fallback', 'fallback src': 'fallback',
                       'reverse flow': 'reverse'}.get(e.how, 'empty')] += 1
                stale_of[id(r)] = e.stale
                src = 'DNS frame %s, %s' % (e.frame, e.how) if e.frame else e.how
                check.ok(r['dns_name'] == e.name,
                         '%s: %s (record %d, end %s): dns_name expected %r (%s), got %r'
                         % (what, inst.describe(), n, r['end_reason'], e.name, src,
                            r['dns_name']))
            q, certain = queries[n]
            stats['queries'] += bool(q)
            if certain:
                check.ok(r['ie_dns_query'] == q,
                         '%s: %s (record %d): DNS_QUERY expected %r, got %r'
                         % (what, inst.describe(), n, q, r['ie_dns_query']))
    for r in run.records:
        t = hftest.rec_tuple(r)
        if id(r) not in in_instance:
            check.ok(r['dns_name'] == '' and r['ie_dns_query'] == '',
                     '%s: %s (not TCP/UDP) carries dns_name %r / DNS_QUERY %r'
                     % (what, hftest.tuple_text(t), r['dns_name'], r['ie_dns_query']))
        if r['name_source'] in hftest.APP_SOURCES:
            continue
        source = 'dns-stale' if stale_of.get(id(r)) else 'dns'
        want = (r['dns_name'], source if r['dns_name'] else '')
        check.ok((r['hostname'], r['name_source']) == want,
                 '%s: %s start %s: hostname/name_source %r, want %r (no application name)'
                 % (what, hftest.tuple_text(t), r['start'],
                    (r['hostname'], r['name_source']), want))
    stats['bad'] = len(check.failures) - before
    return stats


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('names_dns')
    rows = []
    with hftest.tempdir() as tmp:
        def one(name):
            decode = hftest.CaptureDecode(name)
            return [(floor, hftest.NamesRun(name, tmp, *([opt] if opt else []),
                                            decode=decode, tag='.floor%d' % floor))
                    for opt, floor in RUNS]
        runs = [r for rs in hftest.parallel(one, hftest.DNS_CAPTURES) for r in rs]
        for floor, run in sorted(runs, key=lambda x: -x[0]):
            name = run.name
            what = '%s (ttl floor %d)' % (name, floor)
            run.merge_into(check)
            responses = [m for m in run.messages if m.response and m.addrs]
            st = check_capture(run, floor, check, what)
            rows.append((name, floor, len(responses),
                         sum(len(m.addrs) for m in responses), st['records'],
                         st['client'], st['stale'], st['fallback'], st['reverse'], st['empty'],
                         st['unsure'], st['queries'], st['bad']))
    print()
    hftest.table(['capture', 'ttl floor', 'DNS answers', 'addresses', 'TCP/UDP records',
                  'named by client', 'stale (past TTL)', 'by fallback', 'by reverse', 'no name',
                  'not checked', 'DNS_QUERY set', 'mismatches'], rows)
    none = sorted({r[0] for r in rows if r[2] == 0})
    if none:
        print('no DNS answer (only "no name" and DNS_QUERY checked): ' + ', '.join(none))
    check.finish()


if __name__ == '__main__':
    main()
