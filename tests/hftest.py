"""Shared helpers for the probe end-to-end tests (tests/probe_*.py).

Everything here is Python 3 standard library: running hostflow-probe and
hostflow-dump, computing what a capture should give from tshark's
independent decode, and reporting comparisons.  Paths come from the
environment meson sets (HF_PROBE, HF_DUMP, HF_PCAPS, HF_SRC, HF_BUILD);
outside meson they default to ./build of the source tree.
"""
import atexit
import collections
import contextlib
import csv
import datetime
import io
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get('HF_SRC') or os.path.dirname(HERE)
BUILD = os.environ.get('HF_BUILD') or os.path.join(SRC, 'build')
PROBE = os.environ.get('HF_PROBE') or os.path.join(BUILD, 'probe', 'hostflow-probe')
DUMP = os.environ.get('HF_DUMP') or os.path.join(BUILD, 'dump', 'hostflow-dump')
PCAPS = os.environ.get('HF_PCAPS') or os.path.join(SRC, '..', 'shared', 'pcaps')

SKIP = 77          # meson: exit status 77 = test skipped
# children mostly wait (tshark start-up, sanitizer exit checks): overlap them
WORKERS = 2 * max(2, os.cpu_count() or 2)

# ---------------------------------------------------------------- reporting


class Check:
    """Collects mismatches; finish() prints a verdict and exits 0 or 1."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def ok(self, cond, what):
        if not cond:
            self.failures.append(what)
            print('  MISMATCH: ' + what, flush=True)
        return bool(cond)

    def eq(self, what, expected, got):
        return self.ok(expected == got,
                       '%s: expected %r, got %r' % (what, expected, got))

    def probe_ran(self, p, what, codes=(0,)):
        """p (a finished probe or dump) exited with one of codes and printed
        no sanitizer report."""
        ok = self.ok(p.returncode in codes, '%s: %s, want exit %s; stderr: %s' % (
            what, describe_exit(p), '/'.join(map(str, codes)),
            ' | '.join(p.stderr.strip().splitlines()[-6:])))
        report = sanitizer_report(p.stderr)
        return self.ok(report is None, '%s: sanitizer report: %s' % (what, report)) and ok

    def finish(self):
        if self.failures:
            print('\n%s: FAILED, %d mismatch(es):' % (self.name, len(self.failures)))
            for f in self.failures:
                print('  - ' + f)
            sys.exit(1)
        print('\n%s: all comparisons matched' % self.name)
        sys.exit(0)


def table(header, rows):
    """Print rows (sequences) under header as aligned columns."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    line = '  '.join('%-*s' % (w, h) for w, h in zip(widths, header))
    print(line)
    print('-' * len(line))
    for r in rows:
        print('  '.join('%-*s' % (w, c) for w, c in zip(widths, r)))
    sys.stdout.flush()


def need_tools(*names):
    """Exit 77 (skip) when a required external program is missing; under
    tests/run-all.sh (HF_REQUIRE_TOOLS=1) that is a failure instead."""
    missing = [n for n in names if not shutil.which(n)]
    if missing:
        if os.environ.get('HF_REQUIRE_TOOLS') == '1':
            print('FAIL: not installed: %s (packaging/install-deps.sh installs it)'
                  % ', '.join(missing))
            sys.exit(1)
        print('SKIP: not installed: ' + ', '.join(missing))
        sys.exit(SKIP)


def parallel(fn, items):
    """fn over items on a few threads (each call mostly waits on a child
    process); results in the order of items."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(fn, items))


# ---------------------------------------------------------------- captures


def captures():
    """Every capture file in HF_PCAPS (*.pcap, *.pcapng), sorted by name."""
    names = [n for n in os.listdir(PCAPS) if n.endswith(('.pcap', '.pcapng'))]
    if not names:
        print('no captures in %s' % PCAPS)
        sys.exit(1)
    return sorted(names)


def pcap(name):
    return os.path.join(PCAPS, name)


@contextlib.contextmanager
def tempdir(prefix='hftest-'):
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- the tools


def run(cmd, timeout=300, **kw):
    """Run cmd to completion; stdout/stderr as text (bytes undecodable are
    replaced)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, **kw)
    p.stdout = p.stdout.decode('utf-8', 'replace')
    p.stderr = p.stderr.decode('utf-8', 'replace')
    return p


def run_probe(args, timeout=300):
    return run([PROBE] + list(args), timeout=timeout)


def probe_to_file(inputs, out, *extra, timeout=300):
    """hostflow-probe -r IN... -o OUT EXTRA...; returns the CompletedProcess."""
    if isinstance(inputs, str):
        inputs = [inputs]
    args = []
    for i in inputs:
        args += ['-r', i]
    return run_probe(args + ['-o', out] + list(extra), timeout=timeout)


SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                   'runtime error:', 'SUMMARY: UndefinedBehaviorSanitizer')


def sanitizer_report(stderr):
    """The first line of an ASan/LSan/UBSan report in stderr, or None (ASan's
    default exit status is 1, the same as an ordinary error)."""
    for line in stderr.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line.strip()
    return None


def describe_exit(p):
    if p.returncode < 0:
        try:
            return 'killed by %s' % signal.Signals(-p.returncode).name
        except ValueError:
            return 'killed by signal %d' % -p.returncode
    return 'exit %d' % p.returncode


INT_COLUMNS = ('proto', 'sport', 'dport', 'packets', 'bytes', 'flags', 'tos',
               'vlan', 'in_if', 'out_if')


def _paths(ipfix):
    """One path or a list of paths, as a list."""
    return [ipfix] if isinstance(ipfix, str) else list(ipfix)


def dump_csv(ipfix):
    """(records, CompletedProcess) of hostflow-dump -F csv IPFIX (a path or
    a list of paths); each record a dict by CSV header name, the numeric
    columns as int."""
    p = run([DUMP, '-F', 'csv'] + _paths(ipfix))
    recs = []
    for row in csv.DictReader(io.StringIO(p.stdout)):
        for c in INT_COLUMNS:
            if c in row:
                row[c] = int(row[c])
        recs.append(row)
    return recs, p


def dump_records(ipfix, check, what):
    """dump_csv, noting in check when hostflow-dump cannot read the file."""
    recs, p = dump_csv(ipfix)
    check.ok(p.returncode == 0,
             '%s: hostflow-dump %s: %s' % (what, describe_exit(p), p.stderr.strip()))
    return recs


def dump_text(ipfix):
    """The CSV text hostflow-dump prints, for comparing runs."""
    return run([DUMP, '-F', 'csv', ipfix]).stdout


def dump_count(ipfix):
    """(records, packets, bytes) from hostflow-dump -n (a path or a list)."""
    p = run([DUMP, '-n'] + _paths(ipfix))
    f = p.stdout.split()
    if p.returncode != 0 or len(f) != 6:
        raise RuntimeError('hostflow-dump -n %s: %s %s' % (ipfix, describe_exit(p), p.stderr))
    return int(f[1]), int(f[3]), int(f[5])


def totals(recs):
    """(records, packets, bytes) summed over dump records."""
    return (len(recs), sum(r['packets'] for r in recs),
            sum(r['bytes'] for r in recs))


def ms(stamp):
    """Milliseconds since the epoch of a dump time ('2021-05-13T10:41:47.123Z')."""
    day, frac = stamp.rstrip('Z').split('.')
    t = datetime.datetime.strptime(day, '%Y-%m-%dT%H:%M:%S').replace(
        tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac)


def probe_flow_key(r):
    """What the probe keys a flow on, as a dump record shows it (address
    family by the addresses, 5-tuple, VLAN, interface)."""
    return (norm_addr(r['src']), norm_addr(r['dst']), r['proto'], r['sport'], r['dport'],
            r['vlan'], r['in_if'])


def norm_addr(a):
    return str(ipaddress.ip_address(a))


def record_tuples(recs):
    """Distinct 5-tuples (src, dst, proto, sport, dport) among records."""
    return {rec_tuple(r) for r in recs}


def probe_counters(stderr):
    """The -v counter line ('packets N ip N ... evicted N ...') as a dict."""
    for line in stderr.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == 'packets' and len(f) % 2 == 0:
            try:
                return {f[i]: int(f[i + 1]) for i in range(0, len(f), 2)}
            except ValueError:
                continue
    return None


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


# ---------------------------------------------------------------- network


def free_port(kind=socket.SOCK_DGRAM):
    """A currently unused 127.0.0.1 port (random high, from the kernel)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM, timeout=20):
    """Signal a child we started and reap it; kill it if it hangs."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def loopback_capture(port, out, proto='udp', bpf=None):
    """tshark capturing `PROTO port PORT` (or the filter bpf) on lo into
    out while the block runs.  Yields once tshark reports it is capturing;
    raises PermissionError when capturing on lo is not possible."""
    err_path = out + '.stderr'
    with open(err_path, 'wb') as err:
        proc = subprocess.Popen(['tshark', '-i', 'lo', '-f', bpf or '%s port %d' % (proto, port),
                                 '-w', out, '-q'],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + 30
        while True:
            text = open(err_path, errors='replace').read()
            if 'Capturing on' in text:
                break
            if proc.poll() is not None or time.time() > deadline:
                stop(proc)
                raise PermissionError('tshark cannot capture on lo: ' + text.strip())
            time.sleep(0.1)
        time.sleep(0.5)          # "Capturing on" precedes the first read a little
        yield proc
        time.sleep(1.0)          # let the last datagrams reach the ring
    finally:
        stop(proc, signal.SIGINT)
        with contextlib.suppress(OSError):
            os.unlink(err_path)


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


# ================================================================ collector
#
# Helpers for the collector end-to-end tests (tests/collector_*.py): run
# hostflow-collector on loopback ports in a temporary directory, read its
# status.json and its store, send it flow exports (replayed from captures
# or crafted with struct), and decode the same exports with tshark.

COLLECTOR = os.environ.get('HF_COLLECTOR') or os.path.join(BUILD,
                                                            'hostflow-collector')
REPLAY = os.environ.get('HF_REPLAY') or os.path.join(BUILD, 'tests', 'replay_exports')
BENCH = os.path.join(SRC, '..', 'shared', 'bench')
PEN = int(os.environ.get('HF_PEN') or 32473)     # meson option enterprise_number
LISTENING = 'hostflow-collector: listening on '
COUNTERS = ('messages', 'records', 'options_records', 'templates',
            'template_withdrawals', 'sequence_lost', 'sequence_reorder',
            'pending_decoded', 'pending_dropped', 'malformed')


# Children of the collector tests still running (collectors, nfcapd): killed
# when the test exits or is terminated (meson's timeout sends SIGTERM), so
# no collector outlives its test.
_CHILDREN = set()


def _kill_children():
    for p in list(_CHILDREN):
        if p.poll() is None:
            p.kill()
            p.wait()
    _CHILDREN.clear()


def _on_sigterm(signum, frame):
    _kill_children()
    os._exit(128 + signum)


def _track(proc):
    _CHILDREN.add(proc)
    return proc


atexit.register(_kill_children)
if threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


def parse_listening(text):
    """[(proto, host, port)] from the collector's "listening on" lines."""
    out = []
    for line in text.splitlines():
        if line.startswith(LISTENING):
            spec = line[len(LISTENING):].strip()
            proto, _, rest = spec.partition(':')
            host, _, port = rest.rpartition(':')
            out.append((proto, host, int(port)))
    return out


class Collector:
    """A hostflow-collector child in its own directory (DIR/NAME/store,
    DIR/NAME/state by default; both survive restarts).

    listen: the -l specs (default UDP and TCP on 127.0.0.1 port 0, so the
    kernel picks free ports; an empty list leaves them to the config file,
    then give nports).  After start(): .ports = [(proto, host, port)],
    .udp / .tcp = the first bound port of each kind.  Use as a context
    manager: a collector still running at the end of the block is killed."""

    def __init__(self, tmp, name='collector', listen=('udp:127.0.0.1:0', 'tcp:127.0.0.1:0'),
                 config=None, args=(), slot_seconds=60, store=None, state=None,
                 nports=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.store = store or os.path.join(self.dir, 'store')
        self.state = state or os.path.join(self.dir, 'state')
        self.listen = list(listen)
        self.nports = nports if nports is not None else len(self.listen)
        if config is None:
            # tests count per session: list every session in status.json,
            # not only the busiest 100 (collector-faults tests that bound)
            config = os.path.join(self.dir, 'all-sessions.conf')
            with open(config, 'w') as f:
                f.write('[collector]\nstatus-exporters = 1000000\n')
        self.config = config
        self.args = list(args)
        self.slot_seconds = slot_seconds
        self.proc = None
        self.runs = 0
        self.err_text = ''
        self.old_stderr = ''          # of the runs before this one
        self.ports = []
        self.udp = self.tcp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def command(self):
        cmd = [COLLECTOR]
        for spec in self.listen:
            cmd += ['-l', spec]
        if self.config:
            cmd += ['-c', self.config]
        cmd += ['-w', self.store, '-s', self.state,
                '--slot-seconds', str(self.slot_seconds)]
        return cmd + self.args

    def start(self, timeout=30):
        """Starts the collector and waits until all its sockets are bound
        and it wrote status.json; RuntimeError if it exits or hangs."""
        if self.proc:
            self.old_stderr += self.stderr()
        self.runs += 1
        self.err_path = os.path.join(self.dir, 'stderr-%d.txt' % self.runs)
        started = int(time.time() * 1000)
        with open(self.err_path, 'wb') as err:
            self.proc = _track(subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=err))
        deadline = time.time() + timeout
        while True:
            text = self.stderr()
            self.ports = parse_listening(text)
            if self.proc.poll() is not None:
                raise RuntimeError('collector %s at start: %s' %
                                   (describe_exit(self.proc), text.strip()))
            st = self.status(retry=False)
            if len(self.ports) >= max(self.nports, 1) and st and st['time_ms'] >= started:
                break
            if time.time() > deadline:
                self.kill()
                raise RuntimeError('collector not ready after %d s: %s' % (timeout, text))
            time.sleep(0.05)
        kinds = {}
        for proto, _, port in self.ports:
            kinds.setdefault(proto, port)
        self.udp, self.tcp = kinds.get('udp'), kinds.get('tcp')
        return self

    def stderr(self):
        """What the current run printed on stderr so far."""
        try:
            with open(self.err_path, errors='replace') as f:
                self.err_text = f.read()
        except OSError:
            pass                        # the directory is gone: the last read
        return self.err_text

    def all_stderr(self):
        return self.old_stderr + (self.stderr() if self.proc else '')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self, retry=True):
        """STATE/status.json as a dict (None if absent and not retry)."""
        path = os.path.join(self.state, 'status.json')
        for _ in range(50 if retry else 1):
            try:
                with open(path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                if not retry:
                    return None
                time.sleep(0.1)
        raise RuntimeError('no readable %s' % path)

    def wait(self, pred, timeout=30):
        """The first status (rewritten every second) for which pred holds,
        or None after timeout (self.last holds the last one read)."""
        deadline = time.time() + timeout
        while True:
            self.last = self.status()
            if pred(self.last):
                return self.last
            if time.time() > deadline or not self.alive():
                return None
            time.sleep(0.2)

    def wait_messages(self, n, timeout=30, **match):
        """Waits until the exporters matching (see exporter_sum) account for
        n messages (every datagram is counted as one, even garbage)."""
        return self.wait(lambda st: exporter_sum(st, **match)['messages'] >= n, timeout)

    def wait_stored(self, n, timeout=30):
        """Waits until the store took n records (store.records)."""
        return self.wait(lambda st: st['store']['records'] >= n, timeout)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signals the collector, reaps it (kill -9 after timeout: a hang);
        returns its exit status."""
        rc = stop(self.proc, sig, timeout)
        self.stderr()
        return rc

    def kill(self):
        """kill -9."""
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.stderr()
        return self.proc.returncode

    def sources(self):
        """Source directories in the store."""
        if not os.path.isdir(self.store):
            return []
        return sorted(n for n in os.listdir(self.store)
                      if not n.startswith('.') and os.path.isdir(os.path.join(self.store, n)))

    def files(self, source=None, temp=False):
        """Complete slot files (temp=True: the open .tmp files) of a source
        or of all, sorted by path; DIR/.damaged is not part of the layout."""
        return store_files(self.store, source, temp)

    def totals(self, source=None):
        """(records, packets, bytes) over the complete slot files."""
        files = self.files(source)
        return dump_count(files) if files else (0, 0, 0)

    def records(self, source=None):
        """The records of the complete slot files (dump_csv dicts)."""
        files = self.files(source)
        return dump_csv(files)[0] if files else []

    def check_exit(self, check, what, rc, codes=(0,)):
        """rc (from stop) in codes and no sanitizer report in any run."""
        check.ok(rc in codes, '%s: collector %s, want exit %s; stderr: %s' % (
            what, describe_exit(self.proc), '/'.join(map(str, codes)),
            ' | '.join(self.all_stderr().strip().splitlines()[-6:])))
        report = sanitizer_report(self.all_stderr())
        check.ok(report is None, '%s: collector sanitizer report: %s' % (what, report))


def same_items(check, what, want, got):
    """want and got hold the same items as multisets (e.g. flow_key
    tuples); a mismatch names the counts and a few differing items."""
    want, got = collections.Counter(want), collections.Counter(got)
    missing, extra = want - got, got - want
    return check.ok(not missing and not extra,
                    '%s: %d expected, %d got; %d missing %s; %d unexpected %s' % (
                        what, sum(want.values()), sum(got.values()),
                        sum(missing.values()), sorted(missing)[:3],
                        sum(extra.values()), sorted(extra)[:3]))


def slot_order(path):
    """Sort key of slot files: time stamp, then the -N suffix."""
    name = os.path.basename(path)
    stem = name[len('flows-'):-len('.ipfix')]
    stamp, _, seq = stem.partition('-')
    return (os.path.dirname(path), stamp, int(seq or 0))


def store_files(store, source=None, temp=False):
    """Slot files of the store layout STORE/SOURCE/YYYY/MM/DD/: complete
    (flows-*.ipfix) or temp (.flows-*.ipfix.tmp) ones, sorted."""
    out = []
    if not os.path.isdir(store):
        return out
    for src in ([source] if source else os.listdir(store)):
        top = os.path.join(store, src)
        if src.startswith('.') or not os.path.isdir(top):
            continue
        for d, _, names in os.walk(top):
            for n in names:
                if (temp and n.startswith('.flows-') and n.endswith('.ipfix.tmp')) or \
                   (not temp and n.startswith('flows-') and n.endswith('.ipfix')):
                    out.append(os.path.join(d, n))
    return sorted(out)


def exporter_sum(status, addr=None, port=None, listen_port=None, version=None):
    """Counters (COUNTERS and malformed_by_reason) summed over the exporter
    sessions of a status.json that match the given fields."""
    tot = dict.fromkeys(COUNTERS, 0)
    tot['by_reason'] = {}
    tot['sessions'] = 0
    for e in status.get('exporters', []):
        if (addr is not None and e['exporter'] != addr) or \
           (port is not None and e['port'] != port) or \
           (listen_port is not None and e['listen_port'] != listen_port) or \
           (version is not None and e['version'] != version):
            continue
        tot['sessions'] += 1
        for k in COUNTERS:
            tot[k] += e[k]
        for k, v in e['malformed_by_reason'].items():
            tot['by_reason'][k] = tot['by_reason'].get(k, 0) + v
    return tot


def malformed_text(tot):
    """'reason N, ...' of the non-zero malformed counters."""
    return ', '.join('%s %d' % kv for kv in sorted(tot['by_reason'].items()) if kv[1]) or 'none'


def collector_run(args, timeout=30):
    """hostflow-collector ARGS to completion (for option errors)."""
    return run([COLLECTOR] + list(args), timeout=timeout)


# ---------------------------------------------------------------- sending


class Exporter:
    """A UDP socket bound to ADDR:SPORT (any 127.0.0.N works on lo; sport
    0 = a free one) sending datagrams to HOST:PORT."""

    def __init__(self, port, addr='127.0.0.1', sport=0, host='127.0.0.1'):
        self.dest = (host, port)
        self.sock = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET,
                                  socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, sport))
        self.addr, self.sport = self.sock.getsockname()[:2]
        self.sent = 0

    def send(self, *payloads, gap=0.0003):
        for p in payloads:
            self.sock.sendto(p, self.dest)
            self.sent += 1
            if gap:
                time.sleep(gap)

    def close(self):
        self.sock.close()


class Spoofer:
    """Forged exporters on loopback: UDP datagrams from any 127.x.y.z
    source address to 127.0.0.1:port, through a raw socket (root only)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        self.port = port
        self.sent = 0

    def send(self, src, sport, payload):
        udp = struct.pack('!HHHH', sport, self.port, 8 + len(payload), 0) + payload
        # the kernel fills in the IP checksum and id; UDP checksum 0 = none
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         socket.inet_aton(src), socket.inet_aton('127.0.0.1'))
        while True:
            try:
                self.sock.sendto(ip + udp, ('127.0.0.1', 0))
                break
            except BlockingIOError:
                time.sleep(0.001)
        self.sent += 1

    def close(self):
        self.sock.close()


def tcp_send(port, messages, host='127.0.0.1'):
    """Sends IPFIX messages over one TCP connection, then closes it."""
    with socket.create_connection((host, port), timeout=10) as s:
        for m in messages:
            s.sendall(m)


_BENCH_REPLAY = None
_BENCH_LOCK = threading.Lock()


def bench_replay():
    """/work/shared/bench/replay-exporters.py as a module (its pcap
    reading functions: packets, ip_payload, udp_datagram)."""
    global _BENCH_REPLAY
    with _BENCH_LOCK:
        if _BENCH_REPLAY is None:
            import importlib.util
            path = os.path.join(BENCH, 'replay-exporters.py')
            spec = importlib.util.spec_from_file_location('replay_exporters', path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _BENCH_REPLAY = mod
    return _BENCH_REPLAY


def export_datagrams(path):
    """[(src address, sport, dport, payload)] of the UDP datagrams of a
    capture (classic pcap), in order, read by the bench replay script."""
    m = bench_replay()
    out = []
    for link, frame in m.packets(path):
        u = m.udp_datagram(m.ip_payload(link, frame))
        if u:
            out.append(u)
    return out


def export_ports(path):
    """Destination UDP ports of a capture's datagrams (its collector ports)."""
    return sorted({d[2] for d in export_datagrams(path)})


def replay_exporters(path, port, gap_ms=1):
    """Sends a capture's export datagrams to 127.0.0.1:port with the shared
    replay-exporters.py (exporter N from 127.0.0.(10+N), original source
    ports); returns the number of datagrams sent."""
    ports = ','.join(str(p) for p in export_ports(path))
    p = run([sys.executable, os.path.join(BENCH, 'replay-exporters.py'), '--port', str(port),
             '--ports', ports, '--gap-ms', str(gap_ms), path])
    if p.returncode != 0:
        raise RuntimeError('replay-exporters.py %s: %s' % (path, p.stderr))
    for f in p.stdout.split():
        if f.startswith('datagrams='):
            return int(f.split('=')[1])
    raise RuntimeError('replay-exporters.py printed no total: ' + p.stdout)


def replay_exports(path, *args):
    """The decoder fed in-process (tests/replay_exports): its counters
    ('records', 'packets', 'bytes', 'messages', ..., 'bad_REASON') and the
    CompletedProcess."""
    p = run([REPLAY] + list(args) + [path])
    f = p.stdout.split()
    counters = {}
    if p.returncode == 0 and len(f) % 2 == 0:
        counters = {f[i]: int(f[i + 1]) for i in range(0, len(f), 2)}
    return counters, p


def cflow_decode(path, decode_as):
    """tshark's decoding of the NetFlow/IPFIX datagrams of a capture:
    {udp dst port: {'records', 'packets', 'octets', 'datagrams'}} (a data
    record counts once whether it has packets, octets or both)."""
    extra = []
    for d in decode_as:
        extra += ['-d', d]
    rows = tshark_fields(path, ['udp.dstport', 'cflow.packets', 'cflow.octets'], extra)
    out = {}
    for r in rows:
        port = _int(_first(r.get('udp.dstport')))
        if port is None:
            continue
        t = out.setdefault(port, dict.fromkeys(('records', 'packets', 'octets', 'datagrams'), 0))
        t['datagrams'] += 1
        pk = [int(v, 0) for v in (r.get('cflow.packets') or '').split(',') if v]
        oc = [int(v, 0) for v in (r.get('cflow.octets') or '').split(',') if v]
        t['records'] += max(len(pk), len(oc))
        t['packets'] += sum(pk)
        t['octets'] += sum(oc)
    return out



class Nfcapd:
    """nfdump's collector (nfcapd) on a free 127.0.0.1 UDP port writing to
    DIR/NAME/flows, for an independent count of what an exporter sent."""

    def __init__(self, tmp, name='nfcapd'):
        self.dir = os.path.join(tmp, name)
        self.flowdir = os.path.join(self.dir, 'flows')
        os.makedirs(self.flowdir, exist_ok=True)
        self.log = os.path.join(self.dir, 'nfcapd.log')
        self.port = None
        self.proc = None

    def start(self, timeout=20):
        for _ in range(5):                      # the free port may be taken meanwhile
            self.port = free_port()
            with open(self.log, 'wb') as log:
                self.proc = _track(subprocess.Popen(
                    ['nfcapd', '-b', '127.0.0.1', '-p', str(self.port), '-w', self.flowdir],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
            deadline = time.time() + timeout
            while 'Startup' not in self.text():
                if self.proc.poll() is not None or time.time() > deadline:
                    break
                time.sleep(0.05)
            else:
                return self
            stop(self.proc)
        raise RuntimeError('nfcapd did not start: ' + self.text())

    def text(self):
        with open(self.log, errors='replace') as f:
            return f.read()

    def stop(self):
        """SIGTERM: nfcapd writes its file and exits; returns the status."""
        return stop(self.proc)

    def totals(self):
        """(flows, packets, bytes) of nfdump's summary over the files."""
        p = run(['nfdump', '-R', self.flowdir, '-o', 'csv'])
        if not os.listdir(self.flowdir):
            return (0, 0, 0)
        _, _, summary = p.stdout.partition('\nSummary\n')
        row = next(csv.DictReader(io.StringIO(summary)), None)
        if p.returncode != 0 or not row:
            raise RuntimeError('nfdump -R %s: %s %s' % (self.flowdir, describe_exit(p), p.stderr))
        return int(row['flows']), int(row['packets']), int(row['bytes'])


def cflow_sequence(path, decode_as):
    """tshark's sequence analysis of the export datagrams of a capture:
    {udp dst port: (numbers skipped, times the sequence went back)}."""
    extra = []
    for d in decode_as:
        extra += ['-d', d]
    rows = tshark_fields(path, ['udp.dstport', 'cflow.sequence',
                                'cflow.sequence_analysis.expected_sn'], extra)
    out = {}
    for r in rows:
        port = _int(_first(r.get('udp.dstport')))
        seq = _int(_first(r.get('cflow.sequence')))
        exp = _int(_first(r.get('cflow.sequence_analysis.expected_sn')))
        lost, back = out.get(port, (0, 0))
        if seq is not None and exp is not None and seq != exp:
            ahead = (seq - exp) % 2 ** 32
            if ahead < 2 ** 31:
                lost += ahead
            else:
                back += 1
        out[port] = (lost, back)
    return out

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
    templates, out, off = {}, [], 0
    while off + 16 <= len(data):
        ver, mlen = struct.unpack_from('!HH', data, off)
        if ver != 10 or mlen < 16 or off + mlen > len(data):
            raise ValueError('%s: bad message header at %d' % (path, off))
        s, end = off + 16, off + mlen
        while s + 4 <= end:
            sid, slen = struct.unpack_from('!HH', data, s)
            if slen < 4 or s + slen > end:
                raise ValueError('%s: bad set at %d' % (path, s))
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
                        raise ValueError('%s: record past its set at %d' % (path, s))
                    out.append(rec)
            s = s_end
        off = end
    return out


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


# ================================================================ hostnames
#
# Helpers for the hostname tests (tests/names_*.py): what tshark decodes of
# DNS messages, TLS/QUIC ClientHellos and HTTP requests; a model of how the
# probe is specified to pair DNS answers with flows (probe/flow_names.c,
# probe/name_cache.h); the probe's flows mapped back to the frames that
# created them; the name elements of the probe's IPFIX as tshark decodes
# them; crafted pcap files; a child's peak memory.

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


def rec_tuple(r):
    return (norm_addr(r['src']), norm_addr(r['dst']), r['proto'], r['sport'], r['dport'])


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
    """A name the probe reports: printable ASCII without spaces (tshark shows
    the root as <Root>, and escapes other bytes with a backslash)."""
    return bool(name) and name != '<Root>' and '\\' not in name and \
        all(0x20 < ord(c) < 0x7f for c in name)


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


class CaptureDecode:
    """What tshark decodes of a capture for the hostname tests: its TCP/UDP
    frames and, as asked, DNS messages (also by 5-tuple) and client hellos."""

    def __init__(self, name, hellos=False, dns=True):
        self.name = name
        self.path = pcap(name)
        self.frames = transport_frames(self.path)
        self.messages = dns_messages(self.path) if dns else []
        self.messages_of = collections.defaultdict(list)
        for m in self.messages:
            self.messages_of[(m.src, m.dst, m.proto, m.sport, m.dport)].append(m)
        self.hellos = app_hellos(self.path) if hellos else []


class NamesRun:
    """One capture through the probe (-v and probe_args), with everything
    the hostname tests compare: records (named_records), the TCP/UDP flows
    mapped to frames (instances, index by 5-tuple), and the capture's
    CaptureDecode (decode: one already made, else made here) as
    frames/messages/messages_of/hellos.  elements False: records from
    hostflow-dump alone (no ie_* keys)."""

    def __init__(self, name, tmp, *probe_args, decode=None, hellos=False, dns=True,
                 elements=True, tag=''):
        self.name = name
        self.path = pcap(name)
        self.ipfix = os.path.join(tmp, name + tag + '.ipfix')
        self.probe = probe_to_file(self.path, self.ipfix, '-v', *probe_args)
        self.check = Check(name)          # collects; merge_into passes failures on
        self.records = (named_records if elements else dump_records)(
            self.ipfix, self.check, name + tag)
        d = decode or CaptureDecode(name, hellos, dns)
        self.frames, self.messages, self.messages_of, self.hellos = \
            d.frames, d.messages, d.messages_of, d.hellos
        self.instances, self.problems = flow_instances(self.records, self.frames)
        self.index = instances_by_tuple(self.instances)

    def merge_into(self, check):
        """The probe ran cleanly, every record maps to its frames; earlier
        notes (decode mismatches) go to check."""
        check.probe_ran(self.probe, self.name)
        check.failures += self.check.failures     # printed when noted
        for p in self.problems:
            check.ok(False, '%s: %s' % (self.name, p))


# hostflow.conf(5): the keys and defaults of every section, as the page
# lists them (a ".TP" then ".B "key = default"" under ".SS "[section]"").

CONF_MAN = os.path.join(SRC, 'man', 'hostflow.conf.5')


def conf_man_keys(path=CONF_MAN):
    """{section: [(key, default)]} in page order; default '' is unset.
    Sections are "probe", "collector"..., "source name", "profile name"."""
    out, section = {}, None
    lines = open(path).read().split('\n')
    for i, line in enumerate(lines):
        m = re.match(r'^\.SS "\[(.*)\]"$', line)
        if m:
            section = m.group(1)
            out[section] = []
        elif line.startswith('.SH'):
            section = None
        elif section and line == '.TP' and i + 1 < len(lines):
            m = re.match(r'^\.B "(.*)"$', lines[i + 1])
            if m:
                text = m.group(1).replace('\\-', '-').replace('\\(aq', "'")
                key, _, default = text.partition('=')
                out[section].append((key.strip(), default.strip()))
    return out


def conf_effective(text, section):
    """--check-config output: {key: value} of one section."""
    vals, group = {}, None
    for line in text.splitlines():
        if line.startswith('['):
            group = line.strip().strip('[]')
        elif '=' in line and not line.startswith('#') and group == section:
            k, v = line.split('=', 1)
            vals[k.strip()] = v.strip()
    return vals
