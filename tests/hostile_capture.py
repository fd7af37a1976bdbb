#!/usr/bin/env python3
"""hostile_capture.py OUT.pcap: writes a small capture whose names are
hostile, for the probe to find (tests/web_hostile_capture.py):

- a TCP connection to 203.0.113.10:443 whose TLS ClientHello carries the
  SNI <script>alert(1)</script>.example;
- DNS queries and answers (from 192.0.2.53) for
  <script>alert(1)</script>.example -> 203.0.113.30 and the spreadsheet
  formulas =cmd|'/c_calc'!a0.example -> 203.0.113.20 and
  @sum(1+1)*cmd|'/c'!a0.example -> 203.0.113.40, each followed by a TCP
  connection from the client to the answered address on port 80.

DNS labels take printable ASCII but '.', so the names are the formulas a
DNS answer can carry.  Packets are Ethernet/IPv4 with valid
checksums, one client (192.168.7.10, 02:00:00:00:07:10); times start at
START (default: ten minutes ago) a few milliseconds apart."""
import struct
import sys
import time

SCRIPT = '<script>alert(1)</script>.example'
FORMULAS = ["=cmd|'/c_calc'!a0.example", "@sum(1+1)*cmd|'/c'!a0.example"]
CLIENT = '192.168.7.10'
CLIENT_MAC = bytes.fromhex('020000000710')
ROUTER_MAC = bytes.fromhex('020000000001')
RESOLVER = '192.0.2.53'
TLS_SERVER = '203.0.113.10'
# name -> the address its DNS answer gives
ANSWERS = [(SCRIPT, '203.0.113.30'), (FORMULAS[0], '203.0.113.20'),
           (FORMULAS[1], '203.0.113.40')]


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64,
                      proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload


def l4_checksum(src, dst, proto, seg):
    pseudo = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, proto, len(seg))
    return csum(pseudo + seg)


def udp(src, sport, dst, dport, data):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    c = l4_checksum(src, dst, 17, seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + seg[8:]


def tcp(src, sport, dst, dport, seq, ack, flags, data=b''):
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    c = l4_checksum(src, dst, 6, seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]


def dns_name(name):
    out = b''
    for label in name.split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_query(ident, name):
    return struct.pack('!HHHHHH', ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack('!HH', 1, 1)


def dns_answer(ident, name, addr):
    question = dns_name(name) + struct.pack('!HH', 1, 1)
    answer = struct.pack('!HHHIH', 0xc00c, 1, 1, 300, 4) + ip4(addr)
    return struct.pack('!HHHHHH', ident, 0x8180, 1, 1, 0, 0) + question + answer


def client_hello(sni):
    host = sni.encode()
    server_name = struct.pack('!HBH', len(host) + 3, 0, len(host)) + host
    exts = struct.pack('!HH', 0, len(server_name)) + server_name
    versions = b'\x02\x03\x04'                  # supported_versions: TLS 1.3
    exts += struct.pack('!HH', 43, len(versions)) + versions
    body = b'\x03\x03' + bytes(range(32)) + b'\0' + struct.pack('!H', 2) + b'\x13\x01' + \
        b'\x01\x00' + struct.pack('!H', len(exts)) + exts
    hs = b'\x01' + len(body).to_bytes(3, 'big') + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


class Pcap:
    def __init__(self, path, start):
        self.f = open(path, 'wb')
        self.f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.t = start
        self.ident = 1

    def packet(self, src, dst, proto, seg):
        out = src == CLIENT
        frame = (ROUTER_MAC + CLIENT_MAC if out else CLIENT_MAC + ROUTER_MAC) + b'\x08\x00' + \
            ipv4(src, dst, proto, seg, self.ident)
        self.ident += 1
        self.t += 0.004
        sec = int(self.t)
        self.f.write(struct.pack('<IIII', sec, int((self.t - sec) * 1e6), len(frame), len(frame)))
        self.f.write(frame)

    def connection(self, server, port, sport, request, reply):
        """A whole TCP connection: handshake, one request, one reply, close."""
        c, s = 1000, 5000
        self.packet(CLIENT, server, 6, tcp(CLIENT, sport, server, port, c, 0, 0x02))
        self.packet(server, CLIENT, 6, tcp(server, port, CLIENT, sport, s, c + 1, 0x12))
        c, s = c + 1, s + 1
        self.packet(CLIENT, server, 6, tcp(CLIENT, sport, server, port, c, s, 0x10))
        self.packet(CLIENT, server, 6, tcp(CLIENT, sport, server, port, c, s, 0x18, request))
        c += len(request)
        self.packet(server, CLIENT, 6, tcp(server, port, CLIENT, sport, s, c, 0x18, reply))
        s += len(reply)
        self.packet(CLIENT, server, 6, tcp(CLIENT, sport, server, port, c, s, 0x11))
        self.packet(server, CLIENT, 6, tcp(server, port, CLIENT, sport, s, c + 1, 0x11))
        self.packet(CLIENT, server, 6, tcp(CLIENT, sport, server, port, c + 1, s + 1, 0x10))

    def close(self):
        self.f.close()


def write(path, start=None):
    p = Pcap(path, time.time() - 600 if start is None else start)
    p.connection(TLS_SERVER, 443, 40001, client_hello(SCRIPT),
                 b'\x15\x03\x03\x00\x02\x02\x28')         # a TLS alert back
    resolve_and_connect(p, ANSWERS)
    p.close()


def resolve_and_connect(p, answers):
    """For each (name, address): a DNS query and its answer, then an HTTP
    connection (no Host header) from the client to the address."""
    for i, (name, addr) in enumerate(answers):
        ident = 0x4000 + i
        p.packet(CLIENT, RESOLVER, 17, udp(CLIENT, 50000 + i, RESOLVER, 53, dns_query(ident, name)))
        p.packet(RESOLVER, CLIENT, 17, udp(RESOLVER, 53, CLIENT, 50000 + i,
                                           dns_answer(ident, name, addr)))
        p.connection(addr, 80, 41000 + i, b'GET / HTTP/1.0\r\n\r\n',
                     b'HTTP/1.0 204 No Content\r\n\r\n')


def write_answers(path, answers, start=None):
    """A capture of only resolve_and_connect(answers)."""
    p = Pcap(path, time.time() - 600 if start is None else start)
    resolve_and_connect(p, answers)
    p.close()


if __name__ == '__main__':
    write(sys.argv[1])
