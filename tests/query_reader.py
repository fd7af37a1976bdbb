#!/usr/bin/env python3
"""The query engine's store reader (query/store_scan.c, store_decode.c) on
real files, against hf_ipfix_reader (libfixbuf), through
tests/test_store_read --compare:

1. the probe's -o files of every capture in HF_PCAPS;
2. a collector store filled by the probe over UDP (names, IPv4/IPv6) and by
   the routers' exports replayed from the captures (NetFlow v9, IPFIX,
   sampled IPFIX): its slot files;
3. hourly summaries (hostflow-collector --rollup) of those files placed in
   past hours.

Every record hf_scan_run() delivers (2 threads) equals, field by field and
string by string, hf_ipfix_reader's for the same file, in file order; then
copies of some of the files cut at many offsets deliver exactly the whole
records before the cut and are reported bad, and copies with flipped bytes
never crash (ASan/UBSan build)."""
import glob
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

COMPARE = os.environ.get('HF_STORE_READ') or os.path.join(hftest.BUILD, 'tests',
                                                          'test_store_read')
ROUTERS = ['pmacct-100-ipfix-cisco.pcap', 'pmacct-101-nfv9-cisco.pcap',
           'pmacct-104-ipfix-ipv6-sampling.pcap', 'netflow-fritz.pcap']
NAMED = ['chrome.pcap', 'http_ipv6.pcap', 'dns.pcap', 'iphone.pcap']
BASE = (int(time.time()) - 2 * 86400) // 3600 * 3600


def slot_path(store, source, t):
    tm = time.gmtime(t)
    return os.path.join(store, source, time.strftime('%Y/%m/%d', tm),
                        'flows-%s.ipfix' % time.strftime('%Y%m%d%H%M', tm))


def compare(check, what, files, damage=0):
    args = [COMPARE, '--compare'] + (['--damage', str(damage)] if damage else []) + files
    p = hftest.run(args, timeout=1200)
    report = hftest.sanitizer_report(p.stderr)
    check.ok(report is None, '%s: sanitizer report: %s' % (what, report))
    fails = [l for l in p.stdout.splitlines() if l.startswith('FAIL')]
    check.ok(p.returncode == 0 and not fails,
             '%s: exit %d, %s' % (what, p.returncode, ' | '.join(fails[:8])))
    last = p.stdout.strip().splitlines()[-1:] or ['']
    print('%s: %d files: %s' % (what, len(files), last[0]))


def main():
    check = hftest.Check('query-reader')
    with hftest.tempdir() as tmp:
        # 1. the probe's files of every capture
        def probe(name):
            out = os.path.join(tmp, 'probe-%s.ipfix' % name)
            return name, out, hftest.probe_to_file(hftest.pcap(name), out)
        probe_files = []
        for name, out, p in hftest.parallel(probe, hftest.captures()):
            # captures the probe refuses (not a capture) leave no file
            if p.returncode == 0 and os.path.exists(out):
                probe_files.append(out)
            check.ok(hftest.sanitizer_report(p.stderr) is None, '%s: probe sanitizer' % name)
        check.ok(len(probe_files) > 30, '%d probe files' % len(probe_files))
        compare(check, 'probe -o files', probe_files)

        # 2. a collector's store: the probe over UDP and the routers' exports
        with hftest.Collector(tmp, 'col', listen=['udp:127.0.0.1:0']) as col:
            col.start()
            for name in NAMED:
                p = hftest.run_probe(['-r', hftest.pcap(name), '-C',
                                      '127.0.0.1:%d' % col.udp, '-t', 'udp'])
                check.probe_ran(p, '%s: probe -C' % name)
            sent = 0
            for name in ROUTERS:
                sent += hftest.replay_exporters(hftest.pcap(name), col.udp)
            col.wait(lambda st: hftest.exporter_sum(st)['messages'] >= sent, timeout=30)
            time.sleep(1.5)
            check.eq('collector exit', 0, col.stop())
            store_files = col.files()
        check.ok(len(store_files) >= 1, '%d collector slot files' % len(store_files))
        compare(check, 'collector slot files', store_files)

        # 3. hourly summaries of those files in past hours
        store = os.path.join(tmp, 'past')
        for i, f in enumerate(store_files + probe_files):
            dst = slot_path(store, 'router' if i < len(store_files) else 'home',
                            BASE + (i % 36) * 300)
            if os.path.exists(dst):
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(f, dst)
        p = hftest.run([hftest.COLLECTOR, '--rollup', '-w', store, '-s',
                        os.path.join(tmp, 'state'), '--slot-seconds', '300'])
        check.ok(p.returncode == 0 and hftest.sanitizer_report(p.stderr) is None,
                 '--rollup: exit %d %s' % (p.returncode, p.stderr[-300:]))
        hourly = sorted(glob.glob(os.path.join(store, '.hourly', '*', '*', '*', '*.ipfix')))
        check.ok(len(hourly) >= 4, '%d hourly summaries' % len(hourly))
        compare(check, 'hourly summaries', hourly)

        # 4. damaged copies of some of each
        big = sorted(probe_files, key=os.path.getsize)[-3:]
        compare(check, 'damaged copies', big + store_files[:3] + hourly[:3], damage=300)
    check.finish()


if __name__ == '__main__':
    main()
