"""The hostname tests' models: DNS/TLS/QUIC/HTTP decodes, the name cache
model and DNS expectations, flows mapped to frames, probe name elements."""

import collections
import json
import os
import subprocess
import tempfile
import threading

from .base import run
from .dump import dump_records, ms, norm_addr, probe_flow_key, rec_tuple
from .tshark import TSHARK_OPTS, _first, _int, _outer_ip_layers, tshark_fields, tshark_ok

# ================================================================ hostnames
#
# Helpers for the hostname tests (tests/names_*.py): what tshark decodes of
# DNS messages, TLS/QUIC ClientHellos and HTTP requests; a model of how the
# probe is specified to pair DNS answers with flows (probe/flow_names.c,
# probe/name_cache.h); the probe's flows mapped back to the frames that
# created them; the name elements of the probe's IPFIX as tshark decodes
# them; a child's peak memory.  Crafted pcap files: hf/craft_pcap.py; one
# capture through the probe with all of these: hf/names_run.py.

# Captures with DNS answers followed by connections, and with TLS / HTTP /
# QUIC hellos (shared/README.md).
DNS_CAPTURES = ['1kxun.pcap', 'netflix.pcap', 'instagram.pcap', 'iphone.pcap',
                'android.pcap', 'googledns_android10.pcap', 'chrome.pcap',
                'safari.pcap', 'firefox.pcap']
APP_CAPTURES = ['443-chrome.pcap', '443-firefox.pcap', 'google_ssl.pcap',
                'tls_esni_sni_both.pcap', 'tls_ech.pcapng', 'encrypted_sni.pcap',
                'http.pcapng', 'http_ipv6.pcap', 'punycode-idn.pcap']
# the only IETF QUIC Initial among the captures (draft-29, SNI "server4");
# quic.pcap and youtube_quic.pcap hold gQUIC
QUIC_CAPTURES = ['dlt_ppp.pcap', 'quic.pcap', 'youtube_quic.pcap']

# The probe's defaults (hostflow-probe --help, probe/flow_names.c,
# probe/dns_parse.c, probe/flow_table.c).
DNS_PORTS = (53, 5353, 5355)
TTL_FLOOR_S = 300
TTL_CEILING_S = 86400
INSPECT_PACKETS = 6
IDLE_S = 15
LINGER_S = 2
EXPIRY_SCAN_S = 0.1
DNS_MAX_ADDRS = 32
DNS_MAX_CHAIN = 17           # the question name and 16 CNAME steps
DNS_MAX_REWALK_RECORDS = 64
APP_SOURCES = ('tls', 'http', 'quic')

Frame = collections.namedtuple('Frame', 'number ts_us src dst proto sport dport payload')
DnsMessage = collections.namedtuple(
    'DnsMessage', 'frame ts_us src dst proto sport dport response qname addrs')
AppHello = collections.namedtuple('AppHello', 'frame ts_us tuple kind name')


def epoch_us(text):
    """Microseconds since the epoch of tshark's frame.time_epoch, truncated
    as libpcap hands them to the probe."""
    sec, _, frac = text.partition('.')
    return int(sec) * 1000000 + int((frac + '000000')[:6])


def tuple_text(t):
    src, dst, proto, sport, dport = t
    fmt = lambda a, p: ('[%s]:%d' if ':' in a else '%s:%d') % (a, p)
    return '%s %s > %s' % ({6: 'tcp', 17: 'udp'}.get(proto, proto), fmt(src, sport), fmt(dst, dport))


def reverse_tuple(t):
    return (t[1], t[0], t[2], t[4], t[3])


def is_dns_tuple(t):
    return t[2] in (6, 17) and (t[3] in DNS_PORTS or t[4] in DNS_PORTS)


def _transport_of(protos):
    """(outer IP layer name, layer right after it and its IPv6 extension
    headers) from frame.protocols."""
    o = _outer_ip_layers(protos)
    if o is None:
        return None, None
    i, group = o
    after = group[-1] + 1
    return protos[i], protos[after] if after < len(protos) else None


def _frame_tuple(row, protos):
    """(v6, 5-tuple) of a frame whose outermost IP header carries TCP or UDP
    directly (not a packet quoted in ICMP, not a later fragment), else None.
    First occurrences are the outer headers."""
    ipl, layer = _transport_of(protos)
    if layer not in ('tcp', 'udp'):
        return None
    v6 = ipl == 'ipv6'
    src = _first(row.get('ipv6.src' if v6 else 'ip.src'))
    dst = _first(row.get('ipv6.dst' if v6 else 'ip.dst'))
    sport = _first(row.get(layer + '.srcport'))
    dport = _first(row.get(layer + '.dstport'))
    if None in (src, dst, sport, dport):
        return None
    return (norm_addr(src), norm_addr(dst), 6 if layer == 'tcp' else 17, int(sport), int(dport))


FRAME_FIELDS = ['frame.number', 'frame.time_epoch', 'frame.protocols', 'ip.src', 'ip.dst',
                'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.len',
                'udp.srcport', 'udp.dstport', 'udp.length']


def transport_frames(path):
    """Every TCP/UDP frame of a capture as a Frame (payload: TCP segment
    length or UDP length - 8), in capture order."""
    out = []
    for row in tshark_fields(path, FRAME_FIELDS):
        t = _frame_tuple(row, row['frame.protocols'].split(':'))
        if t is None:
            continue
        if t[2] == 6:
            payload = _int(_first(row.get('tcp.len'))) or 0
        else:
            payload = max(0, (_int(_first(row.get('udp.length'))) or 8) - 8)
        out.append(Frame(int(row['frame.number']), epoch_us(row['frame.time_epoch']),
                         *t, payload))
    return out


class FlowInstance:
    """One flow of the probe's table: the records of one 5-tuple from the
    packet that created it, continued after active timeouts (the flow keeps
    its names then).  first: the creating Frame; frames: its packets."""

    def __init__(self, tup, records):
        self.tuple = tup
        self.records = records
        self.first = None
        self.frames = []
        self.bounds = [0]         # index in frames where each record begins

    @property
    def last(self):
        return self.frames[-1] if self.frames else self.first

    def record_frames(self, n):
        """The frames of the flow's n-th record."""
        end = self.bounds[n + 1] if n + 1 < len(self.bounds) else len(self.frames)
        return self.frames[self.bounds[n]:end]

    def payload_index(self, frame_number):
        """1-based position of the frame among the flow's payload packets."""
        return sum(1 for f in self.frames if f.payload and f.number <= frame_number)

    def describe(self):
        r = self.records[0]
        return '%s start %s (frame %s)' % (tuple_text(self.tuple), r['start'],
                                           self.first.number if self.first else '?')


def flow_instances(recs, frames):
    """(instances, problems): the TCP/UDP records grouped into FlowInstances,
    each mapped to the first frame of its 5-tuple in the millisecond its
    flowStartMilliseconds gives (the probe truncates packet time to ms);
    problems lists records no frame matches."""
    frames_of = collections.defaultdict(list)
    for f in frames:
        frames_of[(f.src, f.dst, f.proto, f.sport, f.dport)].append(f)
    by_key = collections.defaultdict(list)
    for r in recs:
        if r['proto'] in (6, 17):
            by_key[probe_flow_key(r)].append(r)
    instances, problems = [], []
    for key, rs in by_key.items():
        tup = (key[0], key[1], key[2], key[3], key[4])
        rs.sort(key=lambda r: ms(r['start']))
        chains = []
        for r in rs:
            if chains and chains[-1].records[-1]['end_reason'] == 'active':
                chains[-1].records.append(r)
            else:
                chains.append(FlowInstance(tup, [r]))
        fl = frames_of.get(tup, [])
        cursor, starts = 0, []
        for inst in chains:
            start = ms(inst.records[0]['start'])
            i = cursor
            while i < len(fl) and fl[i].ts_us // 1000 != start:
                i += 1
            if i == len(fl):
                problems.append('no %s frame at %s for the record starting then'
                                % (tuple_text(tup), inst.records[0]['start']))
                starts.append(None)
                continue
            starts.append(i)
            cursor = i + 1
        for n, (inst, i) in enumerate(zip(chains, starts)):
            if i is None:
                continue
            nxt = next((j for j in starts[n + 1:] if j is not None), len(fl))
            inst.first = fl[i]
            inst.frames = fl[i:nxt]
            # where each record after an active timeout begins
            inst.bounds, k = [0], 0
            for r in inst.records[1:]:
                start = ms(r['start'])
                while k < len(inst.frames) and inst.frames[k].ts_us // 1000 != start:
                    k += 1
                inst.bounds.append(k)
            instances.append(inst)
    instances.sort(key=lambda x: x.first.number)
    return instances, problems


def _items(section):
    """The values of a tshark JSON subtree in order (--no-duplicate-keys
    turns repeated keys into lists)."""
    for v in (section or {}).values():
        for x in (v if isinstance(v, list) else [v]):
            if isinstance(x, dict):
                yield x


def _one(v):
    return v[0] if isinstance(v, list) else v


def dns_name_ok(name):
    """A name the probe reports: printable ASCII, spaces included (tshark
    shows the root as <Root>, and escapes other bytes with a backslash)."""
    return bool(name) and name != '<Root>' and '\\' not in name and \
        all(0x20 <= ord(c) < 0x7f for c in name)


class _Rr:
    def __init__(self, d):
        d = {k: _one(v) for k, v in d.items()}    # NSEC repeats dns.resp.type
        owner = d.get('dns.resp.name')
        self.owner = owner.lower() if dns_name_ok(owner) else None
        self.type = int(d.get('dns.resp.type', '0'))
        self.cls = int(d.get('dns.resp.class', '0'), 0) & 0x7fff
        ttl = int(d.get('dns.resp.ttl', '0'))
        self.ttl = 0 if ttl < 0 or ttl > 0x7fffffff else ttl    # RFC 2181 8
        self.rdlen = int(d.get('dns.resp.len', '-1'))
        self.addr = d.get('dns.a') or d.get('dns.aaaa')
        cname = d.get('dns.cname')
        self.cname = cname.lower() if dns_name_ok(cname) else None

    def is_addr(self):
        return self.cls == 1 and self.addr is not None and \
            ((self.type == 1 and self.rdlen == 4) or (self.type == 28 and self.rdlen == 16))


def _dns_walk(records, qname, follow):
    """The addresses [(addr, ttl)] the probe takes from records for qname:
    A/AAAA records whose owner is the question name or a name its CNAME
    chain leads to (CNAMEs listed after the records they lead to are
    followed by walking again, only in messages of at most 64 records), at
    most 32 distinct addresses, the first TTL of a repeated address."""
    chain = [qname]
    for _ in range(DNS_MAX_CHAIN):
        addrs, seen, skipped, rewalk = [], set(), False, False
        for rr in records:
            if rr.type != 5 and not rr.is_addr():
                continue
            if rr.owner is None or rr.owner not in chain:
                skipped |= rr.owner is not None
                continue
            if rr.is_addr():
                a = norm_addr(rr.addr)
                if a not in seen and len(addrs) < DNS_MAX_ADDRS:
                    seen.add(a)
                    addrs.append((a, rr.ttl))
            elif follow and len(chain) < DNS_MAX_CHAIN and rr.cname and rr.cname not in chain:
                chain.append(rr.cname)
                rewalk |= skipped
        if not rewalk or len(records) > DNS_MAX_REWALK_RECORDS:
            break
    return addrs


def _dns_message(dns):
    """(response, qname, addrs) of a DNS layer as the probe parses it, or
    None when the probe takes no name from it: opcode QUERY, one question
    (a question-less mDNS response stands for the owner of its first
    address record, looked up in every section); names lower-cased."""
    flags = dns.get('dns.flags_tree', {})
    if int(flags.get('dns.flags.opcode', '-1')) != 0:
        return None
    response = flags.get('dns.flags.response') == '1'
    qd = int(dns.get('dns.count.queries', '-1'))
    if qd == 1:
        qs = list(_items(dns.get('Queries')))
        if len(qs) != 1 or not dns_name_ok(qs[0].get('dns.qry.name')):
            return None
        qname = qs[0]['dns.qry.name'].lower()
        if not response:
            return False, qname, []
        records = [_Rr(d) for d in _items(dns.get('Answers'))]
        return True, qname, _dns_walk(records, qname, True)
    if qd == 0 and response:
        records = [_Rr(d) for sec in ('Answers', 'Authoritative nameservers',
                                      'Additional records')
                   for d in _items(dns.get(sec))]
        owner = next((rr.owner for rr in records if rr.is_addr() and rr.owner), None)
        if owner is None:
            return None
        return True, owner, _dns_walk(records, owner, False)
    return None


def dns_messages(path):
    """The DNS/mDNS/LLMNR messages of a capture the probe takes a name from,
    as DnsMessages in capture order: only on ports 53/5353/5355 directly over
    the outer TCP/UDP header, the first message of a frame."""
    p = run(['tshark', '-r', path] + TSHARK_OPTS +
            ['-Y', 'dns || mdns || llmnr', '-T', 'json', '--no-duplicate-keys'])
    if not tshark_ok(p):
        raise RuntimeError('tshark on %s failed: %s' % (path, p.stderr.strip()))
    out = []
    for pkt in json.loads(p.stdout or '[]'):
        layers = pkt['_source']['layers']
        fr = _one(layers['frame'])
        protos = fr['frame.protocols'].split(':')
        ipl, layer = _transport_of(protos)
        if layer not in ('tcp', 'udp'):
            continue
        ip, tl = _one(layers[ipl]), _one(layers[layer])
        pre = 'ipv6' if ipl == 'ipv6' else 'ip'
        t = (norm_addr(ip[pre + '.src']), norm_addr(ip[pre + '.dst']),
             6 if layer == 'tcp' else 17, int(tl[layer + '.srcport']), int(tl[layer + '.dstport']))
        if not is_dns_tuple(t):
            continue
        name = next((n for n in ('dns', 'mdns', 'llmnr') if n in layers), None)
        if name is None or protos.index(name) != protos.index(layer) + 1:
            continue
        parsed = _dns_message(_one(layers[name]))
        if parsed:
            out.append(DnsMessage(int(fr['frame.number']), epoch_us(fr['frame.time_epoch']),
                                  *t, *parsed))
    return out


class NameCacheModel:
    """What the probe's name cache holds (probe/name_cache.h), without its
    size caps: (client, address) -> name and address -> name, the latest
    answer winning, each living max(TTL, floor) (at most the ceiling) from
    the answer's packet time.  Entries: (name, expires_us, frame)."""

    def __init__(self, floor_s=TTL_FLOOR_S, ceiling_s=TTL_CEILING_S):
        self.floor, self.ceiling = floor_s, max(ceiling_s, floor_s)
        self.pair, self.addr = {}, {}

    def put(self, msg):
        """A DNS response: its addresses were told to its destination."""
        for a, ttl in msg.addrs:
            e = (msg.qname, msg.ts_us + min(max(ttl, self.floor), self.ceiling) * 1000000,
                 msg.frame)
            self.pair[(msg.dst, a)] = e
            self.addr[a] = e

    @staticmethod
    def _live(table, key, now_us):
        e = table.get(key)
        return e if e and now_us < e[1] else None

    def by_client(self, client, addr, now_us):
        return self._live(self.pair, (client, addr), now_us)

    def answered(self, client, addr):
        """The client's latest answer for addr, however old (or None)."""
        return self.pair.get((client, addr))

    def flow_name(self, src, dst, now_us):
        """(entry, how) for a new flow src -> dst: the source's own answer
        for the destination, else the destination's for the source -- a
        pair past its TTL too, how ending in ' (stale)' -- else the latest
        live answer for the destination by anyone, else for the source
        (probe/flow_names.c pair_new_flow); (None, None) if none."""
        for key, how in (((src, dst), 'answer to src'), ((dst, src), 'answer to dst')):
            e = self.pair.get(key)
            if e:
                return e, how if now_us < e[1] else how + ' (stale)'
        for key, how in ((dst, 'fallback dst'), (src, 'fallback src')):
            e = self._live(self.addr, key, now_us)
            if e:
                return e, how
        return None, None


class DnsExpectation:
    """The DNS-paired name a flow must carry: name ('' for none), how it was
    found, the DNS frame it came from, certain False when it hinges on
    whether the reverse flow was still in the table (timeouts); stale when
    the answer's TTL had run out (name source dns-stale)."""

    def __init__(self, name='', how='no answer', frame=None, certain=True, stale=False):
        self.name, self.how, self.frame, self.certain = name, how, frame, certain
        self.stale = stale


def _reverse_alive(rev, inst):
    """True/False/None (cannot tell) whether the flow rev was still in the
    probe's table when inst was created."""
    if any(f.number > inst.first.number for f in rev.frames):
        return True
    last = rev.last
    if rev.records[-1]['end_reason'] == 'forced':
        return True
    closing = rev.tuple[2] == 6 and rev.records[-1]['flags'] & 0x05
    gap = (inst.first.ts_us - last.ts_us) / 1e6
    timeout = LINGER_S if closing else IDLE_S
    if gap <= timeout:
        return True
    if gap > timeout + EXPIRY_SCAN_S + 0.001:
        return False
    return None


def expected_dns_names(instances, messages, floor_s=TTL_FLOOR_S):
    """{instance: DnsExpectation}: the cache model fed every DNS response in
    packet order, each flow looked up at the packet creating it (before
    that packet's own answers count); a flow the cache names nothing takes
    the name of its reverse flow if that one is still in the table."""
    model = NameCacheModel(floor_s)
    events = [(i.first.number, 0, n) for n, i in enumerate(instances)]
    events += [(m.frame, 1, n) for n, m in enumerate(messages) if m.response and m.addrs]
    events.sort()
    out = {}
    for _, kind, n in events:
        if kind == 1:
            model.put(messages[n])
            continue
        inst = instances[n]
        e, how = model.flow_name(inst.tuple[0], inst.tuple[1], inst.first.ts_us)
        out[inst] = (DnsExpectation(e[0], how, e[2], stale=how.endswith('(stale)')) if e
                     else DnsExpectation())
    latest = {}
    for inst in instances:              # creation order
        exp = out[inst]
        rev = latest.get(reverse_tuple(inst.tuple))
        if not exp.name and rev is not None and out[rev].name:
            alive = _reverse_alive(rev, inst)
            if alive is None:
                out[inst] = DnsExpectation(out[rev].name, 'reverse flow', out[rev].frame,
                                           False, out[rev].stale)
            elif alive:
                out[inst] = DnsExpectation(out[rev].name, 'reverse flow', out[rev].frame,
                                           out[rev].certain, out[rev].stale)
        latest[inst.tuple] = inst
    return out


def expected_dns_query(inst, messages_of):
    """[(name, certain)] per record of inst: the DNS_QUERY it must carry,
    the question of the last DNS message the probe parsed on the flow (from
    its creation to the record's last packet) or on the reverse flow while
    this one was in the table (until its idle/linger timeout, the next
    record after an active timeout, or the end of the capture); certain
    False when a reverse message near the timeout would change it.
    messages_of: {5-tuple: [DnsMessage]}."""
    own = messages_of.get(inst.tuple, [])
    rev = messages_of.get(reverse_tuple(inst.tuple), [])
    out = []
    for n, r in enumerate(inst.records):
        frames = inst.record_frames(n)
        last = frames[-1] if frames else inst.first
        cands = [m for m in own if inst.first.number <= m.frame <= last.number]
        later = [m for m in rev if m.frame > inst.first.number]
        unsure = []
        if n + 1 < len(inst.records):
            nxt = inst.record_frames(n + 1)
            stop = nxt[0].number if nxt else last.number + 1
            cands += [m for m in later if m.frame < stop]
        elif r['end_reason'] == 'forced':
            cands += later
        else:
            closing = inst.tuple[2] == 6 and r['flags'] & 0x05
            timeout = (LINGER_S if closing else IDLE_S) * 1000000
            cands += [m for m in later if m.ts_us <= last.ts_us + timeout]
            unsure = [m for m in later if last.ts_us + timeout < m.ts_us <=
                      last.ts_us + timeout + EXPIRY_SCAN_S * 1000000 + 1000]
        cands.sort(key=lambda m: m.frame)
        name = cands[-1].qname if cands else ''
        certain = all(m.qname == name for m in unsure)
        out.append((name, certain))
    return out


APP_FIELDS = ['frame.number', 'frame.time_epoch', 'frame.protocols', 'ip.src', 'ip.dst',
              'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport',
              'udp.dstport', 'tls.handshake.type', 'tls.handshake.extensions_server_name',
              'http.request', 'http.host', 'gquic.tag.sni']


def http_host_name(host):
    """An HTTP Host value without its port (and an IPv6 literal's brackets)."""
    host = host.strip()
    if host.startswith('['):
        return host[1:].split(']')[0]
    if host.count(':') == 1:
        return host.split(':')[0]
    return host


def app_hellos(path):
    """The client hellos tshark finds, with TCP reassembly and QUIC Initial
    decryption: AppHello per frame completing a TLS ClientHello ('tls'), a
    QUIC Initial ClientHello ('quic') or an HTTP request over TCP ('http';
    not SSDP's HTTP over UDP); name: the SNI / Host (port stripped),
    lower-cased, None without one.  gQUIC SNI tags come as kind 'gquic'."""
    out = []
    for row in tshark_fields(path, APP_FIELDS, opts=['-n']):
        t = _frame_tuple(row, row['frame.protocols'].split(':'))
        if t is None:
            continue
        n, ts = int(row['frame.number']), epoch_us(row['frame.time_epoch'])
        types = (row.get('tls.handshake.type') or '').split(',')
        if '1' in types:
            sni = _first(row.get('tls.handshake.extensions_server_name'))
            out.append(AppHello(n, ts, t, 'tls' if t[2] == 6 else 'quic',
                                sni.lower() if sni else None))
        if '1' in (row.get('http.request') or '').split(',') and t[2] == 6:
            host = _first(row.get('http.host'))
            out.append(AppHello(n, ts, t, 'http', http_host_name(host).lower() if host else None))
        gq = _first(row.get('gquic.tag.sni'))
        if gq:
            out.append(AppHello(n, ts, t, 'gquic', gq.lower()))
    return out


def instance_of_frame(index, tup, frame_number):
    """The flow of tup holding that frame (index: instances_by_tuple), or None."""
    for inst in index.get(tup, []):
        if inst.frames and inst.first.number <= frame_number <= inst.frames[-1].number:
            return inst
    return None


def instances_by_tuple(instances):
    out = collections.defaultdict(list)
    for i in instances:
        out[i.tuple].append(i)
    return out


def paired_reverse(index, inst, frame_number):
    """The reverse flow in the table when frame_number passed inst: the
    latest created before it still alive at that frame, else the first
    created while inst went on."""
    revs = index.get(reverse_tuple(inst.tuple), [])
    before = [r for r in revs if r.first.number <= frame_number and
              r.frames[-1].number >= inst.first.number]
    if before:
        return before[-1]
    after = [r for r in revs if frame_number < r.first.number <= inst.frames[-1].number]
    return after[0] if after else None


def ipfix_name_elements(path):
    """Per data record of a probe IPFIX file, in file order, as tshark
    decodes it: 5-tuple, packets, octets and the name elements (ntop
    SSL_SERVER_NAME and DNS_QUERY, IANA httpRequestHost; '' when absent)."""
    p = run(['tshark', '-r', path, '-n', '-T', 'json', '--no-duplicate-keys'])
    if not tshark_ok(p):
        raise RuntimeError('tshark on %s failed: %s' % (path, p.stderr.strip()))
    out = []
    for pkt in json.loads(p.stdout or '[]'):
        for cf in (lambda v: v if isinstance(v, list) else [v])(
                pkt['_source']['layers'].get('cflow', [])):
            for skey, sval in cf.items():
                if not skey.startswith('Set ') or not isinstance(sval, dict):
                    continue
                for fkey, fl in sval.items():
                    if not fkey.startswith('Flow ') or 'cflow.octets' not in fl:
                        continue
                    out.append({
                        'src': norm_addr(fl.get('cflow.srcaddr') or fl.get('cflow.srcaddrv6')),
                        'dst': norm_addr(fl.get('cflow.dstaddr') or fl.get('cflow.dstaddrv6')),
                        'sport': int(fl.get('cflow.srcport', 0)),
                        'dport': int(fl.get('cflow.dstport', 0)),
                        'proto': int(fl.get('cflow.protocol', 0)),
                        'packets': int(fl['cflow.packets']),
                        'bytes': int(fl['cflow.octets']),
                        'sni': fl.get('cflow.pie.ntop.ssl_server_name', ''),
                        'http_host': fl.get('cflow.http_request_host', ''),
                        'dns_query': fl.get('cflow.pie.ntop.dns_query', ''),
                    })
    return out


def named_records(ipfix, check, what):
    """dump_records of a probe IPFIX file, each with the name elements tshark
    decodes of the same record ('ie_sni', 'ie_http_host', 'ie_dns_query');
    notes in check when the two decodes do not list the same records."""
    recs = dump_records(ipfix, check, what)
    ies = ipfix_name_elements(ipfix)
    if not check.eq('%s: records tshark decodes vs hostflow-dump' % what, len(recs), len(ies)):
        ies = [{}] * len(recs)
    for n, (r, e) in enumerate(zip(recs, ies)):
        if e and not check.eq('%s: record %d as tshark decodes it' % (what, n),
                              (rec_tuple(r), r['packets'], r['bytes']),
                              ((e['src'], e['dst'], e['proto'], e['sport'], e['dport']),
                               e['packets'], e['bytes'])):
            e = {}
        r['ie_sni'] = e.get('sni', '')
        r['ie_http_host'] = e.get('http_host', '')
        r['ie_dns_query'] = e.get('dns_query', '')
    return recs


def names_counters(stderr):
    """The -v 'names ...' counter line as a dict."""
    for line in stderr.splitlines():
        f = line.split()
        if f and f[0] == 'names' and len(f) % 2 == 1:
            try:
                return {f[i]: int(f[i + 1]) for i in range(1, len(f), 2)}
            except ValueError:
                continue
    return None


def run_rusage(cmd, timeout=300):
    """run(cmd), and the child's peak resident set size in KiB (wait4's
    ru_maxrss: this child alone).  Under AddressSanitizer freed memory sits
    in a quarantine (256 MiB by default) instead of being reused, which
    would measure ASan, not us: the quarantine is turned off for this run."""
    env = dict(os.environ)
    env['ASAN_OPTIONS'] = ':'.join(filter(None, [
        env.get('ASAN_OPTIONS', ''), 'quarantine_size_mb=0',
        'thread_local_quarantine_size_kb=0']))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        p = subprocess.CompletedProcess(cmd, proc.returncode,
                                        out.read().decode('utf-8', 'replace'),
                                        err.read().decode('utf-8', 'replace'))
    return p, usage.ru_maxrss
