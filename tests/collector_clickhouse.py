#!/usr/bin/env python3
"""The collector's ClickHouse sink against real ClickHouse servers (Debian's
clickhouse-server, started here as the current user on loopback ports,
each in a directory of its own).

1. Two servers are the two shards of cluster 'hostflow'; the schema is
   hostflow-collector --clickhouse-schema for the servers' version, applied
   on both.  Collector A inserts into the Distributed table on shard 1,
   collector B into shard 2's local table.  A is fed the probe's export of
   shared captures and of a capture whose TLS server name is SQL
   ('); DROP TABLE flows; --.example), B the router captures
   ../shared/pcaps/pmacct-* (replay-exporters.py).  Through the
   Distributed table, each collector's records, packets and bytes, per
   protocol and per source, equal its file store's (hostflow-dump); the SQL
   name, sent in a capture of an IPFIX export, reads back as the same text
   and the tables are all still there.  Inserts into a table that does not
   exist yet are refused (last_error), wait in the spool, and arrive at the
   next start once it exists.
2. A steady feed into collector C while its ClickHouse is stopped for
   about a minute, then started again: every record arrives (the spool held
   them, in order), with the spool's counters in status.json on the way.
   Then the same with a spool too small for the outage: the records
   missing from ClickHouse equal records_dropped, per exporter too."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

os.environ['PATH'] = os.environ.get('PATH', '') + ':/usr/sbin:/usr/bin'
SQL_NAME = "'); DROP TABLE flows; --.example"
CAPTURES = ['dns.pcap', 'http.pcapng', 'http_ipv6.pcap', '1kxun.pcap', 'netflix.pcap']
DB = hftest.DB


def write_sql_capture(path):
    """A capture of one IPFIX export (192.0.2.9 to port 4739) whose record
    names a host with SQL: hostflow's hostname, HTTP Host, ntop's TLS
    server name.  (The probe itself takes no name with a space.)"""
    fields = list(hftest.STD_V4) + [(1, hftest.VARLEN, hftest.PEN), (2, 1, hftest.PEN),
                                    (460, hftest.VARLEN), (188, hftest.VARLEN, 35632)]
    values = hftest.flow_values(7)
    values.update({(hftest.PEN, 1): SQL_NAME, (hftest.PEN, 2): 3, 460: SQL_NAME,
                   (35632, 188): SQL_NAME})
    msg = hftest.ipfix_message([hftest.ipfix_template_set([(256, fields)]),
                                hftest.ipfix_data_set(256, [hftest.pack_record(fields, values)])])
    frame = hftest.ipv4_frame('192.0.2.9', '192.0.2.1', 17, hftest.udp_segment(40000, 4739, msg))
    hftest.write_pcap(path, [(int(time.time() * 1e6), frame)])


def sums(recs, key):
    out = {}
    for r in recs:
        t = out.setdefault(key(r), [0, 0, 0])
        t[0] += 1
        t[1] += int(r['packets'])
        t[2] += int(r['bytes'])
    return out


def store_by(col):
    """{proto: [records, packets, bytes]}, the same per source, and the
    records, from the file store (packets and bytes as exported)."""
    recs = col.records()
    by_source = {}
    for source in col.sources():
        by_source.update(sums(col.records(source), lambda r, s=source: s))
    return sums(recs, lambda r: int(r['proto'])), by_source, recs


def cluster_by(ch, key, collector):
    out = {}
    for row in ch.rows('SELECT %s, count(), sum(packets), sum(bytes) FROM %s.flows '
                       'WHERE collector = %s GROUP BY %s' % (key, DB, hftest.sql_quote(collector), key)):
        out[int(row[0]) if key == 'proto' else row[0]] = [int(x) for x in row[1:]]
    return out


def two_shards(check, tmp):
    shards = hftest.start_shards(tmp)
    try:
        conf_a = os.path.join(tmp, 'a.conf')
        conf_b = os.path.join(tmp, 'b.conf')
        hftest.write_config(conf_a, 'http://127.0.0.1:%d/?insert_distributed_sync=1' % shards[0].http,
                     'flows', batch_records=50, extra='collector-name = collector-a\n')
        hftest.write_config(conf_b, 'http://127.0.0.1:%d/' % shards[1].http, 'flows_local',
                     extra='collector-name = collector-b\n')
        version, schema = hftest.apply_schema(check, shards, conf_a)
        sql = '\n'.join(hftest.statements(schema))
        check.ok(('LowCardinality(' in sql) == (version.split('.')[0] >= '19'),
                 'schema for %s: LowCardinality where (and only where) the version has it'
                 % version)
        hostile = os.path.join(tmp, 'sql-name.pcap')
        write_sql_capture(hostile)
        with hftest.Collector(tmp, 'a', config=conf_a) as a, \
                hftest.Collector(tmp, 'b', config=conf_b) as b:
            a.start()
            b.start()
            for name in CAPTURES:
                r = hftest.run_probe(['-r', hftest.pcap(name), '-c', '127.0.0.1:%d' % a.udp])
                check.probe_ran(r, 'probe -r %s' % name)
            hftest.replay_exporters(hostile, a.udp)
            routers = sorted(f for f in os.listdir(hftest.pcap('.'))
                             if f.startswith('pmacct-'))
            check.ok(routers, 'no pmacct-* capture in the shared captures')
            for name in routers:
                hftest.replay_exporters(hftest.pcap(name), b.udp)
            for col, what in ((a, 'collector A'), (b, 'collector B')):
                hftest.wait_sent(check, col, what)
                col.check_exit(check, what, col.stop())
            rows = []
            for col, name in ((a, 'collector-a'), (b, 'collector-b')):
                want_proto, want_source, recs = store_by(col)
                check.ok(len(recs) > 0, '%s stored nothing' % name)
                got_proto = cluster_by(shards[0], 'proto', name)
                got_source = cluster_by(shards[1], 'source', name)
                check.eq('%s: records, packets, bytes per protocol, cluster vs file store'
                         % name, want_proto, got_proto)
                check.eq('%s: records, packets, bytes per source, cluster vs file store'
                         % name, want_source, got_source)
                st = col.status()['clickhouse']
                check.eq('%s: records_sent vs stored' % name, len(recs), st['records_sent'])
                check.eq('%s: records_dropped' % name, 0, st['records_dropped'])
                rows.append([name, len(recs), sum(v[0] for v in got_proto.values()),
                             st['batches_sent']])
            hftest.table(['collector', 'file store records', 'cluster records', 'inserts'], rows)
            # the report over the cluster shows both collectors, collector and
            # exporter as columns, each as its own file store says
            key = ('--by', 'collector,exporter', '-n', '0')
            cluster, p = hftest.report_rows(None, *key, clickhouse=conf_a)
            check.ok(p.returncode == 0, '--clickhouse --by collector,exporter: %s' % p.stderr)
            for col, conf, name in ((a, conf_a, 'collector-a'), (b, conf_b, 'collector-b')):
                files, p = hftest.report_rows(col.store, '-c', conf, *key)
                check.ok(p.returncode == 0 and files, '%s: files --by collector,exporter: %s'
                         % (name, p.stderr))
                want = sorted((r['collector'], r['exporter'], r['flows'], r['bytes'])
                              for r in files if r['rank'] not in ('total', 'other'))
                got = sorted((r['collector'], r['exporter'], r['flows'], r['bytes'])
                             for r in cluster if r['collector'] == name)
                check.eq('%s: the cluster\'s rows by collector and exporter vs its files'
                         % name, want, got)
            # both shards hold some of A's records: the Distributed table spread them
            for i, s in enumerate(shards):
                n = int(s.query("SELECT count() FROM %s.flows_local WHERE collector = "
                                "'collector-a'" % DB))
                check.ok(n > 0, 'shard %d holds none of collector A\'s records' % (i + 1))
            text = shards[0].query("SELECT DISTINCT hostname, http_host, sni FROM %s.flows "
                                   "WHERE hostname LIKE '%%DROP TABLE%%' FORMAT JSONEachRow"
                                   % DB)
            names = [json.loads(line) for line in text.splitlines()]
            check.eq('the SQL name read back', [{'hostname': SQL_NAME, 'http_host': SQL_NAME,
                                                 'sni': SQL_NAME}], names)
            for s in shards:
                tables = s.query("SELECT name FROM system.tables WHERE database = '%s' "
                                 "ORDER BY name" % DB).split()
                check.eq('tables after the SQL name',
                         ['.inner.flows_hourly_local', 'flows', 'flows_hourly',
                          'flows_hourly_local', 'flows_local'], tables)
            hourly = shards[0].rows('SELECT sum(flows) FROM %s.flows_hourly' % DB)
            total = shards[0].rows('SELECT sum(flows) FROM %s.flows' % DB)
            check.eq('hourly roll-up flows vs flows', total, hourly)
        missing_table(check, tmp, shards[0])
    finally:
        for s in shards:
            s.stop()


def missing_table(check, tmp, ch):
    """Inserts into a table that does not exist yet: ClickHouse's refusal
    is counted and shown, the batches wait in the spool (nothing dropped),
    and the next run, once the table exists, sends them."""
    conf = os.path.join(tmp, 'later.conf')
    hftest.write_config(conf, 'http://127.0.0.1:%d/' % ch.http, 'later',
                 extra='collector-name = collector-c\n')
    with hftest.Collector(tmp, 'c', config=conf) as c:
        c.start()
        r = hftest.run_probe(['-r', hftest.pcap('dns.pcap'), '-c', '127.0.0.1:%d' % c.udp])
        check.probe_ran(r, 'probe -r dns.pcap')
        st = c.wait(lambda st: st['clickhouse']['insert_errors'] > 0)
        err = (st or c.last)['clickhouse']['last_error'] or ''
        check.ok(err.startswith('HTTP ') and 'later' in err,
                 'no table: last_error %r' % err)
        c.check_exit(check, 'no table', c.stop())
        st = c.status()['clickhouse']
        stored = c.totals()[0]
        check.ok(stored > 0, 'no table: nothing stored')
        check.eq('no table: records in the spool after stop, vs stored', stored,
                 st['spool_records'])
        check.eq('no table: records_dropped', 0, st['records_dropped'])
        ch.query('CREATE TABLE %s.later AS %s.flows_local' % (DB, DB))
        c.start()
        st = c.wait(lambda st: st['clickhouse']['spool_batches'] == 0
                    and st['clickhouse']['records_sent'] > 0)
        check.ok(st is not None, 'the spool was not sent once the table existed: %s'
                 % c.last['clickhouse'])
        c.check_exit(check, 'table made', c.stop())
        got = int(ch.query('SELECT count() FROM %s.later' % DB))
        check.eq('records sent from the spool at the next start vs stored', stored, got)


class Feed:
    """A steady IPFIX feed to 127.0.0.1:port from 127.0.0.61: one message
    of 20 distinct records every 100 ms, until stop()."""

    def __init__(self, port):
        self.port = port
        self.sent = 0
        self.running = True
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.61', 0))
        tmpl = hftest.ipfix_template_set([(256, hftest.STD_V4)])
        seq = 0
        while self.running:
            recs = [hftest.pack_record(hftest.STD_V4, hftest.flow_values(self.sent + i))
                    for i in range(20)]
            s.sendto(hftest.ipfix_message([tmpl, hftest.ipfix_data_set(256, recs)], seq=seq),
                     ('127.0.0.1', self.port))
            seq += 20
            self.sent += 20
            time.sleep(0.1)
        s.close()

    def stop(self):
        self.running = False
        self.thread.join()


def outage(check, tmp, name, spool_size, down_s):
    """Records stored, in ClickHouse, dropped (status), dropped per exporter."""
    ch = hftest.ClickHouse(tmp, 'ch-' + name)
    ch.configure([ch])
    ch.start()
    try:
        conf = os.path.join(tmp, name + '.conf')
        hftest.write_config(conf, 'http://127.0.0.1:%d/' % ch.http, 'flows_local',
                     spool_size=spool_size, extra='collector-name = %s\n' % name)
        hftest.apply_schema(check, [ch], conf)
        with hftest.Collector(tmp, name, config=conf) as c:
            c.start()
            feed = Feed(c.udp)
            time.sleep(3)
            ch.stop()
            time.sleep(down_s / 2)
            mid = c.status()['clickhouse']
            time.sleep(down_s / 2)
            ch.start()
            time.sleep(3)
            feed.stop()
            hftest.wait_sent(check, c, name, 90)
            c.check_exit(check, name, c.stop())
            st = c.status()['clickhouse']
            stored = c.totals()[0]
            got = int(ch.query('SELECT count() FROM %s.flows_local' % DB))
            distinct = int(ch.query('SELECT count(DISTINCT src_addr, src_port) FROM %s.flows_local'
                                    % DB))
            check.eq('%s: each record once' % name, got, distinct)
            return stored, got, st, mid, feed.sent
    finally:
        ch.stop()


BAD_SECTIONS = [
    ('url = ftp://x/\n', '[clickhouse] url'),
    ('url = http://127.0.0.1:1/\ntable = flows; DROP TABLE x\n', '[clickhouse] table'),
    ('url = http://127.0.0.1:1/\nbatch-records = 0\n', '[clickhouse] batch-records'),
    ('url = http://127.0.0.1:1/\nspool-size = lots\n', '[clickhouse] spool-size'),
    ('url = http://127.0.0.1:1/\nstore-files = maybe\n', '[clickhouse] store-files'),
    ('url = http://127.0.0.1:1/\npassword-file = /nonexistent/pw\n', '[clickhouse] password-file'),
    ('url = http://127.0.0.1:1/\nbatch-size = 5\n', '[clickhouse] batch-size: unknown key'),
]


def config_checks(check, tmp):
    """Bad [clickhouse] values exit 2 naming the key; --check-config prints
    the section so that it reads back the same; a bad schema version is a
    usage error."""
    path = os.path.join(tmp, 'bad.conf')
    for body, want in BAD_SECTIONS:
        with open(path, 'w') as f:
            f.write('[clickhouse]\n' + body)
        p = hftest.collector_run(['-c', path, '--check-config'])
        check.ok(p.returncode == 2 and want in p.stderr,
                 '%r: want exit 2 and "%s", got %d %s' % (body, want, p.returncode, p.stderr))
    good = os.path.join(tmp, 'good.conf')
    hftest.write_config(good, 'http://127.0.0.1:1/?insert_distributed_sync=1', 'flows',
                 extra='collector-name = edge-1\nstore-files = false\nretention-days = 90\n')
    p = hftest.collector_run(['-c', good, '--check-config'])
    check.ok(p.returncode == 0 and 'store-files = false' in p.stdout
             and 'collector-name = edge-1' in p.stdout, '--check-config: %s %s' % (p.stdout, p.stderr))
    back = os.path.join(tmp, 'back.conf')
    with open(back, 'w') as f:
        f.write(p.stdout)
    p2 = hftest.collector_run(['-c', back, '--check-config'])
    check.eq('--check-config read back', p.stdout.split('\n', 1)[1], p2.stdout.split('\n', 1)[1])
    p = hftest.collector_run(['-c', good, '--clickhouse-schema=nineteen'])
    check.eq('--clickhouse-schema=nineteen: exit', 2, p.returncode)
    p = hftest.collector_run(['-c', good, '--clickhouse-schema=19.6'])
    check.ok('\nTTL date + INTERVAL 90 DAY' in p.stdout, '19.6 schema without the TTL')


def main():
    hftest.need_tools('clickhouse-server')
    check = hftest.Check('collector_clickhouse')
    with hftest.tempdir() as tmp:
        config_checks(check, tmp)
        two_shards(check, tmp)

        # the two outages at once: two servers, two collectors, one minute
        runs = hftest.parallel(lambda a: outage(check, tmp, *a),
                               [('spooled', '64M', 60), ('tiny', '1K', 20)])
        stored, got, st, mid, sent = runs[0]
        check.ok(mid['insert_errors'] > 0 and mid['spool_batches'] > 0 and mid['lag_ms'] > 5000,
                 'during the outage: insert_errors, spool_batches, lag_ms: %s' % mid)
        check.ok(stored > 0, 'the steady feed stored nothing')
        check.eq('outage within the spool: records in ClickHouse vs stored', stored, got)
        check.eq('outage within the spool: records_dropped', 0, st['records_dropped'])
        check.eq('outage within the spool: spool left', 0, st['spool_batches'])

        stored2, got2, st2, _, sent2 = runs[1]
        check.ok(st2['records_dropped'] > 0, 'tiny spool: nothing dropped: %s' % st2)
        check.eq('tiny spool: records missing vs records_dropped', stored2 - got2,
                 st2['records_dropped'])
        per_exporter = sum(e['dropped'] for e in st2['exporters'].values())
        check.eq('tiny spool: dropped per exporter add up', st2['records_dropped'], per_exporter)
        hftest.table(['outage', 'fed', 'stored', 'in ClickHouse', 'dropped', 'errors'],
                     [['60 s, 64M spool', sent, stored, got, st['records_dropped'],
                       st['insert_errors']],
                      ['20 s, 1K spool', sent2, stored2, got2, st2['records_dropped'],
                       st2['insert_errors']]])
    check.finish()


if __name__ == '__main__':
    main()
