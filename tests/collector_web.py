#!/usr/bin/env python3
"""The web view inside the collector (--web ADDR:PORT, or [web] listen in
its configuration): the collector receives the probe's export of a real
capture and serves, from the store it writes, the same tables as
hostflow-report reads from that store; a web port already taken is an
error at start (exit 1, naming it), and no [web] means no web view."""
import csv
import io
import os
import re
import socket
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
WIDE = {'from': '1970-01-01T00:00:00Z', 'to': '2100-01-01T00:00:00Z'}


def web_port(col):
    m = re.search(r'web view on http:[^\s]*:(\d+)', col.stderr())
    return int(m.group(1)) if m else None


def get(port, path, params=None):
    url = 'http://127.0.0.1:%d%s' % (port, path)
    if params:
        url += '?' + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read().decode()


def lsan_env():
    # librrd and fontconfig keep caches for the process's life (web_lsan.supp)
    os.environ['LSAN_OPTIONS'] = 'suppressions=%s:print_suppressions=0' % os.path.join(
        hftest.SRC, 'tests', 'web_lsan.supp')


def main():
    check = hftest.Check('collector-web')
    lsan_env()
    with hftest.tempdir() as tmp:
        cfg = os.path.join(tmp, 'web.conf')
        with open(cfg, 'w') as f:
            f.write('[collector]\nstatus-exporters = 1000\n[web]\nlisten = 127.0.0.1:0\n')
        with hftest.Collector(tmp, 'web', listen=['udp:127.0.0.1:0'], config=cfg) as col:
            col.start()
            port = web_port(col)
            check.ok(port, 'the collector says where its web view is: %s' % col.stderr())
            p = hftest.run_probe(['-r', hftest.pcap('chrome.pcap'), '-C', '127.0.0.1:%d' % col.udp])
            check.probe_ran(p, 'probe')
            n = hftest.exporter_sum(col.wait_messages(1) or {})['records']
            col.wait_stored(n)
            # the slot completes at stop; the open slot's temp file is not
            # read, so ask after a restart of the store's slot: stop first
            st, page = get(port, '/')
            check.eq('overview while collecting', 200, st)
            rc = col.stop()
            col.check_exit(check, 'collector with web view', rc)

            # again on the completed store: the web answers as the report does
            col.start()
            port = web_port(col)
            st, body = get(port, '/api/top.csv', dict(WIDE, by='hostname'))
            check.eq('top.csv status', 200, st)
            got = list(csv.DictReader(io.StringIO(body)))
            p = hftest.run([REPORT, '-w', col.store, '--from', WIDE['from'], '--to', WIDE['to'],
                            '--by', 'hostname', '-n', '10', '--csv'])
            want = list(csv.DictReader(io.StringIO(p.stdout)))
            check.ok(any(r['hostname'] for r in want), 'the report has hostnames: %s' % want)
            check.eq('the collector\'s web view: top.csv by hostname = hostflow-report --csv',
                     want, got)
            st, page = get(port, '/details', WIDE)
            check.ok(st == 200 and 'www.iit.cnr.it' in page, 'details page lists the hostname')

            # the port taken: a second collector cannot start its web view
            taken = socket.socket()
            taken.bind(('127.0.0.1', 0))
            taken.listen(1)
            busy = taken.getsockname()[1]
            p = hftest.collector_run(['-l', 'udp:127.0.0.1:0', '-w', os.path.join(tmp, 's2'),
                                      '-s', os.path.join(tmp, 't2'),
                                      '--web', '127.0.0.1:%d' % busy])
            check.ok(p.returncode == 1 and 'web view' in p.stderr,
                     'web port taken: exit %d, %s' % (p.returncode, p.stderr.strip()))
            taken.close()
            col.check_exit(check, 'collector with web view, second run', col.stop())

        # no [web], no --web: no web view
        with hftest.Collector(tmp, 'noweb', listen=['udp:127.0.0.1:0']) as col:
            col.start()
            time.sleep(0.5)
            check.ok(web_port(col) is None, 'no web view unless asked for')
            col.check_exit(check, 'collector without web view', col.stop())
    check.finish()


if __name__ == '__main__':
    main()
