#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the real captures.

usage: make_seeds.py PCAP_DIR OUT_DIR

Writes OUT_DIR/<target>/<n> files in each target's input format (see the
fuzz_*.c headers).  Without the captures it writes nothing: the fuzzers then
start from empty corpora, as before.  fuzz_filter's seeds are filter
expressions written here, captures or not.
"""
import os
import struct
import sys

LIMIT = 64          # seeds per target: enough variety, fast to load

# fuzz_filter: every term of the filter language (man/hostflow-filter.7)
FILTER_SEEDS = [
    'proto tcp and port 443', 'src host 10.0.0.1 or dst net 2001:db8::/32',
    'not (port 53 or port 5353) and proto udp', 'port in [80, 443 8080]',
    'dst port > 1023 and src port <= 1024', 'in if 3 or out if 7 or if 9',
    'flags SA and not flags AFRPU', 'packets > 1k and bytes < 10M or flows >= 2',
    'duration gt 100', 'tos 4 and vlan 10', 'in src mac 00:11:22:33:44:55',
    'hostname "*.example.com" || hostname \'w?w.*\'', 'domain example.com',
    'app tls && !sampled', 'src device laptop and dst device nas',
    'exporter 10.0.0.1 or router ip 2001:db8::1', 'ipv4 and not inet6 or ip',
    'ip in [10.0.0.0/8 192.0.2.1] # comment', 'net 10.1/16 or net 10.0.0.0 255.0.0.0',
    'any', '', 'prot tcp', '(port 80', 'host 10.0.0.300',
]


def pcap_frames(path):
    """(linktype, frame) of a classic pcap file; nothing for pcapng."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        return
    linktype = struct.unpack(end + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        yield linktype, frame


def transport(frame):
    """(proto, sport, dport, payload) of an Ethernet/IPv4|IPv6 frame."""
    if len(frame) < 14:
        return None
    etype, p = struct.unpack('!H', frame[12:14])[0], 14
    while etype in (0x8100, 0x88a8) and len(frame) >= p + 4:
        etype, p = struct.unpack('!H', frame[p + 2:p + 4])[0], p + 4
    if etype == 0x0800 and len(frame) >= p + 20:
        ihl = (frame[p] & 15) * 4
        proto = frame[p + 9]
        if struct.unpack('!H', frame[p + 6:p + 8])[0] & 0x1fff:
            return None                 # later fragment
        p += ihl
    elif etype == 0x86dd and len(frame) >= p + 40:
        proto = frame[p + 6]
        p += 40
    else:
        return None
    if proto == 17 and len(frame) >= p + 8:
        sport, dport = struct.unpack('!HH', frame[p:p + 4])
        return proto, sport, dport, frame[p + 8:]
    if proto == 6 and len(frame) >= p + 20:
        sport, dport = struct.unpack('!HH', frame[p:p + 4])
        return proto, sport, dport, frame[p + (frame[p + 12] >> 4) * 4:]
    return None


def sflow_expanded(msg):
    """An sFlow v5 datagram with its compact flow samples (type 1) in the
    expanded encoding (type 3), same values: both layouts get a real seed."""
    alen = {1: 4, 2: 16}.get(struct.unpack('!I', msg[4:8])[0]) if len(msg) >= 8 else None
    if alen is None:
        return None
    off = 8 + alen + 16
    out = msg[:off]
    while off + 8 <= len(msg):
        stype, slen = struct.unpack('!II', msg[off:off + 8])
        body = msg[off + 8:off + 8 + slen]
        if stype == 1 and len(body) >= 32:
            seq, src, rate, pool, drops, inp, outp, n = struct.unpack('!8I', body[:32])
            body = struct.pack('!11I', seq, src >> 24, src & 0xffffff, rate, pool, drops,
                               inp >> 30, inp & 0x3fffffff, outp >> 30, outp & 0x3fffffff,
                               n) + body[32:]
            stype = 3
        out += struct.pack('!II', stype, len(body)) + body
        off += 8 + slen
    return out if out != msg else None


def varint(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack('!H', 0x4000 | n)
    return struct.pack('!I', 0x80000000 | n)


# query/columns_format.h: each column's encoding (1 integer, 2 raw, 3
# dictionary) and size, in column order
COLUMNS = ([(1, 8)] * 5 + [(1, 4), (1, 1), (1, 1), (1, 4), (1, 4), (2, 16), (2, 16)]
           + [(1, 2)] * 4 + [(1, 4)] * 2 + [(1, 2), (1, 1), (1, 2), (1, 1), (2, 6), (2, 6),
                                             (1, 1)] + [(3, 0)] * 6)


def columns_block(n, width):
    """A block of fuzz_columns' input (a selector byte, then the block):
    n records, integers of the given width, raw values once, each string
    column a dictionary of two names."""
    head, body = 8 + 24 * len(COLUMNS), b''
    cols = []
    for enc, size in COLUMNS:
        body += b'\0' * (-(head + len(body)) % 8)
        at = head + len(body)
        if enc == 1:
            data = b''.join((i % 200 + 1).to_bytes(width, 'little') for i in range(n))
        elif enc == 2:
            data = bytes(range(size))
        else:
            names = b'dns' + b'example.com'
            data = struct.pack('<IIII', 2, 0, 3, len(names)) + names
            data += b'\0' * (-len(data) % 4) + bytes(i % 2 for i in range(n))
        cols.append(struct.pack('<QIIBB6x', 7, at, len(data), enc, width if enc == 1 else
                                0 if enc == 2 else 1))
        body += data
    return b'\0' + struct.pack('<II', n, head + len(body)) + b''.join(cols) + body


def main():
    src, out = sys.argv[1], sys.argv[2]
    seeds = {t: [] for t in ('fuzz_decode', 'fuzz_collector', 'fuzz_dns',
                             'fuzz_tls', 'fuzz_http', 'fuzz_quic',
                             'fuzz_ipfix_scan', 'fuzz_store_decode')}
    names = sorted(os.listdir(src)) if os.path.isdir(src) else []
    for name in names:
        if not name.endswith('.pcap'):
            continue
        exports = b''
        ipfix = b''                     # a capture's IPFIX messages as a file
        for i, (linktype, frame) in enumerate(pcap_frames(os.path.join(src, name))):
            if linktype != 1:
                break
            if i < 3:                   # first byte 0 selects Ethernet
                seeds['fuzz_decode'].append(b'\0' + frame)
            t = transport(frame)
            if not t:
                continue
            proto, sport, dport, payload = t
            # NetFlow v5, v9, IPFIX (16-bit versions), sFlow v5 (32-bit)
            if proto == 17 and (payload[:2] in (b'\0\x05', b'\0\x09', b'\0\x0a')
                                or payload[:4] == b'\0\0\0\x05'):
                # [length][source-port selector][message], several per seed
                msgs = [payload]
                if payload[:4] == b'\0\0\0\x05':
                    msgs.append(sflow_expanded(payload))
                for m in filter(None, msgs):
                    if len(exports) + len(m) + 3 <= 4096:
                        exports += struct.pack('!HB', len(m), sport & 3) + m
                if payload[:2] == b'\0\x0a' and len(ipfix) + len(payload) <= 65536:
                    ipfix += payload
            elif proto == 17 and (53 in (sport, dport) or 5353 in (sport, dport)):
                seeds['fuzz_dns'].append(payload)
            elif proto == 6 and payload[:2] == b'\x16\x03' and len(payload) > 9:
                seeds['fuzz_tls'].append(payload)
                hello = payload[5:]
                if hello[:1] == b'\x01':
                    # QUIC: mode 1 seals [how][CRYPTO frame] as an Initial
                    crypto = b'\x06\x00' + varint(len(hello)) + hello
                    chunk = b'\0' + crypto
                    seeds['fuzz_quic'].append(b'\x01' + struct.pack('!H', len(chunk)) + chunk)
            elif proto == 6 and payload[:4] in (b'GET ', b'POST', b'HEAD'):
                seeds['fuzz_http'].append(payload)
        if exports:
            seeds['fuzz_collector'].append(exports)
        if ipfix:
            seeds['fuzz_ipfix_scan'].append(ipfix)
            seeds['fuzz_store_decode'].append(ipfix)
    seeds['fuzz_filter'] = [e.encode() for e in FILTER_SEEDS]
    seeds['fuzz_columns'] = [columns_block(n, w) for n in (1, 3, 300) for w in (1, 2, 4, 8)]
    for target, items in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for n, item in enumerate(items[:LIMIT]):
            with open(os.path.join(d, str(n)), 'wb') as f:
                f.write(item)


if __name__ == '__main__':
    main()
