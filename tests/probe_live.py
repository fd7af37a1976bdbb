#!/usr/bin/env python3
"""The probe live on the loopback interface (the test's own packets, picked
out by a BPF filter on a port the test chose): the UDP datagrams it sends
in three bursts become the flows of the IPFIX file, and each statistics
interval writes one info line of counters to standard error whose packets
add up to the packets captured (--quiet: none)."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

BURSTS = (7, 11, 5)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


# the senders' own loopback address: the filter takes nothing of other
# programs that happen to use the port
SENDER = '127.83.19.7'


def run(check, tmp, what, *extra):
    port = free_udp_port()
    out = os.path.join(tmp, what + '.ipfix')
    bpf = 'udp and src host %s and dst port %d' % (SENDER, port)
    proc = subprocess.Popen([hftest.PROBE, '-i', 'lo', '-f', bpf, '-o', out,
                             '--stats-interval', '1'] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)                 # the capture is open
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sport = []
    for n in BURSTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((SENDER, 0))
        sport.append(s.getsockname()[1])
        for i in range(n):
            s.sendto(b'x' * (10 + i), ('127.0.0.1', port))
        s.close()
        time.sleep(1.2)
    sock.close()
    time.sleep(1.2)
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    check.eq('%s: exit status' % what, 0, proc.returncode)
    recs = hftest.dump_records(out, check, what) if os.path.exists(out) else []
    got = sorted((r['sport'], r['packets']) for r in recs if r['dport'] == port)
    check.eq('%s: one flow per burst, its packets' % what, sorted(zip(sport, BURSTS)), got)
    return err


def main():
    check = hftest.Check('probe_live')
    if os.geteuid() != 0:
        print('SKIP: live capture needs root (CAP_NET_RAW)')
        sys.exit(77)
    with hftest.tempdir() as tmp:
        err = run(check, tmp, 'info')
        lines = [l for l in err.splitlines() if re.search(r': last \d+ s: \d+ packets', l)]
        packets = sum(int(re.search(r': last \d+ s: (\d+) packets', l).group(1)) for l in lines)
        print('%d counter lines, %d packets in them (sent %d)' % (len(lines), packets,
                                                                   sum(BURSTS)))
        for l in lines:
            print('  ' + l)
        check.ok(len(lines) >= 3, 'stats interval 1 s: %d counter lines in %r' % (
            len(lines), err[-800:]))
        check.ok(sum(BURSTS) - max(BURSTS) <= packets <= sum(BURSTS),
                 'counter lines add up to %d packets, %d sent (the last interval may not '
                 'have been logged)' % (packets, sum(BURSTS)))
        err = run(check, tmp, 'quiet', '--quiet')
        check.ok(not re.search(r': last \d+ s: ', err), '--quiet: counter lines %r' % err)
    check.finish()


if __name__ == '__main__':
    main()
