#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, cut from the real captures.

usage: make_seeds.py PCAP_DIR OUT_DIR

Writes OUT_DIR/<target>/<n> files in each target's input format (see the
fuzz_*.c headers).  Without the captures it writes nothing: the fuzzers then
start from empty corpora, as before.
"""
import os
import struct
import sys

LIMIT = 64          # seeds per target: enough variety, fast to load


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


def varint(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack('!H', 0x4000 | n)
    return struct.pack('!I', 0x80000000 | n)


def main():
    src, out = sys.argv[1], sys.argv[2]
    seeds = {t: [] for t in ('fuzz_decode', 'fuzz_collector', 'fuzz_dns',
                             'fuzz_tls', 'fuzz_http', 'fuzz_quic')}
    names = sorted(os.listdir(src)) if os.path.isdir(src) else []
    for name in names:
        if not name.endswith('.pcap'):
            continue
        exports = b''
        for i, (linktype, frame) in enumerate(pcap_frames(os.path.join(src, name))):
            if linktype != 1:
                break
            if i < 3:                   # first byte 0 selects Ethernet
                seeds['fuzz_decode'].append(b'\0' + frame)
            t = transport(frame)
            if not t:
                continue
            proto, sport, dport, payload = t
            if proto == 17 and payload[:2] in (b'\0\x05', b'\0\x09', b'\0\x0a'):
                # [length][source-port selector][message], several per seed
                if len(exports) + len(payload) + 3 <= 4096:
                    exports += struct.pack('!HB', len(payload), sport & 3) + payload
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
    for target, items in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for n, item in enumerate(items[:LIMIT]):
            with open(os.path.join(d, str(n)), 'wb') as f:
                f.write(item)


if __name__ == '__main__':
    main()
