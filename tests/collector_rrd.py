#!/usr/bin/env python3
"""The collector's RRD time series (STORE/.rrd/PROFILE/SOURCE.rrd), checked
against the stored flows themselves (hostflow-dump -F csv of each slot's
files) on a collector with 60-second slots, two sources and a profile
"web" (port in [80 443]):

  slot S0  run 1 starts, both sources send      -> unknown (partly collected)
  slot S1  both send                            -> drawn
  slot S2  run 1 stops, run 2 starts, both send -> unknown (down-time)
  slot S3  only source a sends                  -> drawn; b a true zero
  slot S4  run 2 stops                          -> unknown (not complete)

For every drawn slot, value x step equals the slot's flows, packets and
bytes per protocol class (tcp, udp, icmp, other; sampled records scaled)
for each source, _total (their sum) and the profile (the records the
filter matches, computed here); before the first slot and after the stop
nothing is drawn (NaN), never 0.  --rebuild-rrd draws the same values for
the drawn slots, and the stored slots the live run could not draw.  A bad
profile filter is a configuration error (exit 2) naming the profile."""
import calendar
import collections
import math
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

STEP = 60
DS = ['%s_%s' % (k, p) for k in ('flows', 'packets', 'bytes')
      for p in ('tcp', 'udp', 'icmp', 'other')]
CAPS = {'a': ['http.pcapng', 'dns.pcap', 'gre.pcapng'],
        'b': ['chrome.pcap', 'iphone.pcap']}
WEB_PORTS = {80, 443}


def proto_class(p):
    return 'tcp' if p == 6 else 'udp' if p == 17 else 'icmp' if p in (1, 58) else 'other'


def sums(rows, match=lambda r: True):
    out = dict.fromkeys(DS, 0)
    for r in rows:
        if not match(r):
            continue
        c = proto_class(r['proto'])
        scale = max(1, int(r['sampling']))
        out['flows_' + c] += int(r['flows'] or 1)
        out['packets_' + c] += r['packets'] * scale
        out['bytes_' + c] += r['bytes'] * scale
    return out


def web(r):
    return r['sport'] in WEB_PORTS or r['dport'] in WEB_PORTS


def slot_of_file(path):
    m = re.search(r'flows-(\d{12})(?:-\d+)?\.ipfix$', path)
    return calendar.timegm(time.strptime(m.group(1), '%Y%m%d%H%M'))


def expected(store):
    """{(profile, source): {slot: sums}} from the stored files."""
    per = collections.defaultdict(list)          # (source, slot) -> rows
    for src in ('a', 'b'):
        for f in hftest.store_files(store, src):
            rows, p = hftest.dump_csv(f)
            per[(src, slot_of_file(f))] += rows
    out = collections.defaultdict(dict)
    for (src, slot), rows in per.items():
        for prof, match in (('live', lambda r: True), ('web', web)):
            out[(prof, src)][slot] = sums(rows, match)
    for prof in ('live', 'web'):
        slots = set(out[(prof, 'a')]) | set(out[(prof, 'b')])
        for slot in slots:
            t = dict.fromkeys(DS, 0)
            for src in ('a', 'b'):
                for k, v in out[(prof, src)].get(slot, {}).items():
                    t[k] += v
            out[(prof, '_total')][slot] = t
    return out


def fetch(check, path, start, end):
    """{slot start: {ds: count or None}} (values x step) of path."""
    p = hftest.run(['rrdtool', 'fetch', path, 'AVERAGE', '-r', str(STEP),
                    '-s', str(start), '-e', str(end)])
    if not check.ok(p.returncode == 0, 'rrdtool fetch %s: %s' % (path, p.stderr)):
        return {}
    lines = p.stdout.splitlines()
    names = lines[0].split()
    check.eq('%s data sources' % path, DS, names)
    out = {}
    for line in lines[1:]:
        if ':' not in line:
            continue
        t, _, vals = line.partition(':')
        row = {}
        for n, v in zip(names, vals.split()):
            x = float(v)
            row[n] = None if math.isnan(x) else round(x * STEP)
        out[int(t) - STEP] = row      # a row is labelled with its interval's end
    return out


def burst(check, col, sources, ports, want):
    for src in sources:
        for cap in CAPS[src]:
            p = hftest.run_probe(['-r', hftest.pcap(cap), '-C', '127.0.0.1:%d' % ports[src]])
            check.probe_ran(p, 'probe %s -> %s' % (cap, src))
    want[0] += sum(counts[c] for s in sources for c in CAPS[s])
    ok = col.wait(lambda st: st['store']['records'] + st['store']['records_buffered']
                  >= want[0], timeout=30)
    check.ok(ok is not None, 'collector took %d records' % want[0])


def sleep_until(t):
    d = t - time.time()
    if d > 0:
        time.sleep(d)


counts = {}


def main():
    check = hftest.Check('collector-rrd')
    hftest.need_tools('rrdtool')
    with hftest.tempdir() as tmp:
        for caps in CAPS.values():
            for cap in caps:
                out = os.path.join(tmp, cap + '.ipfix')
                hftest.probe_to_file(hftest.pcap(cap), out)
                counts[cap] = len(hftest.dump_csv(out)[0])

        # a bad filter: exit 2, naming the profile
        bad = os.path.join(tmp, 'bad.conf')
        with open(bad, 'w') as f:
            f.write('[profile broken]\nfilter = port in [80\n')
        p = hftest.run([hftest.COLLECTOR, '-c', bad, '-w', os.path.join(tmp, 'x'),
                        '-s', os.path.join(tmp, 'y'), '-l', 'udp:127.0.0.1:0'], timeout=30)
        check.ok(p.returncode == 2 and 'profile broken' in p.stderr,
                 'bad profile filter: exit %d, stderr %s' % (p.returncode, p.stderr.strip()))

        ports = {'a': hftest.free_port(), 'b': hftest.free_port()}
        conf = os.path.join(tmp, 'rrd.conf')
        with open(conf, 'w') as f:
            f.write('[collector]\nstatus-exporters = 1000\n\n'
                    '[source a]\nport = %d\n\n[source b]\nport = %d\n\n'
                    '[profile web]\nfilter = port in [80 443]\n' % (ports['a'], ports['b']))
        listen = ['udp:127.0.0.1:%d' % ports['a'], 'udp:127.0.0.1:%d' % ports['b']]
        now = time.time()
        s0 = int(now) // STEP * STEP
        if now - s0 > STEP - 15:        # room for the first burst in S0
            s0 += STEP
            sleep_until(s0 + 0.5)
        want = [0]
        with hftest.Collector(tmp, listen=listen, config=conf, slot_seconds=STEP) as col:
            col.start()
            burst(check, col, 'ab', ports, want)                   # S0
            sleep_until(s0 + STEP + 1)
            burst(check, col, 'ab', ports, want)                   # S1
            sleep_until(s0 + 2 * STEP + 3)
            col.check_exit(check, 'run 1', col.stop())             # S2: restart
            col.start()
            want = [0]
            burst(check, col, 'ab', ports, want)
            sleep_until(s0 + 3 * STEP + 1)
            burst(check, col, 'a', ports, want)                    # S3: b silent
            sleep_until(s0 + 4 * STEP + 3)
            # S3 is written 2 s after its end, at the write thread's next
            # tick, and shows in the next status
            st = col.wait(lambda st: st.get('rrd', {}).get('updates', 0) > 0, timeout=10) \
                or col.last
            rrd = st.get('rrd', {})
            check.ok(rrd.get('updates', 0) > 0 and rrd.get('errors') == 0
                     and rrd.get('profiles') == ['live', 'web'],
                     'status.json rrd: %s' % rrd)
            col.check_exit(check, 'run 2', col.stop())
            store = col.store

        want = expected(store)
        base = os.path.join(store, '.rrd')
        slots = [s0 + i * STEP for i in range(-2, 6)]
        drawn = {s0 + STEP, s0 + 3 * STEP}
        live = {}
        for prof in ('live', 'web'):
            for src in ('a', 'b', '_total'):
                path = os.path.join(base, prof, src + '.rrd')
                if not check.ok(os.path.exists(path), '%s exists' % path):
                    continue
                got = fetch(check, path, slots[0], slots[-1])
                live[(prof, src)] = got
                exp = want[(prof, src)]
                for slot in slots:
                    row = got.get(slot)
                    what = '%s/%s slot S%d' % (prof, src, (slot - s0) // STEP)
                    if not check.ok(row is not None, '%s fetched' % what):
                        continue
                    if slot in drawn:
                        e = exp.get(slot, dict.fromkeys(DS, 0))   # b in S3: a true zero
                        check.eq(what, e, row)
                    else:
                        check.ok(all(v is None for v in row.values()),
                                 '%s unknown (NaN), got %s' % (what, row))
        for prof in ('live', 'web'):
            for slot in slots:
                row = live.get((prof, '_total'), {}).get(slot, {})
                print('%s/_total S%d: %s' % (prof, (slot - s0) // STEP, ' '.join(
                    '%s=%s' % (k, row.get(k)) for k in DS if row.get(k) != 0)))
            check.ok(sum(want[(prof, '_total')].get(s0 + STEP, {}).values()) > 0,
                     '%s has traffic in S1 (the test means something)' % prof)
        # b sent nothing in S3 while the collector ran: a true zero, no file
        check.ok(s0 + 3 * STEP not in want[('live', 'b')],
                 'b has no file in S3 (the zero drawn is true)')

        # --rebuild-rrd: the same values where live drew, and the stored
        # slots (S0, S2) live could not draw
        for prof in ('live', 'web'):
            p = hftest.run([hftest.COLLECTOR, '-c', conf, '-w', store, '-s', col.state,
                            '--slot-seconds', str(STEP), '--rebuild-rrd', prof], timeout=120)
            check.ok(p.returncode == 0 and re.search(r'files (\d+) / \1', p.stderr),
                     'rebuild %s: exit %d, stderr %s' % (prof, p.returncode, p.stderr))
            left = [n for n in os.listdir(base) if n.startswith('.')]
            check.eq('rebuild %s leaves no temporary directory' % prof, [], left)
            for src in ('a', 'b', '_total'):
                path = os.path.join(base, prof, src + '.rrd')
                got = fetch(check, path, slots[0], slots[-1])
                exp = want[(prof, src)]
                for slot in slots:
                    what = 'rebuilt %s/%s slot S%d' % (prof, src, (slot - s0) // STEP)
                    row = got.get(slot, {})
                    lrow = live.get((prof, src), {}).get(slot, {})
                    if slot in exp:
                        check.eq(what, exp[slot], row)
                        if lrow and all(v is not None for v in lrow.values()):
                            check.eq(what + ' = live', lrow, row)
                    else:
                        check.ok(row and all(v is None for v in row.values()),
                                 '%s unknown (no file), got %s' % (what, row))
        bad_rb = hftest.run([hftest.COLLECTOR, '-c', conf, '-w', store, '-s', col.state,
                             '--rebuild-rrd', 'nosuch'], timeout=60)
        check.eq('--rebuild-rrd of an unknown profile: exit', 2, bad_rb.returncode)
    check.finish()


if __name__ == '__main__':
    main()
