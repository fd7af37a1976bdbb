#!/usr/bin/env python3
"""Hourly summaries of the flow store (hostflow-collector --rollup and the
collector's background pass), checked against a model computed here from
the raw flows (hostflow-dump of the slot files):

1. A store of real flows in past hours (the probe over real captures, and
   pmacct's sampled IPFIX received by a collector) is summarised: one
   summary file per source and complete hour, whose records are exactly
   the model's (key: direction, client address and MAC, service port,
   protocol, hostname, application; sums of packets and bytes scaled up by
   the sampling interval, flows, TCP flags ORed).  The current hour (not
   complete) gets no summary.  Totals per hour equal the raw totals.
2. A second pass writes nothing; a raw file that appears later in a
   summarised hour (a crash recovery's -1 file) makes exactly that hour's
   summary be rewritten, now with its flows.
3. A raw file cut short: the summary holds its readable records; the pass
   counts it unreadable.  Stale temporary files of a pass are removed.
4. Retention: summaries older than --hourly-retention-days are removed
   (and not written again), raw files are not touched.
5. Another process holding the roll-up lock: --rollup exits 1, says so.
6. The running collector summarises a store's complete hours on its own
   (within seconds of start); --no-hourly does not."""
import collections
import fcntl
import ipaddress
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

PORTS = (6, 17, 136, 132, 33)   # common/proto.h: hf_proto_has_ports
# real captures the probe turns into flows of source "home": (capture,
# hour offset, minute of the slot)
HOME = [('chrome.pcap', 0, 0), ('http_ipv6.pcap', 0, 5), ('dns.pcap', 0, 55),
        ('iphone.pcap', 1, 10), ('android.pcap', 1, 30), ('googledns_android10.pcap', 2, 0)]
# two days ago, on the hour: within the summaries' default retention (365 d)
BASE = (int(time.time()) - 2 * 86400) // 3600 * 3600
SAMPLED = 'pmacct-104-ipfix-ipv6-sampling.pcap'


def slot_path(store, source, t, seq=0):
    tm = time.gmtime(t)
    name = 'flows-%s%s.ipfix' % (time.strftime('%Y%m%d%H%M', tm), '-%d' % seq if seq else '')
    return os.path.join(store, source, time.strftime('%Y/%m/%d', tm), name)


def summary_path(store, source, hour):
    tm = time.gmtime(hour)
    return os.path.join(store, '.hourly', source, time.strftime('%Y/%m', tm),
                        'hourly-%s.ipfix' % time.strftime('%Y%m%d%H', tm))


def place(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


def packed(addr):
    return ipaddress.ip_address(addr).packed


def zero_addr(addr):
    return '::' if ':' in addr else '0.0.0.0'


def model(rows):
    """The summaries the roll-up must write for these raw records:
    {key: [packets, bytes, flows, flags]} (see rollup.h)."""
    out = collections.defaultdict(lambda: [0, 0, 0, 0])
    zmac = '00:00:00:00:00:00'
    for r in rows:
        proto, sport, dport = int(r['proto']), int(r['sport']), int(r['dport'])
        # the client: the higher port; equal ports (or none): the lower address
        sp, dp = (sport, dport) if proto in PORTS else (0, 0)
        if sp < dp or (sp == dp and packed(r['src']) > packed(r['dst'])):
            key = (zero_addr(r['src']), sport, r['dst'], 0, zmac, r['dst_mac'])
        else:                                        # client -> service
            key = (r['src'], 0, zero_addr(r['dst']), dport, r['src_mac'], zmac)
        # our name first, then what other probes export
        name = r['hostname'] or r['http_host'] or r['sni'] or r['dns_query']
        key += (proto, name, r['app'])
        scale = max(1, int(r['sampling']))
        v = out[key]
        v[0] += int(r['packets']) * scale
        v[1] += int(r['bytes']) * scale
        v[2] += int(r['flows'])
        v[3] |= int(r['flags'])
    return out


def summary_rows(check, path, hour):
    rows, p = hftest.dump_csv(path)
    check.ok(p.returncode == 0, '%s reads (exit %d: %s)' % (path, p.returncode, p.stderr))
    got = {}
    start = time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(hour))
    for r in rows:
        key = (r['src'], int(r['sport']), r['dst'], int(r['dport']), r['src_mac'],
               r['dst_mac'], int(r['proto']), r['hostname'], r['app'])
        check.ok(key not in got, '%s: key %s twice' % (path, key))
        check.ok(r['start'] == start and r['sampling'] == '0',
                 '%s: start %s sampling %s' % (path, r['start'], r['sampling']))
        got[key] = [int(r['packets']), int(r['bytes']), int(r['flows']), int(r['flags'])]
    return got


def raw_rows(paths):
    rows = []
    for p in paths:
        rows += hftest.dump_csv(p)[0]       # a cut file: its readable records
    return rows


def compare(check, what, store, source, hour, raw):
    path = summary_path(store, source, hour)
    if not check.ok(os.path.exists(path), '%s: %s exists' % (what, path)):
        return
    want = model(raw_rows(raw))
    got = summary_rows(check, path, hour)
    hftest.same_items(check, '%s: summary keys' % what, want.keys(), got.keys())
    bad = [(k, want[k], got[k]) for k in want if k in got and want[k] != got[k]]
    check.ok(not bad, '%s: %d summaries differ from the model, e.g. %s' % (what, len(bad), bad[:3]))
    tw = [sum(v[i] for v in want.values()) for i in range(3)]
    print('%s: %d raw flows -> %d summaries; packets %d bytes %d flows %d' % (
        what, tw[2], len(got), tw[0], tw[1], tw[2]))


def rollup(check, store, state, *extra):
    p = hftest.run([hftest.COLLECTOR, '--rollup', '-w', store, '-s', state,
                    '--slot-seconds', '300'] + list(extra))
    report = hftest.sanitizer_report(p.stderr)
    check.ok(report is None, 'rollup: sanitizer report: %s' % report)
    f = p.stdout.split()
    counts = {f[i]: int(f[i + 1]) for i in range(0, len(f) - 1, 2)} if len(f) % 2 == 0 else {}
    return p, counts


def sampled_files(tmp):
    """pmacct's sampled IPFIX export, received and stored by a collector."""
    with hftest.Collector(tmp, name='sampled', listen=('udp:127.0.0.1:0',)) as col:
        col.start()
        n = hftest.replay_exporters(hftest.pcap(SAMPLED), col.udp)
        col.wait_messages(n)
        rc = col.stop()
        return rc, col.files()


def main():
    check = hftest.Check('collector-rollup')
    with hftest.tempdir() as tmp:
        store, state = os.path.join(tmp, 'store'), os.path.join(tmp, 'state')
        hours = collections.defaultdict(list)        # (source, hour) -> raw files
        for i, (cap, h, m) in enumerate(HOME):
            out = os.path.join(tmp, 'probe-%d.ipfix' % i)
            check.probe_ran(hftest.probe_to_file(hftest.pcap(cap), out), cap)
            t = BASE + h * 3600 + m * 60
            place(out, slot_path(store, 'home', t))
            hours[('home', BASE + h * 3600)].append(slot_path(store, 'home', t))
        rc, files = sampled_files(tmp)
        check.ok(rc == 0 and files, 'sampled export stored (exit %s, %d files)' % (rc, len(files)))
        for i, f in enumerate(files):
            dst = slot_path(store, 'router', BASE + i * 60)
            place(f, dst)
            hours[('router', BASE)].append(dst)
        # the current hour is not complete: no summary for it
        now = int(time.time())
        place(os.path.join(tmp, 'probe-0.ipfix'), slot_path(store, 'home', now - now % 300))

        print('\n== 1. summaries of real flows')
        p, counts = rollup(check, store, state)
        print(p.stdout.strip())
        check.ok(p.returncode == 0, '--rollup exit %d: %s' % (p.returncode, p.stderr))
        check.eq('hours written', len(hours), counts.get('hours'))
        for (source, hour), raw in sorted(hours.items()):
            compare(check, '%s +%dh' % (source, (hour - BASE) // 3600),
                    store, source, hour, raw)
        check.ok(not os.path.exists(summary_path(store, 'home', now - now % 3600)),
                 'the current hour has no summary')
        rsum = model(raw_rows(hours[('router', BASE)]))
        raw_router = raw_rows(hours[('router', BASE)])
        check.ok(raw_router and all(r['sampling'] == '256' for r in raw_router),
                 'router flows are sampled 1:256')
        check.eq('router bytes scaled by 256', sum(int(r['bytes']) for r in raw_router) * 256,
                 sum(v[1] for v in rsum.values()))

        print('\n== 2. up to date; a late raw file rewrites its hour only')
        mtimes = {k: os.stat(summary_path(store, *k)).st_mtime_ns for k in hours}
        p, counts = rollup(check, store, state)
        check.eq('second pass: hours written', 0, counts.get('hours'))
        late = slot_path(store, 'home', BASE + 5 * 60, seq=1)
        place(os.path.join(tmp, 'probe-3.ipfix'), late)
        hours[('home', BASE)].append(late)
        time.sleep(0.01)
        p, counts = rollup(check, store, state)
        check.eq('after a late file: hours written', 1, counts.get('hours'))
        compare(check, 'home +0h with the late file', store, 'home', BASE, hours[('home', BASE)])
        for k in hours:
            if k != ('home', BASE):
                check.eq('%s untouched' % (k,), mtimes[k], os.stat(summary_path(store, *k)).st_mtime_ns)

        print('\n== 3. a raw file cut short; stale temporary files')
        # two probe files back to back (one IPFIX stream), cut in the second
        cut_src = os.path.join(tmp, 'two.ipfix')
        with open(cut_src, 'wb') as out:
            for i in (0, 4):
                with open(os.path.join(tmp, 'probe-%d.ipfix' % i), 'rb') as f:
                    out.write(f.read())
        cut = slot_path(store, 'home', BASE + 3 * 3600)
        os.makedirs(os.path.dirname(cut), exist_ok=True)
        hftest.write_truncated(cut_src, cut, os.path.getsize(cut_src) - 100)
        stale = os.path.join(os.path.dirname(summary_path(store, 'home', BASE)), '.hourly-Xy12Ab')
        with open(stale, 'w') as f:
            f.write('partial')
        p, counts = rollup(check, store, state)
        check.eq('cut file: unreadable', 1, counts.get('unreadable'))
        check.ok(raw_rows([cut]), 'the cut file still has readable records')
        compare(check, 'home +3h (cut file)', store, 'home', BASE + 3 * 3600, [cut])
        check.ok(not os.path.exists(stale), 'stale temporary file removed')

        print('\n== 4. retention')
        raw_before = sorted(hftest.store_files(store))
        days = 1                                # every hour above is older
        p, counts = rollup(check, store, state, '--hourly-retention-days', str(days))
        check.eq('expired summaries', len(hours) + 1, counts.get('expired'))
        check.eq('nothing rewritten past retention', 0, counts.get('hours'))
        check.ok(not os.path.exists(os.path.join(store, '.hourly', 'router')),
                 'empty summary directories removed')
        check.eq('raw files untouched', raw_before, sorted(hftest.store_files(store)))

        print('\n== 5. the lock')
        os.makedirs(os.path.join(store, '.hourly'), exist_ok=True)
        fd = os.open(os.path.join(store, '.hourly'), os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        p, _ = rollup(check, store, state)
        os.close(fd)
        check.ok(p.returncode == 1 and 'another process' in p.stderr,
                 'locked: exit %d, stderr %r' % (p.returncode, p.stderr))

        print('\n== 6. the running collector')
        for args, want in (((), True), (('--no-hourly',), False)):
            shutil.rmtree(os.path.join(store, '.hourly'))
            with hftest.Collector(tmp, name='live', store=store, args=args,
                                  listen=('udp:127.0.0.1:0',)) as col:
                col.start()
                path = summary_path(store, 'home', BASE)
                deadline = time.time() + 20
                while want and not os.path.exists(path) and time.time() < deadline:
                    time.sleep(0.2)
                if not want:
                    time.sleep(3)
                col.check_exit(check, 'collector %s' % (args,), col.stop())
                hourly = col.status().get('hourly')
                if want:
                    # every hour of the store, the cut one included
                    check.ok(hourly and hourly['passes'] >= 1
                             and hourly['hours_written'] == len(hours) + 1
                             and hourly['files_unreadable'] == 1,
                             'status.json hourly counters: %s' % hourly)
                else:
                    check.ok(hourly is None, '--no-hourly: no hourly status (%s)' % hourly)
            check.eq('collector %s summarised +0h' % (args,), want, os.path.exists(path))
            if want:
                compare(check, 'collector: home +0h', store, 'home', BASE, hours[('home', BASE)])
    return check.finish()


if __name__ == '__main__':
    sys.exit(main())
