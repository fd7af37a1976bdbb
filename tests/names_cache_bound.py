#!/usr/bin/env python3
"""The DNS name cache stays within --name-cache-entries / --name-cache-size.

Crafted captures (pcap written here): 200,000 DNS responses, each answering
one distinct name with one distinct IPv4 address (TTL 3600 s, 1 ms apart:
nothing expires), from one resolver to one client; then TCP SYNs from the
client to the newest and to the oldest answered address, and from another
client to the newest.  Two name lengths: short names (the entry cap binds)
and ~200-character names (the byte cap binds).  Run with
--name-cache-entries 1000 --name-cache-size 256K -v; asserted:
  - every response parsed (dns_responses = dns_addresses = 200,000);
  - cache_entries <= 1000 and cache_bytes <= 262144 at exit, evictions > 0;
  - the newest answer still names its flow (by client, and by the address
    fallback for the other client); the oldest was evicted (no name);
  - peak RSS (wait4 ru_maxrss) <= the same run's on a 2,000-response
    capture + 4 MiB.  Why that bound: nothing else in the probe grows with
    the number of responses (they share one flow; the cache is capped at
    256 KiB), so a bounded probe's peak is the small run's plus allocator
    noise, while keeping every answer costs ~2 x 200,000 entries of
    >= 100 bytes (>= 40 MB) -- the uncapped (default) run is printed for
    comparison."""
import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

N = 200000
BASE_N = 2000
MAX_ENTRIES = 1000
MAX_BYTES = 256 * 1024
RSS_SLACK_KIB = 4096
CAP_ARGS = ['--name-cache-entries', str(MAX_ENTRIES), '--name-cache-size', '256K']
CLIENT, OTHER, RESOLVER = '10.0.0.1', '10.0.0.2', '10.0.0.53'
T0 = 1700000000 * 1000000


def address(i):
    return str(ipaddress.IPv4Address('100.64.0.0') + i)


def qname(i, long_names):
    if long_names:
        return '%s.%s.%s.h%d.example' % ('a' * 60, 'b' * 60, 'c' * 60, i)
    return 'h%d.example' % i


def write_capture(path, n, long_names):
    """n responses, then the three SYNs; returns (newest name, oldest name)."""
    def packets():
        for i in range(n):
            msg = hftest.dns_response(i & 0xffff, qname(i, long_names), [(address(i), 3600)])
            yield T0 + i * 1000, hftest.ipv4_frame(RESOLVER, CLIENT, 17,
                                                   hftest.udp_segment(53, 40000, msg), i)
        t = T0 + n * 1000
        for k, (src, i) in enumerate(((CLIENT, n - 1), (CLIENT, 0), (OTHER, n - 1))):
            yield t + k * 1000, hftest.ipv4_frame(src, address(i), 6,
                                                  hftest.tcp_segment(50000 + k, 443, 1))
    hftest.write_pcap(path, packets())


def run(check, path, what, args):
    out = path + '.ipfix'
    p, rss = hftest.run_rusage([hftest.PROBE, '-r', path, '-o', out, '-v'] + args)
    check.probe_ran(p, what)
    return p, rss, out


def main():
    check = hftest.Check('names_cache_bound')
    rows = []
    with hftest.tempdir() as tmp:
        for long_names in (False, True):
            kind = 'long names' if long_names else 'short names'
            big, small = (os.path.join(tmp, '%s-%d.pcap' % (kind[0], n)) for n in (N, BASE_N))
            write_capture(big, N, long_names)
            write_capture(small, BASE_N, long_names)
            _, base_rss, _ = run(check, small, '%s, %d responses' % (kind, BASE_N), CAP_ARGS)
            p, rss, out = run(check, big, '%s, %d responses' % (kind, N), CAP_ARGS)
            c = hftest.names_counters(p.stderr) or {}
            what = '%s, %d responses' % (kind, N)
            check.eq('%s: dns_responses' % what, N, c.get('dns_responses'))
            check.eq('%s: dns_addresses' % what, N, c.get('dns_addresses'))
            check.ok(c.get('cache_entries', MAX_ENTRIES + 1) <= MAX_ENTRIES,
                     '%s: cache_entries %s > %d' % (what, c.get('cache_entries'), MAX_ENTRIES))
            check.ok(c.get('cache_bytes', MAX_BYTES + 1) <= MAX_BYTES,
                     '%s: cache_bytes %s > %d' % (what, c.get('cache_bytes'), MAX_BYTES))
            check.ok(c.get('cache_evictions', 0) > 0,
                     '%s: cache_evictions %s, want > 0' % (what, c.get('cache_evictions')))
            names = {}
            for r in hftest.dump_records(out, check, what):
                if r['proto'] == 6:
                    names[(r['src'], r['dst'])] = r['dns_name']
            for src, i, want in ((CLIENT, N - 1, qname(N - 1, long_names)), (CLIENT, 0, ''),
                                 (OTHER, N - 1, qname(N - 1, long_names))):
                check.eq('%s: dns_name of %s > %s:443 (answer %d)' % (what, src, address(i), i),
                         want, names.get((src, address(i))))
            check.ok(rss <= base_rss + RSS_SLACK_KIB,
                     '%s: peak RSS %d KiB > %d KiB (%d responses) + %d KiB'
                     % (what, rss, base_rss, BASE_N, RSS_SLACK_KIB))
            _, free_rss, _ = run(check, big, '%s, default caps' % what, [])
            rows.append((kind, c.get('cache_entries'), c.get('cache_bytes'),
                         c.get('cache_evictions'), base_rss, rss, free_rss))
    print()
    hftest.table(['names', 'cache_entries', 'cache_bytes', 'evictions',
                  'peak RSS KiB (%d resp.)' % BASE_N, 'peak RSS KiB (%d resp.)' % N,
                  'default caps (not asserted)'], rows)
    check.finish()


if __name__ == '__main__':
    main()
