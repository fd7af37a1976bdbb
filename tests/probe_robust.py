#!/usr/bin/env python3
"""Damaged input never crashes the probe: malformed captures, captures cut
at several offsets and captures with random bytes changed all end with the
counters printed, exit 0 and an output hostflow-dump reads.  A capture cut
inside a packet gives exactly the records of the whole packets before the
cut.  Usage errors exit 1 (2 for a bad option) with a message."""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

MALFORMED = ['badpackets.pcap', 'fuzz-2021-10-13.pcap', 'heap-overflow-1.pcap',
             'ip6_frag_asan.pcap', 'ipv6_frag6_negative_len.pcap',
             'ip_fragmented_garbage.pcap', 'malformed_dns.pcap', 'empty.pcapng']
SEED = 20240611          # fixed: the damaged files are the same every run
FLIP_SEEDS = (1,)


def cut_points(name, records):
    """(offset, whole packets before it, where) for a few cuts of one
    capture: inside the first packet record, inside a middle record's
    header, and inside the last record's data."""
    if not records:
        return []
    rnd = random.Random('%s:%s' % (SEED, name))
    n = len(records)
    picks = sorted({0, rnd.randrange(n), n - 1})
    cuts = []
    for i, k in enumerate(picks):
        start, end = records[k]
        if i % 2:        # inside the record header
            cuts.append((start + rnd.randrange(1, 8), k, 'header of #%d' % (k + 1)))
        else:            # inside the packet bytes
            cuts.append((start + 16 + rnd.randrange(max(1, end - start - 16)) if end - start > 17
                         else end - 1, k, 'data of #%d' % (k + 1)))
    return cuts


def run_damaged(path, out, check, what):
    """Probe path with -v; checks exit 0, counters, dump readable.  Returns
    (counters, dump CSV text)."""
    p = hftest.probe_to_file(path, out, '-v')
    check.probe_ran(p, what)
    counters = hftest.probe_counters(p.stderr)
    check.ok(counters is not None, '%s: no counters printed (stderr: %s)' % (what, p.stderr.strip()))
    d = hftest.run([hftest.DUMP, '-F', 'csv', out]) if os.path.exists(out) else None
    check.ok(d is not None and d.returncode == 0, '%s: output unreadable by hostflow-dump: %s'
             % (what, d.stderr.strip() if d else 'no file'))
    return counters, (d.stdout if d else ''), p


def malformed(tmp, check):
    print('== malformed captures: exit 0, counters, readable output')
    rows = []

    def one(name):
        out = os.path.join(tmp, 'm-' + name + '.ipfix')
        return name, run_damaged(hftest.pcap(name), out, check, name)
    for name, (counters, text, p) in hftest.parallel(one, MALFORMED):
        rows.append((name, hftest.describe_exit(p),
                     counters['packets'] if counters else '-',
                     max(0, len(text.splitlines()) - 1)))
    hftest.table(['capture', 'probe', 'packets read', 'records'], rows)


def truncated(tmp, check):
    print('\n== every capture cut inside a packet: records = those of the whole packets before')
    jobs = []
    for name in hftest.captures():
        recs = hftest.packet_records(hftest.pcap(name))
        for off, whole, where in cut_points(name, recs):
            jobs.append((name, off, whole, where, recs))

    def one(job):
        name, off, whole, where, recs = job
        base = os.path.join(tmp, 't-%s-%d' % (name, off))
        cut, prefix = base + '.cut', base + '.prefix'
        hftest.write_truncated(hftest.pcap(name), cut, off)
        # the whole packets before the cut, as a well-formed file
        hftest.write_truncated(hftest.pcap(name), prefix, recs[whole][0])
        what = '%s cut at byte %d (%s)' % (name, off, where)
        got = run_damaged(cut, cut + '.ipfix', check, what)
        ref = hftest.probe_to_file(prefix, prefix + '.ipfix')
        check.probe_ran(ref, what + ': reference run on the first %d packets' % whole)
        ref_text = hftest.dump_text(prefix + '.ipfix')
        for f in (cut, prefix, cut + '.ipfix', prefix + '.ipfix'):
            if os.path.exists(f):
                os.unlink(f)
        return job, got, ref_text

    rows = []
    for (name, off, whole, where, _), (counters, text, p), ref_text in hftest.parallel(one, jobs):
        what = '%s cut at byte %d (%s)' % (name, off, where)
        read = counters['packets'] if counters else None
        check.eq(what + ': packets read (counter)', whole, read)
        same = text == ref_text
        check.ok(same, '%s: records differ from the run on the %d whole packets before the cut'
                 % (what, whole))
        rows.append((name, off, where, whole, read if read is not None else '-',
                     hftest.describe_exit(p), 'same' if same else 'DIFFERENT'))
    hftest.table(['capture', 'cut at', 'inside', 'whole pkts', 'pkts read', 'probe',
                  'records vs first N pkts'], rows)


def flipped(tmp, check):
    print('\n== every capture with random bytes changed (seeded): exit 0, readable output')

    def one(job):
        name, seed = job
        src = hftest.pcap(name)
        recs = hftest.packet_records(src)
        size = os.path.getsize(src)
        keep = recs[0][0] if recs else size      # file and interface headers intact
        flips = max(1, (size - keep) // 200)
        dst = os.path.join(tmp, 'f-%d-%s' % (seed, name))
        hftest.write_flipped(src, dst, '%s:%s:%s' % (SEED, seed, name), flips, keep)
        what = '%s with %d bytes changed (seed %d)' % (name, flips, seed)
        counters, _, p = run_damaged(dst, dst + '.ipfix', check, what)
        for f in (dst, dst + '.ipfix'):
            if os.path.exists(f):
                os.unlink(f)
        return name, seed, flips, counters, p

    jobs = [(n, s) for n in hftest.captures() for s in FLIP_SEEDS
            if hftest.packet_records(hftest.pcap(n))]
    rows = [(name, seed, flips, counters['packets'] if counters else '-',
             hftest.describe_exit(p))
            for name, seed, flips, counters, p in hftest.parallel(one, jobs)]
    hftest.table(['capture', 'seed', 'bytes changed', 'packets read', 'probe'], rows)


def usage_errors(tmp, check):
    print('\n== errors: exit status and message')
    good = hftest.pcap('dns.pcap')
    out = os.path.join(tmp, 'err.ipfix')
    missing = os.path.join(tmp, 'no-such-file.pcap')
    closed = hftest.free_port(hftest.socket.SOCK_STREAM)   # nothing listens there
    cases = [
        ('missing file', ['-r', missing, '-o', out], 1, 'no-such-file.pcap'),
        ('bad BPF filter', ['-r', good, '-f', 'tcp and and (', '-o', out], 1, 'filter'),
        ('unknown option', ['--no-such-option', '-r', good, '-o', out], 2, 'no-such-option'),
        ('no such interface', ['-i', 'nosuchif0', '-o', out], 1, 'nosuchif0'),
        ('TCP export, port closed', ['-r', good, '-t', 'tcp', '-C', '127.0.0.1:%d' % closed],
         1, str(closed)),
    ]
    rows = []
    for what, args, want, mention in cases:
        p = hftest.run_probe(args, timeout=60)
        check.probe_ran(p, what, codes=(want,))
        msg = p.stderr.strip()
        check.ok(mention in msg, '%s: message does not mention %r: %r' % (what, mention, msg))
        rows.append((what, want, hftest.describe_exit(p), msg.splitlines()[0] if msg else ''))
    hftest.table(['case', 'want exit', 'got', 'message'], rows)


def main():
    check = hftest.Check('probe_robust')
    with hftest.tempdir() as tmp:
        malformed(tmp, check)
        truncated(tmp, check)
        flipped(tmp, check)
        usage_errors(tmp, check)
    check.finish()


if __name__ == '__main__':
    main()
