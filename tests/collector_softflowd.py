#!/usr/bin/env python3
"""softflowd reads captures and exports NetFlow v5, NetFlow v9 and IPFIX
to hostflow-collector on loopback (one collector per run).  What the
collector stores (hostflow-dump -n over the store) equals what softflowd
exported, measured independently:
- nfdump: the same softflowd run again, to nfcapd (records, packets and
  bytes of nfdump's summary);
- tshark captures the datagrams sent to the collector on lo: their number,
  the records, packets and octets it decodes (tshark stops a NetFlow v9
  datagram after the records its header's count announces; softflowd
  writes the data records' count there, so a datagram that also holds
  templates is cut short -- those runs are compared with nfdump only),
  and its sequence analysis (the collector's sequence_lost and
  sequence_reorder equal what tshark finds);
- softflowd's own "Flows exported: N (R records)" line.
softflowd v5 cannot carry IPv6: the IPv6 capture runs with v9 and v10.
Skipped (77) when capturing on lo is not possible."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = ['1kxun.pcap', 'chrome.pcap', 'dns.pcap', 'http_ipv6.pcap']
IPV6_ONLY = {'http_ipv6.pcap'}
VERSIONS = [5, 9, 10]
EXPORTED = re.compile(r'Flows exported: (\d+) \((\d+) records\) in (\d+) packets '
                      r'\((\d+) failures\)')


def softflowd(tmp, name, version, port):
    """softflowd -r CAPTURE in the foreground: it exports every flow at the
    end of the file and exits.  Returns (CompletedProcess, records,
    datagrams, failures) from its summary."""
    p = hftest.run(['softflowd', '-d', '-r', hftest.pcap(name), '-v', str(version),
                    '-n', '127.0.0.1:%d' % port,
                    '-p', os.path.join(tmp, '%s-v%d-%d.pid' % (name, version, port)),
                    # no control socket: softflowd 1.1.0 hangs at the end of
                    # the file when its -c path is longer than 12 characters
                    '-c', 'none'], timeout=120)
    m = EXPORTED.search(p.stdout + p.stderr)
    if not m:
        return p, None, None, None
    return p, int(m.group(2)), int(m.group(3)), int(m.group(4))


def one_run(tmp, run, col):
    """softflowd to the collector (captured), then again to its own nfcapd."""
    name, v = run
    to_col = softflowd(tmp, name, v, col.udp)
    nf = hftest.Nfcapd(tmp, 'nfcapd-%s-v%d' % run).start()
    to_nf = softflowd(tmp, name, v, nf.port)
    time.sleep(0.5)                      # the last datagrams reach nfcapd
    return to_col, to_nf, nf


def main():
    hftest.need_tools('softflowd', 'tshark', 'nfcapd', 'nfdump')
    check = hftest.Check('collector_softflowd')
    runs = [(n, v) for n in CAPTURES for v in VERSIONS if not (v == 5 and n in IPV6_ONLY)]
    rows = []
    with hftest.tempdir() as tmp:
        cols = hftest.parallel(
            lambda r: hftest.Collector(tmp, '%s-v%d' % r, listen=['udp:127.0.0.1:0']).start(),
            runs)
        try:
            cap = os.path.join(tmp, 'lo.pcapng')
            bpf = 'udp and (%s)' % ' or '.join('dst port %d' % c.udp for c in cols)
            try:
                with hftest.loopback_capture(None, cap, bpf=bpf):
                    sent = hftest.parallel(lambda rc: one_run(tmp, rc[0], rc[1]),
                                           list(zip(runs, cols)))
            except PermissionError as e:
                print('SKIP: %s' % e)
                sys.exit(hftest.SKIP)
            # every datagram counted, then SIGTERM (completes the slot files)
            codes = hftest.parallel(lambda cs: (cs[0].wait_messages((cs[1][0][2] or 0)),
                                                cs[0].stop())[1], list(zip(cols, sent)))
            decode_as = ['udp.port==%d,cflow' % c.udp for c in cols]
            decoded = hftest.cflow_decode(cap, decode_as)
            sequence = hftest.cflow_sequence(cap, decode_as)
            for (name, v), col, (to_col, to_nf, nf), rc in zip(runs, cols, sent, codes):
                what = '%s v%d' % (name, v)
                for p, srecs, sgrams, sfail in (to_col, to_nf):
                    check.ok(p.returncode == 0 and srecs is not None,
                             '%s: softflowd %s: %s' % (what, hftest.describe_exit(p),
                                                       (p.stdout + p.stderr)[-500:]))
                    check.eq('%s: softflowd send failures' % what, 0, sfail)
                p, srecs, sgrams, _ = to_col
                check.eq('%s: softflowd records, run to nfcapd vs run to the collector'
                         % what, srecs, to_nf[1])
                check.eq('%s: nfcapd exit' % what, 0, nf.stop())
                nft = nf.totals()
                col.check_exit(check, what, rc)
                st = col.status()
                tot = hftest.exporter_sum(st)
                stored = col.totals()
                ts = decoded.get(col.udp, dict.fromkeys(('records', 'packets', 'octets',
                                                         'datagrams'), 0))
                tsh = (ts['records'], ts['packets'], ts['octets'])
                lost, back = sequence.get(col.udp, (0, 0))
                rows.append((name, v, '%s/%s' % (srecs, sgrams), '%d/%d/%d' % nft,
                             '%d/%d/%d' % tsh, '%d/%d/%d' % stored, ts['datagrams'],
                             '%d/%d' % (lost, back),
                             '%d/%d' % (tot['sequence_lost'], tot['sequence_reorder']),
                             hftest.malformed_text(tot)))
                check.ok(srecs, '%s: softflowd exported no record' % what)
                check.eq('%s: stored (records, packets, bytes) vs nfdump' % what, nft, stored)
                check.eq('%s: stored records vs softflowd\'s count' % what, srecs, stored[0])
                if ts['records'] == srecs:
                    check.eq('%s: stored (records, packets, octets) vs tshark' % what,
                             tsh, stored)
                else:
                    print('%s: tshark decodes %d of softflowd\'s %d records (v9 header '
                          'count): compared with nfdump only' % (what, ts['records'], srecs))
                    check.ok(v == 9, '%s: tshark decodes %d of %d records' %
                             (what, ts['records'], srecs))
                check.eq('%s: datagrams softflowd sent vs captured' % what, sgrams,
                         ts['datagrams'])
                check.eq('%s: datagrams the collector received' % what, sgrams,
                         st['sockets']['datagrams'])
                check.eq('%s: messages decoded' % what, sgrams, tot['messages'])
                check.eq('%s: records decoded (status) vs stored' % what, stored[0],
                         tot['records'])
                check.eq('%s: malformed' % what, 0, tot['malformed'])
                check.eq('%s: (sequence_lost, sequence_reorder) vs tshark\'s sequence '
                         'analysis' % what, (lost, back),
                         (tot['sequence_lost'], tot['sequence_reorder']))
                check.eq('%s: pending_dropped' % what, 0, tot['pending_dropped'])
                check.eq('%s: exporter version' % what, {v},
                         {e['version'] for e in st['exporters']})
        finally:
            for c in cols:
                c.__exit__()
    print()
    hftest.table(['capture', 'v', 'softflowd rec/dgrams', 'nfdump rec/pk/by',
                  'tshark rec/pk/oct', 'stored rec/pk/by', 'captured', 'tshark seq lost/back',
                  'collector', 'malformed'], rows)
    check.finish()


if __name__ == '__main__':
    main()
