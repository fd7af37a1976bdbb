#!/usr/bin/env python3
"""hostflow-report and hostflow-web asking ClickHouse (issue 19, done means
2): two real clickhouse-server shards on loopback and a Distributed table
(tests/hf/clickhouse.py), one collector inserting into it and keeping its
file store, fed what report_nfdump.py feeds (the probe over shared
captures, pmacct's router captures).  Then, the same answers from both:

- for report_nfdump.py's table of filters, and hostflow's own terms
  (hostname and dns globs, domain, app, exporter, device, sampled), the
  flows, packets and bytes by protocol: --clickhouse --csv equals the file
  store's --csv, byte for byte;
- for every --by key (and tuples, time steps) in each order, the whole
  table; the timeline of conversations; one source;
- hostflow-web --clickhouse serves the same details, flows and device pages
  and CSV exports as hostflow-web over the files;
- --explain prints the SQL, which holds no value of the filter;
- done means 4 through the probe: a capture written here whose DNS answer
  names the host \'); DROP TABLE flows; --.example (DNS labels may hold
  any printable byte; the probe keeps the name, lower-cased) is stored in
  ClickHouse with that name, which hostflow-report --clickhouse shows as
  text, selects by a filter, and the tables are all still there."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402
import hostile_capture  # noqa: E402

SQL_NAME = "'); DROP TABLE flows; --.example"
SQL_SERVER = '203.0.113.60'

KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'port', 'proto', 'client', 'server',
        'service', 'hostname', 'domain', 'device', 'app', 'exporter', 'in_if', 'out_if',
        'srcmac', 'dstmac', 'time/5min', 'time/hour', 'time/day', 'device,domain',
        'client,service', 'exporter,proto']
ORDERS = ['bytes', 'packets', 'flows']
OWN_TERMS = ['hostname *google*', 'hostname "*.com"', 'dns "*.example"', 'domain google.com',
             'not domain google.com and proto tcp', 'domain google.com or bytes > 1000',
             'app dns', 'app "TLS" or app http', 'sampled', 'not sampled',
             'device "no such device"', 'hostname "x\'); DROP TABLE flows; --"',
             # LIKE's own characters in a glob are plain characters
             'hostname "*_*"', 'dns "_*"', 'hostname "*%*"']


def csv_text(store, conf, *args):
    """(files' stdout, ClickHouse's stdout, ClickHouse's process)"""
    _, pf = hftest.report_rows(store, *args)
    _, pc = hftest.report_rows(store, *args, clickhouse=conf)
    return pf, pc


def same(check, what, store, conf, *args):
    pf, pc = csv_text(store, conf, *args)
    ok = pf.returncode == 0 and pc.returncode == 0 and pf.stdout == pc.stdout
    check.ok(ok, '%s: files (%s) vs ClickHouse (%s): %s%s' % (
        what, hftest.describe_exit(pf), hftest.describe_exit(pc), pc.stderr.strip()[-500:],
        '' if ok else '\n--- files\n%s--- ClickHouse\n%s' % (pf.stdout[:1500], pc.stdout[:1500])))
    return pf.stdout.count('\n') - 1


def busy(store, key, order):
    rows, _ = hftest.report_rows(store, '--by', key, '-o', order, '-n', '1')
    return rows[0][key]


def compare_reports(check, store, conf):
    a, b = busy(store, 'srcip', 'flows'), busy(store, 'dstip', 'bytes')
    nonempty = 0
    filters = hftest.report_filters(a, b) + OWN_TERMS
    for expr in filters:
        rows = same(check, 'filter %r' % expr, store, conf, '--by', 'proto', '-n', '0', expr)
        nonempty += rows > 1
    check.ok(nonempty >= 30, '%d of %d filters select flows' % (nonempty, len(filters)))
    for key in KEYS:
        for order in ORDERS:
            same(check, '--by %s -o %s' % (key, order), store, conf, '--by', key, '-o', order,
                 '-n', '0')
        same(check, '--by %s -n 5' % key, store, conf, '--by', key, '-n', '5')
    n = same(check, 'the timeline', store, conf)
    check.ok(n > 100, 'the timeline has %d conversations' % n)
    same(check, 'the timeline, tcp to port 443', store, conf, 'proto tcp and dst port 443')
    sources = [r['exporter'] for r in hftest.report_rows(store, '--by', 'exporter')[0]
               if r['rank'] not in ('other', 'total')]
    check.ok(len(sources) >= 2, 'sources: %s' % sources)
    for s in sources:
        same(check, '--source %s --by hostname' % s, store, conf, '--source', s, '--by',
             'hostname', '-n', '0')
    # a window by the records' own times (the captures are old; their files
    # are named by arrival, now, so no window before now can end early)
    n = same(check, 'records ending since 2016', store, conf, '--from', '2016-01-01T00:00:00Z',
             '--by', 'dstport', '-n', '0')
    check.ok(n > 10, 'records ending since 2016: %d ports' % n)


def check_explain(check, conf):
    p = hftest.run([hftest.REPORT, '-c', conf, '--clickhouse', '--explain', '--by', 'domain',
                    'hostname "x\'); DROP TABLE flows; --.example" and domain evil.example '
                    'and app "a\\\\b"'])
    sql = [l for l in p.stderr.splitlines() if l.startswith('sql: ')]
    check.ok(p.returncode == 0 and len(sql) == 1, '--explain: %s %s' % (
        hftest.describe_exit(p), p.stderr))
    text = sql[0] if sql else ''
    check.ok('SELECT' in text and 'FROM hostflow.flows' in text and '_p' in text,
             '--explain prints the SQL: %s' % text)
    check.ok(not any(c in text[5:] for c in '\'";\\') and 'DROP' not in text
             and 'evil' not in text, 'no value in the SQL text: %s' % text)
    check.ok('evaluated here (not in SQL): domain' in p.stderr,
             '--explain names the term evaluated here: %s' % p.stderr)


def compare_web(check, store, conf):
    files = hftest.Web(store)
    ch = hftest.Web(store, '-c', conf, '--clickhouse')
    wide = {'from': '1970-01-01', 'to': '2100-01-01'}
    dev = hftest.report_rows(store, '--by', 'device', '-n', '1')[0][0]['device']
    try:
        for path, params in [('/details', wide), ('/details', dict(wide, order='flows', n='20')),
                             ('/details', dict(wide, filter='proto udp')),
                             ('/flows', dict(wide, n='1000')), ('/flows', dict(wide, page='2')),
                             ('/device', dict(wide, name=dev)),
                             ('/api/top.csv', dict(wide, by='hostname', n='50')),
                             ('/api/flows.csv', dict(wide, n='1000')),
                             ('/api/device.csv', dict(wide, name=dev, by='domain'))]:
            got = [w.get(path, params) for w in (files, ch)]
            check.ok(got[0][0] == 200 and got[0] == got[1], '%s %s: files %d, ClickHouse %d%s'
                     % (path, params, got[0][0], got[1][0],
                        '' if got[0] == got[1] else ': %r' % got[1][2][:300]))
    finally:
        stop_web(check, files)
        stop_web(check, ch)
    # the web view's bounds hold on ClickHouse too
    for args, what in ((['--max-groups', '1'], b'more than 1 rows'),
                       (['--max-query-seconds', '0.000001'], b'longer than the limit')):
        web = hftest.Web(store, '-c', conf, '--clickhouse', *args)
        try:
            for path, params in (('/details', wide), ('/flows', wide),
                                 ('/api/top.csv', dict(wide, by='srcip'))):
                st, _, body = web.get(path, params)
                check.ok(st == 503 and what in body, '%s %s on ClickHouse: %d %r'
                         % (' '.join(args), path, st, body[:200]))
        finally:
            stop_web(check, web)


def stop_web(check, web):
    code, err = web.stop()
    check.eq('hostflow-web exit', 0, code)
    check.ok(not hftest.sanitizer_report(err), 'hostflow-web: %s' % err[-2000:])


def check_sql_name(check, shards, conf):
    name = SQL_NAME.lower()             # the probe lower-cases DNS names
    text = shards[1].query('SELECT hostname, dns_query, name_source, count() AS n FROM %s.flows '
                           'WHERE hostname LIKE \'%%drop table%%\' OR dns_query LIKE '
                           '\'%%drop table%%\' GROUP BY hostname, dns_query, name_source '
                           'ORDER BY hostname FORMAT JSONEachRow' % hftest.DB)
    got = [json.loads(line) for line in text.splitlines()]
    check.eq('the SQL name in ClickHouse: the DNS flows\' query, the connection\'s hostname '
             '(both directions, from DNS)',
             [{'hostname': '', 'dns_query': name, 'name_source': 0, 'n': '2'},
              {'hostname': name, 'dns_query': '', 'name_source': 1, 'n': '2'}], got)
    p = hftest.run([hftest.REPORT, '-c', conf, '--clickhouse', '--from', '1970-01-01', '--by',
                    'hostname,dstip', '-n', '0', '--all'])
    got = sorted(l.split(name, 1)[1].split()[0] for l in p.stdout.splitlines() if name in l)
    check.eq('--clickhouse --by hostname,dstip: the name as text, to each side',
             ['192.0.2.53', '192.168.7.10', SQL_SERVER], got)
    for expr, want in (('hostname "*drop table*"', 2), ('host %s' % SQL_SERVER, 1)):
        p = hftest.run([hftest.REPORT, '-c', conf, '--clickhouse', '--from', '1970-01-01',
                        expr])
        lines = [l for l in p.stdout.splitlines() if name in l]
        check.ok(p.returncode == 0 and len(lines) == want,
                 'the timeline of %r shows the name as text: %s' % (expr, p.stdout[-500:]))
    for s in shards:
        tables = s.query("SELECT name FROM system.tables WHERE database = '%s' ORDER BY name"
                         % hftest.DB).split()
        check.eq('tables after the SQL name', ['.inner.flows_hourly_local', 'flows',
                                               'flows_hourly', 'flows_hourly_local',
                                               'flows_local'], tables)


def config_checks(check, tmp, conf):
    p = hftest.run([hftest.REPORT, '-c', conf, '--clickhouse', '--check-config'])
    check.ok(p.returncode == 0 and 'clickhouse = true' in p.stdout
             and '\n[clickhouse]\nurl = ' in p.stdout, '--check-config: %s' % p.stdout)
    bad = os.path.join(tmp, 'no-url.conf')
    with open(bad, 'w') as f:
        f.write('[report]\nclickhouse = true\n')
    for prog in (hftest.REPORT, hftest.WEB):
        p = hftest.run([prog, '-c', bad, '--check-config'])
        check.ok(p.returncode == 2 and 'clickhouse' in p.stderr and 'url' in p.stderr
                 or prog == hftest.WEB, '%s without [clickhouse] url: %s %s'
                 % (prog, hftest.describe_exit(p), p.stderr))
    with open(bad, 'w') as f:
        f.write('[web]\nclickhouse = true\n')
    p = hftest.run([hftest.WEB, '-c', bad, '--check-config'])
    check.ok(p.returncode == 2 and '[web] clickhouse' in p.stderr,
             'hostflow-web without [clickhouse] url: %s %s' % (hftest.describe_exit(p), p.stderr))
    with open(bad, 'w') as f:
        f.write('[report]\nclickhouse = perhaps\n')
    p = hftest.run([hftest.REPORT, '-c', bad, '--check-config'])
    check.ok(p.returncode == 2 and '[report] clickhouse' in p.stderr, 'clickhouse = perhaps: %s'
             % p.stderr)
    down = os.path.join(tmp, 'down.conf')
    with open(down, 'w') as f:
        f.write('[clickhouse]\nurl = http://127.0.0.1:%d/\n' % hftest.free_tcp_port())
    p = hftest.run([hftest.REPORT, '-c', down, '--clickhouse', '--by', 'proto'])
    check.ok(p.returncode == 1 and 'ClickHouse' in p.stderr,
             'ClickHouse not running: exit 1 and why: %s %s' % (hftest.describe_exit(p), p.stderr))


def main():
    hftest.need_tools('clickhouse-server')
    check = hftest.Check('report_clickhouse')
    with hftest.tempdir() as tmp:
        shards = hftest.start_shards(tmp)
        try:
            conf = os.path.join(tmp, 'hostflow.conf')
            hftest.write_config(conf, 'http://127.0.0.1:%d/?insert_distributed_sync=1'
                                % shards[0].http, 'flows', batch_records=500)
            hftest.apply_schema(check, shards, conf)
            with hftest.Collector(tmp, 'col', config=conf) as col:
                col.start()
                hftest.report_feed(col.udp)
                sql_pcap = os.path.join(tmp, 'sql-name.pcap')
                hostile_capture.write_answers(sql_pcap, [(SQL_NAME, SQL_SERVER)])
                p = hftest.run_probe(['-r', sql_pcap, '-C', '127.0.0.1:%d' % col.udp])
                check.probe_ran(p, 'probe -r sql-name.pcap')
                hftest.wait_sent(check, col, 'collector')
                col.check_exit(check, 'collector', col.stop())
            for i, s in enumerate(shards):
                n = int(s.query('SELECT count() FROM %s.flows_local' % hftest.DB))
                check.ok(n > 0, 'shard %d holds none of the records' % (i + 1))
            check_sql_name(check, shards, conf)
            config_checks(check, tmp, conf)
            check_explain(check, conf)
            compare_reports(check, col.store, conf)
            compare_web(check, col.store, conf)
        finally:
            for s in shards:
                s.stop()
    check.finish()


if __name__ == '__main__':
    main()
