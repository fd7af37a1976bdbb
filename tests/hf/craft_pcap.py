"""Crafting pcap files: Ethernet/IPv4/UDP/TCP frames and DNS responses."""

import ipaddress
import socket
import struct

# ---------------------------------------------------------------- crafting


def write_pcap(path, packets, linktype=1, snaplen=65535):
    """A classic pcap file (microsecond stamps) of packets: (ts_us, frame
    bytes) pairs."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype))
        for ts, data in packets:
            f.write(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(data), len(data)))
            f.write(data)


def _ip_checksum(hdr):
    s = sum(struct.unpack('!%dH' % (len(hdr) // 2), hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_frame(src, dst, proto, l4, ident=0):
    """An Ethernet II frame with an IPv4 header (addresses as text) before
    the transport bytes l4."""
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ident & 0xffff, 0, 64, proto,
                      0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack('!H', _ip_checksum(hdr)) + hdr[12:]
    return b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + hdr + l4


def udp_segment(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def tcp_segment(sport, dport, seq, flags=0x02, payload=b''):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


def dns_wire_name(name):
    return b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\x00'


def dns_response(qid, name, answers):
    """A DNS response to an A query for name answering answers: [(address
    text, ttl)] (A or AAAA by the address), owners compressed to the
    question."""
    msg = struct.pack('!HHHHHH', qid, 0x8180, 1, len(answers), 0, 0)
    msg += dns_wire_name(name) + struct.pack('!HH', 1, 1)
    for addr, ttl in answers:
        raw = ipaddress.ip_address(addr).packed
        msg += struct.pack('!HHHIH', 0xc00c, 1 if len(raw) == 4 else 28, 1, ttl, len(raw)) + raw
    return msg
