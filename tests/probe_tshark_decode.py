#!/usr/bin/env python3
"""tshark decodes the probe's IPFIX without malformed or template-less
records, the packets/octets it decodes equal hostflow-dump's totals, and
each message's sequence number counts the data records sent before it:
(a) the -o file of every capture; (b) a non-default observation domain
(-d) is carried by every message and loses no record; (c) the UDP export of
a few captures, captured on loopback (the test is skipped, exit 77, when
capturing on lo is not possible)."""
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

UDP_CAPTURES = ['chrome.pcap', 'dns.pcap', 'dns_fragmented.pcap', 'http_ipv6.pcap',
                'googledns_android10.pcap', 'vxlan.pcap']


def file_export(tmp, check):
    print('== (a) IPFIX files (-o), read by tshark')

    def one(name):
        out = os.path.join(tmp, name + '.ipfix')
        p = hftest.probe_to_file(hftest.pcap(name), out)
        try:
            return name, p, out, hftest.dump_count(out)
        except RuntimeError as e:
            check.ok(False, '%s: probe %s, output unreadable: %s'
                     % (name, hftest.describe_exit(p), e))
            return None

    runs = [r for r in hftest.parallel(one, hftest.captures()) if r]
    # one tshark run over all the files: an RFC 5655 file is a sequence of
    # messages, so the files concatenated are one IPFIX file (each run's
    # templates come before its data); frames map back to captures by the
    # files' message counts.  A run's first message restarts the sequence
    # at 0: tshark's "unexpected sequence" there is the concatenation's.
    allfile = os.path.join(tmp, 'all.ipfix')
    owner, starts = [], set()
    with open(allfile, 'wb') as f:
        for name, p, out, _ in runs:
            f.write(open(out, 'rb').read())
            starts.add(len(owner) + 1)
            owner += [name] * hftest.ipfix_message_count(out)
    dec = hftest.ipfix_decode(allfile)
    check.eq('IPFIX messages tshark decodes vs messages in the files', len(owner),
             len(dec.messages))
    name_of = lambda m: owner[m.frame - 1] if m.frame - 1 < len(owner) else '?'
    seq = dec.sequence_errors(stream_of=name_of)
    rows = []
    for name, p, out, (n, pk, by) in runs:
        msgs = [m for m in dec.messages if name_of(m) == name]
        frames = {m.frame for m in msgs}
        problems = [(f, s) for f, s in dec.problems if f in frames and not (
            f in starts and 'Unexpected flow sequence' in s)]
        errors = [e for e in seq if int(e.split()[1]) in frames]
        errors += ['run starts at sequence %d' % m.seq for m in msgs
                   if m.frame in starts and m.seq != 0]
        tp, tb = sum(m.packets for m in msgs), sum(m.octets for m in msgs)
        check.ok(p.returncode >= 0, '%s: probe %s' % (name, hftest.describe_exit(p)))
        check.eq('%s: packets tshark decodes vs hostflow-dump' % name, pk, tp)
        check.eq('%s: octets tshark decodes vs hostflow-dump' % name, by, tb)
        check.ok(not problems, '%s: tshark reports: %s' % (name, problems[:5]))
        check.ok(not errors, '%s: IPFIX sequence numbers: %s' % (name, errors[:3]))
        rows.append((name, n, '%d/%d' % (pk, tp), '%d/%d' % (by, tb), len(msgs),
                     len(problems), len(errors)))
    hftest.table(['capture', 'records', 'packets dump/tshark', 'octets dump/tshark',
                  'messages', 'tshark problems', 'sequence errors'], rows)
    stray = [(f, s) for f, s in dec.problems if f is None or f > len(owner)]
    check.ok(not stray, 'tshark reports: %s' % stray[:5])


def domain_export(tmp, check):
    print('\n== (b) -d DOMAIN: every message carries the observation domain')
    name, domain = 'chrome.pcap', 4242
    out = os.path.join(tmp, 'domain.ipfix')
    p = hftest.probe_to_file(hftest.pcap(name), out, '-d', str(domain))
    check.probe_ran(p, '%s -d %d' % (name, domain))
    recs = hftest.dump_records(out, check, '%s -d %d' % (name, domain))
    dec = hftest.ipfix_decode(out)
    domains = sorted({m.domain for m in dec.messages})
    ref = os.path.join(tmp, 'domain-ref.ipfix')
    hftest.probe_to_file(hftest.pcap(name), ref)
    want = hftest.dump_count(ref)
    print('%s -d %d: %s; messages %d, domains %s, records/packets/bytes %s (default domain: %s)'
          % (name, domain, hftest.describe_exit(p), len(dec.messages), domains,
             hftest.totals(recs), want))
    check.eq('%s -d %d: observation domains tshark decodes' % (name, domain), [domain], domains)
    check.eq('%s -d %d: records, packets, bytes vs a default-domain run' % (name, domain),
             want, hftest.totals(recs))
    check.ok(not dec.problems, '%s -d %d: tshark reports: %s' % (name, domain, dec.problems[:5]))


class Sink:
    """A UDP socket on the collector port that reads and drops datagrams, so
    the kernel sends no port-unreachable back (which would make the probe's
    connected socket fail the next send)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', port))
        self.sock.settimeout(0.2)
        self.datagrams = 0
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                self.sock.recv(65536)
                self.datagrams += 1
            except socket.timeout:
                continue

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def udp_export(tmp, check):
    print('\n== (c) UDP export captured on lo, decoded by tshark as cflow')
    port = hftest.free_port()
    cap = os.path.join(tmp, 'lo.pcapng')
    sink = Sink(port)
    runs = []
    try:
        with hftest.loopback_capture(port, cap):
            for name in UDP_CAPTURES:
                p = hftest.run_probe(['-r', hftest.pcap(name), '-C', '127.0.0.1:%d' % port, '-v'])
                runs.append((name, p))
    except PermissionError as e:
        print('SKIP: %s' % e)
        sys.exit(hftest.SKIP)
    finally:
        sink.close()
    rows = []
    want_pk = want_by = 0
    for name, p in runs:
        check.probe_ran(p, '%s: UDP export' % name)
        counters = hftest.probe_counters(p.stderr) or {}
        check.eq('%s: export_errors' % name, 0, counters.get('export_errors'))
        # the same run to a file: records are deterministic
        out = os.path.join(tmp, 'udp-' + name + '.ipfix')
        hftest.probe_to_file(hftest.pcap(name), out)
        n, pk, by = hftest.dump_count(out)
        want_pk += pk
        want_by += by
        rows.append((name, n, pk, by))
    hftest.table(['capture', 'records (file run)', 'packets', 'octets'], rows)
    frames = len(hftest.tshark_fields(cap, ['frame.number']))
    dec = hftest.ipfix_decode(cap, ['udp.port==%d,cflow' % port])
    seq = dec.sequence_errors()
    streams = {m.stream for m in dec.messages}
    print('\nport %d: %d datagrams received, %d captured, %d IPFIX messages from %d source ports'
          % (port, sink.datagrams, frames, len(dec.messages), len(streams)))
    print('total packets dump/tshark %d/%d, octets dump/tshark %d/%d, tshark problems %d, '
          'sequence errors %d' % (want_pk, dec.packets, want_by, dec.octets,
                                  len(dec.problems), len(seq)))
    check.eq('UDP datagrams captured vs received', sink.datagrams, frames)
    check.eq('UDP export: one source port per probe run', len(UDP_CAPTURES), len(streams))
    check.eq('UDP export: packets tshark decodes vs hostflow-dump of the same runs',
             want_pk, dec.packets)
    check.eq('UDP export: octets tshark decodes vs hostflow-dump of the same runs',
             want_by, dec.octets)
    check.ok(not dec.problems, 'UDP export: tshark reports: %s' % dec.problems[:5])
    check.ok(not seq, 'UDP export: IPFIX sequence numbers: %s' % seq[:3])


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('probe_tshark_decode')
    with hftest.tempdir() as tmp:
        file_export(tmp, check)
        domain_export(tmp, check)
        udp_export(tmp, check)      # last: exits 77 if lo cannot be captured
    check.finish()


if __name__ == '__main__':
    main()
