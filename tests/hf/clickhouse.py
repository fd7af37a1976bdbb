"""Real ClickHouse servers for the tests: Debian's clickhouse-server run as
the current user on loopback ports, each in a directory of its own, the
schema hostflow-collector --clickhouse-schema prints, and collectors'
[clickhouse] sections."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

from .base import run
from .collector import COLLECTOR, _track
from .net import free_port, stop

DB = 'hostflow'


def free_tcp_port():
    return free_port(socket.SOCK_STREAM)


class ClickHouse:
    """One clickhouse-server in DIR: HTTP and native ports on 127.0.0.1."""

    def __init__(self, tmp, name):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.http = free_tcp_port()
        self.tcp = free_tcp_port()
        self.proc = None

    def configure(self, shards):
        remote = ''.join('<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>'
                         % s.tcp for s in shards)
        with open(os.path.join(self.dir, 'config.xml'), 'w') as f:
            f.write('''<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog>
    <console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <remote_servers><hostflow>{remote}</hostflow></remote_servers>
</yandex>
'''.format(d=self.dir, http=self.http, tcp=self.tcp, remote=remote))
        with open(os.path.join(self.dir, 'users.xml'), 'w') as f:
            f.write('''<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
''')

    def start(self):
        self.out = open(os.path.join(self.dir, 'stdout.txt'), 'ab')
        self.proc = subprocess.Popen(
            ['clickhouse-server', '--config-file=' + os.path.join(self.dir, 'config.xml')],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out)
        _track(self.proc)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if self.query('SELECT 1').strip() == '1':
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError('clickhouse-server did not start: %s' % open(
            os.path.join(self.dir, 'stdout.txt'), errors='replace').read()[-2000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            stop(self.proc, signal.SIGTERM, 30)
        if self.proc:
            self.out.close()

    def query(self, sql):
        """The answer's text; urllib.error.HTTPError on a ClickHouse error."""
        url = 'http://127.0.0.1:%d/' % self.http
        with urllib.request.urlopen(url, data=sql.encode(), timeout=30) as r:
            return r.read().decode('utf-8', 'surrogateescape')

    def rows(self, sql):
        text = self.query(sql + ' FORMAT TabSeparated')
        return [line.split('\t') for line in text.splitlines()]


def statements(schema):
    body = '\n'.join(l for l in schema.splitlines() if not l.startswith('--'))
    return [s.strip() for s in body.split(';\n') if s.strip().rstrip(';')]


def write_config(path, url, table, batch_records=2000, spool_size='64M', extra=''):
    with open(path, 'w') as f:
        f.write('[collector]\nstatus-exporters = 1000\n\n[clickhouse]\nurl = %s\n'
                'database = %s\ntable = %s\nbatch-records = %d\nbatch-seconds = 1\n'
                'spool-size = %s\n%s' % (url, DB, table, batch_records, spool_size, extra))


def apply_schema(check, servers, config):
    version = servers[0].query('SELECT version()').strip()
    p = run([COLLECTOR, '-c', config, '--clickhouse-schema=' + version])
    check.ok(p.returncode == 0, '--clickhouse-schema=%s: %s' % (version, p.stderr))
    for s in servers:
        for st in statements(p.stdout):
            s.query(st)
    return version, p.stdout


def sql_quote(text):
    return "'" + text.replace('\\', '\\\\').replace("'", "\\'") + "'"


def wait_sent(check, col, what, timeout=60):
    """Until the sink sent (or dropped) all it took."""
    def done(st):
        c = st.get('clickhouse', {})
        return (c.get('records_in', 0) > 0
                and c['records_sent'] + c['records_dropped'] == c['records_in'])
    st = col.wait(done, timeout)
    check.ok(st is not None, '%s: not all records sent after %d s: %s' % (
        what, timeout, getattr(col, 'last', {}).get('clickhouse')))
    return st


def start_shards(tmp, n=2):
    """n servers started, each a shard of cluster 'hostflow' (ch1, ch2...);
    the caller stops them."""
    shards = [ClickHouse(tmp, 'ch%d' % (i + 1)) for i in range(n)]
    for s in shards:
        s.configure(shards)
    try:
        for s in shards:
            s.start()
    except BaseException:
        for s in shards:
            s.stop()
        raise
    return shards
