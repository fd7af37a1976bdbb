#!/usr/bin/python3
"""hostflow-probe --events / --exec / --match (issue 18), on real captures:

1. the end events carry the same flows, packets and bytes as the IPFIX
   records of the same run (hostflow-dump --json of the -o file); each flow
   id has one start and one end; both directions share a conversation id;
   the start and TCP state events (syn, syn-ack, established, fin, rst)
   come at the packets tshark shows for them, direction by direction;
2. every line validates against the installed JSON Schema
   (probe/flow-events.schema.json) with Debian's python3-jsonschema (this
   script runs under /usr/bin/python3 for that);
3. a consumer that sleeps between reads (--exec): the capture completes
   long before the consumer could have read every event, the drop counter
   equals the events not delivered (the seq numbers missing), the drops
   lines and the IPFIX exporter statistics (hostflowEventDropTotalCount)
   say the same, and no event arrives twice; a consumer that exits is
   restarted;
4. --match selects exactly the flows hostflow-report selects with the same
   expression over a store of the same capture's IPFIX (several
   expressions: addresses, ports, hostname globs, domain, app, device, dns);
5. the example consumers (packaging/examples/): events-to-sqlite stores
   every event delivered, its end rows adding up to the IPFIX totals;
   new-hostname-notify prints one line per new (device, hostname) pair,
   and nothing again for pairs kept in its --state file;
6. live on lo: a UDP exchange and a TCP connection give their start events
   while they happen (before the probe stops), state events for the
   handshake and close, and end events that count every packet sent
   (skipped when capturing on lo is not allowed).
"""
import collections
import json
import os
import sqlite3
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

import jsonschema  # noqa: E402  (Debian's python3-jsonschema)

REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
SCHEMA = os.path.join(hftest.SRC, 'probe', 'flow-events.schema.json')
CAPTURES = ['chrome.pcap', 'iphone.pcap', 'dns.pcap', 'http_ipv6.pcap', 'instagram.pcap',
            'google_ssl.pcap', 'dns_tcp.pcap', '443-firefox.pcap', 'android.pcap']
WIDE = ['--from', '1970-01-01T00:00:00Z', '--to', '2100-01-01T00:00:00Z']
TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10


def read_events(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f]


def counters(stderr):
    """The 'events ...' line of -v: name -> int."""
    for line in stderr.splitlines():
        if line.startswith('events '):
            f = line.split()
            return {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)}
    return {}


def ports_of(e):
    if 'icmp_type' in e:
        return 0, e['icmp_type'] * 256 + e['icmp_code']
    return e['src_port'], e['dst_port']


def tuple_of(e):
    sport, dport = ports_of(e)
    return (hftest.norm_addr(e['src_addr']), hftest.norm_addr(e['dst_addr']), e['protocol'],
            sport, dport)


def record_of_end(e):
    return tuple_of(e) + (e['packets'], e['bytes'], e['first'], e['last'])


def record_of_dump(r):
    return (hftest.norm_addr(r['src']), hftest.norm_addr(r['dst']), r['proto'], r['sport'],
            r['dport'], r['packets'], r['bytes'], r['start'], r['end'])


def run_events(cap, tmp, *extra):
    ipfix = os.path.join(tmp, cap + '.ipfix')
    events = os.path.join(tmp, cap + '.events')
    for p in (ipfix, events):
        if os.path.exists(p):
            os.unlink(p)
    p = hftest.run_probe(['-r', hftest.pcap(cap), '-o', ipfix, '--events=' + events, '-v']
                         + list(extra))
    return p, ipfix, events


# ---------------------------------------------------------------- 1 and 2

def check_lifecycle(check, cap, evs):
    starts, ends = collections.Counter(), collections.Counter()
    convs = collections.defaultdict(set)
    seqs = [e['seq'] for e in evs if 'seq' in e]
    check.eq('%s: seq numbers 1..N in order' % cap, list(range(1, len(seqs) + 1)), seqs)
    for e in evs:
        if e['event'] == 'start':
            starts[e['flow_id']] += 1
        elif e['event'] == 'end':
            ends[e['flow_id']] += 1
        t = tuple_of(e)
        convs[e['conversation_id']].add(t)
    check.ok(all(n == 1 for n in starts.values()), '%s: a flow id with two starts' % cap)
    check.eq('%s: flow ids with a start = those with an end' % cap, set(starts), set(ends))
    check.ok(all(n == 1 for n in ends.values()), '%s: a flow id with two ends' % cap)
    ids = [e['flow_id'] for e in evs if e['event'] == 'start']
    check.ok(ids == sorted(ids), '%s: flow ids sort in the order flows started' % cap)
    for cid, tuples in convs.items():
        ok = len(tuples) <= 2
        if len(tuples) == 2:
            a, b = sorted(tuples)
            ok = (a[0], a[1]) == (b[1], b[0]) and a[2] == b[2]
        check.ok(ok, '%s: conversation %s spans unrelated flows %s' % (cap, cid, sorted(tuples)))
    # a TCP server's syn-ack shares the conversation of the client's syn
    syn_conv = {tuple_of(e): e['conversation_id'] for e in evs
                if e['event'] == 'state' and e['state'] == 'syn'}
    paired = 0
    for e in evs:
        if e['event'] == 'state' and e['state'] == 'syn-ack':
            s, d, pr, sp, dp = tuple_of(e)
            rev = (d, s, pr, dp, sp)
            if rev in syn_conv:
                paired += 1
                check.eq('%s: syn-ack %s shares the syn\'s conversation' % (cap, rev),
                         syn_conv[rev], e['conversation_id'])
    return paired


def tshark_tcp(cap):
    """Per direction (src, dst, 6, sport, dport): the time (ms) of the first
    packet and of the first syn, syn-ack, established (the client's first
    ACK after the server's SYN-ACK), fin and rst tshark shows."""
    rows = hftest.tshark_fields(hftest.pcap(cap), [
        'frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport',
        'tcp.dstport', 'tcp.flags', 'ip.proto', 'ipv6.nxt'], extra=['-Y', 'tcp and not icmp and not icmpv6'])
    seen = collections.defaultdict(dict)
    for r in rows:
        if ',' in r['ip.src'] or ',' in r['ipv6.src'] or ',' in r['tcp.srcport'] \
                or (r['ip.src'] and r['ipv6.src']):
            continue            # tunnels: the probe keys on the outer header
        src, dst = (r['ip.src'], r['ip.dst']) if r['ip.src'] else (r['ipv6.src'], r['ipv6.dst'])
        if not src or not r['tcp.srcport']:
            continue
        key = (hftest.norm_addr(src), hftest.norm_addr(dst), 6, int(r['tcp.srcport']),
               int(r['tcp.dstport']))
        rev = (key[1], key[0], 6, key[4], key[3])
        t = int(round(float(r['frame.time_epoch']) * 1e6)) // 1000
        fl = int(r['tcp.flags'], 16)
        s = seen[key]
        s.setdefault('start', t)
        if fl & (TCP_SYN | TCP_ACK) == TCP_SYN:
            s.setdefault('syn', t)
        if fl & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK:
            s.setdefault('syn-ack', t)
        if fl & (TCP_SYN | TCP_ACK | TCP_RST) == TCP_ACK and 'syn' in s \
                and 'syn-ack' in seen.get(rev, {}):
            s.setdefault('established', t)
        if fl & TCP_FIN:
            s.setdefault('fin', t)
        if fl & TCP_RST:
            s.setdefault('rst', t)
    return seen


def ms_of(stamp):
    return hftest.ms(stamp)


def check_tcp_states(check, cap, evs):
    want = tshark_tcp(cap)
    got = collections.defaultdict(dict)
    for e in evs:
        if e['protocol'] != 6:
            continue
        kind = e['event'] if e['event'] == 'start' else e.get('state')
        if kind:
            got[tuple_of(e)].setdefault(kind, ms_of(e['time']))
    compared = 0
    for key, kinds in want.items():
        compared += len(kinds)
        check.eq('%s: %s: first start/state times' % (cap, key), kinds, got.get(key, {}))
    check.eq('%s: directions with TCP events' % cap, set(want), set(got))
    return compared


def part_one_two(check, tmp, validator):
    rows = []
    for cap in CAPTURES:
        p, ipfix, events = run_events(cap, tmp)
        if not check.probe_ran(p, 'probe %s' % cap):
            continue
        evs = read_events(events)
        bad = 0
        for e in evs:
            errs = list(validator.iter_errors(e))
            if errs and bad < 3:
                check.ok(False, '%s: line fails the schema: %s: %s' % (cap, errs[0].message, e))
            bad += bool(errs)
        check.eq('%s: lines failing the schema' % cap, 0, bad)
        recs = [json.loads(line) for line in hftest.run([hftest.DUMP, '-F', 'json', ipfix]).stdout.splitlines()]
        ends = [e for e in evs if e['event'] == 'end']
        check.eq('%s: end events = IPFIX records (tuple, packets, bytes, times)' % cap,
                 collections.Counter(record_of_dump(r) for r in recs),
                 collections.Counter(record_of_end(e) for e in ends))
        reasons = {'idle': 'idle', 'active': 'active', 'tcp-fin': 'end', 'tcp-rst': 'end',
                   'evicted': 'resources', 'shutdown': 'forced'}
        check.eq('%s: end reasons = the records\' flowEndReason' % cap,
                 collections.Counter(r['end_reason'] for r in recs),
                 collections.Counter(reasons[e['reason']] for e in ends))
        c = counters(p.stderr)
        check.eq('%s: events counted = lines' % cap, len(evs), c.get('events'))
        check.eq('%s: nothing dropped' % cap, 0, c.get('queue_drops', -1) + c.get('write_lost', -1))
        paired = check_lifecycle(check, cap, evs)
        compared = check_tcp_states(check, cap, evs)
        kinds = collections.Counter(e.get('state', e['event']) for e in evs)
        rows.append([cap, len(recs), len(evs), kinds['start'], kinds['end'], kinds['name'],
                     kinds['syn'], kinds['established'], kinds['fin'], kinds['rst'], paired,
                     compared])
    hftest.table(['capture', 'records', 'events', 'start', 'end', 'name', 'syn', 'estab',
                  'fin', 'rst', 'conv-pairs', 'tshark-times'], rows)


# ---------------------------------------------------------------- 3

PEN = 32473
EVENT_DROPS = (PEN, 6)           # hostflowEventDropTotalCount
KERNEL_DROPS = (0, 135)          # droppedPacketTotalCount


def stats_records(path):
    """The exporter-statistics options records of an IPFIX file, each a dict
    (pen, element id) -> int."""
    return [{k: int.from_bytes(v, 'big') for k, v in r.items()}
            for r in hftest.read_ipfix(path) if EVENT_DROPS in r]


SLOW_CONSUMER = r'''
import os, sys, time
out = open(sys.argv[1], 'a')
for line in sys.stdin:
    out.write(line)
    out.flush()
    time.sleep(float(sys.argv[2]))
'''

QUITTER = r'''
import os, sys
# reads N lines one byte at a time (nothing read ahead), then exits
out = open(sys.argv[1], 'a')
out.write('--start--\n')
buf = b''
for _ in range(int(sys.argv[2])):
    while not buf.endswith(b'\n'):
        b = os.read(0, 1)
        if not b:
            sys.exit(0)
        buf += b
    out.write(buf.decode())
    buf = b''
'''


def running(pid, wait=3.0):
    """The process still runs after up to wait seconds (a zombie left for
    init to reap does not count)."""
    deadline = time.time() + wait
    while True:
        try:
            with open('/proc/%d/stat' % pid) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:
            return False
        if state in ('Z', 'X'):
            return False
        if time.time() > deadline:
            return True
        time.sleep(0.1)


def part_three(check, tmp):
    caps = ['1kxun.pcap', 'instagram.pcap', 'android.pcap', 'iphone.pcap']
    consumer = os.path.join(tmp, 'slow.py')
    with open(consumer, 'w') as f:
        f.write(SLOW_CONSUMER)
    got = os.path.join(tmp, 'slow.out')
    sleep = 0.02
    t0 = time.monotonic()
    inputs = [a for c in caps for a in ('-r', hftest.pcap(c))]
    stats_file = os.path.join(tmp, 'slow.ipfix')
    conf = os.path.join(tmp, 'queue.conf')       # the queue's size from the config
    with open(conf, 'w') as f:
        f.write('[probe]\nevent-queue = 64\n')
    p = hftest.run_probe(inputs + ['-c', conf, '-o', stats_file, '-v', '--exec',
                          '%s %s %s %s' % (sys.executable, consumer, got, sleep)])
    took = time.monotonic() - t0
    check.probe_ran(p, 'probe with a slow consumer')
    c = counters(p.stderr)
    lines = read_events(got)
    flow = [e for e in lines if e['event'] != 'drops']
    drops = [e for e in lines if e['event'] == 'drops']
    seqs = [e['seq'] for e in flow]
    lost = c.get('queue_drops', 0) + c.get('write_lost', 0)
    check.eq('slow consumer: no event delivered twice', len(seqs), len(set(seqs)))
    check.eq('slow consumer: delivered in order', sorted(seqs), seqs)
    check.eq('slow consumer: lines received = delivered', c.get('delivered'), len(flow))
    check.eq('slow consumer: dropped = events not delivered',
             c.get('events', 0) - len(flow), lost)
    missing = set(range(1, c.get('events', 0) + 1)) - set(seqs)
    check.eq('slow consumer: seq numbers missing = dropped', lost, len(missing))
    check.eq('slow consumer: drops lines add up to the drops', lost,
             sum(e['dropped'] for e in drops))
    check.ok(lost > 0, 'slow consumer: something was dropped (%d events)' % c.get('events', 0))
    check.ok(len(flow) < 64 + 400, 'slow consumer: [probe] event-queue = 64 bounds what waited '
             '(%d delivered)' % len(flow))
    stats = stats_records(stats_file)
    check.eq('slow consumer: the last exporter statistics record counts the drops', lost,
             stats[-1].get(EVENT_DROPS) if stats else None)
    check.eq('slow consumer: kernel drops apart (0 from files)', 0,
             stats[-1].get(KERNEL_DROPS) if stats else None)
    # reading every event would take events x sleep; capture did not wait
    # for it (at the end the probe waits for the queue, its batch and the
    # pipe's buffer to drain: a few hundred lines)
    check.ok(took < c.get('events', 0) * sleep / 3,
             'slow consumer: the probe took %.1f s, a consumer reading all %d events %.1f s'
             % (took, c.get('events', 0), c.get('events', 0) * sleep))
    print('slow consumer: %d events, %d delivered, %d dropped in %d drops lines, probe %.2f s'
          % (c.get('events', 0), len(flow), lost, len(drops), took))

    # a consumer that exits after 40 lines is started again
    quitter = os.path.join(tmp, 'quit.py')
    with open(quitter, 'w') as f:
        f.write(QUITTER)
    got = os.path.join(tmp, 'quit.out')
    p = hftest.run_probe(['-r', hftest.pcap('1kxun.pcap'), '-v', '--exec',
                          '%s %s %s 20' % (sys.executable, quitter, got)])
    check.probe_ran(p, 'probe with a quitting consumer')
    c = counters(p.stderr)
    with open(got) as f:
        text = f.read()
    runs = text.count('--start--\n')
    evs = [json.loads(line) for line in text.splitlines() if line != '--start--']
    seqs = [e['seq'] for e in evs if 'seq' in e]
    check.ok(c.get('consumer_restarts', 0) >= 1 and runs >= 2,
             'quitting consumer: restarted (restarts %s, runs %d)' % (c.get('consumer_restarts'), runs))
    check.eq('quitting consumer: no event twice', len(seqs), len(set(seqs)))
    print('quitting consumer: %d runs, %d restarts, %d events read'
          % (runs, c.get('consumer_restarts', 0), len(seqs)))

    # a consumer that never reads: the probe still ends (it gives up on the
    # reader after 10 s) and stops the command and what it started
    pidfile = os.path.join(tmp, 'hung.pid')
    hung = ("import os, time; open(%r, 'w').write(str(os.getpid())); time.sleep(1000)"
            % pidfile)
    t0 = time.monotonic()
    p = hftest.run_probe(['-r', hftest.pcap('1kxun.pcap'), '-v', '--exec',
                          '%s -c "%s"; echo' % (sys.executable, hung)], timeout=120)
    took = time.monotonic() - t0
    check.probe_ran(p, 'probe with a consumer that never reads')
    c = counters(p.stderr)
    check.ok(took < 60, 'hung consumer: the probe ended after %.0f s' % took)
    check.eq('hung consumer: all events lost or delivered', c.get('events'),
             c.get('delivered', 0) + c.get('write_lost', 0) + c.get('queue_drops', 0))
    check.ok(not running(int(open(pidfile).read())),
             'hung consumer: its process was stopped with the probe')
    print('hung consumer: probe ended after %.1f s' % took)


# ---------------------------------------------------------------- 4

def end_tuples(evs):
    """(addresses, ports) -> [flows, packets, bytes] over end events (the
    report takes at most 4 keys: no protocol)."""
    agg = collections.defaultdict(lambda: [0, 0, 0])
    for e in evs:
        if e['event'] == 'end':
            s, d, _, sp, dp = tuple_of(e)
            a = agg[(s, d, sp, dp)]
            a[0] += 1
            a[1] += e['packets']
            a[2] += e['bytes']
    return dict(agg)


def report_tuples(store, ethers, expr):
    p = hftest.run([REPORT, '-w', store, '--input=flows', '--all', '--json', '-n', '0',
                    '--ethers', ethers, '--by', 'srcip,dstip,srcport,dstport'] + WIDE
                   + [expr])
    if p.returncode != 0 or hftest.sanitizer_report(p.stderr):
        raise RuntimeError('hostflow-report %r: %s' % (expr, p.stderr))
    agg = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        if not isinstance(r['rank'], int):
            continue            # the total line
        key = (hftest.norm_addr(r['srcip']), hftest.norm_addr(r['dstip']), int(r['srcport']),
               int(r['dstport']))
        agg[key] = [r['flows'], r['packets'], r['bytes']]
    return agg


def part_four(check, tmp):
    caps = ['chrome.pcap', 'dns.pcap', 'http_ipv6.pcap', 'iphone.pcap']
    store = os.path.join(tmp, 'store')
    ethers = os.path.join(tmp, 'ethers')
    # name one device of the iphone capture
    with open(ethers, 'w') as f:
        f.write('# test\nc4:61:8b:35:82:a9 phone\n')
    inputs = [hftest.pcap(c) for c in caps]
    ipfix = os.path.join(tmp, 'all.ipfix')
    path = os.path.join(store, 'probe', '2020', '01', '01', 'flows-202001010000.ipfix')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    p = hftest.probe_to_file(inputs, ipfix)
    check.probe_ran(p, 'probe for the store')
    shutil.copyfile(ipfix, path)
    exprs = ['proto tcp and dst port 443', 'net 192.168.0.0/16 and not port 53',
             'hostname "*.icloud.com"', 'domain apple.com', 'app dns or app quic',
             'dns "*.com"', 'device phone', 'src device phone and packets > 5',
             'ipv6 and proto tcp', 'bytes > 10k or flags R']
    rows = []
    for expr in exprs:
        events = os.path.join(tmp, 'match.events')
        if os.path.exists(events):
            os.unlink(events)
        args = []
        for i in inputs:
            args += ['-r', i]
        p = hftest.run_probe(args + ['--events=' + events, '--match', expr,
                                     '--ethers', ethers])
        if not check.probe_ran(p, 'probe --match %r' % expr):
            continue
        got = end_tuples(read_events(events))
        want = report_tuples(store, ethers, expr)
        check.eq('--match %r: flows per 5-tuple = hostflow-report\'s' % expr, want, got)
        rows.append([expr, len(want), sum(v[0] for v in want.values()),
                     sum(v[0] for v in got.values())])
        check.ok(len(want) > 0, '--match %r selects something' % expr)
    hftest.table(['expression', 'tuples', 'report flows', 'event flows'], rows)
    # a bad expression is a usage error naming the column
    p = hftest.run_probe(['-r', inputs[0], '--events=/dev/null', '--match', 'port in [80'])
    check.ok(p.returncode == 2 and 'column' in p.stderr,
             '--match syntax error: exit %d, %s' % (p.returncode, p.stderr.strip()))


# ---------------------------------------------------------------- 5

EXAMPLES = os.path.join(hftest.SRC, 'packaging', 'examples')


def part_five(check, tmp):
    cap = 'iphone.pcap'
    db = os.path.join(tmp, 'events.db')
    ipfix = os.path.join(tmp, 'sqlite.ipfix')
    p = hftest.run_probe(['-r', hftest.pcap(cap), '-o', ipfix, '-v', '--exec', '%s %s %s' % (
        sys.executable, os.path.join(EXAMPLES, 'events-to-sqlite'), db)])
    check.probe_ran(p, 'probe --exec events-to-sqlite')
    c = counters(p.stderr)
    con = sqlite3.connect(db)
    n, = con.execute('SELECT count(*) FROM events').fetchone()
    check.eq('events-to-sqlite: rows = events delivered', c.get('delivered'), n)
    recs, pk, by = hftest.dump_count(ipfix)
    got = con.execute("SELECT count(*), sum(packets), sum(bytes) FROM events "
                      "WHERE event = 'end'").fetchone()
    check.eq('events-to-sqlite: end rows = IPFIX records, packets, bytes', (recs, pk, by),
             tuple(got))
    con.close()

    # the notifier over the same capture's events, twice with one state file
    events = os.path.join(tmp, 'notify.events')
    p = hftest.run_probe(['-r', hftest.pcap(cap), '--events=' + events])
    check.probe_ran(p, 'probe for the notifier')
    evs = read_events(events)
    pairs = {(e.get('src_device') or e.get('src_mac') or e['src_addr'], e['hostname'])
             for e in evs if e['event'] in ('start', 'name') and 'hostname' in e}
    state = os.path.join(tmp, 'seen.json')
    notify = [sys.executable, os.path.join(EXAMPLES, 'new-hostname-notify'), '--state', state]
    with open(events) as f:
        out = hftest.run(notify, stdin=f)
    lines = out.stdout.splitlines()
    check.eq('new-hostname-notify: one line per new (device, hostname)', len(pairs), len(lines))
    check.ok(all(l.startswith('NEW  ') for l in lines), 'new-hostname-notify: line format')
    check.ok(len(pairs) > 0, 'new-hostname-notify: the capture has named flows')
    with open(events) as f:
        again = hftest.run(notify, stdin=f)
    check.eq('new-hostname-notify: nothing new the second time', '', again.stdout)
    print('examples: %d rows in SQLite, %d new-hostname lines' % (n, len(lines)))


def part_unix(check, tmp):
    """--events=unix:PATH: a listener gets every event the file gets."""
    import socket
    import threading
    path = os.path.join(tmp, 'events.sock')
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path)
    lst.listen(1)
    got = []

    def serve():
        conn, _ = lst.accept()
        with conn, conn.makefile('r', encoding='utf-8') as f:
            got.extend(f)
    t = threading.Thread(target=serve)
    t.start()
    cap = 'iphone.pcap'
    p = hftest.run_probe(['-r', hftest.pcap(cap), '-v', '--events=unix:' + path])
    check.probe_ran(p, 'probe --events=unix:')
    t.join(30)
    lst.close()
    c = counters(p.stderr)
    evs = [json.loads(line) for line in got]
    check.eq('unix socket: lines = events delivered = events', (c.get('events'), c.get('events')),
             (len(evs), c.get('delivered')))
    events = os.path.join(tmp, 'unix-ref.events')
    p = hftest.run_probe(['-r', hftest.pcap(cap), '--events=' + events])
    ref = read_events(events)
    strip = lambda e: {k: v for k, v in e.items() if k not in ('flow_id', 'conversation_id')}
    check.eq('unix socket: the same events as a file gets (ids aside)',
             [strip(e) for e in ref], [strip(e) for e in evs])
    p = hftest.run_probe(['-r', hftest.pcap(cap), '--events=unix:' + path + '.none'])
    check.ok(p.returncode == 1 and 'events.sock.none' in p.stderr,
             'unix socket nobody listens on: exit 1 naming it (exit %d: %s)'
             % (p.returncode, p.stderr.strip()))


# ---------------------------------------------------------------- 6

def wait_for(path, pred, timeout=5.0):
    """Events of the file once pred(events) holds (or the timeout passed)."""
    deadline = time.time() + timeout
    while True:
        evs = read_events(path) if os.path.exists(path) else []
        if pred(evs) or time.time() > deadline:
            return evs
        time.sleep(0.05)


def part_six(check, tmp):
    import socket
    import subprocess
    udp, tcp = hftest.free_port(), hftest.free_port(socket.SOCK_STREAM)
    events = os.path.join(tmp, 'live.events')
    err = open(os.path.join(tmp, 'live.err'), 'w+')
    proc = subprocess.Popen([hftest.PROBE, '-i', 'lo', '-v', '--events=' + events, '-f',
                             'udp port %d or tcp port %d' % (udp, tcp)],
                            stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(1.5)
    if proc.poll() is not None:
        err.seek(0)
        print('SKIP live part: the probe cannot capture on lo: ' + err.read().strip())
        return
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(('127.0.0.1', udp))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        cli.sendto(b'ping', ('127.0.0.1', udp))
        data, addr = srv.recvfrom(100)
        srv.sendto(b'pong!', addr)
        cli.recvfrom(100)
    cport = cli.getsockname()[1]
    evs = wait_for(events, lambda e: sum(x['event'] == 'start' for x in e) >= 2)
    starts = {(e['src_port'], e['dst_port']): e for e in evs if e['event'] == 'start'}
    check.ok((cport, udp) in starts and (udp, cport) in starts,
             'live: UDP start events arrive while the flow is open: %s' % sorted(starts))
    if (cport, udp) in starts and (udp, cport) in starts:
        check.eq('live: both UDP directions share a conversation id',
                 starts[(cport, udp)]['conversation_id'], starts[(udp, cport)]['conversation_id'])
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(('127.0.0.1', tcp))
    lst.listen(1)
    c = socket.create_connection(('127.0.0.1', tcp))
    a, _ = lst.accept()
    c.sendall(b'hello')
    a.recv(10)
    c.close()
    a.close()
    lst.close()
    want = {'syn', 'syn-ack', 'established', 'fin'}
    evs = wait_for(events, lambda e: want <= {x.get('state') for x in e})
    check.eq('live: TCP handshake and close as state events', want,
             want & {e.get('state') for e in evs if e['protocol'] == 6})
    hftest.stop(proc)
    err.seek(0)
    text = err.read()
    check.ok(proc.returncode == 0 and hftest.sanitizer_report(text) is None,
             'live: probe exit %s: %s' % (proc.returncode, text.strip()[-300:]))
    evs = read_events(events)
    ends = [e for e in evs if e['event'] == 'end' and e['protocol'] == 17]
    check.eq('live: UDP end events count the 3 datagrams each way',
             sorted([3, 3]), sorted(e['packets'] for e in ends))
    print('live: %d events' % len(evs))


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('probe-events')
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    with hftest.tempdir() as tmp:
        part_one_two(check, tmp, validator)
        part_three(check, tmp)
        part_four(check, tmp)
        part_five(check, tmp)
        part_unix(check, tmp)
        part_six(check, tmp)
    check.finish()


if __name__ == '__main__':
    main()
