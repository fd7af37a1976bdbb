#!/usr/bin/env python3
"""Application hostnames (TLS ClientHello SNI, HTTP Host, QUIC Initial SNI)
against tshark's decode, with TCP reassembly and QUIC decryption.

For every TCP flow whose first TLS ClientHello / HTTP request, and every UDP
flow whose first QUIC Initial ClientHello, tshark completes within the
flow's first 6 payload packets (what the probe inspects), on the
client->server record(s) and on the reverse flow's:
  - hostname equals tshark's tls.handshake.extensions_server_name /
    http.host without its port (lower-cased), name_source tls/http/quic;
  - the IPFIX carries it as SSL_SERVER_NAME (tls, quic) or httpRequestHost
    (http), and not the other one;
  - a hello without SNI / Host: no application name, no such element.
And on every record: an application name only where tshark saw that hello
on the conversation (both 5-tuple directions).  QUIC: the captures hold
gQUIC (no IETF Initial) except dlt_ppp.pcap, a draft-29 Initial whose SNI
"server4" tshark decrypts; gQUIC hellos are listed, not asserted."""
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = hftest.DNS_CAPTURES + hftest.APP_CAPTURES + hftest.QUIC_CAPTURES
IE = {'tls': 'ie_sni', 'quic': 'ie_sni', 'http': 'ie_http_host'}


def check_record(check, what, r, kind, name):
    got = (r['hostname'], r['name_source'], r['ie_sni'], r['ie_http_host'])
    if name:
        want = (name, kind, name if IE[kind] == 'ie_sni' else '',
                name if IE[kind] == 'ie_http_host' else '')
    else:
        want = (r['dns_name'], 'dns' if r['dns_name'] else '', '', '')
    return check.ok(got == want, '%s: (hostname, name_source, SSL_SERVER_NAME, '
                    'httpRequestHost) expected %r, got %r' % (what, want, got))


def check_capture(run, check):
    st = collections.Counter()
    before = len(check.failures)
    first = {}                       # instance -> its first hello
    for h in run.hellos:
        if h.kind == 'gquic':
            st['gquic'] += 1
            continue
        inst = hftest.instance_of_frame(run.index, h.tuple, h.frame)
        if inst is None:
            check.ok(False, '%s: no record holds %s frame %d' % (run.name,
                                                                 hftest.tuple_text(h.tuple), h.frame))
        elif inst not in first:
            first[inst] = h
    for inst, h in first.items():
        st[h.kind + (' named' if h.name else ' no name')] += 1
        pos = inst.payload_index(h.frame)
        if pos > hftest.INSPECT_PACKETS:
            st['beyond window'] += 1
            print('  %s: %s hello %r completes in payload packet %d (frame %d), beyond '
                  'the %d inspected: not asserted' % (run.name, h.kind, h.name, pos, h.frame,
                                                      hftest.INSPECT_PACKETS))
            continue
        rev = hftest.paired_reverse(run.index, inst, h.frame)
        for side, flow in (('client->server', inst), ('server->client', rev)):
            if flow is None:
                continue
            for n, r in enumerate(flow.records):
                st['records'] += 1
                check_record(check, '%s: %s %s hello frame %d (%s record %d)'
                             % (run.name, flow.describe(), h.kind, h.frame, side, n),
                             r, h.kind, h.name)
    # no application name without that hello on the conversation
    named = collections.defaultdict(set)
    for h in run.hellos:
        if h.name and h.kind in IE:
            named[h.tuple].add((h.kind, h.name))
            named[hftest.reverse_tuple(h.tuple)].add((h.kind, h.name))
    for r in run.records:
        if r['name_source'] in hftest.APP_SOURCES:
            t = hftest.rec_tuple(r)
            check.ok((r['name_source'], r['hostname']) in named[t],
                     '%s: %s start %s: named %r (%s) but tshark saw no such hello on the '
                     'conversation (hellos there: %s)'
                     % (run.name, hftest.tuple_text(t), r['start'], r['hostname'],
                        r['name_source'], sorted(named[t]) or 'none'))
    st['bad'] = len(check.failures) - before
    return st


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('names_app')
    rows = []
    with hftest.tempdir() as tmp:
        runs = hftest.parallel(lambda n: hftest.NamesRun(n, tmp, hellos=True, dns=False),
                               CAPTURES)
        for run in runs:
            run.merge_into(check)
            st = check_capture(run, check)
            rows.append((run.name, '%d/%d' % (st['tls named'], st['tls no name']),
                         st['http named'], st['quic named'], st['gquic'], st['records'],
                         st['beyond window'], st['bad']))
            if run.name == 'dlt_ppp.pcap':
                quic = [(h.kind, h.name) for h in run.hellos if h.kind == 'quic']
                check.eq('dlt_ppp.pcap: QUIC Initial hellos tshark decrypts', [('quic', 'server4')],
                         quic)
    print()
    hftest.table(['capture', 'TLS hellos SNI/none', 'HTTP Host', 'QUIC SNI',
                  'gQUIC (not checked)', 'records checked', 'beyond 6 packets', 'mismatches'],
                 rows)
    check.finish()


if __name__ == '__main__':
    main()
