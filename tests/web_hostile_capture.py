#!/usr/bin/env python3
"""Hostile names end to end: a capture written here (tests/hostile_capture.py:
a TLS ClientHello with the SNI <script>alert(1)</script>.example, DNS
answers for that name and for the spreadsheet formulas
=cmd|'/c_calc'!a0.example and @sum(1+1)*cmd|'/c'!a0.example, each followed
by a connection to the answered address) goes through hostflow-probe into
hostflow-collector, whose embedded web view and hostflow-report then read
the store:

1. the probe found every name: the collector's web view lists them (JSON
   exports decode to exactly the names);
2. every HTML page (overview, details with and without a filter on the
   name, flows, the client's device page) holds no raw <script, and each
   name there only HTML-escaped (html.unescape gives it back);
3. every CSV export and hostflow-report --csv (the timeline and the table
   by hostname): no cell starts with = + - @ unless numeric, the formula
   names are the name behind one ', the script name as it is;
4. every JSON export parses, holds no "</", and gives the names back;
5. in headless Chromium (when installed, as tests/web_browser.py): the
   pages show the names as text, hold no <script> element, and no alert
   fires.  No sanitizer report from the collector.

Runs under /usr/bin/python3 (Debian's python3-selenium), as web_browser.py."""
import csv
import html
import io
import json
import os
import re
import shutil
import sys
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import web_browser  # noqa: E402  (re-executes under Debian's python3 for selenium)
import hftest  # noqa: E402
import hostile_capture  # noqa: E402
from collector_web import lsan_env, web_port  # noqa: E402

REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
WIDE = {'from': '1970-01-01T00:00:00Z', 'to': '2100-01-01T00:00:00Z'}
SCRIPT = hostile_capture.SCRIPT
NAMES = [SCRIPT] + hostile_capture.FORMULAS
CLIENT_MAC = '02:00:00:00:07:10'


def get(port, path, params=None):
    url = 'http://127.0.0.1:%d%s' % (port, path)
    if params:
        url += '?' + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read().decode('utf-8')


def check_html(check, what, page):
    check.ok('<script' not in page.lower(), '%s: raw <script in the HTML' % what)
    text = html.unescape(page)
    for name in NAMES:
        if name in text:
            check.ok(name not in page, '%s: %r not escaped' % (what, name))
    return [n for n in NAMES if n in text]


def check_csv(check, what, text):
    """The cells of a CSV; a name cell must be the name, a formula one behind '."""
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    for c in cells:
        check.ok(not c or c[0] not in '=+-@\t\r' or re.fullmatch(r'-?[0-9.]+', c),
                 '%s: a formula cell %r' % (what, c))
    found = []
    for name in NAMES:
        want = "'" + name if name[0] in '=+-@' else name
        if want in cells:
            found.append(name)
        check.ok(name not in cells or want == name, '%s: %r not neutralised' % (what, name))
    return found


def check_json(check, what, text):
    check.ok('</' not in text, '%s: "</" in JSON' % what)
    rows = json.loads(text)['rows']
    values = {v for r in rows for v in r.values() if isinstance(v, str)}
    return [n for n in NAMES if n in values]


def browser_checks(check, port):
    if web_browser.webdriver is None or not shutil.which('chromium') \
            or not shutil.which('chromedriver'):
        if os.environ.get('HF_REQUIRE_TOOLS') == '1':
            check.ok(False, 'chromium, chromedriver or python3-selenium not installed')
        else:
            print('  (no browser: chromium, chromedriver or python3-selenium missing)')
        return
    web = type('W', (), {'port': port})
    b = web_browser.Browser(check, web)
    try:
        for what, path, params in (('details', '/details', WIDE),
                                   ('details filtered', '/details',
                                    dict(WIDE, filter='hostname "<script>*"')),
                                   ('flows', '/flows', WIDE),
                                   ('device', '/device', dict(WIDE, name=CLIENT_MAC))):
            b.load('browser ' + what, path, params)
            text = b.text()
            for name in (NAMES if what != 'details filtered' else [SCRIPT]):
                check.ok(name in text, 'browser %s: %r not shown as text' % (what, name))
            b.no_alert('browser ' + what)
            print('  browser: %s shows the names as text, no alert' % what)
    finally:
        b.quit()


def main():
    check = hftest.Check('web-hostile-capture')
    lsan_env()
    with hftest.tempdir('hfhostile-') as tmp:
        pcap = os.path.join(tmp, 'hostile.pcap')
        hostile_capture.write(pcap)
        cfg = os.path.join(tmp, 'web.conf')
        with open(cfg, 'w') as f:
            f.write('[collector]\nstatus-exporters = 1000\n[web]\nlisten = 127.0.0.1:0\n')
        with hftest.Collector(tmp, 'hostile', listen=['udp:127.0.0.1:0'], config=cfg) as col:
            col.start()
            p = hftest.run_probe(['-r', pcap, '-c', '127.0.0.1:%d' % col.udp])
            check.probe_ran(p, 'probe over the hostile capture')
            n = hftest.exporter_sum(col.wait_messages(1) or {})['records']
            col.wait_stored(n)
            check.ok(n >= 14, 'the probe exported the capture\'s flows: %d records' % n)
            col.check_exit(check, 'collector, first run', col.stop())
            col.start()                 # the slot is complete: the web view reads it
            port = web_port(col)
            check.ok(port, 'the collector\'s web view: %s' % col.stderr())

            # ---- HTML pages
            seen = set()
            for what, path, params in (
                    ('overview', '/', None), ('details', '/details', WIDE),
                    ('details by packets', '/details', dict(WIDE, order='packets')),
                    ('details filtered', '/details', dict(WIDE, filter='hostname "<script>*"')),
                    ('details formula filter', '/details',
                     dict(WIDE, filter='hostname "=cmd*"')),
                    ('flows', '/flows', WIDE),
                    ('device', '/device', dict(WIDE, name=CLIENT_MAC))):
                st, page = get(port, path, params)
                check.eq('%s: status' % what, 200, st)
                found = check_html(check, what, page)
                seen.update(found)
                if what in ('details', 'flows', 'device'):
                    check.eq('%s: every name shown' % what, sorted(NAMES), sorted(found))
            check.eq('names in the HTML pages', sorted(NAMES), sorted(seen))

            # ---- CSV and JSON exports
            for by in ('hostname', 'domain', 'app', 'dstip'):
                st, text = get(port, '/api/top.csv', dict(WIDE, by=by))
                found = check_csv(check, 'top.csv by ' + by, text)
                st, text = get(port, '/api/top.json', dict(WIDE, by=by))
                jfound = check_json(check, 'top.json by ' + by, text)
                if by == 'hostname':
                    check.eq('top.csv by hostname: every name', sorted(NAMES), sorted(found))
                    check.eq('top.json by hostname: every name', sorted(NAMES), sorted(jfound))
            st, text = get(port, '/api/flows.csv', WIDE)
            check.eq('flows.csv: every name', sorted(NAMES),
                     sorted(check_csv(check, 'flows.csv', text)))
            st, text = get(port, '/api/flows.json', WIDE)
            check.eq('flows.json: every name', sorted(NAMES),
                     sorted(check_json(check, 'flows.json', text)))
            for by in ('hostname', 'domain'):
                st, text = get(port, '/api/device.csv', dict(WIDE, name=CLIENT_MAC, by=by))
                found = check_csv(check, 'device.csv by ' + by, text)
                st, text = get(port, '/api/device.json', dict(WIDE, name=CLIENT_MAC, by=by))
                jfound = check_json(check, 'device.json by ' + by, text)
                if by == 'hostname':
                    check.eq('device.csv: every name', sorted(NAMES), sorted(found))
                    check.eq('device.json: every name', sorted(NAMES), sorted(jfound))

            # ---- hostflow-report's CSV of the same store
            for what, args in (('timeline', []), ('by hostname', ['--by', 'hostname'])):
                p = hftest.run([REPORT, '-w', col.store, '--from', WIDE['from'], '--to',
                                WIDE['to'], '--csv'] + args)
                check.eq('hostflow-report --csv %s: exit' % what, 0, p.returncode)
                check.eq('hostflow-report --csv %s: every name' % what, sorted(NAMES),
                         sorted(check_csv(check, 'report ' + what, p.stdout)))

            browser_checks(check, port)
            col.check_exit(check, 'collector with the web view', col.stop())
    check.finish()


if __name__ == '__main__':
    main()
