"""tshark's independent decode: what a capture should give the probe
(expected_from_tshark), and IPFIX files as tshark's cflow dissector reads them."""

import json

from .base import run
from .dump import norm_addr

# ---------------------------------------------------------------- tshark

# Decode every frame on its own: no IP defragmentation, no TCP stream
# reassembly, so each frame is dissected once, as the probe sees it.
TSHARK_OPTS = ['-n',
               '-o', 'ip.defragment:FALSE',
               '-o', 'ipv6.defragment:FALSE',
               '-o', 'tcp.desegment_tcp_streams:FALSE',
               '-o', 'tcp.analyze_sequence_numbers:FALSE',
               '-o', 'udp.process_info:FALSE']


def tshark_ok(p):
    """tshark succeeded, or stopped only at a file cut short (it still
    printed every whole frame before the cut)."""
    if p.returncode == 0:
        return True
    return 'cut short in the middle of a packet' in p.stderr or \
           'appears to be damaged or corrupt' in p.stderr


def tshark_fields(path, fields, extra=(), opts=None):
    """Rows of `tshark -T fields`: one list per frame, one string per field,
    several occurrences of a field comma-separated (first = outermost).
    opts: tshark preferences, TSHARK_OPTS unless given (e.g. ['-n'] to keep
    tshark's TCP reassembly)."""
    cmd = ['tshark', '-r', path] + (TSHARK_OPTS if opts is None else list(opts)) + \
        list(extra) + ['-T', 'fields']
    for f in fields:
        cmd += ['-e', f]
    cmd += ['-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'quote=n']
    p = run(cmd)
    if not tshark_ok(p):
        raise RuntimeError('tshark on %s failed: %s' % (path, p.stderr.strip()))
    rows = []
    for line in p.stdout.split('\n'):
        if line:
            rows.append(dict(zip(fields, line.split('\t'))))
    return rows


def tshark_raw_layers(path, frames):
    """For the given frame numbers: {frame: (frame bytes, {layer: [offsets]})}
    from tshark's JSON with -x (offsets of every ip/ipv6/tcp layer)."""
    if not frames:
        return {}
    out = {}
    frames = sorted(frames)
    for i in range(0, len(frames), 200):
        chunk = frames[i:i + 200]
        flt = 'frame.number in {%s}' % ','.join(str(n) for n in chunk)
        p = run(['tshark', '-r', path] + TSHARK_OPTS +
                ['-Y', flt, '-T', 'json', '-x', '--no-duplicate-keys'])
        if not tshark_ok(p):
            raise RuntimeError('tshark json on %s failed: %s' % (path, p.stderr))
        for pkt in json.loads(p.stdout or '[]'):
            layers = pkt['_source']['layers']
            num = int(layers['frame']['frame.number'])
            raw = bytes.fromhex(layers['frame_raw'][0])
            offs = {}
            for name in ('ip', 'ipv6', 'tcp'):
                v = layers.get(name + '_raw')
                if v is None:
                    continue
                if isinstance(v[0], list):          # several layers
                    offs[name] = [x[1] for x in v]
                else:
                    offs[name] = [v[1]]
            out[num] = (raw, offs)
    return out


def _first(v):
    """First (outermost) occurrence of a comma-aggregated field, or None."""
    if v is None or v == '':
        return None
    return v.split(',')[0]


def _nth(v, n):
    if v is None or v == '':
        return None
    parts = v.split(',')
    return parts[n] if n < len(parts) else None


def _int(v):
    return None if v is None else int(v, 0)


def _true(v):
    return v is not None and v.lower() in ('1', 'true')


# IPv6 extension headers as tshark names their layers in frame.protocols,
# with the field holding each one's Next Header.  These are the headers the
# probe walks (RFC 8200 / RFC 7045 format, AH's 4-byte units): it keys the
# flow on the protocol after the chain.
IP6_EXT_LAYERS = {
    'ipv6.hopopts': 'ipv6.hopopts.nxt',
    'ipv6.routing': 'ipv6.routing.nxt',
    'ipv6.fraghdr': 'ipv6.fraghdr.nxt',
    'ipv6.dstopts': 'ipv6.dstopts.nxt',
    'ah': 'ah.next_header',
    'mipv6': 'mip6.proto',
    'hip': 'hip.proto',
    'shim6': 'shim6.nxt',
}
# Extension header protocol numbers (the probe's list, decode_ip.c).
IP6_EXT_NUMBERS = {0, 43, 44, 51, 60, 135, 139, 140, 253, 254}
# The probe follows at most this many extension headers (HF_MAX_IP6_EXT,
# probe/decode.h); a longer chain is skipped as "depth".
MAX_IP6_EXT = 16

# Transport layers whose ports the probe keys on, with tshark's fields.
PORT_FIELDS = {
    6: ('tcp.srcport', 'tcp.dstport'),
    17: ('udp.srcport', 'udp.dstport'),
    136: ('udp.srcport', 'udp.dstport'),     # UDP-Lite uses udp.* in tshark
    132: ('sctp.srcport', 'sctp.dstport'),
    33: ('dccp.srcport', 'dccp.dstport'),
}
ICMP_FIELDS = {1: ('icmp.type', 'icmp.code'), 58: ('icmpv6.type', 'icmpv6.code')}

EXPECT_FIELDS = (
    ['frame.number', 'frame.protocols', 'frame.cap_len', '_ws.malformed',
     '_ws.short',
     'ip.version', 'ip.hdr_len', 'ip.len', 'ip.proto', 'ip.src', 'ip.dst',
     'ip.id', 'ip.flags.mf', 'ip.frag_offset',
     'ipv6.version', 'ipv6.plen', 'ipv6.nxt', 'ipv6.src', 'ipv6.dst',
     'ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident',
     'tcp.flags'] +
    sorted(set(IP6_EXT_LAYERS.values())) +
    sorted({f for pair in PORT_FIELDS.values() for f in pair}) +
    sorted({f for pair in ICMP_FIELDS.values() for f in pair}))


class Expected:
    """What the probe must report for a capture, from tshark's decode."""

    def __init__(self):
        self.packets = 0
        self.bytes = 0
        self.tuples = set()
        self.skipped = {}          # rule -> frames skipped by it

    def skip(self, rule):
        self.skipped[rule] = self.skipped.get(rule, 0) + 1


def _outer_ip_layers(protos):
    """(index of the outermost ip/ipv6 layer, indices of it and of the
    IPv6 extension headers right after it) in frame.protocols, or None."""
    for i, t in enumerate(protos):
        if t in ('ip', 'ipv6'):
            group = [i]
            if t == 'ipv6':
                j = i + 1
                while j < len(protos) and protos[j] in IP6_EXT_LAYERS:
                    group.append(j)
                    j += 1
            return i, group
    return None


def expected_from_tshark(path):
    """Expected packets, octets and distinct 5-tuples of a capture.

    Rules (each is how the probe is specified to meter, stated here so the
    numbers come from tshark's decode, never from per-file constants):
    - A frame counts once when tshark decodes an IP layer in it; the
      outermost IP header decides (tunnels: 4in6, GRE, VXLAN... count by
      their outer header, inner headers are payload).
    - Octets: IPv4 total length; IPv6 payload length + 40.  IPv6 payload
      length 0 with a next header other than 59 (No Next Header) is a
      jumbogram / BIG TCP capture: its length is the bytes captured from the
      IPv6 header on.  Such a packet never carries a Fragment header (RFC
      2675 section 3); tshark marks one that does malformed, and it is
      skipped by the first rule below.
    - Skipped (not metered, the probe counts them as malformed):
      * tshark marks the frame malformed at the outer IP layer (IPv4, IPv6
        or one of its extension headers);
      * IPv4 header length (IHL) below 5;
      * IPv4 total length below the header length;
      * the capture ends inside the outer IP header (tshark reports the
        frame short there, or misses header fields);
      * more than MAX_IP6_EXT IPv6 extension headers.
    - 5-tuple: (src, dst, protocol after the IPv6 extension headers, sport,
      dport).  ICMP/ICMPv6: sport 0, dport type << 8 | code.  Other
      protocols without ports: 0, 0.  TCP ports only when the captured TCP
      header (bounded by the IP length) reaches the flags byte (14 bytes);
      UDP/UDP-Lite/SCTP/DCCP when both ports are there; ICMP when type and
      code are.  Fragments (IPv4 MF or offset != 0; IPv6 fragment header
      other than an atomic one): the first (offset 0) carries the ports; a
      later one takes the ports of the first fragment with the same (src,
      dst, protocol, IP id) seen earlier in the capture, else 0, 0.
    """
    rows = tshark_fields(path, EXPECT_FIELDS)
    exp = Expected()
    frags = {}
    # frames whose counting needs the raw bytes (second, JSON pass)
    deferred = []
    pending = []          # (row, parsed) in capture order

    for row in rows:
        protos = (row.get('frame.protocols') or '').split(':')
        where = _outer_ip_layers(protos)
        if where is None:
            continue                      # no IP: ARP, EAPOL, bad link...
        first, group = where
        last = len(protos) - 1
        if row.get('_ws.malformed') and last in group:
            exp.skip('tshark: malformed at outer IP layer')
            continue
        v6 = protos[first] == 'ipv6'
        pkt = {'frame': int(row['frame.number']), 'v6': v6}
        if not v6:
            hlen = _int(_first(row.get('ip.hdr_len')))
            tlen = _int(_first(row.get('ip.len')))
            src, dst = _first(row.get('ip.src')), _first(row.get('ip.dst'))
            proto = _int(_first(row.get('ip.proto')))
            if hlen is not None and hlen < 20:
                exp.skip('IPv4 IHL < 5')
                continue
            if (row.get('_ws.short') and last == first) or None in (
                    hlen, tlen, src, dst, proto):
                exp.skip('capture ends in IP header')
                continue
            if tlen < hlen:
                exp.skip('IPv4 total length < header length')
                continue
            pkt['octets'] = tlen
            mf = _true(_first(row.get('ip.flags.mf')))
            off = _int(_first(row.get('ip.frag_offset'))) or 0
            pkt['frag'] = (mf or off != 0, off == 0, _int(_first(row.get('ip.id'))))
        else:
            plen = _int(_first(row.get('ipv6.plen')))
            nxt = _int(_first(row.get('ipv6.nxt')))
            src, dst = _first(row.get('ipv6.src')), _first(row.get('ipv6.dst'))
            if (row.get('_ws.short') and last == first) or None in (plen, nxt, src, dst):
                exp.skip('capture ends in IP header')
                continue
            # walk the extension headers tshark dissected after the outer
            # IPv6 header; the k-th layer of a kind has the k-th value
            seen = {}
            proto = nxt
            pkt['frag'] = (False, True, None)
            for idx in group[1:]:
                kind = protos[idx]
                k = sum(1 for t in protos[:idx] if t == kind)
                proto = _int(_nth(row.get(IP6_EXT_LAYERS[kind]), k))
                seen[kind] = k
                if kind == 'ipv6.fraghdr':
                    off = _int(_nth(row.get('ipv6.fraghdr.offset'), k)) or 0
                    more = _true(_nth(row.get('ipv6.fraghdr.more'), k))
                    ident = _int(_nth(row.get('ipv6.fraghdr.ident'), k))
                    if more or off:
                        pkt['frag'] = (True, off == 0, ident)
                    if off:
                        break       # later fragment: the chain goes on in the first
            if len(group) - 1 > MAX_IP6_EXT:
                exp.skip('more than %d IPv6 extension headers' % MAX_IP6_EXT)
                continue
            if proto is None:
                exp.skip('capture ends in IP header')
                continue
            if plen == 0 and nxt != 59:
                pkt['octets'] = None          # captured length: from the raw frame
                deferred.append(pkt['frame'])
            else:
                pkt['octets'] = plen + 40
        pkt.update(src=norm_addr(src), dst=norm_addr(dst), proto=proto)
        is_frag, first_frag, _ = pkt['frag']
        if not is_frag or first_frag:
            pkt['ports'] = _transport_key(row, proto, protos, group, pkt, deferred)
        pending.append(pkt)

    raw = tshark_raw_layers(path, set(deferred))
    for pkt in pending:
        n = pkt['frame']
        if pkt['octets'] is None:
            data, offs = raw[n]
            pkt['octets'] = len(data) - offs['ipv6'][0]
        if pkt.get('ports') == 'tcp?':
            pkt['ports'] = _tcp_ports_from_raw(raw[n], pkt)
        is_frag, first_frag, ident = pkt['frag']
        fkey = (pkt['v6'], pkt['src'], pkt['dst'], pkt['proto'], ident)
        if is_frag and first_frag:
            frags[fkey] = pkt['ports']
        elif is_frag:
            pkt['ports'] = frags.get(fkey, (0, 0))
        exp.packets += 1
        exp.bytes += pkt['octets']
        exp.tuples.add((pkt['src'], pkt['dst'], pkt['proto']) + pkt['ports'])
    return exp


def _transport_key(row, proto, protos, group, pkt, deferred):
    """(sport, dport) of the outer transport header per the rules above, or
    'tcp?' when only the raw bytes can tell (tshark stopped before the
    TCP flags, e.g. a bogus data offset)."""
    after = group[-1] + 1
    layer = protos[after] if after < len(protos) else None
    if proto in ICMP_FIELDS:
        t, c = (_int(_first(row.get(f))) for f in ICMP_FIELDS[proto])
        if layer not in ('icmp', 'icmpv6') or t is None or c is None:
            return (0, 0)
        return (0, t << 8 | c)
    if proto not in PORT_FIELDS:
        return (0, 0)
    s, d = (_int(_first(row.get(f))) for f in PORT_FIELDS[proto])
    if s is None or d is None:
        return (0, 0)
    if proto == 6 and not row.get('tcp.flags'):
        deferred.append(pkt['frame'])
        pkt['tcp_ports'] = (s, d)
        return 'tcp?'
    return (s, d)


def _tcp_ports_from_raw(raw, pkt):
    data, offs = raw
    ip_off = offs['ipv6' if pkt['v6'] else 'ip'][0]
    ip_end = min(len(data), ip_off + pkt['octets'])
    tcp_off = offs.get('tcp', [None])[0]
    if tcp_off is None or ip_end - tcp_off < 14:
        return (0, 0)
    return pkt['tcp_ports']


_CFLOW_LABELS = None


def cflow_labels():
    """The labels tshark -V prints for cflow.packets and cflow.octets (from
    tshark -G fields, so -V lines map to those fields exactly)."""
    global _CFLOW_LABELS
    if _CFLOW_LABELS is None:
        p = run(['tshark', '-G', 'fields'])
        labels = {}
        for line in p.stdout.splitlines():
            f = line.split('\t')
            if len(f) > 2 and f[0] == 'F' and f[2] in ('cflow.packets', 'cflow.octets'):
                labels[f[2]] = f[1]
        if len(labels) != 2:
            raise RuntimeError('tshark has no cflow.packets/cflow.octets fields')
        _CFLOW_LABELS = labels
    return _CFLOW_LABELS


class IpfixMessage:
    """One IPFIX message as tshark decodes it."""

    def __init__(self, frame, stream, seq):
        self.frame = frame          # tshark frame number (1-based)
        self.stream = stream        # UDP source port, or None in a file
        self.domain = None
        self.seq = seq
        self.records = 0            # data records, option records included
        self.packets = 0            # cflow.packets summed over its records
        self.octets = 0             # cflow.octets summed over its records


class IpfixDecode:
    """What tshark -V decodes of an IPFIX stream: the messages, and the
    lines reporting problems."""

    def __init__(self):
        self.messages = []
        self.problems = []

    @property
    def packets(self):
        return sum(m.packets for m in self.messages)

    @property
    def octets(self):
        return sum(m.octets for m in self.messages)

    def sequence_errors(self, stream_of=lambda m: m.stream):
        """Messages whose sequence number is not the previous message's of
        the same stream and domain plus its data records (RFC 7011 3.1:
        the count of all data records sent before, option records
        included)."""
        errors = []
        nxt = {}
        for m in self.messages:
            key = (stream_of(m), m.domain)
            if key in nxt and nxt[key] != m.seq:
                errors.append('frame %d (stream %s, domain %s): sequence %d, expected %d'
                              % (m.frame, key[0], m.domain, m.seq, nxt[key]))
            nxt[key] = (m.seq + m.records) % 2 ** 32
        return errors


def ipfix_decode(path, decode_as=()):
    """Decode an IPFIX stream (an RFC 5655 file, which wireshark reads, or a
    capture with decode_as rules) with tshark -V into an IpfixDecode.
    Problems are (frame, line) for the lines saying Malformed, "no template
    found", or an expert info of severity Warning or Error (tshark checks
    sequence numbers per domain too: "Unexpected flow sequence" is a
    Warning)."""
    labels = cflow_labels()
    pk_label = labels['cflow.packets'] + ': '
    oc_label = labels['cflow.octets'] + ': '
    extra = []
    for d in decode_as:
        extra += ['-d', d]
    p = run(['tshark', '-r', path, '-n'] + extra + ['-V'])
    res = IpfixDecode()
    if p.returncode != 0:
        res.problems.append((None, 'tshark exit %d: %s' % (p.returncode, p.stderr.strip())))
    frame = stream = msg = None
    for line in p.stdout.splitlines():
        s = line.strip()
        if line.startswith('Frame '):
            frame, stream = int(line.split()[1].rstrip(':')), None
        elif line.startswith('User Datagram Protocol, Src Port: '):
            stream = int(line.split('Src Port: ')[1].split(',')[0])
        elif line.startswith('    FlowSequence: '):
            msg = IpfixMessage(frame, stream, int(s.split(': ')[1].split()[0]))
            res.messages.append(msg)
        elif line.startswith('    Observation Domain Id: ') and msg and msg.domain is None:
            msg.domain = int(s.split(': ')[1].split()[0])
        elif line.startswith('    Set ') and s.endswith(' flows)') and '[id=' in s:
            if int(s.split('[id=')[1].split(']')[0]) >= 256 and msg:
                msg.records += int(s.rsplit('(', 1)[1].split()[0])
        if 'Malformed' in s or 'no template found' in s or \
           s.startswith(('[Expert Info (Warning/', '[Expert Info (Error/')):
            res.problems.append((frame, s))
        elif s.startswith(pk_label) and msg:
            msg.packets += int(s[len(pk_label):].split()[0])
        elif s.startswith(oc_label) and msg:
            msg.octets += int(s[len(oc_label):].split()[0])
    return res


def ipfix_message_count(path):
    """IPFIX messages in an RFC 5655 file, from their headers (version 10,
    16-bit length)."""
    data = open(path, 'rb').read()
    off = n = 0
    while off + 4 <= len(data):
        version = int.from_bytes(data[off:off + 2], 'big')
        length = int.from_bytes(data[off + 2:off + 4], 'big')
        if version != 10 or length < 16:
            raise ValueError('%s: not an IPFIX message at byte %d' % (path, off))
        off += length
        n += 1
    return n
