#!/usr/bin/env python3
"""hostflow-collector takes broken and unusual exports without crashing and
counts each oddity (status.json, per exporter; every scenario comes from
its own 127.0.0.N address):

- garbage: seeded random datagrams (some behind a valid v5/v9/IPFIX
  header) and garbage TCP streams;
- every prefix of a real NetFlow v9 and IPFIX message (pmacct captures):
  short / length / set counters as the header and set lengths dictate;
- data before its template (IPFIX; v9 with the template from another
  source port): held, then decoded when the template comes;
- absurd templates (reserved ids, field counts, zero and huge lengths,
  bad scopes): counted as "template", never stored;
- a data set whose length disagrees with its template (template_mismatch;
  the following sets still decode), zero padding (fine), a variable-length
  record running past its set ("record");
- enterprise-specific and variable-length fields (1- and 3-byte length
  prefixes; hostflow's hostname / name source / DNS name, applicationName,
  unknown enterprise elements), an element with an impossible length
  ("field", the record still decodes);
- one exporter using two lengths of the same element (reduced-size
  encoding: both decode exactly);
- templates persist: sent, collector stopped, restarted on the same state
  directory, data only -> decoded at once.
Afterwards the collector still answers: valid flows are stored exactly,
SIGTERM exits 0, every store file reads."""
import collections
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

SEED = 20240611
NOW = int(time.time() * 1000)


def std_records(n, base, fields=hftest.STD_V4, now_ms=NOW):
    """n STD flows starting at index base: (record bytes list, sent keys)."""
    vals = [hftest.flow_values(base + i, now_ms) for i in range(n)]
    return [hftest.pack_record(fields, v) for v in vals], [hftest.sent_key(v) for v in vals]


class Scenario:
    """One exporter address: sends datagrams, waits until the collector
    counted them, compares its counters and its store directory."""

    def __init__(self, col, check, addr, title):
        self.col, self.check, self.addr, self.title = col, check, addr, title
        self.sent = 0
        self.socks = {}
        print('\n== %s (from %s)' % (title, addr), flush=True)

    def send(self, *msgs, sport=None):
        key = sport or 'default'
        if key not in self.socks:
            self.socks[key] = hftest.Exporter(self.col.udp, addr=self.addr, sport=sport or 0)
        self.socks[key].send(*msgs)
        self.sent += len(msgs)

    def settle(self):
        """Counters once every datagram sent is counted."""
        st = self.col.wait_messages(self.sent, addr=self.addr)
        self.check.ok(st is not None, '%s: collector counted %d of %d datagrams (alive: %s)' % (
            self.title, hftest.exporter_sum(self.col.last, addr=self.addr)['messages'],
            self.sent, self.col.alive()))
        tot = hftest.exporter_sum(self.col.last, addr=self.addr)
        print('  messages %d records %d templates %d pending_decoded %d pending_dropped %d '
              'malformed: %s' % (tot['messages'], tot['records'], tot['templates'],
                                 tot['pending_decoded'], tot['pending_dropped'],
                                 hftest.malformed_text(tot)), flush=True)
        return tot

    def expect(self, tot, **want):
        """Each keyword: a counter (or reason=N of malformed_by_reason)."""
        for k, v in want.items():
            got = tot[k] if k in tot else tot['by_reason'].get(k, 0)
            self.check.eq('%s: %s' % (self.title, k), v, got)

    def source(self):
        return 'exp-' + self.addr


# ---------------------------------------------------------------- scenarios


def garbage(col, check):
    s = Scenario(col, check, '127.0.0.21', 'seeded random datagrams')
    rnd = random.Random(SEED)
    msgs = []
    for i in range(400):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 1400)))
        kind = i % 4
        if kind == 1:                                     # v9 header
            body = struct.pack('!HH', 9, rnd.randrange(40)) + body[4:]
        elif kind == 2:                                   # IPFIX, consistent length
            body = struct.pack('!HH', 10, len(body)) + body[4:] if len(body) >= 4 else body
        elif kind == 3:                                   # v5 header
            body = struct.pack('!HH', 5, rnd.randrange(32)) + body[4:]
        msgs.append(body)
    s.send(*msgs)
    tot = s.settle()
    s.expect(tot, messages=len(msgs))
    check.ok(tot['malformed'] > 0, '%s: no malformed counter raised' % s.title)
    check.ok(col.alive(), '%s: collector died' % s.title)
    return s, tot


def tcp_garbage(col, check):
    print('\n== TCP: garbage stream, valid message then garbage', flush=True)
    before = col.status()['sockets']
    rnd = random.Random(SEED + 1)
    with socket.create_connection(('127.0.0.1', col.tcp), timeout=10) as c:
        c.sendall(bytes(rnd.randrange(256) for _ in range(3000)))
    recs, keys = std_records(4, 9000)
    good = hftest.ipfix_message([hftest.ipfix_template_set([(350, hftest.STD_V4)]),
                                 hftest.ipfix_data_set(350, recs)], domain=35)
    hftest.tcp_send(col.tcp, [good, b'\x00\x0a\x00\x03garbage' + bytes(500)])
    st = col.wait(lambda st: st['sockets']['tcp_bad_streams'] >= before['tcp_bad_streams'] + 2
                  and hftest.exporter_sum(st, version=10)['records'] >= 4)
    sk = col.last['sockets']
    print('  tcp_connections %d tcp_messages %d tcp_bad_streams %d' % (
        sk['tcp_connections'], sk['tcp_messages'], sk['tcp_bad_streams']))
    check.ok(st is not None, 'TCP garbage: counters: %s' % sk)
    check.eq('TCP garbage: connections', before['tcp_connections'] + 2, sk['tcp_connections'])
    check.eq('TCP garbage: bad streams', before['tcp_bad_streams'] + 2, sk['tcp_bad_streams'])
    return keys


def truncated(col, check):
    """Every prefix of a real data message, after its template message."""
    out = []
    # (capture, frame with the template, frame with data for it)
    for addr, cap, tframe, dframe, v9 in (
            ('127.0.0.22', 'pmacct-101-nfv9-cisco.pcap', 1, 40, True),
            ('127.0.0.23', 'pmacct-100-ipfix-cisco.pcap', 1, 3, False)):
        grams = hftest.export_datagrams(hftest.pcap(cap))
        tmpl, data = grams[tframe - 1][3], grams[dframe - 1][3]
        s = Scenario(col, check, addr, 'every prefix (0..%d bytes) of a %s data message of %s'
                     % (len(data) - 1, 'v9' if v9 else 'IPFIX', cap))
        s.send(tmpl)
        s.send(*[data[:n] for n in range(len(data))])
        s.send(data)
        tot = s.settle()
        want_recs = frame_records(cap, dframe)
        check.ok(want_recs, '%s: tshark decodes no record in frame %d' % (s.title, dframe))
        if v9:
            hdr = 20
            ends = [e - hdr for _, _, e in hftest.v9_flowsets(data)]
            cut_sets = 0
            for n in range(hdr, len(data)):
                body = n - hdr
                done = max([0] + [e for e in ends if e <= body])
                cut_sets += body - done >= 4
            check.eq('%s: one data flowset in the message' % s.title, 1, len(ends))
            s.expect(tot, messages=len(data) + 2, short=hdr, set=cut_sets,
                     malformed=hdr + cut_sets, records=want_recs)
        else:
            s.expect(tot, messages=len(data) + 2, short=16, length=len(data) - 16,
                     malformed=len(data), records=want_recs)
        out.append((s, want_recs))
    return out


def frame_records(cap, frame):
    """Data records tshark decodes in one frame of an export capture."""
    path = hftest.pcap(cap)
    rows = hftest.tshark_fields(path, ['frame.number', 'cflow.packets', 'cflow.octets'],
                                ['-d', 'udp.port==%d,cflow' % hftest.export_ports(path)[0]])
    for r in rows:
        if r['frame.number'] == str(frame):
            return max(len([v for v in r[f].split(',') if v])
                       for f in ('cflow.packets', 'cflow.octets'))
    return None


def late_template(col, check):
    out = []
    # IPFIX: three data messages, then the template
    s = Scenario(col, check, '127.0.0.24', 'IPFIX data before its template')
    keys = []
    for m in range(3):
        recs, k = std_records(5, 100 + 5 * m)
        keys += k
        s.send(hftest.ipfix_message([hftest.ipfix_data_set(300, recs)], domain=7, seq=5 * m))
    tot = s.settle()
    s.expect(tot, records=0, malformed=0, pending_decoded=0)
    s.send(hftest.ipfix_message([hftest.ipfix_template_set([(300, hftest.STD_V4)])],
                                domain=7, seq=15))
    tot = s.settle()
    s.expect(tot, records=15, pending_decoded=3, pending_dropped=0, malformed=0)
    out.append((s, keys))
    # v9: data from one source port, the template from another
    s = Scenario(col, check, '127.0.0.25', 'v9 data before its template (from another port)')
    keys = []
    for m in range(4):
        recs, k = std_records(3, 200 + 3 * m, hftest.STD_V9)
        keys += k
        s.send(hftest.v9_message([hftest.v9_data_flowset(301, recs)], source_id=9, seq=m),
               sport=40001)
    tot = s.settle()
    s.expect(tot, records=0, malformed=0)
    s.send(hftest.v9_message([hftest.v9_template_flowset([(301, hftest.STD_V9)])],
                             source_id=9, seq=4), sport=40002)
    tot = s.settle()
    s.expect(tot, records=12, pending_decoded=4, pending_dropped=0, malformed=0)
    out.append((s, keys))
    return out


def absurd_templates(col, check):
    T = hftest.ipfix_template_record
    ipfix = [
        ('reserved template id 100', hftest.ipfix_set(2, T(100, [(8, 4)]))),
        ('field count 65535, one field', hftest.ipfix_set(2, T(400, [(8, 4)], count=65535))),
        ('field count 3, two fields', hftest.ipfix_set(2, T(401, [(8, 4), (12, 4)], count=3))),
        ('field length 0', hftest.ipfix_set(2, T(402, [(8, 4), (1, 0)]))),
        ('record of 80000 bytes', hftest.ipfix_set(2, T(403, [(5000, 40000), (5001, 40000)]))),
        ('options template, scope 0', hftest.ipfix_set(3, T(404, [(149, 4), (34, 4)], scope=0))),
        ('options template, scope 3 of 2 fields',
         hftest.ipfix_set(3, T(405, [(149, 4), (34, 4)], scope=3))),
        ('withdrawal of reserved id 100', hftest.ipfix_set(2, struct.pack('!HH', 100, 0))),
    ]
    s = Scenario(col, check, '127.0.0.26', 'absurd IPFIX templates')
    for _, tset in ipfix:
        s.send(hftest.ipfix_message([tset], domain=1, seq=0))
    print('  ' + '; '.join(t for t, _ in ipfix))
    # data for the refused ids: nothing to decode it with
    recs, _ = std_records(2, 300)
    s.send(hftest.ipfix_message([hftest.ipfix_data_set(t, recs) for t in (401, 402, 403)],
                                domain=1))
    tot = s.settle()
    s.expect(tot, template=len(ipfix), malformed=len(ipfix), templates=0, records=0)
    ipfix_s = s

    def v9t(tid, fields, count=None):
        body = struct.pack('!HH', tid, len(fields) if count is None else count)
        for f, ln in fields:
            body += struct.pack('!HH', f, ln)
        return struct.pack('!HH', 0, 4 + len(body)) + body

    def v9o(tid, scope_len, opt_len, words):
        body = struct.pack('!HHH', tid, scope_len, opt_len) + b''.join(
            struct.pack('!HH', a, b) for a, b in words)
        body += bytes(-len(body) % 4)
        return struct.pack('!HH', 1, 4 + len(body)) + body

    v9 = [
        ('reserved template id 100', v9t(100, [(8, 4)])),
        ('field count 0', v9t(410, [])),
        ('field count 10, two fields', v9t(411, [(8, 4), (12, 4)], count=10)),
        ('field length 0', v9t(412, [(8, 4), (1, 0)])),
        ('options template, scope length 3', v9o(413, 3, 4, [(1, 4), (34, 4)])),
        ('options template, scope length 0', v9o(414, 0, 4, [(34, 4)])),
    ]
    s = Scenario(col, check, '127.0.0.27', 'absurd v9 templates')
    for _, fs in v9:
        s.send(hftest.v9_message([fs], source_id=2))
    print('  ' + '; '.join(t for t, _ in v9))
    # a template flowset longer than its datagram: a set error, not a template
    s.send(hftest.v9_message([struct.pack('!HH', 0, 4000) + v9t(415, [(8, 4)])[4:]], source_id=2))
    recs, _ = std_records(2, 320, hftest.STD_V9)
    s.send(hftest.v9_message([hftest.v9_data_flowset(t, recs) for t in (411, 412, 415)],
                             source_id=2))
    tot = s.settle()
    s.expect(tot, template=len(v9), set=1, malformed=len(v9) + 1, templates=0, records=0)
    return ipfix_s, s


def mismatch(col, check):
    s = Scenario(col, check, '127.0.0.28', 'data sets disagreeing with their template')
    tmpl = hftest.ipfix_template_set([(310, hftest.STD_V4),
                                      (311, [(8, 4), (96, hftest.VARLEN)])])
    recs, keys = std_records(8, 400)
    # 2 records + 5 non-zero bytes: not a whole number of records, not padding
    bad = hftest.ipfix_data_set(310, recs[:2], pad=b'\x01\x02\x03\x04\x05')
    m1 = hftest.ipfix_message([tmpl, bad, hftest.ipfix_data_set(310, recs[2:5])], domain=3)
    # 2 records + 3 zero bytes: padding, fine
    m2 = hftest.ipfix_message([hftest.ipfix_data_set(310, recs[5:7], pad=bytes(3))], domain=3)
    # a variable-length record claiming 200 bytes in a set that ends first
    v1 = hftest.pack_record([(8, 4), (96, hftest.VARLEN)], {8: '10.99.0.1', 96: b'ok'})
    runaway = hftest.ipfix_data_set(311, [v1, bytes([10, 99, 0, 2, 200]) + b'x' * 10])
    m3 = hftest.ipfix_message([runaway, hftest.ipfix_data_set(310, recs[7:8])], domain=3)
    s.send(m1, m2, m3)
    tot = s.settle()
    s.expect(tot, template_mismatch=1, record=1, malformed=2, records=3 + 2 + 1 + 1)
    return s, keys[2:8]


def enterprise_fields(col, check):
    s = Scenario(col, check, '127.0.0.29', 'enterprise-specific and variable-length fields')
    P = hftest.PEN
    fields = list(hftest.STD_V4) + [(1, hftest.VARLEN, P), (2, 1, P), (3, hftest.VARLEN, P),
                                    (96, hftest.VARLEN), (77, 4, 9999),
                                    (78, hftest.VARLEN, 9999), (79, 16, 4242)]
    names = ['', 'dns', 'tls', 'http', 'quic']
    recs, want = [], []
    for i in range(5):
        v = hftest.flow_values(500 + i, NOW)
        host = 'host%d.example.org' % i
        # record 1: the hostname with the 3-byte length prefix (RFC 7011 7)
        v[(P, 1)] = (host.encode(), True) if i == 1 else host
        v[(P, 2)] = i
        v[(P, 3)] = 'cdn%d.example.net' % i if i % 2 else b''
        v[96] = 'app-%d' % i
        v[(9999, 77)] = 0xdeadbeef
        v[(9999, 78)] = bytes(range(256)) + b'long' * 20          # 336 bytes: 3-byte prefix
        v[(4242, 79)] = b'0123456789abcdef'
        recs.append(hftest.pack_record(fields, v))
        want.append((hftest.sent_key(v), host, names[i], v[(P, 3)] or '', v[96]))
    s.send(hftest.ipfix_message([hftest.ipfix_template_set([(320, fields)]),
                                 hftest.ipfix_data_set(320, recs)], domain=4))
    tot = s.settle()
    s.expect(tot, records=5, malformed=0, templates=1)
    return s, want


def impossible_lengths(col, check):
    s = Scenario(col, check, '127.0.0.31', 'elements with impossible lengths')
    f321 = [(8, 5)] + list(hftest.STD_V4[1:])                   # IPv4 address of 5 bytes
    f322 = [(8, hftest.VARLEN), (12, 4), (2, 4), (1, 4)]
    v = hftest.flow_values(600, NOW)
    v[8] = b'\x0a\x0b\x0c\x0d\x0e'
    r1 = hftest.pack_record(f321, v)
    ok = hftest.pack_record(f322, {8: b'\x0a\x00\x00\x07', 12: '192.0.2.7', 2: 3, 1: 300})
    short = hftest.pack_record(f322, {8: b'\x0a\x00\x00', 12: '192.0.2.8', 2: 4, 1: 400})
    s.send(hftest.ipfix_message([hftest.ipfix_template_set([(321, f321), (322, f322)]),
                                 hftest.ipfix_data_set(321, [r1]),
                                 hftest.ipfix_data_set(322, [ok, short])], domain=5))
    tot = s.settle()
    # one for the template's 5-byte address, one for the record's 3-byte one;
    # the records still decode without the bad field
    s.expect(tot, field=2, malformed=2, records=3)
    want = [('0.0.0.0', '192.0.2.%d' % (600 % 250 + 1), v[7], v[11], 6, v[2], v[1]),
            ('10.0.0.7', '192.0.2.7', 0, 0, 0, 3, 300),
            ('0.0.0.0', '192.0.2.8', 0, 0, 0, 4, 400)]
    return s, want


def two_lengths(col, check):
    s = Scenario(col, check, '127.0.0.30', 'one element in 1/2/4/8-byte encodings')
    base = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)]
    tmpls = [(330, base + [(2, 4), (1, 4)]), (331, base + [(2, 8), (1, 8)]),
             (332, base + [(2, 1), (1, 2)]), (333, base + [(2, 2), (1, 3)])]
    values = {330: (0xfffffff0, 0xfffffffe), 331: (2 ** 40 + 5, 2 ** 56 + 3),
              332: (255, 65535), 333: (1000, 2 ** 24 - 1)}
    sets, want = [], []
    for k, (tid, fields) in enumerate(tmpls):
        v = hftest.flow_values(700 + k, NOW)
        v[2], v[1] = values[tid]
        sets.append(hftest.ipfix_data_set(tid, [hftest.pack_record(fields, v)]))
        want.append(hftest.sent_key(v))
    s.send(hftest.ipfix_message([hftest.ipfix_template_set(tmpls)] + sets, domain=6))
    tot = s.settle()
    s.expect(tot, records=4, malformed=0, templates=4)
    return s, want


def scribble_template_padding(path, check):
    """Fills what a saved template holds besides the exporter's words (the
    header's derived and padding bytes, each field's bytes after its
    action) with garbage, as a file of an older version holds there its
    own derived values: the collector must take the template all the
    same, from tid, field count, scope count, version and the fields."""
    KEY, HEAD, FIELD = 28, 16, 12
    data = bytearray(open(path, 'rb').read())
    off, entries = 8, 0
    while off + KEY + 4 <= len(data):
        size = struct.unpack_from('=I', data, off + KEY)[0]
        blob = off + KEY + 4
        nfields = struct.unpack_from('=H', data, blob + 2)[0]
        data[blob + 7] = 0xab                          # padding
        data[blob + 8:blob + HEAD] = b'\xab' * (HEAD - 8)   # min_len, varlen...
        for i in range(nfields):
            f = blob + HEAD + i * FIELD
            data[f + 9:f + FIELD] = b'\xab' * (FIELD - 9)
        off = blob + size
        entries += 1
    check.eq('persistence: saved templates found to scribble on', 3, entries)
    open(path, 'wb').write(data)


def persistence(tmp, check):
    print('\n== templates persist across a restart', flush=True)
    col = hftest.Collector(tmp, 'persist', listen=['udp:127.0.0.1:0'])
    with col:
        col.start()
        ip = hftest.Exporter(col.udp, addr='127.0.0.32')
        v9 = hftest.Exporter(col.udp, addr='127.0.0.33')
        # and an options record announcing 1-in-100 sampling
        # (observationDomainId scope, samplingPacketInterval)
        opt_fields = [(149, 4), (305, 4)]
        ip.send(hftest.ipfix_message([hftest.ipfix_template_set([(340, hftest.STD_V4)]),
                                      hftest.ipfix_template_set([(342, opt_fields, 1)],
                                                                options=True),
                                      hftest.ipfix_data_set(342, [struct.pack('!II', 11, 100)])],
                                     domain=11))
        v9.send(hftest.v9_message([hftest.v9_template_flowset([(341, hftest.STD_V9)])],
                                  source_id=12))
        st = col.wait(lambda st: hftest.exporter_sum(st)['templates'] >= 2)
        check.ok(st is not None, 'persistence: templates not counted')
        rc = col.stop()
        col.check_exit(check, 'persistence, first run', rc)
        for name in ('templates.v1', 'options.v1'):
            check.ok(os.path.exists(os.path.join(col.state, name)),
                     'persistence: no %s in the state directory' % name)
        scribble_template_padding(os.path.join(col.state, 'templates.v1'), check)
        col.start()
        # data only, from new source ports (a restarted exporter's sessions)
        ip2 = hftest.Exporter(col.udp, addr='127.0.0.32')
        v92 = hftest.Exporter(col.udp, addr='127.0.0.33')
        r1, k1 = std_records(6, 800)
        r2, k2 = std_records(4, 900, hftest.STD_V9)
        ip2.send(hftest.ipfix_message([hftest.ipfix_data_set(340, r1)], domain=11))
        v92.send(hftest.v9_message([hftest.v9_data_flowset(341, r2)], source_id=12))
        # data no template will ever come for: held, then counted at exit
        orphan = hftest.Exporter(col.udp, addr='127.0.0.34')
        orphan.send(hftest.ipfix_message([hftest.ipfix_data_set(399, r1[:2])], domain=13))
        col.wait(lambda st: hftest.exporter_sum(st)['messages'] >= 3)
        rc = col.stop()
        col.check_exit(check, 'persistence, second run', rc)
        last = col.status()
        check.eq('persistence: held data counted as dropped at exit', 1,
                 hftest.exporter_sum(last, addr='127.0.0.34')['pending_dropped'])
        sampled = [e['sampling_interval'] for e in last['exporters']
                   if e['exporter'] == '127.0.0.32']
        check.eq('persistence: the sampling interval known after the restart', [100], sampled)
        got_sampling = collections.Counter(r['sampling'] for r in col.records('exp-127.0.0.32'))
        check.eq('persistence: data after the restart scaled by the saved interval',
                 {'100': len(r1)}, dict(got_sampling))
        tot = hftest.exporter_sum(last)      # the orphan holds no records
        print('  after the restart: records %d pending_decoded %d malformed %s' % (
            tot['records'], tot['pending_decoded'], hftest.malformed_text(tot)))
        check.eq('persistence: records decoded from data only', 10, tot['records'])
        check.eq('persistence: decoded at once, not held', 0, tot['pending_decoded'])
        check.eq('persistence: malformed', 0, tot['malformed'])
        got = sorted(hftest.flow_key(r) for r in col.records())
        hftest.same_items(check, 'persistence: stored flows', k1 + k2, got)


def store_keys(col, scen):
    return sorted(hftest.flow_key(r) for r in col.records(scen.source()))


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('collector_robust')
    with hftest.tempdir() as tmp:
        col = hftest.Collector(tmp, 'robust')
        with col:
            col.start()
            g, gtot = garbage(col, check)
            tcp_keys = tcp_garbage(col, check)
            trunc = truncated(col, check)
            late = late_template(col, check)
            absurd = absurd_templates(col, check)
            mis, mis_keys = mismatch(col, check)
            ent, ent_want = enterprise_fields(col, check)
            imp, imp_want = impossible_lengths(col, check)
            two, two_want = two_lengths(col, check)
            # still answering: valid flows from a new exporter
            fin = Scenario(col, check, '127.0.0.40', 'valid flows after all that')
            recs, fin_keys = std_records(50, 1000)
            fin.send(hftest.ipfix_message([hftest.ipfix_template_set([(360, hftest.STD_V4)]),
                                           hftest.ipfix_data_set(360, recs[:25])], domain=9),
                     hftest.ipfix_message([hftest.ipfix_data_set(360, recs[25:])], domain=9))
            fin.expect(fin.settle(), records=50, malformed=0)
            check.ok(col.alive(), 'collector died')
            rc = col.stop()
            col.check_exit(check, 'robust collector', rc)
            st = col.status()
            print('\n== the store after SIGTERM')
            for f in col.files():
                recs_f, p = hftest.dump_csv(f)
                check.ok(p.returncode == 0, 'store file %s: hostflow-dump %s: %s'
                         % (f, hftest.describe_exit(p), p.stderr.strip()))
            check.eq('temp files left', [], col.files(temp=True))
            check.eq('store records vs decoded (all exporters)',
                     hftest.exporter_sum(st)['records'], st['store']['records'])
            check.eq('store write errors', 0, st['store']['write_errors'])
            check.eq('garbage: stored vs decoded', gtot['records'],
                     col.totals(g.source())[0])
            hftest.same_items(check, 'TCP: stored flows', tcp_keys,
                              [hftest.flow_key(r) for r in col.records('exp-127.0.0.1')])
            for s, n in trunc:
                check.eq('%s: stored records' % s.title, n, col.totals(s.source())[0])
            for s, keys in late:
                hftest.same_items(check, '%s: stored flows' % s.title, keys, store_keys(col, s))
            for s in absurd:
                check.eq('%s: stored records' % s.title, 0, col.totals(s.source())[0])
            stored = store_keys(col, mis)
            hftest.same_items(check, '%s: stored STD flows' % mis.title, mis_keys,
                              [k for k in stored if k[0] != '10.99.0.1'])
            check.eq('%s: the variable-length record before the runaway one' % mis.title,
                     [('10.99.0.1', '0.0.0.0', 0, 0, 0, 0, 0)],
                     [k for k in stored if k[0] == '10.99.0.1'])
            got = sorted((hftest.flow_key(r), r['hostname'], r['name_source'], r['dns_name'],
                          r['app']) for r in col.records(ent.source()))
            hftest.same_items(check, '%s: stored flows with hostname, name_source, dns_name, '
                              'app' % ent.title, ent_want, got)
            hftest.same_items(check, '%s: stored flows' % imp.title, imp_want, store_keys(col, imp))
            hftest.same_items(check, '%s: stored flows' % two.title, two_want, store_keys(col, two))
            hftest.same_items(check, '%s: stored flows' % fin.title, fin_keys, store_keys(col, fin))
        persistence(tmp, check)
    check.finish()


if __name__ == '__main__':
    main()
