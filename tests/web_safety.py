#!/usr/bin/env python3
"""The web view's safety options, over the store tests/web_view.py builds:

1. basic auth (--htpasswd, [web] htpasswd): without credentials, with a
   wrong password, an unknown user or a malformed Authorization header,
   a page, an /api CSV, a graph and the style sheet answer 401 with
   WWW-Authenticate: Basic realm="hostflow"; the right password of each
   hash scheme accepted (yescrypt, bcrypt, sha-crypt 256 and 512) answers
   200; an htpasswd line in plaintext, DES or MD5 ($1$, $apr1$) stops
   hostflow-web at start with FILE:LINE, and hostflow-collector
   --check-config says the same; SIGHUP re-reads the file;
2. TLS (--tls-cert/--tls-key, a self-signed certificate made with the
   openssl CLI): an https request verified against that certificate is
   answered, plain http on that port is not; one of the two alone, a
   missing file, a file that is not PEM or a key that is not the
   certificate's: a clear error at start; the collector's own web view
   with [web] htpasswd, tls-cert and tls-key asks for users over https and
   reads the htpasswd file again on SIGHUP;
3. the time limit (--max-query-seconds): a tiny one makes the details, the
   flows and the exports 503 with a message while the overview and the
   style sheet, asked at the same time, are answered, and the server
   serves afterwards; the group cap (--max-groups) likewise; bad values
   refused at start.  No sanitizer report at any exit."""
import base64
import concurrent.futures
import ctypes
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402
import web_view  # noqa: E402
from web_view import WIDE  # noqa: E402

GRAPH = ('/graph.png', {'profile': 'live', 'source': '_total'})
GUARDED = [('/details', WIDE), ('/api/top.csv', dict(WIDE, by='hostname')), GRAPH,
           ('/static/style.css', None), ('/', None)]

_libcrypt = ctypes.CDLL('libcrypt.so.1')
_libcrypt.crypt.restype = ctypes.c_char_p
_libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libcrypt.crypt_gensalt.restype = ctypes.c_char_p
_libcrypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
                                    ctypes.c_int]


def crypt(password, prefix, rounds=0):
    """libcrypt's hash of password with a fresh salt of the prefix's scheme."""
    salt = _libcrypt.crypt_gensalt(prefix.encode(), rounds, None, 0)
    return _libcrypt.crypt(password.encode(), salt).decode()


def basic(user, password):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()


def get(port, path, params=None, auth=None, scheme='http', ctx=None, timeout=60):
    """(status, headers, body) of a GET; auth: an Authorization value."""
    url = '%s://127.0.0.1:%d%s' % (scheme, port, path)
    if params:
        url += '?' + urllib.parse.urlencode(params)
    req = urllib.request.Request(url)
    if auth is not None:
        req.add_header('Authorization', auth)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def start_fails(check, what, args, want):
    """hostflow-web with args must not start: exit 2 or 1, stderr saying want."""
    p = hftest.run([hftest.WEB, '-l', '127.0.0.1:0'] + args, timeout=60)
    check.ok(p.returncode in (1, 2) and want in p.stderr,
             '%s: exit %d, %r (wanted %r)' % (what, p.returncode, p.stderr.strip(), want))


def stop_clean(check, what, web):
    code, err = web.stop()
    check.ok(hftest.sanitizer_report(err) is None, '%s: sanitizer report: %s' % (what, err[-3000:]))
    check.eq('%s: exit on SIGTERM' % what, 0, code)


def auth_tests(check, tmp, store):
    users = {'alice': ('sesame-6', '$6$'), 'bob': ('sesame-2b', '$2b$'),
             'carol': ('sesame-y', '$y$'), 'dave': ('sesame-5', '$5$')}
    pw = os.path.join(tmp, 'htpasswd')
    with open(pw, 'w') as f:
        f.write('# web users\n\n')
        for u, (p, scheme) in users.items():
            f.write('%s:%s\n' % (u, crypt(p, scheme, 5 if scheme == '$2b$' else 0)))
    with open(pw) as f:
        lines = f.read().splitlines()
    for u, (_, scheme) in users.items():
        check.ok('%s:%s' % (u, scheme) in '\n'.join(lines), 'htpasswd: %s hashed with %s' % (u, scheme))
    web = hftest.Web(store, '--htpasswd', pw)
    for path, params in GUARDED:
        for what, auth in (('no credentials', None),
                           ('a wrong password', basic('alice', 'sesame')),
                           ('an unknown user', basic('mallory', 'sesame-6')),
                           ('another user\'s password', basic('bob', 'sesame-6')),
                           ('not base64', 'Basic !!!notbase64!!!'),
                           ('no colon', 'Basic ' + base64.b64encode(b'alice').decode()),
                           ('a NUL byte', 'Basic ' + base64.b64encode(b'alice:ses\0ame-6').decode()),
                           ('another scheme', 'Bearer sesame-6'),
                           ('a huge header', 'Basic ' + 'QUFB' * 2000)):
            st, hdr, body = get(web.port, path, params, auth)
            check.eq('%s %s: %s' % (path, params, what), 401, st)
            check.ok((hdr.get('WWW-Authenticate') or '').startswith('Basic realm="hostflow"'),
                     '%s: WWW-Authenticate %r' % (path, hdr.get('WWW-Authenticate')))
            check.ok(b'<script' not in body and len(body) < 200, '%s: 401 body %r' % (path, body))
        st, hdr, body = get(web.port, path, params, basic('alice', users['alice'][0]))
        check.eq('%s %s: right credentials' % (path, params), 200, st)
        if path == '/graph.png':
            check.ok(web_view.png_ok(body), 'the graph behind auth is a PNG')
        if path == '/api/top.csv':
            check.ok(body.startswith(b'rank,hostname,'), 'the CSV behind auth: %r' % body[:60])
    for u, (p, scheme) in users.items():
        st, _, _ = get(web.port, '/details', WIDE, basic(u, p))
        check.eq('%s (%s hash) logs in' % (u, scheme), 200, st)
        st, _, _ = get(web.port, '/details', WIDE, basic(u, p + 'x'))
        check.eq('%s (%s hash) with a wrong password' % (u, scheme), 401, st)
    # SIGHUP re-reads the file: erin added, alice removed
    with open(pw, 'w') as f:
        f.write('erin:%s\nbob:%s\n' % (crypt('sesame-e', '$6$'), crypt('sesame-2b', '$2b$', 5)))
    web.proc.send_signal(signal.SIGHUP)
    ok = False
    for _ in range(50):
        if get(web.port, '/', None, basic('erin', 'sesame-e'))[0] == 200:
            ok = True
            break
        time.sleep(0.1)
    check.ok(ok, 'SIGHUP: a user added to the file logs in')
    check.eq('SIGHUP: a user removed from the file', 401,
             get(web.port, '/', None, basic('alice', users['alice'][0]))[0])
    # a bad file at SIGHUP keeps the old users
    with open(pw, 'w') as f:
        f.write('erin:plaintext\n')
    web.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    check.eq('SIGHUP with a bad file keeps the old users', 200,
             get(web.port, '/', None, basic('erin', 'sesame-e'))[0])
    stop_clean(check, 'hostflow-web --htpasswd', web)

    # refused files: each names FILE:LINE, for hostflow-web and --check-config
    bad = [('plaintext', 'zoe:sesame\n', 2), ('DES', 'zoe:abJnggxhB/yWI\n', 2),
           ('MD5 $1$', 'zoe:%s\n' % crypt('x', '$1$'), 2),
           ('MD5 $apr1$', 'zoe:$apr1$M/V/3SKj$SiEwN7ahNCu8h74o0Y5SA/\n', 2),
           ('no colon', 'zoe\n', 2), ('a user twice', 'zoe:%s\nzoe:%s\n' % (
               crypt('a', '$6$'), crypt('b', '$6$')), 3),
           ('an unknown scheme', 'zoe:$9$abc\n', 2)]
    for what, text, line in bad:
        path = os.path.join(tmp, 'bad.htpasswd')
        with open(path, 'w') as f:
            f.write('# users\n' + text)
        start_fails(check, 'htpasswd with %s' % what, ['-w', store, '--htpasswd', path],
                    '%s:%d' % (path, line))
        cfg = os.path.join(tmp, 'bad.conf')
        with open(cfg, 'w') as f:
            f.write('[web]\nlisten = 127.0.0.1:0\nhtpasswd = %s\n' % path)
        p = hftest.collector_run(['-c', cfg, '--check-config'])
        check.ok(p.returncode == 2 and '%s:%d' % (path, line) in p.stderr,
                 'collector --check-config, htpasswd with %s: exit %d, %r' % (
                     what, p.returncode, p.stderr.strip()))
    empty = os.path.join(tmp, 'empty.htpasswd')
    open(empty, 'w').close()
    start_fails(check, 'an htpasswd without users', ['-w', store, '--htpasswd', empty], 'no users')
    start_fails(check, 'a missing htpasswd', ['-w', store, '--htpasswd', empty + '.none'],
                'htpasswd')
    cfg = os.path.join(tmp, 'good.conf')
    with open(cfg, 'w') as f:
        f.write('[web]\nlisten = 127.0.0.1:0\nhtpasswd = %s\n' % pw.replace('htpasswd', 'good'))
    with open(pw.replace('htpasswd', 'good'), 'w') as f:
        f.write('alice:%s\n' % crypt('x', '$y$'))
    p = hftest.collector_run(['-c', cfg, '--check-config'])
    check.eq('collector --check-config with a good htpasswd: exit', 0, p.returncode)


def tls_tests(check, tmp, store):
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    p = hftest.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', key, '-out', cert])
    check.ok(p.returncode == 0, 'openssl req: %s' % p.stderr)
    web = hftest.Web(store, '--tls-cert', cert, '--tls-key', key)
    ctx = ssl.create_default_context(cafile=cert)
    st, _, body = get(web.port, '/details', WIDE, scheme='https', ctx=ctx)
    check.eq('https /details, verified against the certificate', 200, st)
    check.ok(b'<table' in body, 'https /details is the page')
    st, _, body = get(web.port, '/api/top.csv', dict(WIDE, by='hostname'), scheme='https', ctx=ctx)
    check.ok(st == 200 and body.startswith(b'rank,'), 'https top.csv: %d' % st)
    try:
        st, _, _ = get(web.port, '/details', WIDE, timeout=15)
    except (OSError, urllib.error.URLError, ValueError) as e:
        # http.client rejects what comes back (a TLS alert, or nothing)
        st = 'refused (%s)' % type(e).__name__
    check.ok(st != 200, 'plain http on the https port: %s' % st)
    st, _, _ = get(web.port, '/', None, scheme='https', ctx=ctx)
    check.eq('https still served after a plain http attempt', 200, st)
    stop_clean(check, 'hostflow-web TLS', web)

    notpem = os.path.join(tmp, 'notpem.txt')
    with open(notpem, 'w') as f:
        f.write('hello\n')
    other = os.path.join(tmp, 'other-key.pem')
    p = hftest.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-out', other])
    check.ok(p.returncode == 0, 'openssl genpkey: %s' % p.stderr)
    for what, args, want in (
            ('only the certificate', ['--tls-cert', cert], 'together'),
            ('only the key', ['--tls-key', key], 'together'),
            ('a missing certificate', ['--tls-cert', cert + '.none', '--tls-key', key], 'tls-cert'),
            ('a missing key', ['--tls-cert', cert, '--tls-key', key + '.none'], 'tls-key'),
            ('a certificate that is not PEM', ['--tls-cert', notpem, '--tls-key', key],
             'not a PEM file'),
            ('the key as the certificate', ['--tls-cert', key, '--tls-key', key],
             'not a PEM file'),
            ('a key not the certificate\'s', ['--tls-cert', cert, '--tls-key', other],
             'cannot serve HTTPS')):
        start_fails(check, 'TLS with %s' % what, ['-w', store] + args, want)
    cfg = os.path.join(tmp, 'tls.conf')
    with open(cfg, 'w') as f:
        f.write('[web]\nlisten = 127.0.0.1:0\ntls-cert = %s\n' % cert)
    p = hftest.collector_run(['-c', cfg, '--check-config'])
    check.ok(p.returncode == 2 and 'tls-key' in p.stderr,
             'collector --check-config, tls-cert alone: exit %d, %r' % (p.returncode, p.stderr))


def collector_tests(check, tmp):
    """The collector's own web view with [web] htpasswd, tls-cert, tls-key."""
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    pw = os.path.join(tmp, 'collector.htpasswd')
    with open(pw, 'w') as f:
        f.write('alice:%s\n' % crypt('sesame', '$y$'))
    cfg = os.path.join(tmp, 'collector-web.conf')
    with open(cfg, 'w') as f:
        f.write('[collector]\nstatus-exporters = 1000\n[web]\nlisten = 127.0.0.1:0\n'
                'htpasswd = %s\ntls-cert = %s\ntls-key = %s\nmax-query-seconds = 0.5\n'
                % (pw, cert, key))
    ctx = ssl.create_default_context(cafile=cert)
    with hftest.Collector(tmp, 'safe', listen=['udp:127.0.0.1:0'], config=cfg) as col:
        col.start()
        m = re.search(r'web view on https:[^\s]*:(\d+)', col.stderr())
        check.ok(m, 'the collector serves its web view over https: %s' % col.stderr())
        if not m:
            col.stop()
            return
        port = int(m.group(1))
        st, hdr, _ = get(port, '/', None, scheme='https', ctx=ctx)
        check.eq('collector web view without credentials', 401, st)
        check.ok((hdr.get('WWW-Authenticate') or '').startswith('Basic realm="hostflow"'),
                 'collector web view: WWW-Authenticate')
        check.eq('collector web view with credentials', 200,
                 get(port, '/', None, basic('alice', 'sesame'), 'https', ctx)[0])
        with open(pw, 'w') as f:
            f.write('bob:%s\n' % crypt('sesame-b', '$6$'))
        col.proc.send_signal(signal.SIGHUP)
        ok = False
        for _ in range(50):
            if get(port, '/', None, basic('bob', 'sesame-b'), 'https', ctx)[0] == 200:
                ok = True
                break
            time.sleep(0.1)
        check.ok(ok, 'collector SIGHUP: the new user of the htpasswd file logs in')
        check.eq('collector SIGHUP: the removed user', 401,
                 get(port, '/', None, basic('alice', 'sesame'), 'https', ctx)[0])
        col.check_exit(check, 'collector with users and TLS', col.stop())


def limit_tests(check, tmp, store):
    web = hftest.Web(store)
    st, _, _ = get(web.port, '/details', WIDE)
    check.eq('details within the default limits', 200, st)
    stop_clean(check, 'hostflow-web default limits', web)

    # room for all of them at once: each is stopped by its time, not refused as busy
    web = hftest.Web(store, '--max-query-seconds', '0.000001', '--max-queries', '8')
    slow = [('/details', WIDE), ('/flows', WIDE), ('/api/top.csv', dict(WIDE, by='hostname')),
            ('/api/flows.json', WIDE), ('/device', dict(WIDE, name='02:00:00:00:07:10'))]
    cheap = [('/static/style.css', None), ('/', None), GRAPH]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futs = [(path, False, pool.submit(get, web.port, path, params)) for path, params in slow]
        futs += [(path, True, pool.submit(get, web.port, path, params)) for path, params in cheap]
        for path, is_cheap, fut in futs:
            st, _, body = fut.result()
            if is_cheap:
                check.eq('%s answered beside the stopped queries' % path, 200, st)
            else:
                check.eq('%s over the time limit' % path, 503, st)
                check.ok(b'longer than the limit' in body, '%s: 503 says why: %r' % (path, body))
    for path, params in cheap + slow[:1]:
        st, _, _ = get(web.port, path, params)
        check.eq('%s after the stopped queries' % path, 503 if path == '/details' else 200, st)
    stop_clean(check, 'hostflow-web --max-query-seconds', web)

    web = hftest.Web(store, '--max-groups', '1')
    for path, params in (('/details', WIDE), ('/flows', WIDE),
                         ('/api/top.json', dict(WIDE, by='hostname'))):
        st, _, body = get(web.port, path, params)
        check.eq('%s over --max-groups 1' % path, 503, st)
        check.ok(b'more than 1 rows' in body, '%s: 503 says why: %r' % (path, body))
    st, _, _ = get(web.port, '/', None)
    check.eq('the overview beside the group cap', 200, st)
    stop_clean(check, 'hostflow-web --max-groups', web)

    for what, args, want in (('--max-query-seconds -1', ['--max-query-seconds', '-1'],
                              'max-query-seconds'),
                             ('--max-query-seconds 1e9', ['--max-query-seconds', '1e9'],
                              'max-query-seconds'),
                             ('--max-groups -5', ['--max-groups', '-5'], 'max-groups')):
        start_fails(check, what, ['-w', store] + args, want)
    for key, value in (('max-query-seconds', 'soon'), ('max-query-seconds', '0'),
                       ('max-groups', 'many'), ('max-groups', '0')):
        cfg = os.path.join(tmp, 'limits.conf')
        with open(cfg, 'w') as f:
            f.write('[web]\n%s = %s\n' % (key, value))
        start_fails(check, '[web] %s = %s' % (key, value), ['-w', store, '-c', cfg], key)
        p = hftest.collector_run(['-c', cfg, '--check-config'])
        check.ok(p.returncode == 2 and key in p.stderr,
                 'collector --check-config, %s = %s: exit %d, %r' % (key, value, p.returncode,
                                                                    p.stderr.strip()))


def main():
    hftest.need_tools('rrdtool', 'openssl')
    check = hftest.Check('web-safety')
    with hftest.tempdir('hfsafe-') as tmp:
        store = web_view.build_store(check, tmp)
        auth_tests(check, tmp, store)
        tls_tests(check, tmp, store)
        collector_tests(check, tmp)
        limit_tests(check, tmp, store)
    check.finish()


if __name__ == '__main__':
    main()
