#!/usr/bin/env python3
"""The probe frames its own IPFIX messages (common/flow_messages.c) and
encodes its records without libfixbuf (common/flow_encode.c).  Checked
against libfixbuf and against the protocol's rules, with an IPFIX reader of
its own (tests/hf/ipfix.py):
(a) every capture's -o file holds, record for record and field for field,
    the bytes libfixbuf writes for the same records (tests/
    libfixbuf_reencode.c reads the file and appends each record with
    fBufAppend), and hostflow-dump prints both the same;
(b) its messages: within libfixbuf's file size (65496), the domain given,
    each sequence number the data records sent before, every template
    defined before its first record; the last statistics record's
    counters those the probe prints with -v;
(c) the UDP (datagrams within loopback's MTU, templates re-sent with
    --template-interval) and TCP (messages of at most 8192 bytes) exports
    of a few captures carry the file's records in the same order."""
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

REENCODE = os.environ.get('HF_REENCODE',
                          os.path.join(hftest.BUILD, 'tests', 'libfixbuf_reencode'))
NET_CAPTURES = ['1kxun.pcap', 'netflix.pcap', 'instagram.pcap', 'dns.pcap', 'http_ipv6.pcap']
SYSTEM_INIT = (0, 160)          # systemInitTimeMilliseconds: the statistics record
PEN = int(os.environ.get('HF_PEN', '32473'))
# the statistics record's elements and the -v counter each must equal
STATS_FIELDS = (((0, 149), None, 'observationDomainId'),
                ((0, 86), 'packets', 'packetTotalCount'),
                ((0, 164), 'skipped', 'ignoredPacketTotalCount'),
                ((0, 42), 'records', 'exportedFlowRecordTotalCount'),
                ((PEN, 4), 'evicted', 'hostflowEvictedFlowTotalCount'))
FLOW_TIDS = set(range(0x401, 0x409))
STATS_TID = 0x410


def split(msgs):
    """(flow records, statistics records) of parsed messages."""
    recs = [r for m in msgs for r in m['records']]
    return [r for r in recs if SYSTEM_INIT not in r], [r for r in recs if SYSTEM_INIT in r]


def check_framing(check, what, msgs, limit, domain):
    """Sizes, domain, sequence numbers and templates of one export."""
    sent, defined = 0, set()
    for i, m in enumerate(msgs):
        check.ok(m['length'] <= limit, '%s: message %d is %d bytes, over %d'
                 % (what, i, m['length'], limit))
        check.eq('%s: message %d domain' % (what, i), domain, m['domain'])
        check.eq('%s: message %d sequence number' % (what, i), sent, m['seq'])
        defined.update(m['templates'])
        used = set(s for s in m['sets'] if s >= 256)
        check.ok(used <= defined, '%s: message %d uses templates %s before defining them'
                 % (what, i, sorted(used - defined)))
        sent += len(m['records'])
    check.eq('%s: templates defined' % what, FLOW_TIDS | {STATS_TID}, defined)
    check.ok(split(msgs)[1], '%s: no statistics record' % what)


def check_stats(check, what, rec, counters):
    """The last statistics record, encoded by the probe, against its -v
    counters at exit (and the domain given with -d 7)."""
    for key, counter, element in STATS_FIELDS:
        want = 7 if counter is None else counters.get(counter)
        got = int.from_bytes(rec[key], 'big') if key in rec else None
        check.eq('%s: statistics %s' % (what, element), want, got)


def file_export(tmp, check):
    print('== (a, b) -o files of every capture against libfixbuf')
    rows = []

    def one(name):
        out = os.path.join(tmp, name + '.ipfix')
        ref = os.path.join(tmp, name + '.libfixbuf.ipfix')
        p = hftest.probe_to_file(hftest.pcap(name), out, '-d', '7', '-v')
        r = hftest.run([REENCODE, out, ref]) if p.returncode == 0 else None
        return name, out, ref, p, r

    for name, out, ref, p, r in hftest.parallel(one, hftest.captures()):
        if not check.probe_ran(p, '%s: probe -o' % name) or not check.probe_ran(r, '%s: reencode' % name):
            continue
        with open(out, 'rb') as f:
            msgs = hftest.ipfix_messages(f.read(), out)
        with open(ref, 'rb') as f:
            ref_msgs = hftest.ipfix_messages(f.read(), ref)
        flows, stats = split(msgs)
        want, _ = split(ref_msgs)
        diff = next((i for i, (a, b) in enumerate(zip(flows, want)) if a != b), None)
        check.ok(len(flows) == len(want) and diff is None,
                 '%s: %d records, libfixbuf %d; first different record %s: %s / %s'
                 % (name, len(flows), len(want), diff, diff is not None and flows[diff],
                    diff is not None and want[diff]))
        check.eq('%s: hostflow-dump of both' % name, hftest.dump_text(ref), hftest.dump_text(out))
        check_framing(check, name + ' (file)', msgs, 65496, 7)
        check_stats(check, name, stats[-1] if stats else {}, hftest.probe_counters(p.stderr) or {})
        rows.append((name, len(msgs), len(flows), len(stats),
                     'same' if len(flows) == len(want) and diff is None else 'DIFFERENT'))
    hftest.table(['capture', 'messages', 'records', 'stats', 'vs libfixbuf'], rows)


class Receiver:
    """Everything sent to a loopback UDP or TCP port, end to end."""

    def __init__(self, tcp):
        kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.port = self.sock.getsockname()[1]
        self.tcp = tcp
        self.data, self.sizes = bytearray(), []
        self.stopping = False
        if tcp:
            self.sock.listen(1)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        if self.tcp:
            conn, _ = self.sock.accept()
            while True:
                b = conn.recv(1 << 16)
                if not b:
                    break
                self.data += b
            conn.close()
            return
        self.sock.settimeout(0.2)
        while True:
            try:
                b = self.sock.recv(1 << 16)
            except socket.timeout:
                if self.stopping:
                    break       # the probe has exited and all is read
                continue
            self.sizes.append(len(b))
            self.data += b

    def result(self):
        """What came, once the sender has exited."""
        self.stopping = True
        self.thread.join(30)
        self.sock.close()
        return bytes(self.data)


def udp_limit():
    """The largest message a datagram on loopback carries: its MTU less the
    IPv4 and UDP headers, at most 65496 (the probe sizes datagrams by the
    route's MTU)."""
    with open('/sys/class/net/lo/mtu') as f:
        return min(int(f.read()) - 28, 65496)


def net_export(tmp, check):
    print('== (c) UDP and TCP exports against the file')
    rows = []
    for name in NET_CAPTURES:
        out = os.path.join(tmp, name + '.ipfix')
        with open(out, 'rb') as f:
            want, _ = split(hftest.ipfix_messages(f.read(), out))
        for tcp in (False, True):
            what = '%s (%s)' % (name, 'tcp' if tcp else 'udp')
            rx = Receiver(tcp)
            args = ['-r', hftest.pcap(name), '-C', '127.0.0.1:%d' % rx.port, '-d', '7', '-v']
            args += ['-t', 'tcp'] if tcp else ['--template-interval', '1']
            p = hftest.run_probe(args)
            check.probe_ran(p, what)
            check.eq('%s: export_errors' % what, 0,
                     (hftest.probe_counters(p.stderr) or {}).get('export_errors'))
            data = rx.result()
            try:
                msgs = hftest.ipfix_messages(data, what)
            except ValueError as e:
                check.ok(False, '%s: %s' % (what, e))
                continue
            flows, _ = split(msgs)
            check.ok(flows == want, '%s: %d records, the file %d, or in another order'
                     % (what, len(flows), len(want)))
            check_framing(check, what, msgs, 8192 if tcp else udp_limit(), 7)
            resent = sum(1 for m in msgs if m['templates']) - 1
            if not tcp:
                check.eq('%s: datagrams are messages' % what, [m['length'] for m in msgs],
                         rx.sizes)
            rows.append((what, len(msgs), max(m['length'] for m in msgs), len(flows), resent))
    hftest.table(['export', 'messages', 'largest', 'records', 'template re-sends'], rows)
    # a capture of a few minutes: the templates went out again over UDP
    check.ok(any(r[4] > 0 for r in rows if r[0].endswith('(udp)')),
             'no template re-send over UDP with --template-interval 1')


def main():
    check = hftest.Check('probe_encode')
    with hftest.tempdir() as tmp:
        file_export(tmp, check)
        net_export(tmp, check)
    check.finish()


if __name__ == '__main__':
    main()
