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
   and the server keeps serving; no sanitizer report at the end;
4. the device's traffic graph: /device.svg is an SVG of two step lines,
   /api/device-series.json's sent and received bytes equal what
   hostflow-report gives for "src mac M" and "dst mac M" (and for a
   [devices] name, "src device NAME"), its rows add up to them;
5. scripts: the pages load only /static/graphs.js and the dygraphs
   library from [web] javascript-dir (a directory of the test's own here),
   which serves .js and .css below it and nothing else: ".." in a request
   is 400, in the setting a configuration error; the
   Content-Security-Policy allows scripts from the server only."""
import csv
import io
import json
import os
import re
import shutil
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

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


# the only scripts a page may carry: the server's own files
SCRIPT_TAGS = [b'<script src="/js/dygraphs/dygraph.min.js" defer></script>',
               b'<script src="/static/graphs.js" defer></script>']


def without_our_scripts(body):
    for t in SCRIPT_TAGS:
        body = body.replace(t, b'')
    return body


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
        web = hftest.Web(store)
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
        # the six tables come from one scan of the files: each equals the
        # report's own table by that key (flows, packets, bytes, row by row)
        for key in ('device', 'hostname', 'domain', 'dstip', 'dstport', 'app'):
            want = [(int(r['flows']), int(r['packets']), int(r['bytes']))
                    for r in report_csv(store, '--by', key, '-n', '10') if r['rank'] != 'total']
            m = re.search(r'<section class="top" id="top-%s">(.*?)</section>' % key, page, re.S)
            nums = [int(x) for x in re.findall(r'title="(\d+)"', m.group(1))] if m else []
            got = [tuple(nums[i:i + 3]) for i in range(0, len(nums) - 2, 3)]
            check.eq('details: the %s table equals hostflow-report --by %s' % (key, key),
                     want, got)
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
        check_device_graph(check, web, store, dev, device_term(dev), both=False)
        mac = [r['device'] for r in report_csv(store, '--by', 'device', '-n', '10')
               if device_term(r['device']).startswith('mac ')][0]
        check_device_graph(check, web, store, mac, device_term(mac))
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

        st, ct, body = web.get('/static/graphs.js')
        check.ok(st == 200 and ct.startswith('text/javascript') and b'Dygraph' in body,
                 '/static/graphs.js: %d %s' % (st, ct))
        lib = '/usr/share/javascript/dygraphs/dygraph.min.js'
        if check.ok(os.path.exists(lib), '%s missing: install libjs-dygraphs' % lib):
            st, ct, body = web.get('/js/dygraphs/dygraph.min.js')
            check.ok(st == 200 and ct.startswith('text/javascript'), 'dygraphs: %d %s' % (st, ct))
            check.eq('dygraphs served as installed', open(lib, 'rb').read(), body)
        with urllib.request.urlopen('http://127.0.0.1:%d/' % web.port, timeout=60) as r:
            csp = r.headers.get('Content-Security-Policy', '')
        check.ok("script-src 'self'" in csp and 'unsafe' not in csp
                 and "default-src 'none'" in csp, 'Content-Security-Policy: %r' % csp)

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
            check.ok(b'<script' not in without_our_scripts(body).lower(),
                     '%s: raw <script> in HTML' % what)
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
            ('/device.svg', {}), ('/api/device-series.json', {'name': 'x' * 300}),
            ('/device.svg', {'name': 'x', 'span': 'day'}),
            ('/api/device-series.json', {'name': 'x', 'from': '2030-01-01', 'to': '2020-01-01'}),
            ('/js/dygraphs/dygraph.min.js', {'v': '1'}), ('/js/', None),
            ('/js/dygraphs/dygraph.js.map', None), ('/js/dygraphs/.hidden.js', None),
            ('/js/dygraphs/nosuch.js', None),
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
            b'GET /js/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /js/dygraphs/../../../etc/hostname.js HTTP/1.1\r\nHost: x\r\n'
            b'Connection: close\r\n\r\n',
            b'GET /js/%2e%2e/%2e%2e/etc/x.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
            b'GET /js//etc/x.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
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
        web = hftest.Web(store, '--max-scan', '1000')
        st, _, body = web.get('/details', WIDE)
        check.eq('too large a query: 503', 503, st)
        st, _, body = web.get('/', None)
        check.eq('the overview still answers', 200, st)
        code, err = web.stop()
        check.ok(hftest.sanitizer_report(err) is None, 'sanitizer: %s' % err[-500:])

        # ---- 5. [web] javascript-dir, a [devices] name's traffic graph
        check_javascript_dir(check, tmp, store)
    check.finish()


def device_term(name):
    """The filter term the web view uses for a device (pages.c)."""
    if re.fullmatch(r'([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}', name):
        return 'mac ' + name
    if re.fullmatch(r'[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*', name):
        return 'host ' + name
    return 'device "%s"' % name


def report_bytes(store, filt, *extra):
    rows = report_csv(store, '--by', 'proto', *extra, filt)
    return sum(int(r['bytes']) for r in rows if r['rank'] == 'total')


def check_device_graph(check, web, store, name, term, *extra, both=True):
    """/api/device-series.json and /device.svg of a device against the report."""
    st, ct, body = web.get('/api/device-series.json', dict(WIDE, name=name))
    if not check.ok(st == 200 and ct == 'application/json',
                    'device-series %s: %d %s %r' % (name, st, ct, body[:200])):
        return
    s = json.loads(body)
    check.eq('device-series %s columns' % name, ['sent', 'received'], s['columns'])
    check.ok(0 < len(s['rows']) <= 600, 'device-series %s: %d rows' % (name, len(s['rows'])))
    check.eq('device-series %s: one row a step' % name,
             [s['start'] + i * s['step'] for i in range(len(s['rows']))],
             [r[0] for r in s['rows']])
    for col, side, key in ((1, 'src', 'sent_bytes'), (2, 'dst', 'received_bytes')):
        want = report_bytes(store, '%s %s' % (side, term), *extra)
        check.eq('device-series %s %s = hostflow-report "%s %s"' % (name, key, side, term),
                 want, s[key])
        summed = sum(r[col] for r in s['rows']) * s['step'] / 8
        check.ok(abs(summed - s[key]) <= 1e-6 * max(1, s[key]),
                 'device-series %s: rows add up to %s %r, not %r' % (name, key, s[key], summed))
    check.ok(s['sent_bytes'] > 0 and (s['received_bytes'] > 0 or not both),
             'device-series %s has traffic (both ways: %s): %r' % (name, both, s))
    st, ct, body = web.get('/device.svg', dict(WIDE, name=name))
    if not check.ok(st == 200 and ct == 'image/svg+xml', 'device.svg %s: %d %s' % (name, st, ct)):
        return
    svg = ET.fromstring(body)
    paths = svg.findall('{http://www.w3.org/2000/svg}path')
    check.eq('device.svg %s: two lines' % name, 2, len(paths))
    levels = set(re.findall(r'(?:M[0-9.]+ |V)([0-9.]+)', ' '.join(p.get('d') for p in paths)))
    check.ok(len(levels) > 1, 'device.svg %s: flat lines' % name)


def check_javascript_dir(check, tmp, store):
    """[web] javascript-dir: what /js/ serves, and nothing above it."""
    js = os.path.join(tmp, 'js')
    for path, text in (('lib/a.js', 'var a = 1;\n'), ('lib/s.css', 'p { }\n'),
                       ('lib/n.txt', 'text\n'), ('.h/x.js', 'hidden\n'),
                       ('../secret.js', 'secret\n')):
        full = os.path.normpath(os.path.join(js, path))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)
    rows = report_csv(store, '--by', 'device', '-n', '10')
    mac = [r['device'] for r in rows if device_term(r['device']).startswith('mac ')][0]
    conf = os.path.join(tmp, 'web.conf')
    with open(conf, 'w') as f:
        f.write('[web]\njavascript-dir = %s\n\n[devices]\nlaptop = %s\n' % (js, mac))
    web = hftest.Web(store, '-c', conf)
    try:
        for path, want, ctype in (('/js/lib/a.js', 200, 'text/javascript'),
                                  ('/js/lib/s.css', 200, 'text/css'),
                                  ('/js/lib/n.txt', 404, ''), ('/js/.h/x.js', 404, ''),
                                  ('/js/dygraphs/dygraph.min.js', 404, '')):
            st, ct, body = web.get(path)
            check.ok(st == want and ct.startswith(ctype),
                     'javascript-dir %s: %d %s' % (path, st, ct))
        check.eq('javascript-dir serves the file', b'var a = 1;\n', web.get('/js/lib/a.js')[2])
        for req in (b'/js/../secret.js', b'/js/lib/../../secret.js', b'/js/%2e%2e/secret.js',
                    b'/js/lib/%2e%2e/%2e%2e/secret.js'):
            st = web.raw(b'GET ' + req + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            check.eq('javascript-dir refuses %r' % req, 400, st)
        # a [devices] name: "src device NAME", "dst device NAME"
        check_device_graph(check, web, store, 'laptop', 'device "laptop"', '-c', conf)
    finally:
        code, err = web.stop()
    check.ok(hftest.sanitizer_report(err) is None, 'sanitizer: %s' % err[-500:])
    for bad in (os.path.join(tmp, 'js', '..', 'js'), 'js'):
        with open(conf, 'w') as f:
            f.write('[web]\njavascript-dir = %s\n' % bad)
        p = hftest.run([hftest.WEB, '-w', store, '-l', '127.0.0.1:0', '-c', conf], timeout=30)
        check.ok(p.returncode == 2 and 'javascript-dir' in p.stderr,
                 'javascript-dir %s: exit %d, %s' % (bad, p.returncode, p.stderr.strip()))


def flows_hostile_device(web):
    st, _, body = web.get('/api/flows.json', dict(WIDE, source='hostile'))
    return json.loads(body)['rows'][0]['device']


if __name__ == '__main__':
    main()
