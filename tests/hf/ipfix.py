"""Crafting and reading IPFIX and NetFlow v9 messages with struct."""

import ipaddress
import struct
import time

from .dump import norm_addr

# ---------------------------------------------------------------- crafting
#
# Templates are sequences of fields (element id, length) or (element id,
# length, enterprise number); VARLEN is IPFIX's variable length.  Records
# are packed from {element id or (pen, id): value}: int, address string,
# bytes/str (variable-length fields take bytes or (bytes, True) for the
# 3-byte length prefix), missing elements as zeros.

VARLEN = 0xffff
# a plain IPv4 flow: addresses, ports, protocol, packets, octets, start/end ms
STD_V4 = ((8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 8), (1, 8), (152, 8), (153, 8))
STD_V6 = ((27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (2, 8), (1, 8), (152, 8), (153, 8))
# NetFlow v9: 4-byte counters, sysUptime times (first, last switched)
STD_V9 = ((8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (2, 4), (1, 4), (22, 4), (21, 4))
V9_UPTIME = 3600000


def read_ipfix(path):
    """Data records of an IPFIX file as {(pen, id): bytes}, read here and
    not by hostflow (RFC 7011: messages, sets, templates, variable-length
    fields with 1- or 3-byte lengths)."""
    with open(path, 'rb') as f:
        data = f.read()
    return [r for m in ipfix_messages(data, path) for r in m['records']]


def ipfix_messages(data, what='IPFIX'):
    """The messages of IPFIX bytes (a file, datagrams or a TCP stream put
    end to end), each a dict: length, export_s, seq, domain, 'sets' (set
    ids in order), 'templates' (template ids defined in it),
    'template_records' ((set id, template id, [((pen, id), length)]) of each
    template record, withdrawals included) and 'records' (its data records
    as {(pen, id): bytes}).  Templates carry over from
    message to message, as on one transport session."""
    templates, msgs, off = {}, [], 0
    while off + 16 <= len(data):
        ver, mlen, export_s, seq, domain = struct.unpack_from('!HHIII', data, off)
        if ver != 10 or mlen < 16 or off + mlen > len(data):
            raise ValueError('%s: bad message header at %d' % (what, off))
        msg = {'length': mlen, 'export_s': export_s, 'seq': seq, 'domain': domain,
               'sets': [], 'templates': [], 'template_records': [], 'records': []}
        msgs.append(msg)
        s, end = off + 16, off + mlen
        while s + 4 <= end:
            sid, slen = struct.unpack_from('!HH', data, s)
            if slen < 4 or s + slen > end:
                raise ValueError('%s: bad set at %d' % (what, s))
            msg['sets'].append(sid)
            body, s_end = s + 4, s + slen
            if sid in (2, 3):
                p = body
                while p + 4 <= s_end:
                    tid, count = struct.unpack_from('!HH', data, p)
                    p += 6 if sid == 3 and count else 4
                    fields = []
                    for _ in range(count):
                        fid, flen = struct.unpack_from('!HH', data, p)
                        p += 4
                        pen = 0
                        if fid & 0x8000:
                            pen = struct.unpack_from('!I', data, p)[0]
                            p += 4
                        fields.append(((pen, fid & 0x7fff), flen))
                    templates[tid] = fields
                    msg['templates'].append(tid)
                    msg['template_records'].append((sid, tid, fields))
            elif sid >= 256 and sid in templates:
                fields = templates[sid]
                least = sum(1 if n == VARLEN else n for _, n in fields)
                p = body
                while s_end - p >= max(least, 1):
                    rec = {}
                    for key, n in fields:
                        if n == VARLEN:
                            n = data[p]
                            p += 1
                            if n == 255:
                                n = struct.unpack_from('!H', data, p)[0]
                                p += 2
                        rec[key] = data[p:p + n]
                        p += n
                    if p > s_end:
                        raise ValueError('%s: record past its set at %d' % (what, s))
                    msg['records'].append(rec)
            s = s_end
        off = end
    if off != len(data):
        raise ValueError('%s: %d bytes after the last message' % (what, len(data) - off))
    return msgs


def flow_values(i, now_ms=None, v6=False):
    """Values of the i-th test flow: distinct tuples, packets/octets that
    follow from i, times at now_ms (and sysUptime V9_UPTIME)."""
    now_ms = now_ms or int(time.time() * 1000)
    pk = i % 7 + 1
    return {8: '10.%d.%d.%d' % (1 + (i >> 16) % 200, (i >> 8) & 255, i & 255),
            12: '192.0.2.%d' % (i % 250 + 1),
            27: '2001:db8::%x' % (i + 1), 28: '2001:db8:1::%x' % (i % 250 + 1),
            7: 1024 + i % 60000, 11: 443, 4: 6,
            2: pk, 1: pk * 100 + i % 100,
            152: now_ms - 2000, 153: now_ms - 1000,
            22: V9_UPTIME - 2000, 21: V9_UPTIME - 1000,
            60: 6 if v6 else 4}


def _varlen(b):
    long_form = False
    if isinstance(b, tuple):
        b, long_form = b
    if isinstance(b, str):
        b = b.encode()
    if len(b) >= 255 or long_form:
        return b'\xff' + struct.pack('!H', len(b)) + b
    return bytes([len(b)]) + b


def pack_field(value, length):
    if length == VARLEN:
        return _varlen(value if value is not None else b'')
    if value is None:
        return bytes(length)
    if isinstance(value, str):
        if length in (4, 16) and (':' in value or value.count('.') == 3):
            return ipaddress.ip_address(value).packed
        value = value.encode()
    if isinstance(value, bytes):
        return value[:length].ljust(length, b'\0')
    return value.to_bytes(length, 'big')


def pack_record(fields, values):
    out = b''
    for f in fields:
        key = f[0] if len(f) < 3 or not f[2] else (f[2], f[0])
        out += pack_field(values.get(key), f[1])
    return out


def ipfix_message(sets, domain=0, seq=0, export_s=None, length=None):
    """An IPFIX message of the given set bytes (length: override the header's)."""
    body = b''.join(sets)
    export_s = int(time.time()) if export_s is None else export_s
    return struct.pack('!HHIII', 10, 16 + len(body) if length is None else length,
                       export_s, seq, domain) + body


def ipfix_set(set_id, body, length=None):
    return struct.pack('!HH', set_id, 4 + len(body) if length is None else length) + body


def ipfix_template_record(tid, fields, scope=None, count=None):
    """A template record (options template when scope is given: the number
    of scope fields); count overrides the field count."""
    out = struct.pack('!HH', tid, len(fields) if count is None else count)
    if scope is not None:
        out += struct.pack('!H', scope)
    for f in fields:
        fid, flen = f[0], f[1]
        pen = f[2] if len(f) > 2 else 0
        out += struct.pack('!HH', fid | (0x8000 if pen else 0), flen)
        if pen:
            out += struct.pack('!I', pen)
    return out


def ipfix_template_set(templates, options=False):
    """templates: [(tid, fields)] or, options, [(tid, fields, scope)]."""
    return ipfix_set(3 if options else 2,
                     b''.join(ipfix_template_record(*t) for t in templates))


def ipfix_data_set(tid, records, pad=b''):
    return ipfix_set(tid, b''.join(records) + pad)


def v9_message(flowsets, source_id=0, seq=0, uptime_ms=V9_UPTIME, unix_s=None, count=None):
    body = b''.join(flowsets)
    unix_s = int(time.time()) if unix_s is None else unix_s
    return struct.pack('!HHIIII', 9, len(flowsets) if count is None else count,
                       uptime_ms, unix_s, seq, source_id) + body


def v9_flowset(fid, body):
    body += bytes(-len(body) % 4)             # v9 flowsets pad to 4 bytes
    return struct.pack('!HH', fid, 4 + len(body)) + body


def v9_template_flowset(templates):
    """templates: [(tid, fields)]; fields (type, length)."""
    body = b''
    for tid, fields in templates:
        body += struct.pack('!HH', tid, len(fields))
        for fid, flen in fields:
            body += struct.pack('!HH', fid, flen)
    return struct.pack('!HH', 0, 4 + len(body)) + body


def v9_data_flowset(tid, records):
    return v9_flowset(tid, b''.join(records))


def v9_flowsets(msg):
    """[(flowset id, start offset, end offset)] of a v9 message (header 20
    bytes; stops at a flowset that runs past the message)."""
    out, off = [], 20
    while off + 4 <= len(msg):
        fid, flen = struct.unpack('!HH', msg[off:off + 4])
        if flen < 4 or off + flen > len(msg):
            break
        out.append((fid, off, off + flen))
        off += flen
    return out


def flow_key(r):
    """A stored record's identity for comparisons with what was sent."""
    return (norm_addr(r['src']), norm_addr(r['dst']), r['sport'], r['dport'],
            r['proto'], r['packets'], r['bytes'])


def sent_key(v, v6=False):
    """flow_key of a record sent with flow_values v."""
    return (norm_addr(v[27] if v6 else v[8]), norm_addr(v[28] if v6 else v[12]),
            v[7], v[11], v[4], v[2], v[1])
