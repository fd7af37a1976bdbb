#!/usr/bin/env python3
"""hostflow-report over a store of real flows (the probe over shared
captures, placed as slot files of past hours, then summarised by
hostflow-collector --rollup), checked against models computed here:

1. --by hostname and --by domain (with --all, and without: the ignore
   list hides names) equal a model from hostflow-dump --json of the raw
   files plus the shipped merge and ignore lists and the Public Suffix List
   (Debian's publicsuffix), implemented here independently (done means 2);
2. the timeline joins both directions: sent and received per conversation
   equal the IP-level bytes tshark decodes per address/port pair, the
   client being the side with the higher port (done means 3);
3. the hourly summaries and the raw flows give the same answer for a
   whole-hour query on every key both keep, and --input=auto takes the
   summaries then (done means 5);
4. the command line: a filter error names its column (exit 2), an unknown
   key or time is refused (exit 2), an empty result exits 0, CSV and JSON
   carry the documented columns;
5. the slot files' columns (hostflow-collector --columns, query/columns.h)
   give the answers the IPFIX files give (--input ipfix) for every key,
   filters on every group of fields and the timeline, and are used.

The checks 1-3 read the raw flows from the columns."""
import collections
import csv
import fnmatch
import io
import ipaddress
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
LISTS = os.path.join(hftest.SRC, 'query', 'lists')
PSL = '/usr/share/publicsuffix/public_suffix_list.dat'
# (capture, hour offset, slot minute): one source per capture
CAPTURES = [('chrome.pcap', 0, 0), ('iphone.pcap', 0, 5), ('http_ipv6.pcap', 1, 10),
            ('dns.pcap', 1, 55), ('1kxun.pcap', 2, 0), ('instagram.pcap', 2, 30),
            ('netflix.pcap', 0, 20)]
TIMELINE = ['chrome.pcap', 'iphone.pcap', 'http_ipv6.pcap', 'instagram.pcap']
BASE = (int(time.time()) - 2 * 86400) // 3600 * 3600
WIDE = ['--from', '1970-01-01T00:00:00Z', '--to', '2100-01-01T00:00:00Z']
SUMMARY_KEYS = ['hostname', 'domain', 'app', 'proto', 'client', 'service', 'device',
                'exporter', 'client,hostname', 'device,domain', 'service,app']


def source_of(capture):
    return os.path.splitext(capture)[0].replace('_', '-')


def build_store(check, tmp):
    store, state = os.path.join(tmp, 'store'), os.path.join(tmp, 'state')
    raw = {}
    for cap, hour, minute in CAPTURES:
        out = os.path.join(tmp, cap + '.ipfix')
        p = hftest.probe_to_file([hftest.pcap(cap)], out)
        check.probe_ran(p, 'probe %s' % cap)
        t = time.gmtime(BASE + hour * 3600 + minute * 60)
        path = os.path.join(store, source_of(cap), time.strftime('%Y/%m/%d', t),
                            time.strftime('flows-%Y%m%d%H%M.ipfix', t))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(out, path)
        raw[source_of(cap)] = path
    p = hftest.run([hftest.COLLECTOR, '--rollup', '-w', store, '-s', state])
    check.ok(p.returncode == 0, '--rollup: exit %d %s' % (p.returncode, p.stderr.strip()))
    p = hftest.run([hftest.COLLECTOR, '--columns', '-w', store, '-s', state])
    check.ok(p.returncode == 0 and 'columns written %d failed 0' % len(CAPTURES) in p.stdout,
             '--columns: exit %d %s %s' % (p.returncode, p.stdout.strip(), p.stderr.strip()))
    return store, raw


def report(store, *args):
    p = hftest.run([REPORT, '-w', store] + list(args))
    report_err = hftest.sanitizer_report(p.stderr)
    if report_err:
        raise RuntimeError('hostflow-report sanitizer report: ' + report_err)
    return p


def csv_rows(p):
    return list(csv.DictReader(io.StringIO(p.stdout))) if p.returncode == 0 else []


def groups(check, store, key, *args):
    """{key value(s): (flows, packets, bytes)} of --by key -n 0 --csv."""
    p = report(store, '--by', key, '-n', '0', '--csv', *(WIDE + list(args)))
    check.ok(p.returncode == 0, '--by %s %s: exit %d %s' % (key, args, p.returncode, p.stderr))
    cols = key.split(',')
    return {tuple(r[c] for c in cols): (int(r['flows']), int(r['packets']), int(r['bytes']))
            for r in csv_rows(p) if r['rank'] not in ('other', 'total')}


# ------------------------------------------------------------------ models

def dump_json(paths):
    p = hftest.run([hftest.DUMP, '-F', 'json'] + list(paths))
    if p.returncode != 0:
        raise RuntimeError('hostflow-dump: ' + p.stderr)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def flow_name(r):
    return r.get('hostname') or r.get('http_host') or r.get('sni') or r.get('dns_query') or ''


class Psl:
    """The Public Suffix List's algorithm (publicsuffix.org/list), its ICANN
    section (hostflow-names(5): hosting platforms' PRIVATE rules would split
    cloudfront.net into its customers), written here apart from query/psl.c."""

    def __init__(self, path):
        self.rules, self.exceptions = set(), set()
        for line in open(path, encoding='utf-8'):
            line = line.strip()
            if 'BEGIN PRIVATE DOMAINS' in line:
                break
            if not line or line.startswith('//'):
                continue
            rule = line.split()[0].lower()
            if rule.startswith('!'):
                self.exceptions.add(rule[1:])
            else:
                self.rules.add(rule)

    def registrable(self, name):
        labels = name.lower().rstrip('.').split('.')
        if len(labels) < 2 or '' in labels:
            return name.lower().rstrip('.')
        suffix_len = 1                              # the implicit "*" rule
        for i in range(len(labels)):
            cand = '.'.join(labels[i:])
            wild = '.'.join(['*'] + labels[i + 1:]) if i + 1 <= len(labels) else None
            if cand in self.exceptions:
                suffix_len = max(suffix_len, len(labels) - i - 1)
            elif cand in self.rules or (wild and wild in self.rules):
                suffix_len = max(suffix_len, len(labels) - i)
        # an exception rule wins over the rules it excepts
        for i in range(len(labels)):
            if '.'.join(labels[i:]) in self.exceptions:
                suffix_len = len(labels) - i - 1
                break
        if suffix_len >= len(labels):
            return '.'.join(labels)
        return '.'.join(labels[-(suffix_len + 1):])


def glob_list(path):
    out = []
    for line in open(path, encoding='utf-8'):
        line = line.split('#', 1)[0].strip()
        if line:
            out.append(line.lower().split())
    return out


class Names:
    def __init__(self):
        self.psl = Psl(PSL)
        self.merge = glob_list(os.path.join(LISTS, 'domain-merge.list'))
        self.ignore = [g[0] for g in glob_list(os.path.join(LISTS, 'domain-ignore.list'))]

    @staticmethod
    def norm(name):
        """As hostflow-names(5) says: lower case, no trailing dot, no :port,
        no [ ] around an IPv6 literal."""
        n = name.lower()
        if n.startswith('[') and ']' in n:
            n = n[1:n.index(']')]
        elif n.count(':') == 1 and n.rsplit(':', 1)[1].isdigit():
            n = n.rsplit(':', 1)[0]
        return n[:-1] if n.endswith('.') else n

    def domain(self, name):
        n = self.norm(name)
        if not n:
            return ''
        for glob, dom in self.merge:
            if fnmatch.fnmatchcase(n, glob):
                return dom
        try:
            ipaddress.ip_address(n)
            return n
        except ValueError:
            return self.psl.registrable(n)

    def ignored(self, name):
        n = self.norm(name)
        return bool(n) and any(fnmatch.fnmatchcase(n, g) for g in self.ignore)


def sums_model(recs, key_fn, keep=lambda r: True):
    out = collections.defaultdict(lambda: [0, 0, 0])
    for r in recs:
        if not keep(r):
            continue
        scale = max(1, int(r.get('sampling') or 0))
        v = out[(key_fn(r),)]
        v[0] += max(1, int(r.get('flows') or 0))
        v[1] += int(r['packets']) * scale
        v[2] += int(r['bytes']) * scale
    return {k: tuple(v) for k, v in out.items()}


def compare(check, what, want, got):
    diff = sorted(set(want.items()) ^ set(got.items()))[:4]
    check.ok(want == got, '%s: %d groups, model %d; differing %s' % (what, len(got), len(want), diff))


def check_names(check, store, raw):
    print('\n== --by hostname / domain against the model', flush=True)
    names = Names()
    recs = dump_json(raw.values())
    for key, fn in (('hostname', flow_name), ('domain', lambda r: names.domain(flow_name(r)))):
        compare(check, '--by %s --all' % key, sums_model(recs, fn), groups(check, store, key, '--all'))
        shown = sums_model(recs, fn, keep=lambda r: not names.ignored(flow_name(r)))
        compare(check, '--by %s (ignore list applied)' % key, shown, groups(check, store, key))
    hidden = sum(1 for r in recs if names.ignored(flow_name(r)))
    doms = sums_model(recs, lambda r: names.domain(flow_name(r)))
    print('%d records, %d named, %d on the ignore list; %d domains, e.g. %s' % (
        len(recs), sum(1 for r in recs if flow_name(r)), hidden, len(doms),
        sorted(k[0] for k in doms)[:6]), flush=True)
    check.ok(len(doms) > 20, 'enough domains to compare (%d)' % len(doms))


# ----------------------------------------------------------------- timeline

def tshark_conversations(path):
    """{(proto, client, cport, server, sport): [sent bytes, received bytes]}
    from tshark's IP lengths, the client being the higher port (equal
    ports: the lower address)."""
    rows = hftest.tshark_fields(path, ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.len',
                                       'ipv6.plen', 'tcp.srcport', 'tcp.dstport',
                                       'udp.srcport', 'udp.dstport'],
                                ['-Y', '(tcp or udp) and not icmp and not icmpv6 and '
                                 'not (ip.flags.mf == 1 or ip.frag_offset > 0) and not ipv6.fraghdr'])
    out = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        v6 = bool(r.get('ipv6.src'))
        src = hftest.norm_addr((r.get('ipv6.src') if v6 else r.get('ip.src')).split(',')[0])
        dst = hftest.norm_addr((r.get('ipv6.dst') if v6 else r.get('ip.dst')).split(',')[0])
        size = int(r['ipv6.plen'].split(',')[0]) + 40 if v6 else int(r['ip.len'].split(',')[0])
        tcp = bool(r.get('tcp.srcport'))
        sp = int((r.get('tcp.srcport') if tcp else r.get('udp.srcport')).split(',')[0])
        dp = int((r.get('tcp.dstport') if tcp else r.get('udp.dstport')).split(',')[0])
        proto = 'tcp' if tcp else 'udp'
        back = sp < dp or (sp == dp and ipaddress.ip_address(src).packed >
                           ipaddress.ip_address(dst).packed)
        if back:
            out[(proto, dst, dp, src, sp)][1] += size
        else:
            out[(proto, src, sp, dst, dp)][0] += size
    return out


def check_timeline(check, store):
    print('\n== the timeline joins both directions (vs tshark)', flush=True)
    for cap in TIMELINE:
        want = tshark_conversations(hftest.pcap(cap))
        p = report(store, '-s', source_of(cap), '--timeline', '--csv', '--all', *WIDE)
        check.ok(p.returncode == 0, 'timeline %s: exit %d %s' % (cap, p.returncode, p.stderr))
        got = {}
        for r in csv_rows(p):
            if r['proto'] not in ('tcp', 'udp'):
                continue
            k = (r['proto'], hftest.norm_addr(r['client']), int(r['client_port']),
                 hftest.norm_addr(r['server']), int(r['server_port']))
            got[k] = [int(r['sent_bytes']), int(r['received_bytes'])]
        want = {k: v for k, v in want.items()}
        same = sum(1 for k in want if got.get(k) == want[k])
        diff = [(k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got))
                if want.get(k) != got.get(k)][:3]
        check.ok(want == got and len(want) > 0, 'timeline %s: %d of %d conversations as tshark, '
                 '%d in the timeline; differing %s' % (cap, same, len(want), len(got), diff))
        both = sum(1 for v in want.values() if v[0] and v[1])
        print('%-16s %4d conversations, %4d with both directions' % (cap, len(got), both),
              flush=True)


# --------------------------------------------------------- summaries vs raw

def check_summaries(check, store):
    print('\n== hourly summaries and raw flows agree on whole hours', flush=True)
    for key in SUMMARY_KEYS:
        raw = groups(check, store, key, '--all', '--input', 'flows')
        hourly = groups(check, store, key, '--all', '--input', 'hourly')
        compare(check, '--by %s: summaries vs raw' % key, raw, hourly)
        print('--by %-16s %4d groups' % (key, len(raw)), flush=True)
    p = report(store, '--by', 'domain', '--explain', '--csv', *WIDE)
    check.ok('hourly summaries' in p.stderr, '--input auto takes the summaries: %s' % p.stderr)
    p = report(store, '--by', 'dstip', '--explain', '--csv', *WIDE)
    check.ok('raw flows' in p.stderr, '--by dstip reads raw flows: %s' % p.stderr)


# ------------------------------------------------------------------ columns

COLUMN_KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'port', 'proto', 'client',
               'server', 'service', 'hostname', 'domain', 'device', 'app', 'exporter',
               'in_if', 'out_if', 'srcmac', 'dstmac', 'time/hour', 'client,hostname',
               'dstip,dstport,proto']
COLUMN_FILTERS = ['', 'proto tcp', 'port 443 or port 53', 'net 10.0.0.0/8',
                  'src host 192.168.1.1', 'hostname "*.google.*"', 'app tls',
                  'domain instagram.com', 'flags S', 'bytes > 1000 and packets < 20',
                  'in if 0', 'not proto udp and port in [80 443]']


def check_columns(check, store):
    print('\n== columns and IPFIX files agree', flush=True)
    p = report(store, '--by', 'proto', '--input', 'flows', '--explain', *WIDE)
    check.ok('columns: %d of the files' % len(CAPTURES) in p.stderr,
             'raw flows read from the columns: %s' % p.stderr.strip())
    p = report(store, '--by', 'proto', '--input', 'ipfix', '--explain', *WIDE)
    check.ok('columns:' not in p.stderr, '--input ipfix reads no columns')
    differ = 0
    for key in COLUMN_KEYS:
        for flt in COLUMN_FILTERS if key in ('dstip', 'hostname', 'client') else ['']:
            for extra in ([], ['--all']):
                args = ['--by', key, '-n', '0', '--csv'] + WIDE + extra + ([flt] if flt else [])
                a = report(store, '--input', 'ipfix', *args)
                b = report(store, '--input', 'flows', *args)
                same = a.returncode == b.returncode == 0 and a.stdout == b.stdout
                differ += not same
                check.ok(same, '--by %s %s %s: columns as IPFIX (%d lines)'
                         % (key, ' '.join(extra), flt, a.stdout.count('\n')))
    for flt in COLUMN_FILTERS:
        args = ['--timeline', '--csv', '-n', '0'] + WIDE + ([flt] if flt else [])
        a = report(store, '--input', 'ipfix', *args)
        b = report(store, '--input', 'flows', *args)
        diff = [(x, y) for x, y in zip(a.stdout.splitlines(), b.stdout.splitlines()) if x != y]
        check.ok(a.returncode == b.returncode == 0 and a.stdout == b.stdout,
                 '--timeline %s: columns as IPFIX (%d lines; exit %d %d; first difference %s)'
                 % (flt, a.stdout.count('\n'), a.returncode, b.returncode, diff[:1]))
    print('%d tables compared, %d differ' % (len(COLUMN_KEYS) * 2 + 44, differ), flush=True)


# ------------------------------------------------------------- command line

def check_cli(check, store):
    print('\n== the command line', flush=True)
    # libcurl (and its thirty libraries) is loaded only for --clickhouse
    p = hftest.run(['ldd', REPORT])
    check.ok(p.returncode == 0 and 'libcurl' not in p.stdout,
             'hostflow-report starts without libcurl: %s' % p.stdout.strip())
    p = report(store, *WIDE, 'prot tcp')
    check.ok(p.returncode == 2 and "'prot'" in p.stderr and 'column 1' in p.stderr,
             'filter error: exit %d %s' % (p.returncode, p.stderr.strip()))
    p = report(store, '--by', 'nosuchkey')
    check.ok(p.returncode == 2 and 'nosuchkey' in p.stderr, 'unknown key: %s' % p.stderr.strip())
    p = report(store, '--from', 'last tuesday')
    check.ok(p.returncode == 2 and 'last tuesday' in p.stderr, 'bad time: %s' % p.stderr.strip())
    p = report(store, '--by', 'dstip', '--csv', *WIDE, 'port 1')
    rows = csv_rows(p)
    check.ok(p.returncode == 0 and [r['rank'] for r in rows] == ['total']
             and rows[0]['flows'] == '0', 'empty result: exit %d %s' % (p.returncode, p.stdout))
    p = report(store, '--by', 'device,service', '--json', '-n', '3', *WIDE)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    check.ok(p.returncode == 0 and lines and set(lines[0]) == {'rank', 'device', 'service', 'flows',
                                                                'packets', 'bytes'}
             and isinstance(lines[0]['bytes'], int), 'JSON columns: %s' % lines[:1])
    p = report(store, '--timeline', '--json', '-n', '2', *WIDE)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    want = {'start', 'end', 'duration_ms', 'source', 'device', 'client', 'client_port', 'server',
            'server_port', 'proto', 'service', 'hostname', 'app', 'sent_bytes', 'sent_packets',
            'received_bytes', 'received_packets', 'flows'}
    check.ok(p.returncode == 0 and len(lines) == 2 and set(lines[0]) == want,
             'timeline JSON columns: %s' % (lines[:1],))
    p = report(store, *WIDE)
    check.ok(p.returncode == 0 and p.stdout.splitlines()[0].split()[:4] ==
             ['start', 'duration', 'device', 'hostname'], 'text timeline header: %s'
             % p.stdout.splitlines()[:1])


def main():
    check = hftest.Check('report-store')
    hftest.need_tools('tshark')
    with hftest.tempdir() as tmp:
        store, raw = build_store(check, tmp)
        check_names(check, store, raw)
        check_timeline(check, store)
        check_summaries(check, store)
        check_columns(check, store)
        check_cli(check, store)
    check.finish()


if __name__ == '__main__':
    main()
