#!/usr/bin/env python3
"""The one configuration file, hostflow.conf(5), as every program reads it:

(a) every key of every section, with its default, read from
    man/hostflow.conf.5: a file giving each its documented default is
    accepted by the --check-config of every program (probe, collector,
    web, report), and each program prints the documented value of every
    key of the sections it reads (and no key the page lacks); its output
    read back gives the same output; the shipped packaging/hostflow.conf
    lists every key at its documented default and every program accepts it;
(b) a table of bad files (unknown section, unknown key, key or section
    given twice, an unreadable line, a key before any section, values not
    numbers, out of range, bad sizes, durations, booleans, addresses,
    listen specs, a profile filter that does not parse, in several
    sections): the programs that read the section exit 2 with exactly
    "FILE:LINE: [section] key: " at the start of the message; the others
    accept a bad value in a section they do not read, but not a misspelt
    key or section; a missing -c file exits 2 for all;
(c) the command line beats the file, and the file beats the default,
    in --check-config and in what the probe actually does (max-flows from
    the file evicts flows on a real capture; the option overrides it);
(d) --quiet keeps errors only (no "listening on", no summary at exit, no
    warning), -v keeps the info lines."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

WEB = os.environ.get('HF_WEB') or os.path.join(hftest.BUILD, 'web', 'hostflow-web')
REPORT = os.environ.get('HF_REPORT') or os.path.join(hftest.BUILD, 'report', 'hostflow-report')
PROGRAMS = {'probe': hftest.PROBE, 'collector': hftest.COLLECTOR, 'web': WEB,
            'report': REPORT}
# the sections each program reads and prints with --check-config
READS = {'probe': ['probe'], 'collector': ['collector', 'web', 'source test'],
         'web': ['web'], 'report': ['report']}
SHIPPED = os.path.join(hftest.SRC, 'packaging', 'hostflow.conf')


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def check_config(prog, *args):
    return hftest.run([PROGRAMS[prog], '--check-config'] + list(args), timeout=30)


def ran_clean(check, what, p, rc=0):
    check.eq('%s: exit status' % what, rc, p.returncode)
    check.ok(hftest.sanitizer_report(p.stderr) is None, '%s: sanitizer: %s'
             % (what, hftest.sanitizer_report(p.stderr)))


def section_name(s):
    """The man page's "source name" is written as [source test]."""
    return s.replace(' name', ' test')


def documented(check, tmp):
    print('== (a) every documented key at its documented default, every program')
    keys = hftest.conf_man_keys()
    total = sum(len(v) for v in keys.values())
    print('hostflow.conf(5): %d keys in %d sections' % (total, len(keys)))
    check.ok(total >= 50, 'only %d keys found in hostflow.conf(5)' % total)
    for want in ('probe', 'collector', 'web', 'report', 'devices', 'source name',
                 'profile name'):
        check.ok(want in keys, 'hostflow.conf(5) has no [%s] section' % want)
    text = ''
    for section, kv in keys.items():
        set_ = [(k, d) for k, d in kv if d]
        if set_:
            text += '[%s]\n%s\n' % (section_name(section),
                                    ''.join('%s = %s\n' % (k, d) for k, d in set_))
    path = write(os.path.join(tmp, 'documented.conf'), text)
    rows = []
    for prog, sections in READS.items():
        p = check_config(prog, '-c', path)
        ran_clean(check, '%s --check-config, documented defaults' % prog, p)
        for section in sections:
            man = dict(keys[section.replace(' test', ' name')])
            got = hftest.conf_effective(p.stdout, section)
            for k, d in man.items():
                if d:
                    rows.append((prog, section, k, d, got.get(k)))
                    check.eq('%s [%s] %s' % (prog, section, k), d, got.get(k))
            check.eq('%s [%s]: keys printed the page lacks' % (prog, section), [],
                     sorted(set(got) - set(man)))
        # read back: the same values
        back = write(os.path.join(tmp, 'back-%s.conf' % prog), p.stdout)
        p2 = check_config(prog, '-c', back)
        ran_clean(check, '%s --check-config, its own output' % prog, p2)
        check.eq('%s: output read back' % prog, p.stdout.splitlines()[1:],
                 p2.stdout.splitlines()[1:])
    hftest.table(['program', 'section', 'key', 'documented', '--check-config'], rows)

    print('\n== the shipped packaging/hostflow.conf')
    shipped, section = {}, None
    for line in open(SHIPPED):
        m = re.match(r'^#?\s*\[(.+)\]\s*$', line)
        kv = re.match(r'^(#\s*)?([a-z][a-z0-9-]*)\s*=\s*(.*?)\s*$', line)
        if m:
            section = m.group(1)
            shipped.setdefault(section, {})
        elif kv and section:
            shipped[section][kv.group(2)] = (kv.group(3), bool(kv.group(1)))
    rows = []
    for sec, kv in keys.items():
        name = {'source name': 'source router1', 'profile name': 'profile web'}.get(sec, sec)
        for k, d in kv:
            v, commented = shipped.get(name, {}).get(k, (None, None))
            rows.append((sec, k, d, v, 'commented' if commented else 'set'))
            check.ok(v is not None, 'packaging/hostflow.conf lacks [%s] %s' % (sec, k))
            if commented and sec != 'profile name':
                check.eq('packaging/hostflow.conf [%s] %s: commented default' % (sec, k), d, v)
    hftest.table(['section', 'key', 'documented', 'shipped', ''], rows)
    for prog in PROGRAMS:
        ran_clean(check, '%s --check-config -c packaging/hostflow.conf' % prog,
                  check_config(prog, '-c', SHIPPED))


ALL = tuple(PROGRAMS)
VIEW = ('collector', 'web')
# (what, file text, line, section, key or None, programs that must refuse it)
HEAD = '# a comment\n\n'
BAD = [
    ('unknown section', HEAD + '[probe]\nsnaplen = 100\n\n[colector]\nlisten = udp:1\n',
     6, 'colector', None, ALL),
    ('unknown key [probe]', HEAD + '[probe]\nsnaplen = 100\nidle-timout = 5\n',
     5, 'probe', 'idle-timout', ALL),
    ('unknown key [report]', HEAD + '[report]\nstores = /x\n', 4, 'report', 'stores', ALL),
    ('unknown key [source]', HEAD + '[source r1]\nport = 2055\nhost = 192.0.2.1\n',
     5, 'source r1', 'host', ALL),
    ('unknown key [profile]', HEAD + '[profile web]\nfiltre = port 80\n',
     4, 'profile web', 'filtre', ALL),
    ('key twice [web]', HEAD + '[web]\nmax-scan = 1G\n# again\nmax-scan = 2G\n',
     6, 'web', 'max-scan', ALL),
    ('key twice [devices]', HEAD + '[devices]\nlaptop = 192.0.2.5\nlaptop = 192.0.2.6\n',
     5, 'devices', 'laptop', ALL),
    ('section twice', HEAD + '[report]\nutc = true\n[report]\n', 5, 'report', None, ALL),
    ('unreadable line [collector]', HEAD + '[collector]\nstore /var/x\n',
     4, 'collector', None, ALL),
    ('unreadable header', HEAD + '[collector\nstore = /x\n', 3, None, None, ALL),
    ('key before any section', HEAD + 'store = /x\n[collector]\n', 3, None, 'store', ALL),
    ('[probe] not a number', HEAD + '[probe]\nsnaplen = lots\n', 4, 'probe', 'snaplen',
     ('probe',)),
    ('[probe] out of range', HEAD + '[probe]\nmax-flows = 8\n', 4, 'probe', 'max-flows',
     ('probe',)),
    ('[probe] bad duration', HEAD + '[probe]\nidle-timeout = 5x\n', 4, 'probe',
     'idle-timeout', ('probe',)),
    ('[probe] duration 0', HEAD + '[probe]\nactive-timeout = 0m\n', 4, 'probe',
     'active-timeout', ('probe',)),
    ('[probe] bad size', HEAD + '[probe]\nname-cache-size = big\n', 4, 'probe',
     'name-cache-size', ('probe',)),
    ('[probe] bad boolean', HEAD + '[probe]\npromisc = yes\n', 4, 'probe', 'promisc',
     ('probe',)),
    ('[probe] inspect-packets 256', HEAD + '[probe]\ninspect-packets = 256\n', 4, 'probe',
     'inspect-packets', ('probe',)),
    ('[collector] size out of range', HEAD + '[collector]\nheld-data = 5G\n', 4, 'collector',
     'held-data', ('collector',)),
    ('[collector] bad listen', HEAD + '[collector]\nlisten = udp:4739;udp:host:abc\n', 4,
     'collector', 'listen', ('collector',)),
    ('[collector] slot-seconds 90', HEAD + '[collector]\nslot-seconds = 90\n', 4,
     'collector', 'slot-seconds', ('collector',)),
    ('[collector] negative', HEAD + '[collector]\nretention-days = -1\n', 4, 'collector',
     'retention-days', ('collector',)),
    ('[collector] bad boolean', HEAD + '[collector]\nhourly = maybe\n', 4, 'collector',
     'hourly', ('collector',)),
    ('[source] bad address', HEAD + '[source r1]\nport = 2055\nexporter = router-1\n', 5,
     'source r1', 'exporter', ('collector',)),
    ('[source] port 70000', HEAD + '[source r1]\nport = 70000\n', 4, 'source r1', 'port',
     ('collector',)),
    ('[source] bad name', HEAD + '[source a/b]\nport = 1\n', 3, 'source a/b', None,
     ('collector',)),
    ('[profile] bad filter', HEAD + '[profile web]\nfilter = port in [80\n', 4,
     'profile web', 'filter', ('collector',)),
    ('[profile] no filter', HEAD + '[profile web]\n', 3, 'profile web', None,
     ('collector',)),
    ('[web] max-queries 0', HEAD + '[web]\nmax-queries = 0\n', 4, 'web', 'max-queries', VIEW),
    ('[web] bad size', HEAD + '[web]\nmax-scan = 4X\n', 4, 'web', 'max-scan', VIEW),
    ('[report] bad input', HEAD + '[report]\ninput = sometimes\n', 4, 'report', 'input',
     ('report',)),
    ('[report] threads -1', HEAD + '[report]\nthreads = -1\n', 4, 'report', 'threads',
     ('report',)),
    ('[report] bad boolean', HEAD + '[report]\nutc = 1\n', 4, 'report', 'utc', ('report',)),
    ('[devices] bad address', HEAD + '[devices]\nlaptop = 192.0.2.5; 10.0.0.300\n', 4,
     'devices', 'laptop', ('collector', 'web', 'report')),
]


def bad_files(check, tmp):
    print('\n== (b) bad files: exit 2 and FILE:LINE: [section] key:')
    rows = []
    for i, (what, text, line, section, key, refusers) in enumerate(BAD):
        path = write(os.path.join(tmp, 'bad-%02d.conf' % i), text)
        where = ' '.join(w for w in ('[%s]' % section if section else None, key) if w)
        want = '%s:%d: %s' % (path, line, where + ': ' if where else '')
        for prog in PROGRAMS:
            p = check_config(prog, '-c', path)
            msg = p.stderr.strip().splitlines()[0] if p.stderr.strip() else ''
            if prog in refusers:
                ran_clean(check, '%s: %s' % (what, prog), p, 2)
                check.ok(msg.startswith(want), '%s: %s: message %r, want it to start %r'
                         % (what, prog, msg, want))
                if prog == refusers[0]:
                    rows.append((what, ' '.join(refusers), msg.replace(tmp + '/', '')[:100]))
            else:
                # a bad value in a section it does not read is not its concern
                ran_clean(check, '%s: %s (does not read [%s])' % (what, prog, section), p, 0)
    hftest.table(['bad file', 'refused by', 'message'], rows)
    for prog in PROGRAMS:
        p = check_config(prog, '-c', os.path.join(tmp, 'no-such.conf'))
        ran_clean(check, 'missing -c file: %s' % prog, p, 2)
        check.ok('no-such.conf' in p.stderr, 'missing -c file: %s: %r' % (prog, p.stderr))


def command_line(check, tmp):
    print('\n== (c) the command line beats the file, the file beats the default')
    path = write(os.path.join(tmp, 'over.conf'), (
        '[probe]\nidle-timeout = 2m\nmax-flows = 1000\ncollector = 127.0.0.2:9000\n'
        'names = false\n\n'
        '[collector]\nstore = /srv/flows\nretention-days = 10\nrcvbuf = 65536\n\n'
        '[web]\nlisten = 127.0.0.1:8181\nmax-queries = 5\nthreads = 3\n\n'
        '[report]\ninput = flows\nthreads = 4\n'))
    cases = [
        ('probe', [], 'probe', {'idle-timeout': '120', 'max-flows': '1000',
                                'collector': '127.0.0.2:9000', 'names': 'false'}),
        ('probe', ['--idle-timeout', '7', '-C', '127.0.0.3:9001', '--no-names'], 'probe',
         {'idle-timeout': '7', 'max-flows': '1000', 'collector': '127.0.0.3:9001'}),
        ('collector', ['--retention-days', '3'], 'collector',
         {'store': '/srv/flows', 'retention-days': '3', 'rcvbuf': '65536'}),
        ('collector', ['-w', '/tmp/s', '--web', '127.0.0.1:8282'], 'web',
         {'listen': '127.0.0.1:8282', 'max-queries': '5'}),
        ('web', [], 'web', {'listen': '127.0.0.1:8181', 'max-queries': '5', 'threads': '3'}),
        ('web', ['--max-queries', '2', '-l', '[::1]:0'], 'web',
         {'listen': '[::1]:0', 'max-queries': '2', 'threads': '3'}),
        ('web', [], 'collector', {'store': '/srv/flows'}),
        ('web', ['-w', '/tmp/w'], 'collector', {'store': '/tmp/w'}),
        ('report', [], 'report', {'store': '/srv/flows', 'input': 'flows', 'threads': '4'}),
        ('report', ['--input', 'hourly', '-w', '/tmp/r', '-j', '1'], 'report',
         {'store': '/tmp/r', 'input': 'hourly', 'threads': '1'}),
    ]
    rows = []
    for prog, args, section, want in cases:
        p = check_config(prog, '-c', path, *args)
        what = '%s %s' % (prog, ' '.join(args) or '(file only)')
        ran_clean(check, what, p)
        got = hftest.conf_effective(p.stdout, section)
        for k, v in want.items():
            rows.append((what, '[%s] %s' % (section, k), v, got.get(k)))
            check.eq('%s: [%s] %s' % (what, section, k), v, got.get(k))
    # [report] store beats [collector] store
    both = write(os.path.join(tmp, 'stores.conf'),
                 '[collector]\nstore = /a\n[report]\nstore = /b\n')
    got = hftest.conf_effective(check_config('report', '-c', both).stdout, 'report')
    check.eq('[report] store over [collector] store', '/b', got.get('store'))
    hftest.table(['command', 'key', 'want', '--check-config'], rows)

    # the file's values act, not only print: max-flows from [probe] evicts
    # flows on a real capture, and --max-flows overrides it
    cap = hftest.pcap('1kxun.pcap')
    small = write(os.path.join(tmp, 'small.conf'), '[probe]\nmax-flows = 16\n')
    counters = {}
    for what, args in (('default', []), ('file max-flows 16', ['-c', small]),
                       ('file 16, --max-flows 100000', ['-c', small, '--max-flows', '100000'])):
        out = os.path.join(tmp, 'probe-%d.ipfix' % len(counters))
        p = hftest.probe_to_file(cap, out, '-v', *args)
        ran_clean(check, 'probe %s' % what, p)
        counters[what] = hftest.probe_counters(p.stderr) or {}
        print('probe %s: peak_flows %s evicted %s' % (what, counters[what].get('peak_flows'),
                                                      counters[what].get('evicted')))
    check.eq('file max-flows 16: peak_flows', 16, counters['file max-flows 16'].get('peak_flows'))
    check.ok(counters['file max-flows 16'].get('evicted', 0) > 0, 'file max-flows 16: no eviction')
    check.eq('default: evicted', 0, counters['default'].get('evicted'))
    check.eq('--max-flows over the file: evicted', 0,
             counters['file 16, --max-flows 100000'].get('evicted'))


def collector_stderr(tmp, name, *args):
    """A collector started and stopped (SIGTERM) at once; its stderr."""
    cmd = [hftest.COLLECTOR, '-w', os.path.join(tmp, name, 'store'), '-s',
           os.path.join(tmp, name, 'state'), '-l', 'udp:127.0.0.1:0'] + list(args)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    status = os.path.join(tmp, name, 'state', 'status.json')
    deadline = time.time() + 20
    while not os.path.exists(status) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    try:
        err = proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        err = proc.communicate()[1]
    return proc.returncode, err


def logging_levels(check, tmp):
    print('\n== --quiet and --verbose: one level scheme')
    rows = []
    for what, args in (('default', []), ('--quiet', ['--quiet']), ('-v', ['-v'])):
        rc, err = collector_stderr(tmp, 'log-%d' % len(rows), *args)
        lines = err.strip().splitlines()
        rows.append(('collector ' + what, rc, ' | '.join(lines)[:110]))
        check.eq('collector %s: exit' % what, 0, rc)
        info = [l for l in lines if 'listening on' in l or ': stopped: ' in l]
        check.eq('collector %s: info lines (listening, stopped)' % what,
                 0 if what == '--quiet' else 2, len(info))
        check.ok(hftest.sanitizer_report(err) is None, 'collector %s: sanitizer' % what)
    # a warning: -c HOST:PORT from before -c named the file
    cap = hftest.pcap('443-chrome.pcap')
    for what, args in (('default', []), ('--quiet', ['-q'])):
        p = hftest.run_probe(['-r', cap, '-c', '127.0.0.1:9'] + args)
        warned = 'warning: -c 127.0.0.1:9: taken as -C/--collector' in p.stderr
        rows.append(('probe -c HOST:PORT ' + what, p.returncode, p.stderr.strip()[:110]))
        check.eq('probe -c HOST:PORT %s: exit' % what, 0, p.returncode)
        check.eq('probe -c HOST:PORT %s: warning shown' % what, what == 'default', warned)
    hftest.table(['run', 'exit', 'stderr'], rows)


def main():
    check = hftest.Check('config_file')
    with hftest.tempdir() as tmp:
        documented(check, tmp)
        bad_files(check, tmp)
        command_line(check, tmp)
        logging_levels(check, tmp)
    check.finish()


if __name__ == '__main__':
    main()
