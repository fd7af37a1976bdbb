"""The probe's IPFIX files read back through hostflow-dump: records,
totals, flow keys, and the probe's -v counters."""

import csv
import datetime
import io
import ipaddress

from .base import DUMP, describe_exit, run


INT_COLUMNS = ('proto', 'sport', 'dport', 'packets', 'bytes', 'flags', 'tos',
               'vlan', 'in_if', 'out_if')


def _paths(ipfix):
    """One path or a list of paths, as a list."""
    return [ipfix] if isinstance(ipfix, str) else list(ipfix)


def dump_csv(ipfix):
    """(records, CompletedProcess) of hostflow-dump -F csv IPFIX (a path or
    a list of paths); each record a dict by CSV header name, the numeric
    columns as int."""
    p = run([DUMP, '-F', 'csv'] + _paths(ipfix))
    recs = []
    for row in csv.DictReader(io.StringIO(p.stdout)):
        for c in INT_COLUMNS:
            if c in row:
                row[c] = int(row[c])
        recs.append(row)
    return recs, p


def dump_records(ipfix, check, what):
    """dump_csv, noting in check when hostflow-dump cannot read the file."""
    recs, p = dump_csv(ipfix)
    check.ok(p.returncode == 0,
             '%s: hostflow-dump %s: %s' % (what, describe_exit(p), p.stderr.strip()))
    return recs


def dump_text(ipfix):
    """The CSV text hostflow-dump prints, for comparing runs."""
    return run([DUMP, '-F', 'csv', ipfix]).stdout


def dump_count(ipfix):
    """(records, packets, bytes) from hostflow-dump -n (a path or a list)."""
    p = run([DUMP, '-n'] + _paths(ipfix))
    f = p.stdout.split()
    if p.returncode != 0 or len(f) != 6:
        raise RuntimeError('hostflow-dump -n %s: %s %s' % (ipfix, describe_exit(p), p.stderr))
    return int(f[1]), int(f[3]), int(f[5])


def totals(recs):
    """(records, packets, bytes) summed over dump records."""
    return (len(recs), sum(r['packets'] for r in recs),
            sum(r['bytes'] for r in recs))


def ms(stamp):
    """Milliseconds since the epoch of a dump time ('2021-05-13T10:41:47.123Z')."""
    day, frac = stamp.rstrip('Z').split('.')
    t = datetime.datetime.strptime(day, '%Y-%m-%dT%H:%M:%S').replace(
        tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac)


def probe_flow_key(r):
    """What the probe keys a flow on, as a dump record shows it (address
    family by the addresses, 5-tuple, VLAN, interface)."""
    return (norm_addr(r['src']), norm_addr(r['dst']), r['proto'], r['sport'], r['dport'],
            r['vlan'], r['in_if'])


def norm_addr(a):
    return str(ipaddress.ip_address(a))


def rec_tuple(r):
    return (norm_addr(r['src']), norm_addr(r['dst']), r['proto'], r['sport'], r['dport'])


def record_tuples(recs):
    """Distinct 5-tuples (src, dst, proto, sport, dport) among records."""
    return {rec_tuple(r) for r in recs}


def probe_counters(stderr):
    """The -v counter line ('packets N ip N ... evicted N ...') as a dict."""
    for line in stderr.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == 'packets' and len(f) % 2 == 0:
            try:
                return {f[i]: int(f[i + 1]) for i in range(0, len(f), 2)}
            except ValueError:
                continue
    return None
