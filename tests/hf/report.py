"""hostflow-report's CSV, and what its cross-checks share: the feed of
real exports (the probe over shared captures, pmacct's router captures)
and the table of filter expressions in nfdump's syntax."""
import csv
import io
import os
import time

from .base import BUILD, pcap, run, run_probe
from .exporters import replay_exporters

REPORT = os.environ.get('HF_REPORT') or os.path.join(BUILD, 'report', 'hostflow-report')
PROBE_CAPTURES = ['chrome.pcap', '1kxun.pcap', 'dns.pcap', 'http_ipv6.pcap',
                  'googledns_android10.pcap', 'iphone.pcap', 'instagram.pcap']
ROUTERS = ['pmacct-100-ipfix-cisco.pcap', 'pmacct-101-nfv9-cisco.pcap']


def report_feed(port):
    """The probe's export of the captures and the routers' exports, to
    127.0.0.1:port (the probe's records are the same each run)."""
    for name in PROBE_CAPTURES:
        p = run_probe(['-r', pcap(name), '-C', '127.0.0.1:%d' % port])
        if p.returncode != 0:
            raise RuntimeError('probe %s: %s' % (name, p.stderr))
        time.sleep(0.05)
    for name in ROUTERS:
        replay_exporters(pcap(name), port)


def report_rows(store, *args, clickhouse=None):
    """Rows of hostflow-report --csv --all over the whole store (raw
    flows), or over ClickHouse with the config file clickhouse; and the
    process."""
    where = ['-w', store, '--input', 'flows'] if clickhouse is None \
        else ['-c', clickhouse, '--clickhouse']
    p = run([REPORT] + where + ['--from', '1970-01-01', '--csv', '--all'] + list(args))
    rows = list(csv.DictReader(io.StringIO(p.stdout))) if p.returncode == 0 else []
    return rows, p


def report_filters(a, b):
    """Filters in the syntax nfdump and hostflow share; a and b two busy
    addresses of the feed."""
    return [
        'any', 'proto tcp', 'proto udp', 'proto icmp', 'proto 17', 'not proto tcp',
        'src host %s' % a, 'dst host %s' % b, 'host %s' % a, 'not host %s' % b,
        'src net 192.168.0.0/16', 'dst net 10.0.0.0/8', 'net 172.16.0.0/12',
        # not inet/inet6: nfdump 1.7 files some of the routers' IPv4 flows
        # (templates with both address families) under IPv6
        'src net fe80::/10', 'src port 443', 'dst port 443', 'port 53',
        'port in [80 443]', 'dst port in [53 123 443]', 'src port > 1023',
        'dst port < 1024', 'port 443 and proto tcp', 'proto udp or port 443',
        'not port 53', '(proto tcp and dst port 443) or (proto udp and dst port 53)',
        'packets > 10', 'packets < 3', 'bytes > 1000', 'bytes > 1k', 'bytes < 100',
        'duration > 1000', 'flags S', 'flags SA', 'tos 0', 'in if 0', 'src host %s and dst port 443' % a,
        'not (src net 192.168.0.0/16)', 'src ip %s' % a, 'host %s or host %s' % (a, b),
        'dst net 2000::/3', 'proto tcp and not flags R',
    ]
