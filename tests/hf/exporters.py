"""Sending flow exports to a collector (Exporter, Spoofer, TCP, replayed
captures) and decoding them with tshark; nfcapd as a reference collector."""

import csv
import io
import os
import socket
import struct
import subprocess
import sys
import threading
import time

from .base import describe_exit, run
from .tshark import _first, _int, tshark_fields
from .net import free_port, stop
from .collector import BENCH, REPLAY, _track

# ---------------------------------------------------------------- sending


class Exporter:
    """A UDP socket bound to ADDR:SPORT (any 127.0.0.N works on lo; sport
    0 = a free one) sending datagrams to HOST:PORT."""

    def __init__(self, port, addr='127.0.0.1', sport=0, host='127.0.0.1'):
        self.dest = (host, port)
        self.sock = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET,
                                  socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, sport))
        self.addr, self.sport = self.sock.getsockname()[:2]
        self.sent = 0

    def send(self, *payloads, gap=0.0003):
        for p in payloads:
            self.sock.sendto(p, self.dest)
            self.sent += 1
            if gap:
                time.sleep(gap)

    def close(self):
        self.sock.close()


class Spoofer:
    """Forged exporters on loopback: UDP datagrams from any 127.x.y.z
    source address to 127.0.0.1:port, through a raw socket (root only)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        self.port = port
        self.sent = 0

    def send(self, src, sport, payload):
        udp = struct.pack('!HHHH', sport, self.port, 8 + len(payload), 0) + payload
        # the kernel fills in the IP checksum and id; UDP checksum 0 = none
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton('127.0.0.1'))
        while True:
            try:
                self.sock.sendto(ip + udp, ('127.0.0.1', 0))
                break
            except BlockingIOError:
                time.sleep(0.001)
        self.sent += 1

    def close(self):
        self.sock.close()


def tcp_send(port, messages, host='127.0.0.1'):
    """Sends IPFIX messages over one TCP connection, then closes it."""
    with socket.create_connection((host, port), timeout=10) as s:
        for m in messages:
            s.sendall(m)


_BENCH_REPLAY = None
_BENCH_LOCK = threading.Lock()


def bench_replay():
    """/work/shared/bench/replay-exporters.py as a module (its pcap
    reading functions: packets, ip_payload, udp_datagram)."""
    global _BENCH_REPLAY
    with _BENCH_LOCK:
        if _BENCH_REPLAY is None:
            import importlib.util
            path = os.path.join(BENCH, 'replay-exporters.py')
            spec = importlib.util.spec_from_file_location('replay_exporters', path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _BENCH_REPLAY = mod
    return _BENCH_REPLAY


def export_datagrams(path):
    """[(src address, sport, dport, payload)] of the UDP datagrams of a
    capture (classic pcap), in order, read by the bench replay script."""
    m = bench_replay()
    out = []
    for link, frame in m.packets(path):
        u = m.udp_datagram(m.ip_payload(link, frame))
        if u:
            out.append(u)
    return out


def export_ports(path):
    """Destination UDP ports of a capture's datagrams (its collector ports)."""
    return sorted({d[2] for d in export_datagrams(path)})


def replay_exporters(path, port, gap_ms=1):
    """Sends a capture's export datagrams to 127.0.0.1:port with the shared
    replay-exporters.py (exporter N from 127.0.0.(10+N), original source
    ports); returns the number of datagrams sent."""
    ports = ','.join(str(p) for p in export_ports(path))
    p = run([sys.executable, os.path.join(BENCH, 'replay-exporters.py'), '--port', str(port),
             '--ports', ports, '--gap-ms', str(gap_ms), path])
    if p.returncode != 0:
        raise RuntimeError('replay-exporters.py %s: %s' % (path, p.stderr))
    for f in p.stdout.split():
        if f.startswith('datagrams='):
            return int(f.split('=')[1])
    raise RuntimeError('replay-exporters.py printed no total: ' + p.stdout)


def replay_exports(path, *args):
    """The decoder fed in-process (tests/replay_exports): its counters
    ('records', 'packets', 'bytes', 'messages', ..., 'bad_REASON') and the
    CompletedProcess."""
    p = run([REPLAY] + list(args) + [path])
    f = p.stdout.split()
    counters = {}
    if p.returncode == 0 and len(f) % 2 == 0:
        counters = {f[i]: int(f[i + 1]) for i in range(0, len(f), 2)}
    return counters, p


def cflow_decode(path, decode_as):
    """tshark's decoding of the NetFlow/IPFIX datagrams of a capture:
    {udp dst port: {'records', 'packets', 'octets', 'datagrams'}} (a data
    record counts once whether it has packets, octets or both)."""
    extra = []
    for d in decode_as:
        extra += ['-d', d]
    rows = tshark_fields(path, ['udp.dstport', 'cflow.packets', 'cflow.octets'], extra)
    out = {}
    for r in rows:
        port = _int(_first(r.get('udp.dstport')))
        if port is None:
            continue
        t = out.setdefault(port, dict.fromkeys(('records', 'packets', 'octets', 'datagrams'), 0))
        t['datagrams'] += 1
        pk = [int(v, 0) for v in (r.get('cflow.packets') or '').split(',') if v]
        oc = [int(v, 0) for v in (r.get('cflow.octets') or '').split(',') if v]
        t['records'] += max(len(pk), len(oc))
        t['packets'] += sum(pk)
        t['octets'] += sum(oc)
    return out



class Nfcapd:
    """nfdump's collector (nfcapd) on a free 127.0.0.1 UDP port writing to
    DIR/NAME/flows, for an independent count of what an exporter sent."""

    def __init__(self, tmp, name='nfcapd'):
        self.dir = os.path.join(tmp, name)
        self.flowdir = os.path.join(self.dir, 'flows')
        os.makedirs(self.flowdir, exist_ok=True)
        self.log = os.path.join(self.dir, 'nfcapd.log')
        self.port = None
        self.proc = None

    def start(self, timeout=20):
        for _ in range(5):                      # the free port may be taken meanwhile
            self.port = free_port()
            with open(self.log, 'wb') as log:
                self.proc = _track(subprocess.Popen(
                    ['nfcapd', '-b', '127.0.0.1', '-p', str(self.port), '-w', self.flowdir],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
            deadline = time.time() + timeout
            while 'Startup' not in self.text():
                if self.proc.poll() is not None or time.time() > deadline:
                    break
                time.sleep(0.05)
            else:
                return self
            stop(self.proc)
        raise RuntimeError('nfcapd did not start: ' + self.text())

    def text(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def stop(self):
        """SIGTERM: nfcapd writes its file and exits; returns the status."""
        return stop(self.proc)

    def totals(self):
        """(flows, packets, bytes) of nfdump's summary over the files."""
        p = run(['nfdump', '-R', self.flowdir, '-o', 'csv'])
        if not os.listdir(self.flowdir):
            return (0, 0, 0)
        _, _, summary = p.stdout.partition('\nSummary\n')
        row = next(csv.DictReader(io.StringIO(summary)), None)
        if p.returncode != 0 or not row:
            raise RuntimeError('nfdump -R %s: %s %s' % (self.flowdir, describe_exit(p), p.stderr))
        return int(row['flows']), int(row['packets']), int(row['bytes'])


def cflow_sequence(path, decode_as):
    """tshark's sequence analysis of the export datagrams of a capture:
    {udp dst port: (numbers skipped, times the sequence went back)}."""
    extra = []
    for d in decode_as:
        extra += ['-d', d]
    rows = tshark_fields(path, ['udp.dstport', 'cflow.sequence',
                                'cflow.sequence_analysis.expected_sn'], extra)
    out = {}
    for r in rows:
        port = _int(_first(r.get('udp.dstport')))
        seq = _int(_first(r.get('cflow.sequence')))
        exp = _int(_first(r.get('cflow.sequence_analysis.expected_sn')))
        lost, back = out.get(port, (0, 0))
        if seq is not None and exp is not None and seq != exp:
            ahead = (seq - exp) % 2 ** 32
            if ahead < 2 ** 31:
                lost += ahead
            else:
                back += 1
        out[port] = (lost, back)
    return out
