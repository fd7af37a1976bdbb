#!/usr/bin/env python3
"""sFlow v5 into hostflow-collector, checked against tshark's decode.

- sflow.pcap (real sFlow from nDPI's test data: counter samples and one
  flow sample of an ICMP echo on VLAN 32) and a capture of sFlow datagrams
  built here around real packets of the other captures (compact and
  expanded flow samples; raw Ethernet, IPv4 and IPv6 headers with VLAN
  tags, PPPoE, IPv6 extension headers, a tunnel, ARP; sampled IPv4/IPv6
  records; extended switch VLANs; unknown records and sample types;
  counter samples; an IPv6 agent address; two sub-agents; a sequence gap)
  are replayed as UDP datagrams to a running collector and fed in-process
  (tests/replay_exports).  Every flow sample must come out as one record
  whose fields are what tshark decodes of it, with the rules below; no
  malformed counter; per exporter session (address, port, sub-agent):
  version 133, the sub-agent as domain, messages, records, counter and
  unknown samples as options_records, lost datagrams from the sequence
  numbers tshark reads.
- sFlow and NetFlow v5 from the same address and port: two sessions.
- Malformed sFlow: every prefix of a real flow datagram and of a
  three-sample one (each from its own source port), a sample or a record
  running past its end, absurd sample and record counts, unknown agent
  address type, sFlow version 4, seeded random damage.  Each damaged
  datagram raises exactly one malformed counter (the reason checked where
  it is certain), the flow samples before the damage are stored, the
  collector never crashes and exits cleanly.

Rules (how hostflow turns a sample into a record, from the sFlow v5
spec): packets 1; octets the raw header's frame length, else the sampled
IPv4/IPv6 record's length; sampling the sample's rate (0 for 1 in 1, as
NetFlow v5 has it); in_if and out_if the input and output
ifIndex when its format is 0 (compact samples: and not 0x3fffffff, the
agent itself); the raw header (protocols 1 Ethernet, 11 IPv4, 12 IPv6) is
decoded as the probe decodes a packet (outermost VLAN tag and IP header,
ICMP type<<8|code as the destination port); without one, the sampled
IPv4/IPv6 record gives addresses, protocol, ports, flags and TOS; the
extended switch record's incoming VLAN when the header had no tag.
Wireshark 4.0 reads the sampled IPv4 record's tcp_flags and tos words by
their first byte; the spec makes them 32-bit integers, so those two are
read from the bytes tshark locates."""
import collections
import csv
import io
import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

SFLOW_PCAP = 'sflow.pcap'
SFLOW_VERSION = 133          # HF_VERSION_SFLOW (collector/decoder.h)
SEED = 6343
COLUMNS = ('proto', 'src', 'sport', 'dst', 'dport', 'packets', 'bytes', 'flags', 'tos',
           'vlan', 'in_if', 'out_if', 'src_mac', 'dst_mac', 'sampling')
NO_MAC = '00:00:00:00:00:00'

# ---------------------------------------------------------------- building sFlow


def xdr(body):
    return body + bytes(-len(body) % 4)


def record(fmt, body, enterprise=0, length=None):
    """A flow or counter record (or a sample: same framing)."""
    body = xdr(body)
    return struct.pack('!II', enterprise << 12 | fmt,
                       len(body) if length is None else length) + body


def raw_header(frame, proto=1, snap=128, fcs=4, hlen=None):
    """Raw packet header record: the first snap bytes of frame (an agent
    samples the frame with its FCS, then strips it)."""
    h = frame[:snap]
    return record(1, struct.pack('!IIII', proto, len(frame) + fcs,
                                 len(frame) + fcs - len(h),
                                 len(h) if hlen is None else hlen) + h)


def sampled_ip(length, proto, src, dst, sport, dport, flags, tos):
    v6 = ':' in src
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    return record(4 if v6 else 3, struct.pack('!II', length, proto) +
                  socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) +
                  struct.pack('!IIII', sport, dport, flags, tos))


def ext_switch(in_vlan, out_vlan):
    return record(1001, struct.pack('!IIII', in_vlan, 0, out_vlan, 0))


def flow_sample(records, rate, in_if, out_if=2, seq=1, expanded=False, nrec=None,
                length=None):
    """A compact flow sample (in_if: the 32-bit interface word) or an
    expanded one (in_if: (format, value))."""
    n = len(records) if nrec is None else nrec
    if expanded:
        hdr = struct.pack('!11I', seq, 0, 7, rate, rate * seq, 0, in_if[0], in_if[1],
                          0, out_if, n)
    else:
        hdr = struct.pack('!8I', seq, 7, rate, rate * seq, 0, in_if, out_if, n)
    return record(3 if expanded else 1, hdr + b''.join(records), length=length)


def counter_sample(ifindex, seq=1, expanded=False):
    """A counter sample of generic interface counters."""
    counters = struct.pack('!IIQII', ifindex, 6, 1000000000, 1, 3) + \
        struct.pack('!QIIIIIIQIIIIII', 5000, 10, 1, 1, 0, 0, 0, 6000, 12, 1, 1, 0, 0, 0)
    rec = record(1, counters)
    hdr = struct.pack('!IIII', seq, 0, ifindex, 1) if expanded else \
        struct.pack('!III', seq, ifindex, 1)
    return record(4 if expanded else 2, hdr + rec)


def datagram(samples, seq, sub_agent=0, agent='192.0.2.1', count=None, agent_type=None):
    if agent_type is None:
        agent_type = 2 if ':' in agent else 1
    fam = socket.AF_INET6 if agent_type == 2 else socket.AF_INET
    addr = socket.inet_pton(fam, agent) if agent_type in (1, 2) else b''
    return struct.pack('!II', 5, agent_type) + addr + struct.pack(
        '!IIII', sub_agent, seq, 123456, len(samples) if count is None else count) + \
        b''.join(samples)


def udp_frame(src, sport, payload):
    return hftest.ipv4_frame(src, '192.0.2.200', 17, hftest.udp_segment(sport, 6343, payload))


def netflow_v5(now_s):
    """A NetFlow v5 datagram of one flow."""
    hdr = struct.pack('!HHIIIIBBH', 5, 1, 1000, now_s, 0, 1, 0, 0, 0)
    rec = struct.pack('!4s4s4sHHIIIIHHBBBBHHBBH', socket.inet_aton('10.1.1.1'),
                      socket.inet_aton('10.1.1.2'), bytes(4), 1, 2, 3, 300, 0, 500,
                      1234, 80, 0, 0x1b, 6, 0, 0, 0, 24, 24, 0)
    return hdr + rec


# Real packets the built samples carry: (capture, frame).
PACKETS = {
    'syn4': ('iphone.pcap', 58),         # IPv4 TCP SYN with ECE and CWR
    'tls4': ('iphone.pcap', 68),         # IPv4 TCP, TOS 2, longer than sampled
    'icmp6': ('iphone.pcap', 34),        # IPv6 hop-by-hop option, ICMPv6
    'tls6': ('http_ipv6.pcap', 3),       # IPv6 TCP
    'quic6': ('http_ipv6.pcap', 5),      # IPv6 UDP, 1412 bytes
    'pppoe': ('dns.pcap', 4),            # two 802.1Q tags, PPPoE, IPv4 UDP
    'dns4': ('dns.pcap', 1),             # IPv4 UDP
    'tunnel': ('4in6tunnel.pcap', 1),    # IPv4 in IPv6: the outer header counts
    'arp': ('802.1ad_QinQ.pcap', 1),     # 802.1ad + 802.1Q tags, ARP: no IP
    'ppp': ('dlt_ppp.pcap', 1),          # a PPP frame (header protocol 7)
}


def real_packets():
    out = {}
    for name, (cap, n) in PACKETS.items():
        frames = hftest.tshark_raw_layers(hftest.pcap(cap), [n])
        if n not in frames:
            raise RuntimeError('%s has no frame %d' % (cap, n))
        out[name] = frames[n][0]
    return out


def built_datagrams(pk):
    """[(exporter address, source port, datagram)] exercising every
    record and sample kind hostflow reads (or skips)."""
    a, b = ('192.0.2.1', 40001), ('192.0.2.2', 40002)
    eth = 14
    return [
        a + (datagram([
            flow_sample([raw_header(pk['syn4'])], 512, 3, seq=1),
            counter_sample(3, seq=2),
            flow_sample([raw_header(pk['tls6']), ext_switch(7, 8)], 1000, (0, 0x12345), seq=3,
                        expanded=True),
        ], seq=10, sub_agent=1),),
        a + (datagram([
            flow_sample([ext_switch(99, 1), raw_header(pk['pppoe'])], 64, 4, seq=4),
            flow_sample([raw_header(pk['dns4'][eth:], proto=11, fcs=0)], 1, 5, seq=5),
            flow_sample([raw_header(pk['quic6'][eth:], proto=12, fcs=0)], 2, 6, seq=6),
        ], seq=11, sub_agent=1),),
        # datagrams 12 and 13 lost
        a + (datagram([
            flow_sample([sampled_ip(1500, 6, '10.0.0.1', '10.0.0.2', 80, 1234, 0x12, 0x20)],
                        10, 7, seq=7),
            flow_sample([sampled_ip(99, 17, '10.9.9.9', '10.9.9.8', 1, 2, 0, 0),
                         raw_header(pk['tls4'])], 10, 7, seq=9),
            flow_sample([raw_header(pk['ppp'], proto=7),
                         sampled_ip(600, 1, '10.7.7.7', '10.7.7.8', 0, 0x0800, 0, 4)],
                        10, 7, seq=10),
            record(99, b'an unknown sample type'),
            record(5, b'an enterprise sample', enterprise=4413),
        ], seq=14, sub_agent=1),),
        # Wireshark 4.0 does not skip the data of a flow record it does
        # not know: such records come last in the last sample here
        a + (datagram([
            flow_sample([sampled_ip(1400, 17, '2001:db8::1', '2001:db8::2', 53, 5353, 0,
                                    0x28), ext_switch(8, 9), record(2000, b'unknown')],
                        10, 7, seq=8),
        ], seq=15, sub_agent=1),),
        a + (datagram([
            flow_sample([raw_header(pk['syn4']), record(7, b'enterprise', enterprise=4413)],
                        10, 7, seq=11),
        ], seq=16, sub_agent=1),),
        a + (datagram([
            flow_sample([raw_header(pk['tunnel'])], 300, 11, seq=1),
            flow_sample([raw_header(pk['arp'])], 300, 12, seq=2),
            flow_sample([raw_header(pk['icmp6'])], 300, 13, seq=3),
            flow_sample([raw_header(pk['tls4'])], 300, 0x40000003, seq=4),   # discarded
            flow_sample([raw_header(pk['dns4'])], 300, 0x3fffffff, seq=5),   # the agent's
        ], seq=1, sub_agent=2),),
        b + (datagram([
            flow_sample([raw_header(pk['icmp6'])], 4096, (0, 21), seq=1, expanded=True),
            flow_sample([raw_header(pk['syn4'])], 4096, (2, 5), seq=2, expanded=True),
            counter_sample(21, seq=3, expanded=True),
            flow_sample([], 4096, 22, seq=4),                                # no record
        ], seq=100, agent='2001:db8::5'),),
        b + (datagram([counter_sample(21, seq=5)], seq=101, agent='2001:db8::5'),),
    ]


def write_capture(path, grams, t0_us=1700000000000000):
    hftest.write_pcap(path, [(t0_us + i * 250000, udp_frame(src, sport, d))
                             for i, (src, sport, d) in enumerate(grams)])


# ---------------------------------------------------------------- tshark's view


def as_list(v):
    return v if isinstance(v, list) else [v]


def children(d):
    """The dict children of a tshark JSON node, in order (repeated keys
    are lists), without the *_raw byte locations."""
    for k, v in d.items():
        if k.endswith('_raw'):
            continue
        for x in as_list(v):
            if isinstance(x, dict):
                yield k, x


def find_field(node, names):
    """The value of the first of sflow.flow_sample.NAME (names) found in
    node or, depth first, in its subtrees; KeyError if none is."""
    for n in names:
        if 'sflow.flow_sample.' + n in node:
            return node['sflow.flow_sample.' + n]
    for _, child in children(node):
        try:
            return find_field(child, names)
        except KeyError:
            pass
    raise KeyError(names)


def word_at(raw, node, field):
    """The 32-bit word at the offset tshark gives for field in node."""
    loc = node[field + '_raw']
    off = int(loc[1])
    return struct.unpack('!I', raw[off:off + 4])[0]


def header_fields(tree, rec):
    """What the probe's decoders make of a raw header tshark dissected:
    MACs, the outermost VLAN tag, the outermost IP header and the
    transport right after it."""
    layers = list(children(tree))
    for name, d in layers:
        if name == 'eth':
            rec['src_mac'], rec['dst_mac'] = d['eth.src'], d['eth.dst']
            break
    for name, d in layers:
        vid = d.get('vlan.id') or d.get('ieee8021ad.id')
        if name in ('vlan', 'ieee8021ad') and vid is not None:
            rec['vlan'] = int(vid)
            break
    for i, (name, d) in enumerate(layers):
        if name not in ('ip', 'ipv6'):
            continue
        if name == 'ip':
            rec['src'], rec['dst'] = d['ip.src'], d['ip.dst']
            rec['proto'] = int(d['ip.proto'])
            rec['tos'] = int(d['ip.dsfield'], 16)
        else:
            rec['src'], rec['dst'] = d['ipv6.src'], d['ipv6.dst']
            rec['tos'] = int(d['ipv6.tclass'], 16) & 0xff
            nxt = int(d['ipv6.nxt'])
            for ext, field in hftest.IP6_EXT_LAYERS.items():
                for e in as_list(d.get(ext, [])):
                    if isinstance(e, dict) and field in e:
                        nxt = int(e[field])
            rec['proto'] = nxt
        nxt_layer = layers[i + 1] if i + 1 < len(layers) else (None, {})
        tname, t = nxt_layer
        if tname in ('tcp', 'udp'):
            rec['sport'] = int(t[tname + '.srcport'])
            rec['dport'] = int(t[tname + '.dstport'])
            if tname == 'tcp':
                rec['flags'] = int(t['tcp.flags'], 16) & 0xff
        elif tname in ('icmp', 'icmpv6'):
            rec['dport'] = int(t[tname + '.type']) << 8 | int(t[tname + '.code'])
        return
    return


def expected_record(sample, raw):
    """The record hostflow must store for one flow sample (tshark's JSON
    node), by the rules in the module docstring."""
    rec = dict(proto=0, src='0.0.0.0', sport=0, dst='0.0.0.0', dport=0, packets=1,
               bytes=0, flags=0, tos=0, vlan=0, in_if=0, out_if=0, src_mac=NO_MAC,
               dst_mac=NO_MAC)
    rate = int(sample['sflow.flow_sample.sampling_rate'])
    rec['sampling'] = rate if rate > 1 else 0          # 1 in 1: not sampled
    if sample['sflow_245.sampletype'] == '3':
        # (tshark 4.0 names the expanded output fields apart)
        for col, fmt, val in (
                ('in_if', ('input_interface_format',), ('input_interface_value',)),
                ('out_if', ('output_interface_format', 'output_interface.format'),
                 ('output_interface_value', 'output_interface'))):
            if int(find_field(sample, fmt), 0) == 0:
                rec[col] = int(find_field(sample, val), 0)
    else:
        for d, col in (('input', 'in_if'), ('output', 'out_if')):
            word = int(find_field(sample, ('%s_interface' % d,)), 0)
            if word >> 30 == 0 and word != 0x3fffffff:
                rec[col] = word
    header = ip = None
    switch_vlan = 0
    for _, r in children(sample):
        if r.get('sflow.enterprise') != '0':
            continue
        fmt = r.get('sflow_245.flow_record_format')
        if fmt == '1' and r['sflow_245.header_protocol'] in ('1', '11', '12'):
            header = r
        elif fmt in ('3', '4'):
            ip = r
        elif fmt == '1001':
            switch_vlan = int(r['sflow_245.vlan.in'])
    if header is not None:
        rec['bytes'] = int(header['sflow_245.header.frame_length'])
        header_fields(header.get('sflow_245.header_tree', {}), rec)
    elif ip is not None:
        v6 = ip['sflow_245.flow_record_format'] == '4'
        rec['bytes'] = int(ip['sflow_245.ip.length'])
        rec['proto'] = int(ip['sflow.ip_protocol'])
        rec['src'] = ip['sflow_245.ipv6_src' if v6 else 'sflow_245.ipv4_src']
        rec['dst'] = ip['sflow_245.ipv6_dst' if v6 else 'sflow_245.ipv4_dst']
        rec['sport'] = int(ip['sflow_245.ip.source_port'])
        rec['dport'] = int(ip['sflow.ip.destination_port'])
        flags = word_at(raw, ip, 'sflow_245.ip.tcp_flag.fin')
        rec['flags'] = flags & 0xffff
        if v6:
            rec['tos'] = int(ip['sflow_245.ipv6_priority']) & 0xff
        else:
            rec['tos'] = word_at(raw, ip, 'sflow_245.ipv4_precedence_type') & 0xff
    if not rec['vlan']:
        rec['vlan'] = switch_vlan
    rec['src'], rec['dst'] = hftest.norm_addr(rec['src']), hftest.norm_addr(rec['dst'])
    return rec


def tshark_sflow(path):
    """tshark's decode of the sFlow datagrams of a capture: one dict per
    datagram: src, sport, time_ms, sub_agent, seq, samples (flow sample
    count), other (counter and unknown samples), records (expected)."""
    p = hftest.run(['tshark', '-r', path] + hftest.TSHARK_OPTS +
                   ['-Y', 'sflow', '-T', 'json', '-x', '--no-duplicate-keys'])
    if not hftest.tshark_ok(p):
        raise RuntimeError('tshark on %s failed: %s' % (path, p.stderr.strip()))
    out = []
    for pkt in json.loads(p.stdout or '[]'):
        layers = pkt['_source']['layers']
        raw = bytes.fromhex(layers['frame_raw'][0])
        sf = layers['sflow']
        dg = {'src': as_list(layers['ip'])[0]['ip.src'],
              'sport': int(as_list(layers['udp'])[0]['udp.srcport']),
              'time_ms': int(round(float(layers['frame']['frame.time_epoch']) * 1000000)) // 1000,
              'sub_agent': int(sf['sflow_245.sub_agent_id']),
              'seq': int(sf['sflow_245.sequence_number']),
              'numsamples': int(sf['sflow_245.numsamples']),
              'samples': 0, 'other': 0, 'records': []}
        for _, s in children(sf):
            if s.get('sflow.enterprise') == '0' and s.get('sflow_245.sampletype') in ('1', '3'):
                dg['samples'] += 1
                dg['records'].append(expected_record(s, raw))
            else:
                dg['other'] += 1
        out.append(dg)
    return out


def expected_sessions(dgrams, addr_of):
    """Per (exporter address as replayed, port, sub-agent): messages,
    records, options_records, sequence_lost (hf_sequence_check's rule:
    a jump ahead counts the datagrams skipped)."""
    out = collections.OrderedDict()
    nxt = {}
    for d in dgrams:
        key = (addr_of(d['src']), d['sport'], d['sub_agent'])
        s = out.setdefault(key, dict(messages=0, records=0, options_records=0,
                                     sequence_lost=0))
        s['messages'] += 1
        s['records'] += d['samples']
        s['options_records'] += d['other']
        if key in nxt and d['seq'] != nxt[key]:
            ahead = (d['seq'] - nxt[key]) % 2 ** 32
            if ahead < 2 ** 31:
                s['sequence_lost'] += ahead
        nxt[key] = (d['seq'] + 1) % 2 ** 32
    return out


def replay_addr_map(dgrams):
    """replay-exporters.py sends exporter N (in order of appearance) from
    127.0.0.(10+N)."""
    order = {}
    for d in dgrams:
        order.setdefault(d['src'], '127.0.0.%d' % (10 + len(order)))
    return order.get


def key_of(r):
    return tuple(r[c] if c not in ('src', 'dst') else hftest.norm_addr(r[c]) for c in COLUMNS)


def stored_key(r):
    r = dict(r)
    r['sampling'] = int(r['sampling'])
    return key_of(r)


# ---------------------------------------------------------------- checks


def check_capture(check, tmp, name, path, rows):
    """Replays a capture of sFlow to a collector and in-process; both must
    store what tshark decodes."""
    dgrams = tshark_sflow(path)
    want = [key_of(r) for d in dgrams for r in d['records']]
    check.ok(dgrams, '%s: tshark decodes no sFlow datagram' % name)
    check.eq('%s: tshark: samples = numsamples in every datagram' % name,
             [d['numsamples'] for d in dgrams], [d['samples'] + d['other'] for d in dgrams])

    # in-process: arrival time = capture time
    p = hftest.run([hftest.REPLAY, '-F', 'csv', path])
    check.ok(p.returncode == 0 and hftest.sanitizer_report(p.stderr) is None,
             '%s: replay_exports %s: %s' % (name, hftest.describe_exit(p), p.stderr.strip()))
    recs = parse_csv(p.stdout)
    counters = dict(zip(p.stderr.split()[0::2], p.stderr.split()[1::2]))
    bad = sum(int(v) for k, v in counters.items() if k.startswith('bad_') and v.isdigit())
    check.eq('%s: replay_exports malformed counters' % name, 0, bad)
    hftest.same_items(check, '%s: replay_exports records vs tshark' % name, want,
                      [stored_key(r) for r in recs])
    want_times = sorted(d['time_ms'] for d in dgrams for _ in d['records'])
    check.eq('%s: replay_exports record times = datagram arrival (capture time)' % name,
             want_times, sorted(hftest.ms(r['start']) for r in recs))
    check.ok(all(r['start'] == r['end'] for r in recs),
             '%s: replay_exports: a record with start != end' % name)

    addr_of = replay_addr_map(dgrams)
    sessions = expected_sessions(dgrams, addr_of)
    with hftest.Collector(tmp, name, listen=['udp:127.0.0.1:0']) as col:
        col.start()
        t0 = int(time.time() * 1000)
        sent = hftest.replay_exporters(path, col.udp)
        st = col.wait_messages(sent)
        t1 = int(time.time() * 1000)
        check.ok(st is not None, '%s: collector counted %d of %d datagrams' % (
            name, hftest.exporter_sum(col.last)['messages'], sent))
        rc = col.stop()
        col.check_exit(check, name, rc)
        st = col.status()
        stored = col.records()
    tot = hftest.exporter_sum(st)
    rows.append((name, sent, len(want), len(stored), tot['options_records'],
                 tot['sequence_lost'], hftest.malformed_text(tot)))
    check.eq('%s: datagrams sent vs tshark' % name, len(dgrams), sent)
    check.eq('%s: malformed counters' % name, 0, tot['malformed'])
    hftest.same_items(check, '%s: stored records vs tshark, field by field' % name, want,
                      [stored_key(r) for r in stored])
    check.ok(all(t0 <= hftest.ms(r['start']) <= t1 and r['start'] == r['end'] for r in stored),
             '%s: stored record times not the arrival time (%d..%d): %s' % (
                 name, t0, t1, sorted({(r['start'], r['end']) for r in stored})[:3]))
    got = {}
    for e in st['exporters']:
        got[(e['exporter'], e['port'], e['domain'])] = e
    check.eq('%s: exporter sessions (address, port, sub-agent)' % name,
             sorted(sessions), sorted(got))
    for key, want_s in sessions.items():
        e = got.get(key)
        if not e:
            continue
        check.eq('%s %s: version' % (name, key), SFLOW_VERSION, e['version'])
        check.eq('%s %s: counters' % (name, key), want_s,
                 {k: e[k] for k in want_s})
    rates = [r['sampling'] for d in dgrams for r in d['records'] if r['sampling'] > 1]
    if rates:
        check.ok(any(e['sampling_interval'] in rates for e in st['exporters']),
                 '%s: no session reports a sampling_interval of its samples' % name)


def parse_csv(text):
    """Records of replay_exports -F csv (hostflow-dump's CSV)."""
    recs = []
    for row in csv.DictReader(io.StringIO(text)):
        for c in hftest.INT_COLUMNS:
            if c in row:
                row[c] = int(row[c])
        recs.append(row)
    return recs


def check_apart(check, tmp, real):
    """sFlow and NetFlow v5 from one address and port: two sessions."""
    with hftest.Collector(tmp, 'apart', listen=['udp:127.0.0.1:0']) as col:
        col.start()
        exp = hftest.Exporter(col.udp, addr='127.0.0.50')
        exp.send(real, netflow_v5(int(time.time())))
        exp.close()
        st = col.wait_messages(2, addr='127.0.0.50')
        check.ok(st is not None, 'sFlow + v5 from one port: not counted')
        rc = col.stop()
        col.check_exit(check, 'sFlow + v5', rc)
        st = col.status()
    got = sorted((e['version'], e['messages'], e['records'], e['malformed'])
                 for e in st['exporters'] if e['exporter'] == '127.0.0.50')
    print('sFlow and NetFlow v5 from 127.0.0.50:%d: sessions (version, messages, '
          'records, malformed) %s' % (exp.sport, got))
    check.eq('sFlow + v5 from one port: sessions', [(5, 1, 1, 0), (SFLOW_VERSION, 1, 1, 0)],
             got)


def sample_ends(d):
    """End offsets of the samples of a well-formed datagram, and whether
    each is a flow sample."""
    agent_len = {0: 0, 1: 4, 2: 16}[struct.unpack('!I', d[4:8])[0]]
    off = 8 + agent_len + 16
    out = []
    while off < len(d):
        t, ln = struct.unpack('!II', d[off:off + 8])
        off += 8 + ln
        out.append((off, t in (1, 3)))
    return out


def check_malformed(check, tmp, real, pk):
    """Damaged sFlow, each datagram from its own source port."""
    addr = '127.0.0.51'
    ends = sample_ends(real)
    check.eq('%s: samples of its flow datagram' % SFLOW_PCAP, [(len(real), True)], ends)
    hdr_len = 8 + {1: 4, 2: 16}[struct.unpack('!I', real[4:8])[0]] + 16
    hdr, flow = real[:hdr_len - 4], real[hdr_len:]          # header without its count
    counter = counter_sample(5)
    three = hdr + struct.pack('!I', 3) + flow + counter + \
        flow_sample([raw_header(pk['tls6'])], 8, 3)
    cases = []       # (title, datagram, {counter: want})
    for n in range(len(real)):
        cases.append(('%s frame cut at %d' % (SFLOW_PCAP, n), real[:n],
                      dict(records=0, malformed=1)))
    ends = sample_ends(three)
    for n in range(len(three)):
        done = sum(1 for e, is_flow in ends if e <= n and is_flow)
        cases.append(('three samples cut at %d' % n, three[:n],
                      dict(records=done, malformed=1)))
    lying = flow[:4] + struct.pack('!I', struct.unpack('!I', flow[4:8])[0] + 12) + flow[8:]
    # offsets in the compact flow sample: record count, first record's
    # length, its raw header's length
    rec_len_off = 8 + 32 + 4
    huge_rec = flow[:rec_len_off] + struct.pack('!I', 0x7ffffff0) + flow[rec_len_off + 4:]
    huge_nrec = flow[:8 + 28] + struct.pack('!I', 0xffffffff) + flow[8 + 32:]
    hlen_off = 8 + 32 + 8 + 12
    huge_hlen = flow[:hlen_off] + struct.pack('!I', 4000) + flow[hlen_off + 4:]
    short_ip = record(1, struct.pack('!8I', 1, 7, 10, 10, 0, 3, 2, 1) +
                      record(3, struct.pack('!III', 60, 6, 0)))
    cases += [
        ('a sample length past the end, after a good sample',
         hdr + struct.pack('!I', 2) + flow + lying, dict(records=1, set=1, malformed=1)),
        ('sample count 0xffffffff, one sample', hdr + struct.pack('!I', 0xffffffff) + flow,
         dict(records=1, length=1, malformed=1)),
        ('sample count 0x7fffffff, no sample', hdr + struct.pack('!I', 0x7fffffff),
         dict(records=0, length=1, malformed=1)),
        ('a record length past its sample, then a good sample',
         hdr + struct.pack('!I', 2) + huge_rec + flow, dict(records=1, record=1, malformed=1)),
        ('record count 0xffffffff, then a good sample',
         hdr + struct.pack('!I', 2) + huge_nrec + flow, dict(records=1, record=1, malformed=1)),
        ('a raw header longer than its record, then a good sample',
         hdr + struct.pack('!I', 2) + huge_hlen + flow, dict(records=1, field=1, malformed=1)),
        ('a flow sample shorter than its fields, then a good sample',
         hdr + struct.pack('!I', 2) + record(1, bytes(8)) + flow,
         dict(records=1, set=1, malformed=1)),
        ('a sampled IPv4 record of 12 bytes', hdr + struct.pack('!I', 1) + short_ip,
         dict(records=0, field=1, malformed=1)),
        ('agent address type 7', struct.pack('!II', 5, 7) + real[8:],
         dict(records=0, field=1, malformed=1)),
        ('sFlow version 4', struct.pack('!I', 4) + real[4:],
         dict(records=0, version=1, malformed=1)),
    ]
    with hftest.Collector(tmp, 'malformed', listen=['udp:127.0.0.1:0']) as col:
        col.start()
        ports = []
        for i, (_, d, _) in enumerate(cases):
            # a port of its own (below the ephemeral range: never reused)
            exp = hftest.Exporter(col.udp, addr=addr, sport=20000 + i)
            exp.send(d, gap=0)
            ports.append(exp.sport)
            exp.close()
        # seeded random damage to real and built datagrams: survive, count
        rnd = random.Random(SEED)
        bases = [real, three]
        noise = hftest.Exporter(col.udp, addr='127.0.0.52')
        for i in range(600):
            d = bytearray(rnd.choice(bases))
            for _ in range(rnd.randrange(1, 8)):
                d[rnd.randrange(4, len(d))] = rnd.randrange(256)
            if i % 3 == 0:
                d = d[:rnd.randrange(len(d))]
            noise.send(bytes(d), gap=0)
        noise.close()
        st = col.wait(lambda s: hftest.exporter_sum(s, addr=addr)['messages'] >= len(cases)
                      and hftest.exporter_sum(s, addr='127.0.0.52')['messages'] >= 600)
        check.ok(st is not None, 'malformed: collector counted %d of %d and %d of 600' % (
            hftest.exporter_sum(col.last, addr=addr)['messages'], len(cases),
            hftest.exporter_sum(col.last, addr='127.0.0.52')['messages']))
        check.ok(col.alive(), 'malformed: collector died')
        # still decodes after all that
        exp = hftest.Exporter(col.udp, addr='127.0.0.53')
        exp.send(real)
        exp.close()
        st = col.wait(lambda s: hftest.exporter_sum(s, addr='127.0.0.53')['records'] >= 1)
        check.ok(st is not None, 'malformed: the real datagram afterwards not decoded')
        rc = col.stop()
        col.check_exit(check, 'malformed', rc)
        st = col.status()
        stored = col.records()
    by_port = {}
    for e in st['exporters']:
        if e['exporter'] == addr:
            by_port.setdefault(e['port'], []).append(e)
    failed = 0
    for (title, _, want), port in zip(cases, ports):
        sess = by_port.get(port, [])
        tot = {'messages': sum(e['messages'] for e in sess),
               'records': sum(e['records'] for e in sess),
               'malformed': sum(e['malformed'] for e in sess)}
        for e in sess:
            for k, v in e['malformed_by_reason'].items():
                tot[k] = tot.get(k, 0) + v
        got = {k: tot.get(k, 0) for k in want}
        got['messages'] = tot['messages']
        if not check.eq('malformed: %s' % title, dict(want, messages=1), got):
            failed += 1
    noise = hftest.exporter_sum(st, addr='127.0.0.52')
    print('malformed: %d crafted datagrams (%d with unexpected counters); random damage: '
          '600 datagrams, %d records, malformed %s' % (len(cases), failed, noise['records'],
                                                       hftest.malformed_text(noise)))
    want_stored = sum(w['records'] for _, _, w in cases) + noise['records'] + 1
    check.eq('malformed: records stored (crafted + random + the last one)', want_stored,
             len(stored))


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('collector_sflow')
    rows = []
    with hftest.tempdir() as tmp:
        pk = real_packets()
        built = os.path.join(tmp, 'sflow-built.pcap')
        write_capture(built, built_datagrams(pk))
        for name, path in ((SFLOW_PCAP, hftest.pcap(SFLOW_PCAP)), ('built', built)):
            check_capture(check, tmp, name, path, rows)
        print()
        hftest.table(['capture', 'datagrams', 'tshark flow samples', 'stored',
                      'options_records', 'sequence_lost', 'malformed'], rows)
        print()
        flows = [d for _, _, _, d in hftest.export_datagrams(hftest.pcap(SFLOW_PCAP))
                 if any(is_flow for _, is_flow in sample_ends(d))]
        check.ok(flows, '%s: no datagram with a flow sample' % SFLOW_PCAP)
        if flows:
            check_apart(check, tmp, flows[0])
            check_malformed(check, tmp, flows[0], pk)
    check.finish()


if __name__ == '__main__':
    main()
