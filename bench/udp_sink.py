#!/usr/bin/env python3
"""udp_sink.py PORTFILE — a loopback UDP sink for the export benchmarks.

Binds 127.0.0.1 on a free port, writes the port number to PORTFILE, then
reads and counts datagrams until SIGTERM/SIGINT, and prints
"datagrams N bytes B" on stdout.  It only reads: no parsing, no replies, so
the exporter never gets ICMP port-unreachables.
"""
import os
import signal
import socket
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: udp_sink.py PORTFILE")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    except OSError:
        pass
    s.bind(("127.0.0.1", 0))
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s.settimeout(0.2)
    n = b = 0
    buf = bytearray(65536)
    while not stop:
        try:
            k = s.recv_into(buf)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        n += 1
        b += k
    # drain what is already queued
    s.setblocking(False)
    while True:
        try:
            b += s.recv_into(buf)
            n += 1
        except (BlockingIOError, InterruptedError):
            break
    print("datagrams %d bytes %d" % (n, b), flush=True)


if __name__ == "__main__":
    main()
