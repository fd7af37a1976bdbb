#!/usr/bin/env python3
"""The store's format marker (STORE/.hostflow-store, hostflow-collector(8),
STORE FORMAT):

1. A collector's new store gets `[store] format = 1`.
2. A store of the previous release's layout (format 0) is built here as the
   previous release wrote it: a collector's store of real flows (the probe
   over real captures, over UDP on loopback, and the probe's files as slots
   of past hours with their hourly summaries) with the marker removed; the
   layout is otherwise unchanged since the release before the marker.
   hostflow-report reads it as it is; a collector started on it says it
   adopts it, writes the marker, and keeps every file byte for byte; the
   report's answer (every flow, by address) is the same after.
3. A store marked `format = 999`, and one whose marker is garbage (not a
   key file; a format that is not a number; format = 0), are refused:
   the collector exits 2 naming the marker, before it writes anything
   (no file added or changed, the marker as it was); hostflow-report exits
   1 and hostflow-web does not start, both with the reason; a running
   hostflow-web whose store turns newer answers 500 and logs why.
"""
import hashlib
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402
import web_view  # noqa: E402

CAPTURES = ('chrome.pcap', 'http_ipv6.pcap', 'dns.pcap')
MARKER = '.hostflow-store'
BAD_MARKERS = [
    ('newer', b'[store]\nformat = 999\n', 'newer'),
    ('garbage', b'\x00\x01not a key file\xff\n', 'damaged'),
    ('not a number', b'[store]\nformat = one\n', 'damaged'),
    ('format 0', b'[store]\nformat = 0\n', 'damaged'),
]


def snapshot(store):
    """{relative path: sha256} of every file in the store."""
    out = {}
    for d, _, files in os.walk(store):
        for f in files:
            p = os.path.join(d, f)
            with open(p, 'rb') as fh:
                out[os.path.relpath(p, store)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def report(store):
    return hftest.run([hftest.REPORT, '-w', store, '--from', web_view.WIDE['from'],
                       '--to', web_view.WIDE['to'], '--by', 'srcip,dstip', '-n', '0', '--csv'])


def build_store(check, tmp):
    """A collector's store of the captures' flows, received now and, as
    files of past hours, summarised by --rollup; (store, state)."""
    want = 0
    with hftest.Collector(tmp, 'build', listen=['udp:127.0.0.1:0']) as col:
        col.start()
        for c in CAPTURES:
            out = os.path.join(tmp, c + '.ipfix')
            check.probe_ran(hftest.probe_to_file(hftest.pcap(c), out), 'probe -o ' + c)
            want += hftest.dump_count(out)[0]
            check.probe_ran(hftest.run_probe(['-r', hftest.pcap(c), '-c',
                                              '127.0.0.1:%d' % col.udp, '-t', 'udp']),
                            'probe -c ' + c)
        col.wait(lambda st: hftest.exporter_sum(st)['records'] >= want, timeout=30)
        col.check_exit(check, 'building the store', col.stop())
        check.eq('flows stored', want, col.totals()[0])
    base = (int(time.time()) - 2 * 86400) // 3600 * 3600
    for i, c in enumerate(CAPTURES):
        t = time.gmtime(base + i * 3600)
        dst = os.path.join(col.store, 'past', time.strftime('%Y/%m/%d', t),
                           'flows-%s.ipfix' % time.strftime('%Y%m%d%H%M', t))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(tmp, c + '.ipfix'), dst)
    p = hftest.run([hftest.COLLECTOR, '--rollup', '-w', col.store, '-s', col.state])
    check.probe_ran(p, 'collector --rollup')
    return col.store, col.state


def marker_text(store):
    with open(os.path.join(store, MARKER), 'rb') as f:
        return f.read()


def main():
    hftest.need_tools('rrdtool')
    check = hftest.Check('store-format')
    with hftest.tempdir() as tmp:
        store, state = build_store(check, tmp)

        # 1. a new store is marked
        text = marker_text(store).decode()
        print('marker of a new store:\n' + text)
        check.ok('[store]' in text and 'format = 1' in text.splitlines(),
                 'new store marker: %r' % text)

        # 2. the previous release's layout: no marker
        os.unlink(os.path.join(store, MARKER))
        before_files = snapshot(store)
        before = report(store)
        check.probe_ran(before, 'report on a format-0 store')
        rows = before.stdout.strip().splitlines()
        print('report before adoption: %d rows' % (len(rows) - 1))
        check.ok(len(rows) > 10, 'the report on the format-0 store has rows: %r' % rows[:3])
        col = hftest.Collector(tmp, 'adopt', listen=['udp:127.0.0.1:0'], store=store,
                               state=state)
        col.start()
        col.check_exit(check, 'collector on a format-0 store', col.stop())
        err = col.all_stderr()
        check.ok('marked as format 1' in err, 'the collector says it adopted the store: %s'
                 % err.strip()[-400:])
        check.ok(os.path.exists(os.path.join(store, MARKER)), 'the marker is written')
        check.ok('format = 1' in marker_text(store).decode().splitlines(),
                 'adopted marker: %r' % marker_text(store))
        after_files = snapshot(store)
        lost = {p for p in before_files if after_files.get(p) != before_files[p]}
        check.eq('files removed or changed by the adoption', set(), lost)
        print('adopted: %d files kept, %d added (%s)'
              % (len(before_files), len(after_files) - len(before_files),
                 ', '.join(sorted(set(after_files) - set(before_files)))[:200]))
        after = report(store)
        check.probe_ran(after, 'report after adoption')
        check.eq('report after adoption equals before', before.stdout, after.stdout)

        # 3. refused: newer, damaged
        for what, data, word in BAD_MARKERS:
            with open(os.path.join(store, MARKER), 'wb') as f:
                f.write(data)
            files = snapshot(store)
            col = hftest.Collector(tmp, 'refuse-' + what.replace(' ', '-'),
                                   listen=['udp:127.0.0.1:0'], store=store, state=state)
            try:
                col.start(timeout=15)
                started = True
            except RuntimeError:
                started = False
            if started:
                col.stop()
            rc = col.proc.returncode
            err = col.all_stderr()
            print('%s marker: collector exit %s: %s' % (what, rc, err.strip()[-300:]))
            check.ok(not started and rc == 2, '%s marker: collector exit %s, want 2' % (what, rc))
            check.ok(MARKER in err and word in err,
                     '%s marker: collector message names the marker and says %s: %r'
                     % (what, word, err.strip()))
            check.ok(hftest.sanitizer_report(err) is None, '%s marker: sanitizer report' % what)
            check.eq('%s marker: store unchanged by the refusing collector' % what, files,
                     snapshot(store))
            p = report(store)
            print('%s marker: report exit %d: %s' % (what, p.returncode, p.stderr.strip()))
            check.ok(p.returncode == 1 and MARKER in p.stderr and word in p.stderr
                     and not p.stdout.strip(),
                     '%s marker: report exit %d (want 1), stderr %r, stdout %r'
                     % (what, p.returncode, p.stderr.strip(), p.stdout[:100]))
            try:
                web = hftest.Web(store)
                web.stop()
                check.ok(False, '%s marker: hostflow-web started' % what)
            except RuntimeError as e:
                print('%s marker: web: %s' % (what, str(e).strip()[-300:]))
                check.ok(MARKER in str(e) and word in str(e),
                         '%s marker: hostflow-web says why: %s' % (what, e))

        # a store that turns newer under a running hostflow-web
        with open(os.path.join(store, MARKER), 'wb') as f:
            f.write(b'[store]\nformat = 1\n')
        web = hftest.Web(store)
        params = dict(web_view.WIDE)
        ok_status = web.get('/details', params)[0]
        with open(os.path.join(store, MARKER), 'wb') as f:
            f.write(b'[store]\nformat = 999\n')
        status, _, body = web.get('/details', params)
        rc, err = web.stop()
        print('web: /details %d before, %d after; log: %s' % (ok_status, status, err.strip()[-300:]))
        check.eq('web: /details on a format-1 store', 200, ok_status)
        check.eq('web: /details once the store is newer', 500, status)
        check.ok(b'format' in body, 'web: the page says the format is the reason: %r' % body[:300])
        check.ok(MARKER in err and 'newer' in err, 'web: the log says why: %r' % err[-300:])
        check.ok(hftest.sanitizer_report(err) is None, 'web: sanitizer report')
    check.finish()


if __name__ == '__main__':
    sys.exit(main())
