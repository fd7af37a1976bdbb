#!/usr/bin/env python3
"""tshark decodes the probe's IPFIX without malformed or template-less
records, the packets/octets it decodes equal hostflow-dump's totals, and
each message's sequence number counts the data records sent before it:
(a) the -o file of every capture; (b) the UDP export of a few captures,
captured on loopback (skipped, exit 77, when capturing on lo is not
possible)."""
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
        n, pk, by = hftest.dump_count(out)
        return name, p, (n, pk, by), hftest.ipfix_decode(out)

    rows = []
    for name, p, (n, pk, by), dec in hftest.parallel(one, hftest.captures()):
        check.ok(p.returncode >= 0, '%s: probe %s' % (name, hftest.describe_exit(p)))
        check.eq('%s: packets tshark decodes vs hostflow-dump' % name, pk, dec.packets)
        check.eq('%s: octets tshark decodes vs hostflow-dump' % name, by, dec.octets)
        check.ok(not dec.problems, '%s: tshark reports: %s' % (name, dec.problems[:5]))
        seq = dec.sequence_errors()
        check.ok(not seq, '%s: IPFIX sequence numbers: %s' % (name, seq[:3]))
        rows.append((name, n, '%d/%d' % (pk, dec.packets), '%d/%d' % (by, dec.octets),
                     len(dec.messages), len(dec.problems), len(seq)))
    hftest.table(['capture', 'records', 'packets dump/tshark', 'octets dump/tshark',
                  'messages', 'tshark problems', 'sequence errors'], rows)


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
    print('\n== (b) UDP export captured on lo, decoded by tshark as cflow')
    port = hftest.free_port()
    cap = os.path.join(tmp, 'lo.pcapng')
    sink = Sink(port)
    runs = []
    try:
        with hftest.loopback_capture(port, cap):
            for name in UDP_CAPTURES:
                p = hftest.run_probe(['-r', hftest.pcap(name), '-c', '127.0.0.1:%d' % port, '-v'])
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
    streams = {m[1] for m in dec.messages}
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
        udp_export(tmp, check)
    check.finish()


if __name__ == '__main__':
    main()
