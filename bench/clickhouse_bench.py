#!/usr/bin/env python3
"""bench/clickhouse-bench.sh's work (see there): argv N RUNS RATE OUT BLAST.
The servers, schema and collector come from the tests' helpers (tests/hf)."""
import os
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
import hftest  # noqa: E402

QUERIES = [
    ('top 10 dstip by bytes', ['--by', 'dstip', '-n', '10']),
    ('top 10 ip by bytes', ['--by', 'ip', '-n', '10']),
    ('top 10 srcip by flows', ['--by', 'srcip', '-o', 'flows', '-n', '10']),
    ('tcp, top 10 dstport', ['--by', 'dstport', '-n', '10', 'proto tcp']),
    ('proto totals', ['--by', 'proto']),
    ('top 10 clients by bytes', ['--by', 'client', '-n', '10']),
    ('top 10 device,domain', ['--by', 'device,domain', '-n', '10']),
]


def cpu_of(pid):
    """user+sys seconds of a running process (/proc/PID/stat)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def timed(cmd, server_pid=None):
    """(wall s, the child's user+sys s, the server's user+sys s, stdout)"""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0 = cpu_of(server_pid) if server_pid else 0
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s1 = cpu_of(server_pid) if server_pid else 0
    if p.returncode != 0:
        raise RuntimeError('%s: %s' % (' '.join(cmd), p.stderr))
    return wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, s1 - s0, p.stdout


def main():
    n, runs, rate, out, blast = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                 sys.argv[4], sys.argv[5])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    check = hftest.Check('clickhouse-bench')
    ch = hftest.ClickHouse(out, 'ch')
    ch.configure([ch])
    ch.start()
    try:
        conf = os.path.join(out, 'hostflow.conf')
        hftest.write_config(conf, 'http://127.0.0.1:%d/' % ch.http, 'flows_local',
                            batch_records=100000, spool_size='8G',
                            extra='collector-name = bench\n')
        hftest.apply_schema(check, [ch], conf)
        with hftest.Collector(out, 'col', listen=['udp:127.0.0.1:0'], config=conf,
                              args=['--rcvbuf', '67108864', '--no-hourly'],
                              slot_seconds=300) as col:
            col.start()
            t0 = time.monotonic()
            c0 = cpu_of(col.proc.pid)
            subprocess.run([sys.executable, blast, '127.0.0.1', str(col.udp), str(n), str(rate),
                            '--quiet'], check=True)
            blasted = time.monotonic() - t0
            st = hftest.wait_sent(check, col, 'collector', timeout=600)
            sent_at = time.monotonic() - t0
            cpu = cpu_of(col.proc.pid) - c0
            c = (st or col.last)['clickhouse']
            col.check_exit(check, 'collector', col.stop())
        inserted = int(ch.query('SELECT count() FROM hostflow.flows_local'))
        print('records: %d sent, %d received, %d inserted into ClickHouse in %d INSERTs, '
              '%d dropped' % (n, c['records_in'], inserted, c['batches_sent'],
                              c['records_dropped']))
        print('blast %.1f s (%d records/s asked); all in ClickHouse after %.1f s: '
              '%.0f records/s inserted; collector CPU %.1f s (%.0f records per CPU-second)'
              % (blasted, rate, sent_at, inserted / sent_at, cpu, inserted / max(cpu, 0.001)))
        print('(the insert rate is at most RATE, and counts the last batch-seconds wait: '
              'raise RATE to find the sink\'s own limit)')
        report = [hftest.REPORT, '--from', '1970-01-01', '--csv']
        files = report + ['-w', col.store, '--input', 'flows']
        click = report + ['-c', conf, '--clickhouse']
        print('%-24s %9s %9s %9s %9s %9s %8s %8s' % ('query', 'files s', 'files cpu', 'CH s',
                                                    'CH cpu', 'server', 'wall x', 'cpu x'))
        for name, args in QUERIES:
            best = {}
            for _ in range(runs):
                for which, cmd, pid in (('files', files, None), ('ch', click, ch.proc.pid)):
                    wall, cpu, server, text = timed(cmd + args, pid)
                    if which not in best or wall < best[which][0]:
                        best[which] = (wall, cpu, server, text)
            check.eq('%s: the same answer' % name, best['files'][3], best['ch'][3])
            f, c = best['files'], best['ch']
            print('%-24s %9.2f %9.2f %9.2f %9.2f %9.2f %7.2fx %7.2fx' % (
                name, f[0], f[1], c[0], c[1], c[2], f[0] / max(c[0], 1e-3),
                f[1] / max(c[1] + c[2], 1e-3)))
        print('wall x: files wall / ClickHouse wall; cpu x: files CPU / (report + server CPU);'
              ' fastest of %d interleaved runs each' % runs)
    finally:
        ch.stop()
    check.finish()


if __name__ == '__main__':
    main()
