#!/usr/bin/env python3
"""hostflow-collector's configuration and sources:

- a config file (listen, three [source NAME] sections: two by listening
  port, one by exporter address) -> each flow lands under its source's
  directory (an exporter-specific source beats a port-only one; others go
  to exp-ADDR);
- SIGHUP re-reads the sources: a renamed source takes the new flows, the
  old files stay; a config broken meanwhile keeps the old sources;
- --reject-unknown (and accept-unknown = false) drop unknown exporters'
  flows, counted as store.rejected_records;
- --stats prints the running collector's status.json;
- every [collector] key hostflow.conf(5) documents, read from the
  man page with its documented default: --check-config without a file
  prints each with that default (and no key the page lacks); a file
  giving every key its default is accepted, --check-config prints it
  back unchanged, and the collector runs with it (the command line's
  -l/-w/-s overriding its sockets and directories); --check-config's
  output read back as a file gives the same output, and the command line
  overrides the file there too;
- bad options and bad config files exit 2 with a message; a port in use
  (by another program or another collector) or a store in use exits 1
  with a message."""
import os
import subprocess
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402


def send_flows(port, addr, n, base, domain=1):
    """n IPFIX flows (template included) from addr; their keys."""
    vals = [hftest.flow_values(base + i) for i in range(n)]
    exp = hftest.Exporter(port, addr=addr)
    exp.send(hftest.ipfix_message([hftest.ipfix_template_set([(256, hftest.STD_V4)]),
                                   hftest.ipfix_data_set(256, [hftest.pack_record(
                                       hftest.STD_V4, v) for v in vals])], domain=domain))
    exp.close()
    return [hftest.sent_key(v) for v in vals]


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def config_text(ports, names=('alpha', 'beta', 'gamma'), extra=''):
    return ('[collector]\nlisten = %s\n%s\n'
            '[source %s]\nport = %d\n\n[source %s]\nport = %d\n\n'
            '[source %s]\nexporter = 127.0.0.62\n'
            % (';'.join('udp:127.0.0.1:%d' % p for p in ports), extra,
               names[0], ports[0], names[1], ports[1], names[2]))


def free_ports(n):
    """n distinct free UDP ports (held together while picked)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def sources_and_reload(check, tmp):
    print('== sources by port and by exporter; SIGHUP')
    ports = free_ports(3)
    cfg = write(os.path.join(tmp, 'sources.conf'), config_text(ports))
    col = hftest.Collector(tmp, 'sources', listen=[], config=cfg, nports=3)
    with col:
        col.start()
        check.eq('listening ports from the config', sorted(ports),
                 sorted(p for _, _, p in col.ports))
        want = {}
        plan = [('alpha', ports[0], '127.0.0.61', 5), ('beta', ports[1], '127.0.0.61', 6),
                ('gamma', ports[2], '127.0.0.62', 7),
                ('gamma', ports[0], '127.0.0.62', 8),        # exporter beats port
                ('exp-127.0.0.61', ports[2], '127.0.0.61', 9)]
        base = 0
        for src, port, addr, n in plan:
            want.setdefault(src, []).extend(send_flows(port, addr, n, base))
            base += 100
        total = sum(n for *_, n in plan)
        check.ok(col.wait_stored(total), 'stored %s of %d' % (col.last['store']['records'], total))

        # SIGHUP with a broken file: the old sources stay
        write(cfg, config_text(ports) + '\n[source broken\n')
        col.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while 'keeping the old sources' not in col.stderr() and time.time() < deadline:
            time.sleep(0.1)
        check.ok('keeping the old sources' in col.stderr(),
                 'SIGHUP with a broken config: no message; stderr: %s' % col.stderr())
        want['alpha'] += send_flows(ports[0], '127.0.0.61', 3, 1000)
        total += 3
        check.ok(col.wait_stored(total), 'after the broken reload: stored %s of %d'
                 % (col.last['store']['records'], total))

        # SIGHUP: alpha renamed alpha2 (same port)
        write(cfg, config_text(ports, names=('alpha2', 'beta', 'gamma')))
        col.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while 'reloaded' not in col.stderr() and time.time() < deadline:
            time.sleep(0.1)
        check.ok('reloaded' in col.stderr(), 'SIGHUP: no "reloaded" message; stderr: %s'
                 % col.stderr())
        want['alpha2'] = send_flows(ports[0], '127.0.0.61', 4, 2000)
        want['beta'] += send_flows(ports[1], '127.0.0.61', 2, 3000)
        total += 6
        check.ok(col.wait_stored(total), 'after the reload: stored %s of %d'
                 % (col.last['store']['records'], total))
        col.check_exit(check, 'sources', col.stop())
        print('sources in the store: %s' % ', '.join(
            '%s %d' % (s, col.totals(s)[0]) for s in col.sources()))
        check.eq('source directories', sorted(want), col.sources())
        for src, keys in sorted(want.items()):
            hftest.same_items(check, 'flows under %s' % src, keys,
                              [hftest.flow_key(r) for r in col.records(src)])
        check.eq('rejected_records', 0, col.status()['store']['rejected_records'])


def ipv6(check, tmp):
    print('\n== IPv6: listening on [::1], a source by IPv6 exporter address')
    port = hftest.free_port()
    cfg = write(os.path.join(tmp, 'v6.conf'),
                '[collector]\nlisten = udp:[::1]:%d\n\n[source v6-router]\nexporter = ::1\n'
                % port)
    col = hftest.Collector(tmp, 'v6', listen=[], config=cfg, nports=1)
    with col:
        try:
            col.start()
        except RuntimeError as e:
            check.ok(False, 'IPv6: %s' % e)
            return
        check.eq('IPv6: listening', [('udp', '[::1]', port)], col.ports)
        exp = hftest.Exporter(port, addr='::1', host='::1')
        vals = [hftest.flow_values(i, v6=True) for i in range(6)]
        exp.send(hftest.ipfix_message([hftest.ipfix_template_set([(256, hftest.STD_V6)]),
                                       hftest.ipfix_data_set(256, [hftest.pack_record(
                                           hftest.STD_V6, v) for v in vals])], domain=1))
        check.ok(col.wait_stored(6), 'IPv6: stored %s of 6' % col.last['store']['records'])
        col.check_exit(check, 'IPv6', col.stop())
        st = col.status()
        check.eq('IPv6: exporter address in status.json', ['::1'],
                 [e['exporter'] for e in st['exporters']])
        check.eq('IPv6: source directories', ['v6-router'], col.sources())
        hftest.same_items(check, 'IPv6: flows', [hftest.sent_key(v, v6=True) for v in vals],
                          [hftest.flow_key(r) for r in col.records('v6-router')])


def reject_unknown(check, tmp):
    print('\n== --reject-unknown, accept-unknown = false')
    for how in ('--reject-unknown', 'accept-unknown = false'):
        ports = free_ports(3)
        extra = 'accept-unknown = false\n' if how.startswith('accept') else ''
        cfg = write(os.path.join(tmp, 'reject-%d.conf' % len(extra)),
                    config_text(ports, extra=extra))
        col = hftest.Collector(tmp, 'reject-%d' % len(extra), listen=[], config=cfg, nports=3,
                               args=['--reject-unknown'] if not extra else [])
        with col:
            col.start()
            known = send_flows(ports[0], '127.0.0.61', 5, 0)
            send_flows(ports[2], '127.0.0.61', 9, 100)          # no source: rejected
            send_flows(ports[2], '127.0.0.63', 4, 200)          # no source: rejected
            known_g = send_flows(ports[1], '127.0.0.62', 3, 300)  # gamma by exporter
            st = col.wait(lambda st: st['store']['rejected_records'] >= 13
                          and st['store']['records'] >= 8)
            check.ok(st is not None, '%s: store status %s' % (how, col.last['store']))
            col.check_exit(check, how, col.stop())
            st = col.status()['store']
            print('%s: rejected_records %d, sources %s' % (how, st['rejected_records'],
                                                           col.sources()))
            check.eq('%s: rejected_records' % how, 13, st['rejected_records'])
            check.eq('%s: source directories' % how, ['alpha', 'gamma'], col.sources())
            hftest.same_items(check, '%s: alpha flows' % how, known,
                              [hftest.flow_key(r) for r in col.records('alpha')])
            hftest.same_items(check, '%s: gamma flows' % how, known_g,
                              [hftest.flow_key(r) for r in col.records('gamma')])


def columns_switch(check, tmp):
    print('\n== columns: written by default, not with --no-columns or columns = false')
    for how in ('default', '--no-columns', 'columns = false'):
        ports = free_ports(3)
        extra = 'columns = false\n' if how.startswith('columns') else ''
        name = 'columns-%s' % how.strip('-').split()[0]
        cfg = write(os.path.join(tmp, name + '.conf'), config_text(ports, extra=extra))
        col = hftest.Collector(tmp, name, listen=[], config=cfg, nports=3,
                               args=['--no-columns'] if how == '--no-columns' else [])
        with col:
            col.start()
            send_flows(ports[0], '127.0.0.61', 5, 0)
            check.ok(col.wait(lambda st: st['store']['records'] >= 5) is not None,
                     '%s: records stored' % how)
            col.check_exit(check, how, col.stop())
        slots = col.files()
        cols = [f for f in slots if os.path.exists(f[:-len('.ipfix')] + '.cols')]
        check.ok(slots and len(cols) == (len(slots) if how == 'default' else 0),
                 '%s: columns beside %d of %d slot files' % (how, len(cols), len(slots)))


def signals_blocked(check, tmp):
    """Every thread of the collector blocks SIGTERM, SIGINT and SIGHUP, which
    the main loop takes with sigwaitinfo(): a thread that did not (one
    started before the mask) could take SIGTERM and kill the collector
    before its slots are complete (seen once under systemd).  Started with
    an empty signal mask, as systemd starts it."""
    print('\n== signals: blocked in every thread')
    store, state = os.path.join(tmp, 'sig-store'), os.path.join(tmp, 'sig-state')
    p = subprocess.Popen([hftest.COLLECTOR, '-l', 'udp:127.0.0.1:0', '-w', store, '-s', state,
                          '--no-rrd'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, set()))
    try:
        deadline = time.time() + 20
        while not os.path.exists(os.path.join(state, 'status.json')) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)                 # the threads started after the status
        want = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGHUP - 1))
        threads = {}
        for tid in os.listdir('/proc/%d/task' % p.pid):
            if tid == str(p.pid):
                continue    # the main thread, in sigwaitinfo: the signals open for it there
            try:
                with open('/proc/%d/task/%s/status' % (p.pid, tid)) as f:
                    st = dict(l.split(':', 1) for l in f if ':' in l)
            except OSError:
                continue
            threads[st['Name'].strip()] = int(st['SigBlk'], 16) & want == want
        check.ok(len(threads) >= 3 and all(threads.values()),
                 'threads blocking SIGTERM, SIGINT, SIGHUP: %s' % threads)
        p.terminate()
        check.eq('exit at SIGTERM', 0, p.wait(20))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def stats_option(check, tmp):
    print('\n== --stats')
    col = hftest.Collector(tmp, 'stats', listen=['udp:127.0.0.1:0'])
    with col:
        col.start()
        send_flows(col.udp, '127.0.0.64', 3, 0)
        col.wait_stored(3)
        p = hftest.collector_run(['--stats', '-s', col.state])
        check.eq('--stats exit', 0, p.returncode)
        check.ok('"exporters"' in p.stdout and '127.0.0.64' in p.stdout,
                 '--stats printed: %r' % p.stdout[:300])
        col.check_exit(check, '--stats', col.stop())
    p = hftest.collector_run(['--stats', '-s', os.path.join(tmp, 'nothing-here')])
    check.eq('--stats without a status file: exit', 1, p.returncode)
    check.ok(p.stderr.startswith('hostflow-collector: '), '--stats without a status file: '
             'message %r' % p.stderr)


def periodic_stats(check, tmp):
    print('\n== log-stats: a line of counters per interval, at info level')
    port = free_ports(1)[0]
    cfg = write(os.path.join(tmp, 'log-stats.conf'),
                '[collector]\nlisten = udp:127.0.0.1:%d\nlog-stats = 1\n' % port)
    col = hftest.Collector(tmp, 'log-stats', listen=[], config=cfg, nports=1)
    with col:
        col.start()
        sent = 0
        for k in range(3):
            send_flows(port, '127.0.0.65', 4 + k, 1000 * k)
            sent += 4 + k
            time.sleep(1.3)
        col.wait_stored(sent)
        time.sleep(1.3)
        col.check_exit(check, 'log-stats', col.stop())
    lines = [l for l in col.all_stderr().splitlines() if ' records decoded (' in l]
    decoded = sum(int(re.search(r' (\d+) records decoded', l).group(1)) for l in lines)
    stored = sum(int(re.search(r'\), (\d+) stored', l).group(1)) for l in lines)
    print('%d lines; records decoded %d, stored %d (sent %d)' % (len(lines), decoded, stored,
                                                               sent))
    check.ok(len(lines) >= 3, 'log-stats = 1: %d counter lines in %r' % (
        len(lines), col.all_stderr()[-600:]))
    check.eq('log-stats: the intervals add up to the records decoded', sent, decoded)
    check.ok(stored <= sent, 'log-stats: stored %d of %d' % (stored, sent))
    # off: no such line
    for what, text, args in (('log-stats = 0', 'log-stats = 0\n', []),):
        cfg = write(os.path.join(tmp, 'log-stats-off.conf'),
                    '[collector]\nlisten = udp:127.0.0.1:%d\n%s' % (port, text))
        col = hftest.Collector(tmp, 'log-stats-off', listen=[], config=cfg, nports=1,
                               args=args)
        with col:
            col.start()
            send_flows(port, '127.0.0.65', 3, 5000)
            col.wait_stored(3)
            time.sleep(2.2)
            col.check_exit(check, what, col.stop())
        check.ok(' records decoded (' not in col.all_stderr(),
                 '%s: no counter line, got %r' % (what, col.all_stderr()[-400:]))


def documented_keys():
    """[(key, default)] of the [collector] section of hostflow.conf(5)."""
    return hftest.conf_man_keys()['collector']


def effective(text):
    """--check-config output: {key: value} of [collector]."""
    return hftest.conf_effective(text, 'collector')


def normal(key, value):
    """A value as --check-config prints it: a key without a default is
    not printed."""
    return value or None


def documented_defaults(check, tmp):
    print('\n== every [collector] key of hostflow.conf(5) with its documented default')
    keys = documented_keys()
    rows = []
    p = hftest.collector_run(['--check-config'])
    check.eq('--check-config without a file: exit', 0, p.returncode)
    got = effective(p.stdout)
    for key, default in keys:
        rows.append((key, default, got.get(key)))
        check.ok(default is not None, '%s: no default found in the man page' % key)
        check.eq('%s: --check-config default' % key, normal(key, default), got.get(key))
    hftest.table(['key (man page)', 'documented default', '--check-config'], rows)
    check.eq('keys --check-config prints that the man page lacks', [],
             sorted(set(got) - {k for k, _ in keys}))
    check.ok(len(keys) >= 17, 'only %d keys found in the man page' % len(keys))

    # a file giving every key its documented default
    cfg = write(os.path.join(tmp, 'documented.conf'), '[collector]\n' + ''.join(
        '%s = %s\n' % (k, normal(k, d)) for k, d in keys if normal(k, d) is not None))
    p = hftest.collector_run(['--check-config', '-c', cfg])
    check.eq('documented defaults file: --check-config exit', 0, p.returncode)
    check.eq('documented defaults file: values in effect', got, effective(p.stdout))
    # read back: the output is a file that gives the same values
    back = write(os.path.join(tmp, 'check-config-output.conf'), p.stdout)
    p2 = hftest.collector_run(['--check-config', '-c', back])
    check.eq('--check-config output read back', effective(p.stdout), effective(p2.stdout))
    # the command line overrides the file
    p3 = hftest.collector_run(['--check-config', '-c', cfg, '-l', 'tcp:[::1]:5', '--max-size',
                               '3G', '--no-hourly', '--reject-unknown', '--rcvbuf', '8192'])
    over = effective(p3.stdout)
    check.eq('command line over the file', ('tcp:[::1]:5', '3G', 'false', 'false', '8192'),
             tuple(over.get(k) for k in ('listen', 'max-store-size', 'hourly',
                                         'accept-unknown', 'rcvbuf')))
    # and the collector itself runs with it
    col = hftest.Collector(tmp, 'documented', config=cfg, listen=['udp:127.0.0.1:0'])
    with col:
        col.start()
        send_flows(col.udp, '127.0.0.67', 4, 0)
        check.ok(col.wait_stored(4), 'documented defaults: stored %s of 4'
                 % col.last['store']['records'])
        col.check_exit(check, 'documented defaults', col.stop())


BAD_OPTIONS = [
    ['--slot-seconds', '7'],
    ['--slot-seconds', '86401'],
    ['--slot-seconds', 'abc'],
    ['--retention-days', '-3'],
    ['--max-size', '12Q'],
    ['-l', 'udp:127.0.0.1:70000'],
    ['-l', 'tcp:[::1'],
    ['--no-such-option'],
    ['unexpected-argument'],
    ['-c', '/nonexistent/hostflow.conf'],
]

BAD_CONFIGS = [
    ('not a key file', 'listen = udp:4739\n'),
    ('unterminated group', '[collector\nlisten = udp:4739\n'),
    ('bad listen spec', '[collector]\nlisten = udp:nope:abc\n'),
    ('slot-seconds 7', '[collector]\nslot-seconds = 7\n'),
    ('slot-seconds not a number', '[collector]\nslot-seconds = five\n'),
    ('retention-days -5', '[collector]\nretention-days = -5\n'),
    ('max-store-size lots', '[collector]\nmax-store-size = lots\n'),
    ('rcvbuf not a number', '[collector]\nrcvbuf = big\n'),
    ('accept-unknown maybe', '[collector]\naccept-unknown = maybe\n'),
    ('source name with /', '[source a/b]\nport = 2055\n'),
    ('source name starting with .', '[source .hidden]\nport = 2055\n'),
    ('source port 99999', '[source x]\nport = 99999\n'),
    ('source port not a number', '[source x]\nport = twenty\n'),
    ('source exporter not an address', '[source x]\nexporter = router-1\n'),
]


def bad_input(check, tmp):
    print('\n== bad options and config files: exit 2 with a message')
    store, state = os.path.join(tmp, 'bad-store'), os.path.join(tmp, 'bad-state')
    common = ['-w', store, '-s', state, '-l', 'udp:127.0.0.1:0']
    rows = []

    def one(what, args):
        p = hftest.collector_run(args, timeout=10)
        msg = p.stderr.strip().splitlines()[0] if p.stderr.strip() else ''
        rows.append((what, hftest.describe_exit(p), msg[:90]))
        check.eq('%s: exit status' % what, 2, p.returncode)
        # a fault of the file is named by the file (FILE:LINE: ...)
        conf = args[args.index('-c') + 1] + ':' if '-c' in args else None
        check.ok((msg.startswith('hostflow-collector: ') or (conf and msg.startswith(conf)))
                 and len(msg) > 25,
                 '%s: message %r' % (what, p.stderr.strip()))
        check.ok(hftest.sanitizer_report(p.stderr) is None, '%s: sanitizer: %s' % (
            what, hftest.sanitizer_report(p.stderr)))

    for args in BAD_OPTIONS:
        one(' '.join(args), args + common)
    for i, (what, text) in enumerate(BAD_CONFIGS):
        one('config: ' + what, ['-c', write(os.path.join(tmp, 'bad-%d.conf' % i), text)] + common)
    hftest.table(['input', 'result', 'message'], rows)


def in_use(check, tmp):
    print('\n== ports and store in use: exit 1 with a message')
    rows = []

    def one(what, args, want_msg, first=None):
        # a collector that does not exit has started despite the conflict
        col = hftest.Collector(tmp, 'in-use-%d' % len(rows), listen=[], args=args, nports=1)
        try:
            col.start(timeout=5)
            rc, msg = None, 'started: %s' % col.ports
            if first and first.udp:
                # where do the first collector's flows go now?
                before = first.status()['store']['records']
                send_flows(first.udp, '127.0.0.66', 5, 100 * len(rows))
                first.wait(lambda st: st['store']['records'] >= before + 5, timeout=5)
                got = first.last['store']['records'] - before
                col.wait_stored(5, timeout=2)
                msg += '; of 5 flows sent to the first collector\'s port, it stored %d, ' \
                       'the second %d' % (got, col.last['store']['records'])
                check.eq('%s: flows the first collector got' % what, 5, got)
        except RuntimeError:
            rc = col.proc.returncode
            msg = col.stderr().strip()
        finally:
            col.__exit__()
        rows.append((what, 'still running' if rc is None else 'exit %d' % rc, msg[:150]))
        check.eq('%s: exit status' % what, 1, rc)
        check.ok(rc is not None and msg.startswith('hostflow-collector: ') and want_msg in msg,
                 '%s: message %r, want %r' % (what, msg, want_msg))

    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(('127.0.0.1', 0))
    one('UDP port bound by another program', ['-l', 'udp:127.0.0.1:%d' % u.getsockname()[1]],
        'in use')
    u.close()
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(('127.0.0.1', 0))
    t.listen(1)
    one('TCP port listened on by another program',
        ['-l', 'tcp:127.0.0.1:%d' % t.getsockname()[1]], 'in use')
    t.close()
    first = hftest.Collector(tmp, 'first', listen=['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'])
    with first:
        first.start()
        one('UDP port of a running collector', ['-l', 'udp:127.0.0.1:%d' % first.udp], 'in use',
            first)
        one('UDP port of a running collector, wildcard address', ['-l', 'udp:%d' % first.udp],
            'in use', first)
        one('TCP port of a running collector', ['-l', 'tcp:127.0.0.1:%d' % first.tcp], 'in use')
        one('store of a running collector', ['-l', 'udp:127.0.0.1:0', '-w', first.store],
            'in use')
        # the first one still has its port: flows sent now reach it
        before = first.status()['store']['records']
        keys = send_flows(first.udp, '127.0.0.65', 4, 0)
        st = first.wait(lambda st: st['store']['records'] >= before + 4, timeout=10)
        check.ok(st is not None, 'the first collector no longer gets its flows (stored %s)'
                 % first.last['store']['records'])
        first.check_exit(check, 'first collector', first.stop())
        hftest.same_items(check, 'first collector: flows from 127.0.0.65', keys,
                          [hftest.flow_key(r) for r in first.records('exp-127.0.0.65')])
    hftest.table(['conflict', 'result', 'message'], rows)


def main():
    check = hftest.Check('collector_config')
    with hftest.tempdir() as tmp:
        sources_and_reload(check, tmp)
        ipv6(check, tmp)
        reject_unknown(check, tmp)
        columns_switch(check, tmp)
        signals_blocked(check, tmp)
        stats_option(check, tmp)
        periodic_stats(check, tmp)
        documented_defaults(check, tmp)
        bad_input(check, tmp)
        in_use(check, tmp)
    check.finish()


if __name__ == '__main__':
    main()
