#!/usr/bin/env python3
"""The kernel's drops on a UDP socket are counted (status.json
sockets.kernel_drops): the collector is stopped (SIGSTOP) with a small
receive buffer while datagrams arrive, so the kernel drops most of them;
once it goes on, every datagram sent is either received or counted as a
kernel drop, and the count is the kernel's own for the socket
(/proc/net/udp).  A second burst adds its drops to the first's."""
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


def messages(first, now_s):
    """A template, then DGRAMS data messages of PER_DGRAM STD_V4 flows."""
    fields = hftest.STD_V4
    out = [hftest.ipfix_message([hftest.ipfix_template_set([(TID, fields)])],
                                domain=3, seq=first, export_s=now_s)]
    for d in range(DGRAMS):
        base = first + d * PER_DGRAM
        recs = [hftest.pack_record(fields, hftest.flow_values(base + k, now_s * 1000))
                for k in range(PER_DGRAM)]
        out.append(hftest.ipfix_message([hftest.ipfix_data_set(TID, recs)], domain=3,
                                        seq=base, export_s=now_s))
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


def test(check, tmp):
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
    check = hftest.Check('collector-kernel-drops')
    with hftest.tempdir() as tmp:
        test(check, tmp)
    return check.finish()


if __name__ == '__main__':
    sys.exit(main())
