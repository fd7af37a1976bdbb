"""Damaged captures: packet record ranges, truncated and bit-flipped copies."""

import random

# ---------------------------------------------------------------- damage


def packet_records(path):
    """[(start, end)] byte ranges of every packet record of a pcap or pcapng
    file (pcapng: enhanced, simple and obsolete packet blocks), in file
    order.  A file cut at a record's start holds exactly the records
    before it."""
    data = open(path, 'rb').read()
    magic = data[:4]
    recs = []
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1',
                 b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        order = 'little' if magic[0] in (0xd4, 0x4d) else 'big'
        off = 24
        while off + 16 <= len(data):
            end = off + 16 + int.from_bytes(data[off + 8:off + 12], order)
            if end > len(data):
                break
            recs.append((off, end))
            off = end
        return recs
    if magic == b'\x0a\x0d\x0d\x0a':
        off, order = 0, 'little'
        while off + 12 <= len(data):
            btype = int.from_bytes(data[off:off + 4], order)
            if btype == 0x0a0d0d0a:      # section header: byte order magic
                order = 'little' if data[off + 8:off + 12] == b'\x4d\x3c\x2b\x1a' else 'big'
            blen = int.from_bytes(data[off + 4:off + 8], order)
            if blen < 12 or off + blen > len(data):
                break
            if btype in (2, 3, 6):
                recs.append((off, off + blen))
            off += blen
        return recs
    raise ValueError('%s: not a pcap or pcapng file' % path)


def write_truncated(src, dst, size):
    with open(src, 'rb') as f:
        data = f.read(size)
    with open(dst, 'wb') as f:
        f.write(data)


def write_flipped(src, dst, seed, flips, keep_header=24):
    """Copy src to dst with `flips` random bytes (seeded) replaced, past the
    first keep_header bytes."""
    rnd = random.Random(seed)
    data = bytearray(open(src, 'rb').read())
    for _ in range(flips):
        if len(data) <= keep_header:
            break
        i = rnd.randrange(keep_header, len(data))
        data[i] = rnd.randrange(256)
    with open(dst, 'wb') as f:
        f.write(data)
