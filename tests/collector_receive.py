#!/usr/bin/env python3
"""The listener's UDP receiving, with the collector stopped (SIGSTOP)
while a burst arrives, so that it reads the burst in full batches:

- datagrams are received straight into the batch, a slot each, and one
  longer than a slot (2 KiB) is copied whole: long datagrams (up to 60
  KiB) among short ones, in one read, are all decoded and stored, every
  record with its own values, in order (sequence numbers: none lost);
- the kernel's drops on the socket are counted (status.json
  sockets.kernel_drops): with a small receive buffer the kernel drops most
  of a burst; once the collector goes on, every datagram sent is either
  received or counted as a kernel drop, and the count is the kernel's own
  for the socket (/proc/net/udp).  A second burst adds its drops to the
  first's."""
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

RCVBUF = 65536                  # the kernel doubles it: ~60 datagrams
PER_DGRAM = 30
DGRAMS = 1000                   # a burst: far more than the buffer holds
TID = 256


def messages(first, now_s, sizes=None):
    """A template, then data messages of STD_V4 flows (sizes: records in
    each; default DGRAMS of PER_DGRAM) numbered from record first."""
    fields = hftest.STD_V4
    out = [hftest.ipfix_message([hftest.ipfix_template_set([(TID, fields)])],
                                domain=3, seq=first, export_s=now_s)]
    base = first
    for n in sizes or [PER_DGRAM] * DGRAMS:
        recs = [hftest.pack_record(fields, hftest.flow_values(base + k, now_s * 1000))
                for k in range(n)]
        out.append(hftest.ipfix_message([hftest.ipfix_data_set(TID, recs)], domain=3,
                                        seq=base, export_s=now_s))
        base += n
    return out


def proc_net_udp_drops(port):
    """The kernel's drop count of the UDP socket bound to 127.0.0.1:port."""
    with open('/proc/net/udp') as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1].endswith(':%04X' % port):
                return int(cols[-1])
    return None


def burst(col, msgs):
    """msgs sent while the collector is stopped; then it goes on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    os.kill(col.proc.pid, signal.SIGSTOP)
    try:
        for m in msgs:
            s.sendto(m, ('127.0.0.1', col.udp))
    finally:
        os.kill(col.proc.pid, signal.SIGCONT)
        s.close()


# records per datagram of the mixed burst: 45 bytes a record, so 1 and 30
# fit a slot, 46 and 1300 (58 KiB) do not; long ones first, last, side by
# side and alone between short ones, more than one read's worth
MIXED = [1300, 30, 1, 46, 30, 1300, 1300, 30, 45, 46, 1] * 12 + [1300]


def test_long_among_short(check, tmp):
    col = hftest.Collector(tmp, 'mixed', listen=['udp:127.0.0.1:0'],
                           args=['--rcvbuf', str(32 << 20)])
    now_s = int(time.time())
    msgs = messages(0, now_s, MIXED)
    total = sum(MIXED)
    with col:
        col.start()
        burst(col, msgs)
        st = col.wait(lambda st: st['store']['records'] >= total)
        check.ok(st is not None, 'mixed: %d records in %d datagrams of %d to %d bytes '
                 'stored (%s)' % (total, len(msgs), min(map(len, msgs)), max(map(len, msgs)),
                                  col.last['store']))
        got = col.last
        check.eq('mixed: datagrams received', len(msgs), got['sockets']['datagrams'])
        check.eq('mixed: kernel drops', 0, got['sockets']['kernel_drops'])
        check.eq('mixed: sequence numbers lost', 0, hftest.exporter_sum(got)['sequence_lost'])
        check.eq('mixed: malformed', 0, hftest.exporter_sum(got)['malformed'])
        col.check_exit(check, 'mixed', col.stop())
        # every record with its own values: ports and octets follow from
        # its number
        recs = col.records()
        want = sorted((1024 + i % 60000, (i % 7 + 1) * 100 + i % 100) for i in range(total))
        have = sorted((int(r['sport']), int(r['bytes'])) for r in recs)
        check.ok(want == have, 'mixed: the %d stored records are the ones sent (%d read back)'
                 % (total, len(recs)))


def test_kernel_drops(check, tmp):
    col = hftest.Collector(tmp, 'drops', listen=['udp:127.0.0.1:0'],
                           args=['--rcvbuf', str(RCVBUF)])
    sent = 0
    with col:
        col.start()
        for n in (1, 2):
            msgs = messages(sent * PER_DGRAM, int(time.time()))
            burst(col, msgs)
            sent += len(msgs)
            st = col.wait(lambda st: st['sockets']['datagrams']
                          + st['sockets']['kernel_drops'] >= sent)
            kernel = proc_net_udp_drops(col.udp)
            got = st or col.last
            print('burst %d: sent %d, received %d, kernel drops %d (kernel says %s)'
                  % (n, sent, got['sockets']['datagrams'], got['sockets']['kernel_drops'],
                     kernel), flush=True)
            check.ok(st is not None, 'burst %d: every datagram received or counted '
                     'as a kernel drop' % n)
            check.eq('burst %d: received + kernel drops = sent' % n, sent,
                     got['sockets']['datagrams'] + got['sockets']['kernel_drops'])
            check.ok(got['sockets']['kernel_drops'] > (sent // 2),
                     'burst %d: most of them dropped by the kernel (%d of %d)'
                     % (n, got['sockets']['kernel_drops'], sent))
            check.eq('burst %d: kernel_drops = the socket\'s drops in /proc/net/udp' % n,
                     kernel, got['sockets']['kernel_drops'])
        col.check_exit(check, 'stop', col.stop())


def main():
    check = hftest.Check('collector-receive')
    with hftest.tempdir() as tmp:
        test_long_among_short(check, tmp)
        test_kernel_drops(check, tmp)
    return check.finish()


if __name__ == '__main__':
    sys.exit(main())
