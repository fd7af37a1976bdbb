#!/usr/bin/env python3
"""Names from the network are stored as sent and printed inert.

A crafted exporter (127.0.0.51) sends IPFIX records whose six name
elements (hostflowHostname, hostflowDnsName, applicationName,
httpRequestHost, ntop's SSL_SERVER_NAME and DNS_QUERY) carry HTML,
terminal escapes, spreadsheet formulas, SQL, NUL bytes, invalid UTF-8, C1
controls, a bidi override, every byte value, seeded random bytes, and a
30,000-byte name (3-byte length prefix) in each element in turn.

- The store: the slot files, read here with a small IPFIX reader of our
  own, hold every name byte for byte.
- hostflow-dump -F text and -F csv: the bytes written hold no control byte
  but the line feeds, are valid UTF-8 with no C1 or bidi control; undoing
  the documented text escapes (\\\\ \\xNN \\u{N}) gives the names back.
- CSV, read with Python's csv module: no cell starts with = + - @ tab CR
  unless it is a numeric column holding a number; a name cell is the text
  form, with one ' in front when it starts with a formula lead or '.
- JSON lines: valid UTF-8, no "</", parse with json; each name is the name
  decoded as UTF-8 with U+FFFD for each invalid sequence (Python's
  errors='replace', the documented rule).
- The HTML form (tests/escape_name html): no < > " ', and html.unescape of
  it is the text form."""
import csv
import html
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

NOW = int(time.time() * 1000)
ADDR = '127.0.0.51'
P = hftest.PEN
NTOP = 35632
V = hftest.VARLEN
ESCAPE = os.environ.get('HF_ESCAPE') or os.path.join(hftest.BUILD, 'tests', 'escape_name')

# dump column, template field, stored element (pen, id)
NAME_FIELDS = [
    ('hostname', (1, V, P), (P, 1)),
    ('dns_name', (3, V, P), (P, 3)),
    ('app', (96, V), (0, 96)),
    ('http_host', (460, V), (0, 460)),
    ('sni', (188, V, NTOP), (NTOP, 188)),
    ('dns_query', (205, V, NTOP), (NTOP, 205)),
]
COLUMNS = [c for c, _, _ in NAME_FIELDS]
FIELDS = list(hftest.STD_V4) + [(2, 1, P)] + [f for _, f, _ in NAME_FIELDS]
NUMERIC = hftest.INT_COLUMNS + ('sampling', 'flows')


def long_name():
    """30,000 bytes: a formula lead, markup, escapes, invalid bytes."""
    head = b'=HYPERLINK("http://x")<script>\x1b[2J\xff'
    tail = b'\xe2\x80\xae' + b'y' * 100 + b'\xc2\x9b'
    fill = 30000 - len(head) - len(tail)
    name = head + (b'long.' * fill)[:fill] + tail
    assert len(name) == 30000
    return name


HOSTILE = [
    b'<script>alert(1)</script>',
    b'\x1b]0;pwned\x07\x1b[2J',                 # terminal title, clear screen
    b"=cmd|' /C calc'!A0",
    b'+1',
    b'-1+2',
    b'@SUM(1)',
    b'\t=1+1',
    b'\r=1+1',
    b"'; DROP TABLE flows;--",
    b'\x00nul\x00inside',                       # (trailing NULs are padding)
    b'\xff\xfe',
    b'\xc0\xaf',                                # overlong '/'
    b'\xed\xa0\x80',                            # a surrogate
    b'\xe2\x82',                                # truncated
    b'\xc2\x9b2J\x7f',                          # C1 CSI, DEL
    b'abc\xe2\x80\xaegpj.exe',                  # RIGHT-TO-LEFT OVERRIDE
    b'a,"b"\r\nc',
    b'\\x1b\\u{202e}',                          # looks like our escapes
    'bücher.例え.jp\U0001f600'.encode(),
    bytes(range(256)),
    bytes(random.Random(20).randrange(256) for _ in range(3000)) + b'!',
]

TEXT_FORM = re.compile(rb'(?:[^\\]|\\\\|\\x[0-9a-f]{2}|\\u\{[0-9a-f]{4,6}\})*', re.S)
TEXT_ESCAPE = re.compile(rb'\\(\\|x([0-9a-f]{2})|u\{([0-9a-f]+)\})')
C1 = set(range(0x80, 0xa0))
BIDI = {0x061c, 0x200e, 0x200f, 0x2028, 0x2029} | set(range(0x202a, 0x202f)) \
    | set(range(0x2066, 0x206a))


def unescape_text(s):
    """The bytes a text form stands for (None if it is not one)."""
    b = s.encode('utf-8', 'surrogateescape')
    if not TEXT_FORM.fullmatch(b):
        return None

    def one(m):
        if m.group(1) == b'\\':
            return b'\\'
        if m.group(2):
            return bytes([int(m.group(2), 16)])
        return chr(int(m.group(3), 16)).encode()
    return TEXT_ESCAPE.sub(one, b)


def port_of(row, key):
    """row[key] as an int, None if there is none (a record broken up)."""
    try:
        return int(row[key])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def short(b, n=60):
    return repr(b[:n]) + ('... (%d bytes)' % len(b) if len(b) > n else '')


# ---------------------------------------------------------------- sending


def send_names(col):
    """{sourceTransportPort: {column: name bytes}} of the records sent."""
    exp = hftest.Exporter(col.udp, addr=ADDR)
    want, recs = {}, []
    for i, name in enumerate(HOSTILE):
        v = hftest.flow_values(3000 + i, NOW)
        v[(P, 2)] = 2
        for _, f, _ in NAME_FIELDS:
            v[(f[2], f[0]) if len(f) > 2 else f[0]] = name
        recs.append(hftest.pack_record(FIELDS, v))
        want[v[7]] = dict.fromkeys(COLUMNS, name)
    tmpl = hftest.ipfix_template_set([(400, FIELDS)])
    msgs = [hftest.ipfix_message([tmpl, hftest.ipfix_data_set(400, recs)], domain=21)]
    # the long name in each element in turn, one record per message
    long = long_name()
    for k, (col_name, f, _) in enumerate(NAME_FIELDS):
        v = hftest.flow_values(3100 + k, NOW)
        v[(P, 2)] = 1
        v[(f[2], f[0]) if len(f) > 2 else f[0]] = (long, True)
        want[v[7]] = dict.fromkeys(COLUMNS, b'')
        want[v[7]][col_name] = long
        msgs.append(hftest.ipfix_message([hftest.ipfix_data_set(400, [
            hftest.pack_record(FIELDS, v)])], domain=21, seq=len(recs) + k))
    exp.send(*msgs)
    print('sent %d records in %d messages (largest %d bytes)' % (
        len(want), len(msgs), max(len(m) for m in msgs)), flush=True)
    return want, len(msgs)


# ---------------------------------------------------------------- the store


def check_store(check, files, want):
    got = {}
    for path in files:
        for rec in hftest.read_ipfix(path):
            sport = int.from_bytes(rec.get((0, 7), b''), 'big')
            got[sport] = {c: rec.get(key, b'') for c, _, key in NAME_FIELDS}
    check.eq('stored records (by source port)', sorted(want), sorted(got))
    for sport in sorted(want):
        for c in COLUMNS:
            w, g = want[sport][c], got.get(sport, {}).get(c)
            check.ok(w == g, 'store: port %d %s: sent %s, stored %s'
                     % (sport, c, short(w), short(g or b'')))


# ---------------------------------------------------------------- outputs


def dump(check, fmt, files):
    p = subprocess.run([hftest.DUMP, '-F', fmt] + files, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode('utf-8', 'replace')
    check.ok(p.returncode == 0, 'hostflow-dump -F %s: exit %d: %s' % (fmt, p.returncode, err))
    check.ok(hftest.sanitizer_report(err) is None,
             'hostflow-dump -F %s: %s' % (fmt, hftest.sanitizer_report(err)))
    return p.stdout


def inert_bytes(check, what, out):
    """No control byte but the line feeds, valid UTF-8, no C1 or bidi
    control as a character; the text (invalid bytes as surrogateescape,
    so that the checks after this one still run)."""
    bad = sorted({b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f})
    check.ok(not bad, '%s: control bytes written: %s' % (what, [hex(b) for b in bad]))
    try:
        out.decode('utf-8')
    except UnicodeDecodeError as e:
        check.ok(False, '%s: not valid UTF-8: %s' % (what, e))
    text = out.decode('utf-8', 'surrogateescape')
    odd = sorted({hex(ord(ch)) for ch in text if ord(ch) in C1 or ord(ch) in BIDI})
    check.ok(not odd, '%s: C1 or bidi controls written: %s' % (what, odd))
    return text


def check_text(check, files, want):
    text = inert_bytes(check, 'text', dump(check, 'text', files))
    lines = text.split('\n')
    check.eq('text: lines', len(want) + 2, len(lines))          # header, last \n
    at = lines[0].index('hostname')              # the last column, any bytes
    seen = 0
    for line in lines[1:-1]:
        sport = port_of(line[:at].split(), 4)
        if not check.ok(sport in want, 'text: a line of no record sent: %s' % short(line)):
            continue
        host = unescape_text(line[at:])
        check.ok(host == want[sport]['hostname'], 'text: port %d hostname: sent %s, shown %s'
                 % (sport, short(want[sport]['hostname']), short(line[at:])))
        seen += 1
    check.eq('text: records', len(want), seen)


def check_csv(check, files, want):
    text = inert_bytes(check, 'csv', dump(check, 'csv', files))
    rows = list(csv.DictReader(io.StringIO(text, newline='')))
    check.eq('csv: rows', len(want), len(rows))
    for row in rows:
        sport = port_of(row, 'sport')
        if not check.ok(sport in want, 'csv: a row of no record sent: %s' % short(str(row))):
            continue
        for c, cell in row.items():
            if cell and cell[0] in '=+-@\t\r':
                check.ok(c in NUMERIC and re.fullmatch(r'-?[0-9]+', cell),
                         'csv: port %d: cell %s starts a formula: %s' % (sport, c, short(cell)))
        for c in COLUMNS:
            cell = row[c]
            w = want[sport][c]
            leads = w[:1] in (b'=', b'+', b'-', b'@', b"'")
            check.ok(cell.startswith("'") == leads,
                     'csv: port %d %s: a leading \' only before a formula lead or \': %s'
                     % (sport, c, short(cell)))
            got = unescape_text(cell[1:] if leads else cell)
            check.ok(got == w, 'csv: port %d %s: sent %s, shown %s'
                     % (sport, c, short(w), short(cell)))


def check_json(check, files, want):
    text = inert_bytes(check, 'json', dump(check, 'json', files))
    check.ok('</' not in text, 'json: "</" written')
    lines = text.split('\n')[:-1]
    check.eq('json: lines', len(want), len(lines))
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError as e:
            check.ok(False, 'json: %s: %s' % (e, short(line)))
            continue
        sport = port_of(obj, 'sport')
        if not check.ok(sport in want, 'json: a line of no record sent: %s' % short(line)):
            continue
        for c in COLUMNS:
            w = want[sport][c].decode('utf-8', 'replace')
            check.ok(obj[c] == w, 'json: port %d %s: want %s, got %s'
                     % (sport, c, short(w), short(obj[c])))


def check_html(check, names):
    for name in names:
        p = subprocess.run([ESCAPE, 'html'], input=name, stdout=subprocess.PIPE, timeout=30)
        t = subprocess.run([ESCAPE, 'text'], input=name, stdout=subprocess.PIPE, timeout=30)
        check.ok(p.returncode == 0 and t.returncode == 0, 'escape_name failed')
        out = inert_bytes(check, 'html of %s' % short(name), p.stdout)
        check.ok(not set('<>"\'') & set(out), 'html of %s: markup characters: %s'
                 % (short(name), short(out)))
        check.eq('html of %s: unescaped is the text form' % short(name),
                 t.stdout.decode('utf-8'), html.unescape(out))
        check.eq('html of %s: the name back' % short(name), name,
                 unescape_text(html.unescape(out)))


def main():
    check = hftest.Check('collector_hostile_names')
    with hftest.tempdir() as tmp:
        col = hftest.Collector(tmp, 'hostile')
        with col:
            col.start()
            want, nmsgs = send_names(col)
            st = col.wait_stored(len(want))
            check.ok(st is not None, 'stored %s of %d records' % (
                col.last['store']['records'], len(want)))
            tot = hftest.exporter_sum(col.last, addr=ADDR)
            check.eq('datagrams counted', nmsgs, tot['messages'])
            check.eq('malformed', 0, tot['malformed'])
            rc = col.stop()
            col.check_exit(check, 'collector', rc)
            files = col.files()
            check.ok(files, 'no store file')
            for title, step in (
                    ('the store, read here: names byte for byte',
                     lambda: check_store(check, files, want)),
                    ('hostflow-dump -F text', lambda: check_text(check, files, want)),
                    ('hostflow-dump -F csv', lambda: check_csv(check, files, want)),
                    ('hostflow-dump -F json', lambda: check_json(check, files, want)),
                    ('the HTML form', lambda: check_html(check, HOSTILE + [long_name()]))):
                print('== %s' % title, flush=True)
                before = len(check.failures)
                step()
                print('  %s' % ('ok' if len(check.failures) == before else 'FAILED'), flush=True)
    check.finish()


if __name__ == '__main__':
    main()
