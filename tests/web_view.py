#!/usr/bin/env python3
"""hostflow-web over a store of real flows (the probe over shared
captures placed as slot files, as tests/report_store.py builds it), a
source of crafted IPFIX records with hostile names, and RRDs made with the
rrdtool CLI in the collector's layout (STORE/.rrd/PROFILE/SOURCE.rrd):

1. every page and endpoint answers 200; the details' hostname table lists
   the hostnames hostflow-report --by hostname --csv gives; /api/top.csv
   and /api/top.json equal the report's numbers; /api/flows.json parses;
   graph PNGs are valid, not blank PNGs; /api/series.json parses;
2. hostile names (<script>..., =cmd|...) appear only escaped: no raw
   <script> in any HTML, CSV cells neutralised, JSON valid;
3. a table of malformed requests each gets a 4xx (a too-large query 503)
   and the server keeps serving; no sanitizer report at the end."""
import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

WEB = os.environ.get('HF_WEB') or os.path.join(hftest.BUILD, 'web', 'hostflow-web')
REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
CAPTURES = ['chrome.pcap', 'iphone.pcap', 'instagram.pcap']
BASE = (int(time.time()) - 2 * 86400) // 3600 * 3600
WIDE = {'from': '1970-01-01T00:00:00Z', 'to': '2100-01-01T00:00:00Z'}
SCRIPT = b'<script>alert(1)</script>.example'
FORMULA = b"=cmd|' /C calc'!A0"
P = hftest.PEN
V = hftest.VARLEN
FIELDS = list(hftest.STD_V4) + [(60, 1), (1, V, P), (96, V)]
DS = ['%s_%s' % (w, p) for w in ('flows', 'packets', 'bytes')
      for p in ('tcp', 'udp', 'icmp', 'other')]


def slot_path(store, source, t):
    g = time.gmtime(t)
    return os.path.join(store, source, time.strftime('%Y/%m/%d', g),
                        time.strftime('flows-%Y%m%d%H%M.ipfix', g))


def build_store(check, tmp):
    store = os.path.join(tmp, 'store')
    for i, cap in enumerate(CAPTURES):
        out = os.path.join(tmp, cap + '.ipfix')
        check.probe_ran(hftest.probe_to_file([hftest.pcap(cap)], out), 'probe ' + cap)
        path = slot_path(store, os.path.splitext(cap)[0], BASE + i * 300)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(out, path)
    # hostile names: crafted IPFIX records in a slot file of their own source
    now = (BASE + 3600) * 1000
    recs = []
    for i, name in enumerate([SCRIPT, FORMULA, SCRIPT]):
        v = hftest.flow_values(100 + i, now)
        v[(P, 1)] = name
        v[96] = FORMULA if i == 2 else b'<b>app</b>'
        recs.append(hftest.pack_record(FIELDS, v))
    msg = hftest.ipfix_message([hftest.ipfix_template_set([(400, FIELDS)]),
                                hftest.ipfix_data_set(400, recs)], domain=1)
    path = slot_path(store, 'hostile', BASE + 3600)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(msg)
    # RRDs: live/_total with a day of varying rates, live/chrome with none
    now_s = int(time.time())
    for prof, src, fill in (('live', '_total', True), ('live', 'chrome', False)):
        rrd = os.path.join(store, '.rrd', prof, src + '.rrd')
        os.makedirs(os.path.dirname(rrd), exist_ok=True)
        p = hftest.run(['rrdtool', 'create', rrd, '--step', '300', '--start',
                        str(now_s - 2 * 86400)] + ['DS:%s:GAUGE:600:0:U' % d for d in DS]
                       + ['RRA:AVERAGE:0.5:1:800', 'RRA:MAX:0.5:1:800',
                          'RRA:AVERAGE:0.5:12:800', 'RRA:MAX:0.5:12:800'])
        check.ok(p.returncode == 0, 'rrdtool create: ' + p.stderr)
        if fill:
            ups = []
            for k in range(288, 0, -1):
                t = (now_s - k * 300) // 300 * 300
                ups.append('%d:' % t + ':'.join(str((k * (j + 3)) % 997 + j) for j in range(12)))
            p = hftest.run(['rrdtool', 'update', rrd] + ups)
            check.ok(p.returncode == 0, 'rrdtool update: ' + p.stderr)
    return store


class Web:
    def __init__(self, store, *extra):
        env = dict(os.environ)
        # librrd and fontconfig keep caches for the process's life
        env['LSAN_OPTIONS'] = 'suppressions=%s:print_suppressions=0' % os.path.join(
            hftest.SRC, 'tests', 'web_lsan.supp')
        # librrd has no frame pointers: slow unwinding names it in its leaks
        env['ASAN_OPTIONS'] = (env.get('ASAN_OPTIONS', '') + ':fast_unwind_on_malloc=0').lstrip(':')
        self.proc = subprocess.Popen([WEB, '-w', store, '-l', '127.0.0.1:0'] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        line = self.proc.stdout.readline().decode()
        if 'listening on' not in line:
            raise RuntimeError('hostflow-web did not start: %r %s' % (
                line, self.proc.stderr.read().decode()))
        self.port = int(line.rsplit(':', 1)[1])

    def get(self, path, params=None, raw=False):
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        if params:
            url += '?' + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                return r.status, r.headers.get('Content-Type', ''), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get('Content-Type', ''), e.read()

    def raw(self, request):
        """Send request bytes as they are; the status code (0: no answer)."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=30) as s:
            s.sendall(request)
            data = b''
            while b'\r\n' not in data:
                try:
                    b = s.recv(65536)
                except ConnectionResetError:
                    break
                if not b:
                    break
                data += b
        try:
            return int(data.split(b' ', 2)[1])
        except (IndexError, ValueError):
            return 0

    def stop(self):
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err.decode('utf-8', 'replace')


def png_ok(data):
    """A PNG whose IDAT decodes to rows that are not all one colour."""
    if not data.startswith(b'\x89PNG\r\n\x1a\n'):
        return False
    off, idat = 8, b''
    while off < len(data):
        n = int.from_bytes(data[off:off + 4], 'big')
        kind = data[off + 4:off + 8]
        if kind == b'IDAT':
            idat += data[off + 8:off + 8 + n]
        off += 12 + n
    raw = zlib.decompress(idat)
    return len(set(raw)) > 2


def report_csv(store, *args):
    p = hftest.run([REPORT, '-w', store, '--from', WIDE['from'], '--to', WIDE['to'],
                    '--csv'] + list(args))
    return list(csv.DictReader(io.StringIO(p.stdout)))


def main():
    hftest.need_tools('rrdtool')
    check = hftest.Check('web-view')
    with hftest.tempdir('hfweb-') as tmp:
        store = build_store(check, tmp)
        web = Web(store)
        html_pages = []

        # ---- 1. pages and exports
        for path, params in [('/', None), ('/', {'span': 'week'}), ('/details', WIDE),
                             ('/details', dict(WIDE, source='chrome', order='packets', n='5')),
                             ('/flows', WIDE), ('/flows', dict(WIDE, page='2', n='3')),
                             ('/details', dict(WIDE, tz='utc')),
                             ('/details', dict(WIDE, source='hostile')),
                             ('/details', dict(WIDE, source='', filter=''))]:
            st, ct, body = web.get(path, params)
            check.eq('%s %s status' % (path, params), 200, st)
            check.ok(ct.startswith('text/html'), '%s: content type %s' % (path, ct))
            html_pages.append((path, body))
        st, _, body = web.get('/details', WIDE)
        page = body.decode()
        want = report_csv(store, '--by', 'hostname', '-n', '10')
        for r in want:
            if r['rank'] in ('other', 'total') or not r['hostname']:
                continue
            esc = r['hostname'].replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            check.ok('>%s</a>' % esc in page, 'details: hostname %r missing' % r['hostname'])
        for key in ('hostname', 'domain', 'device', 'dstport', 'app'):
            want = report_csv(store, '--by', key, '-n', '10')
            st, ct, body = web.get('/api/top.csv', dict(WIDE, by=key))
            check.eq('top.csv %s status' % key, 200, st)
            got = list(csv.DictReader(io.StringIO(body.decode())))
            check.eq('top.csv by %s equals hostflow-report --csv' % key, want, got)
            st, ct, body = web.get('/api/top.json', dict(WIDE, by=key))
            rows = json.loads(body)['rows']
            check.eq('top.json by %s rows' % key, len(want), len(rows))
            for w_, g in zip(want, rows):
                check.ok(int(w_['bytes']) == g['bytes'] and int(w_['flows']) == g['flows'],
                         'top.json by %s: %r vs %r' % (key, w_, g))
        want = report_csv(store)
        st, _, body = web.get('/api/flows.json', dict(WIDE, n='1000'))
        flows = json.loads(body)['rows']
        check.eq('flows.json: conversations as the timeline', len(want), len(flows))
        check.eq('flows.json: newest first', sorted(f['start'] for f in flows)[::-1],
                 [f['start'] for f in flows])
        check.eq('flows.json: sent bytes as the timeline',
                 sorted(int(r['sent_bytes']) for r in want), sorted(f['sent_bytes'] for f in flows))
        st, _, body = web.get('/api/flows.csv', dict(WIDE, n='5', page='1'))
        check.eq('flows.csv rows', 5, len(list(csv.DictReader(io.StringIO(body.decode())))))
        dev = flows[0]['device']
        st, ct, body = web.get('/device', dict(WIDE, name=dev))
        check.eq('device page', 200, st)
        html_pages.append(('/device', body))
        for by in ('hostname', 'domain'):
            st, _, body = web.get('/api/device.json', dict(WIDE, name=dev, by=by))
            check.ok(st == 200 and json.loads(body)['rows'],
                     'device.json %s by %s: %d %r' % (dev, by, st, body[:200]))
            st, _, body = web.get('/api/device.csv', dict(WIDE, name=dev, by=by))
            check.ok(st == 200 and body.startswith(by.encode() + b','), 'device.csv by %s' % by)
        for what in ('bytes', 'packets', 'flows'):
            for span in ('day', 'week'):
                st, ct, body = web.get('/graph.png', {'profile': 'live', 'source': '_total',
                                                      'what': what, 'span': span})
                check.ok(st == 200 and ct == 'image/png' and png_ok(body),
                         'graph %s %s: status %d, %s, %d bytes' % (what, span, st, ct, len(body)))
        st, _, body = web.get('/graph.png', {'profile': 'live', 'source': '_total'})
        st2, _, body2 = web.get('/graph.png', {'profile': 'live', 'source': '_total'})
        check.ok(body == body2, 'graph cached until the next slot')
        st, _, body = web.get('/api/series.json', {'what': 'packets', 'span': 'day'})
        series = json.loads(body)
        check.eq('series columns', ['tcp', 'udp', 'icmp', 'other'], series['columns'])
        check.ok(any(v is not None and v > 0 for row in series['rows'] for v in row[1:]),
                 'series has values')
        st, _, body = web.get('/')
        check.ok(b'/graph.png?profile=live&amp;source=_total' in body, 'overview links graphs')
        check.ok(b'(no RRD yet)' in body, 'overview says which sources have no RRD')
        st, _, _ = web.get('/graph.png', {'source': 'iphone'})
        check.eq('graph without an RRD', 404, st)

        # ---- 2. hostile names
        exports = []
        for path in ('/api/top.csv', '/api/top.json'):
            for by in ('hostname', 'app', 'domain'):
                exports.append((path, by, web.get(path, dict(WIDE, by=by, source='hostile'))[2]))
        for path in ('/api/flows.csv', '/api/flows.json'):
            exports.append((path, '', web.get(path, dict(WIDE, source='hostile'))[2]))
        st, _, body = web.get('/flows', dict(WIDE, source='hostile'))
        html_pages.append(('/flows hostile', body))
        st, _, body = web.get('/device', dict(WIDE, name=flows_hostile_device(web)))
        html_pages.append(('/device hostile', body))
        st, _, body = web.get('/details', dict(WIDE, filter='hostname "<script>*"'))
        html_pages.append(('/details hostile filter', body))
        check.ok(b'&lt;script&gt;alert(1)&lt;/script&gt;.example' in html_pages[-4][1]
                 or b'&lt;script&gt;' in html_pages[-3][1], 'hostile name shown escaped')
        for what, body in html_pages:
            check.ok(b'<script' not in body.lower(), '%s: raw <script> in HTML' % what)
            check.ok(b'=cmd|' not in body or b"=cmd|&#39;" in body,
                     '%s: formula name unescaped' % what)
        for path, by, body in exports:
            text = body.decode('utf-8')
            if path.endswith('.json'):
                rows = json.loads(text)['rows']
                if by in ('hostname', 'app') or not by:
                    names = [r.get(by or 'hostname') for r in rows]
                    check.ok(SCRIPT.decode() in names or FORMULA.decode() in names
                             or by == 'app', '%s by %s: names %r' % (path, by, names))
                check.ok('</' not in text, '%s by %s: "</" in JSON' % (path, by))
            else:
                for row in csv.reader(io.StringIO(text)):
                    for cell in row:
                        check.ok(not cell or cell[0] not in '=+-@\t\r' or
                                 cell.lstrip('-').isdigit(),
                                 '%s by %s: formula cell %r' % (path, by, cell))
                check.ok("'=cmd|" in text or by in ('domain',), '%s by %s: neutralised' % (path, by))

        # ---- 3. malformed requests
        bad = [
            ('/details', {'n': '0'}), ('/details', {'n': '1001'}), ('/details', {'n': '-1'}),
            ('/details', {'n': '99999999999999999999'}), ('/details', {'n': 'ten'}),
            ('/details', {'order': 'size'}), ('/details', {'from': 'yesterdayish'}),
            ('/details', {'from': '2026-13-45'}), ('/details', {'to': '1969-01-01T00:00:00Z'}),
            ('/details', {'from': '2030-01-01', 'to': '2020-01-01'}),
            ('/details', {'filter': 'proto tcp and ('}), ('/details', {'filter': 'x' * 3000}),
            ('/details', {'filter': '"; DROP TABLE flows;--'}),
            ('/details', {'source': '../etc'}), ('/details', {'source': 'nosuch'}),
            ('/details', {'source': '.rrd'}), ('/details', {'bogus': '1'}),
            ('/details', {'tz': 'mars'}), ('/flows', {'page': '0'}),
            ('/flows', {'page': '100001'}), ('/device', {}), ('/device', {'name': 'x' * 300}),
            ('/graph.png', {'what': 'bits/s'}), ('/graph.png', {'span': 'decade'}),
            ('/graph.png', {'profile': '../../etc'}), ('/graph.png', {'source': 'a/b'}),
            ('/api/top.csv', {'by': 'nosuchkey'}), ('/api/top.json', {'by': 'a,b,c,d,e'}),
            ('/api/series.json', {'what': '<script>'}), ('/api/device.json', {'name': 'x', 'by': 'app'}),
            ('/nosuchpage', None), ('/static/../../etc/passwd', None), ('/details/', None),
        ]
        for path, params in bad:
            st, ct, body = web.get(path, params)
            check.ok(400 <= st < 500, '%s %r: status %d' % (path, params, st))
            check.ok(b'<script' not in body, '%s: raw markup in the error' % path)
        st, _, body = web.get('/details', {'filter': 'hostname <script>'})
        check.ok(st == 400 and b'<script>' not in body or ct.startswith('text/plain'),
                 'filter error shown escaped or as text')
        raw = [
            b'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /static/%2e%2e/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /details?filter=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /details?name=a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /details?filter=a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /details?source=' + b'a' * 20000 + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: close\r\n\r\n',
            b'GET /' + b'x' * 100000 + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: close\r\n\r\n',
            b'POST /details HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc',
            b'GET /details?n=1&n=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GARBAGE\r\n\r\n',
        ]
        for req in raw:
            try:
                st = web.raw(req)
            except OSError as e:
                st = -1
                print('  raw %r: %s' % (req[:40], e))
            # a request line that is not HTTP: libmicrohttpd may just close
            check.ok(400 <= st < 500 or (st == 0 and req.startswith(b'GARBAGE')),
                     'raw %r: status %d' % (req[:50], st))
        st, _, _ = web.get('/details', WIDE)
        check.eq('still serving after bad input', 200, st)
        code, err = web.stop()
        check.ok(hftest.sanitizer_report(err) is None,
                 'hostflow-web sanitizer report: %s' % err[-3000:])
        check.eq('hostflow-web exit on SIGTERM', 0, code)

        # a query reading more than --max-scan: 503
        web = Web(store, '--max-scan', '1000')
        st, _, body = web.get('/details', WIDE)
        check.eq('too large a query: 503', 503, st)
        st, _, body = web.get('/', None)
        check.eq('the overview still answers', 200, st)
        code, err = web.stop()
        check.ok(hftest.sanitizer_report(err) is None, 'sanitizer: %s' % err[-500:])
    check.finish()


def flows_hostile_device(web):
    st, _, body = web.get('/api/flows.json', dict(WIDE, source='hostile'))
    return json.loads(body)['rows'][0]['device']


if __name__ == '__main__':
    main()
