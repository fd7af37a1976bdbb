#!/usr/bin/env python3
"""The store under faults: every record accounted for, every fault logged
(rate-limited), nothing lost that was counted as written.

a. kill -9 at random points of a steady feed, RUNS times, restarting on the
   same store each time: the recovery keeps exactly the whole records of
   the temp files the kill left (counted by the IPFIX reader below, not by
   our C code: inside the message being written too); every slot file reads
   with hostflow-dump, no flow twice, none not sent; what the status said
   was on disk before the kill is stored; received - stored (the records in
   flight) is reported and bounded.
b. Disk full (a small tmpfs in a private mount namespace; the state
   directory outside it): the collector keeps receiving and writing its
   status; received = records (on disk) + records_write_failed +
   records_buffered + records_not_stored (+ rejected + dropped), and the
   records on disk are exactly what an independent count of the files
   finds; each fault class is logged, in few lines for thousands of
   faults, with totals that match the counters; when space returns the
   records after it are stored.
"""
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

RUNS = 20
RATE = 5000                 # records per second fed
PER_MSG = 25
TID = 256
# STD_V4: addresses, ports, protocol, packets, octets, start/end ms
REC = struct.Struct('!IIHHBQQQQ')
IN_FLIGHT_S = 3.0           # flush every second, plus queues and a loaded machine


# ---------------------------------------------------------------- IPFIX, read here

def whole_records(data):
    """(data records wholly present, the bytes are whole messages only):
    an IPFIX reader independent of the C code, for a file cut anywhere.
    Templates are learnt per observation domain; a data set cut short
    counts its records that end before the cut."""
    tmpls = {}
    pos = n = 0
    size = len(data)
    while pos < size:
        if size - pos < 16:
            return n, False
        ver, length = struct.unpack_from('!HH', data, pos)
        if ver != 10 or length < 16:
            return n, False
        domain = struct.unpack_from('!I', data, pos + 12)[0]
        msg_end = pos + length
        end = min(msg_end, size)
        at = pos + 16
        while at + 4 <= end:
            sid, slen = struct.unpack_from('!HH', data, at)
            if slen < 4 or at + slen > msg_end:
                return n, False
            set_end = at + slen
            if sid in (2, 3):
                if set_end > end:
                    return n, False
                _templates(data, at + 4, set_end, sid == 3, domain, tmpls)
            elif sid >= 256 and (domain, sid) in tmpls:
                opts, lens = tmpls[(domain, sid)]
                got = _data_records(data, at + 4, min(set_end, end), lens)
                n += 0 if opts else got
            if set_end > end:
                return n, False
            at = set_end
        if msg_end > size or at != msg_end:
            return n, False
        pos = msg_end
    return n, True


def _templates(data, at, end, options, domain, tmpls):
    while end - at >= 4:
        tid, count = struct.unpack_from('!HH', data, at)
        if count == 0:                      # withdrawal
            tmpls.pop((domain, tid), None)
            at += 4
            continue
        if tid < 256:
            return
        at += 6 if options else 4
        lens = []
        for _ in range(count):
            if end - at < 4:
                return
            ie, ln = struct.unpack_from('!HH', data, at)
            at += 8 if ie & 0x8000 else 4
            if at > end:
                return
            lens.append(ln)
        tmpls[(domain, tid)] = (options, lens)


def _data_records(data, at, end, lens):
    n = 0
    while True:
        p = at
        for ln in lens:
            if ln == 0xffff:
                if p >= end:
                    return n
                ln = data[p]
                p += 1
                if ln == 255:
                    if end - p < 2:
                        return n
                    ln = struct.unpack_from('!H', data, p)[0]
                    p += 2
            p += ln
            if p > end:
                return n
        if p == at:
            return n
        n += 1
        at = p


def file_records(path):
    with open(path, 'rb') as f:
        return whole_records(f.read())


def store_records(files):
    return sum(file_records(f)[0] for f in files)


# ---------------------------------------------------------------- feeding

def ip4(i):
    return (10 << 24) | (i & 0xffffff)


class Feed(threading.Thread):
    """Flows i = first, first + 1, ... as IPFIX over UDP at RATE records a
    second until stopped (or count sent); .sent counts them."""

    def __init__(self, port, first, count=None, rate=RATE, addr='127.0.0.60'):
        super().__init__(daemon=True)
        self.exp = hftest.Exporter(port, addr=addr)
        self.first, self.count, self.rate = first, count, rate
        self.sent = 0
        self.halt = threading.Event()

    def message(self, i, n, with_template):
        now = int(time.time() * 1000)
        body = b''.join(REC.pack(ip4(j), 0xc0000201, 1024 + j % 60000, 443, 6,
                                 1 + j % 7, 100 + j % 1000, now - 2000, now - 1000)
                        for j in range(i, i + n))
        sets = [hftest.ipfix_template_set([(TID, hftest.STD_V4)])] if with_template else []
        sets.append(struct.pack('!HH', TID, 4 + len(body)) + body)
        return hftest.ipfix_message(sets, domain=7, seq=i)

    def run(self):
        t0 = time.time()
        k = 0
        while not self.halt.is_set():
            n = PER_MSG if self.count is None else min(PER_MSG, self.count - self.sent)
            if n <= 0:
                break
            self.exp.send(self.message(self.first + self.sent, n, k % 40 == 0), gap=0)
            self.sent += n
            k += 1
            ahead = self.sent / self.rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)

    def stop(self):
        self.halt.set()
        self.join()
        self.exp.close()
        return self.sent


def keys_of(recs):
    return [(r['src'], r['sport']) for r in recs]


def sent_keys(first, n):
    return [('10.%d.%d.%d' % ((j >> 16) & 255, (j >> 8) & 255, j & 255), 1024 + j % 60000)
            for j in range(first, first + n)]


def status_sum(st):
    """received, and what the store side accounts for."""
    s = st['store']
    got = hftest.exporter_sum(st)['records']
    acct = (s['records'] + s['records_buffered'] + s['records_write_failed']
            + s['records_not_stored'] + s['rejected_records'] + s['record_queue_drops'])
    return got, acct


# ---------------------------------------------------------------- a. kill -9

def kill_runs(check, tmp):
    print('== a. kill -9 at random points of a steady feed, %d runs' % RUNS)
    seed = int(os.environ.get('HF_SEED') or time.time())
    rnd = random.Random(seed)
    print('random seed %d (HF_SEED=%d repeats it)' % (seed, seed))
    col = hftest.Collector(tmp, 'kill', listen=['udp:127.0.0.1:0'])
    first = 0
    stored_before = 0
    expect = None               # what the next recovery must find
    table = []
    with col:
        for run in range(RUNS):
            col.start()
            st = col.status()['store']
            if expect is not None:
                check.eq('run %d: records_recovered = whole records in the temp files'
                         % run, expect['records'], st['records_recovered'])
                check.eq('run %d: files_recovered' % run, expect['files'],
                         st['files_recovered'])
                check.eq('run %d: files_damaged' % run, expect['damaged'],
                         st['files_damaged'])
                check.eq('run %d: temp files left after recovery' % run, [],
                         col.files(temp=True))
                stored = store_records(col.files())
                prev['stored'] = stored - stored_before
                stored_before = stored
            feed = Feed(col.udp, first)
            feed.start()
            time.sleep(rnd.uniform(0.3, 2.0))
            said = col.status()
            col.kill()
            sent = feed.stop()
            tmps = col.files(temp=True)
            counts = [file_records(f) for f in tmps]
            expect = {'records': sum(n for n, _ in counts),
                      'files': sum(1 for n, _ in counts if n > 0),
                      'damaged': sum(1 for f, (n, clean) in zip(tmps, counts)
                                     if not clean and os.path.getsize(f) > 0)}
            prev = {'run': run, 'sent': sent, 'said_received': hftest.exporter_sum(said)['records'],
                    'said_stored': said['store']['records'], 'temp': len(tmps),
                    'in_temp': expect['records'], 'cut': expect['damaged']}
            table.append(prev)
            first += sent
        col.start()
        st = col.status()['store']
        check.eq('last recovery: records_recovered', expect['records'], st['records_recovered'])
        prev['stored'] = store_records(col.files()) - stored_before
        col.check_exit(check, 'after %d kills (SIGTERM)' % RUNS, col.stop())

    hftest.table(('run', 'sent', 'status: received', 'status: on disk', 'temp files',
                        'cut', 'whole in temp', 'stored', 'sent - stored'),
                       [(r['run'], r['sent'], r['said_received'], r['said_stored'], r['temp'],
                         r['cut'], r['in_temp'], r['stored'], r['sent'] - r['stored'])
                        for r in table])
    for r in table:
        check.ok(r['stored'] >= r['said_stored'],
                 'run %d: %d stored, fewer than the %d the status said were on disk'
                 % (r['run'], r['stored'], r['said_stored']))
        check.ok(0 <= r['sent'] - r['stored'] <= RATE * IN_FLIGHT_S,
                 'run %d: sent %d - stored %d beyond the records in flight (%d)'
                 % (r['run'], r['sent'], r['stored'], RATE * IN_FLIGHT_S))
    lost = sum(r['sent'] - r['stored'] for r in table)
    print('received - stored over %d kills: %d of %d records (%.2f s of feed each)'
          % (RUNS, lost, first, lost / RATE / RUNS))
    check.ok(sum(r['cut'] for r in table) > 0, 'no kill left a message cut short')

    files = col.files()
    recs, p = hftest.dump_csv(files)
    check.ok(p.returncode == 0, 'hostflow-dump of the %d slot files: %s %s'
             % (len(files), hftest.describe_exit(p), p.stderr.strip()[-300:]))
    for f in files:
        n, clean = file_records(f)
        check.ok(clean, '%s is not whole messages' % f)
    got = keys_of(recs)
    check.eq('records read by hostflow-dump = counted here', store_records(files), len(got))
    check.eq('flows stored twice', 0, len(got) - len(set(got)))
    sent = set(sent_keys(0, first))
    check.eq('stored flows never sent', [], [k for k in got if k not in sent][:5])


# ---------------------------------------------------------------- b. disk full

FAULT_LINE = re.compile(r'(store [a-z ]+failure|store records refused): (.*)')


def fault_totals(text):
    """{class: occurrences} from the collector's rate-limited lines: the
    first occurrence's line, then summaries ending "(N in all)"."""
    tot = {}
    for line in text.splitlines():
        m = FAULT_LINE.search(line)
        if not m:
            continue
        what, rest = m.groups()
        a = re.search(r'\((\d+) in all\)', rest)
        tot[what] = max(tot.get(what, 0), int(a.group(1)) if a else 1)
    return tot


def fill(path):
    """Writes path until the file system is full; its size."""
    n = 0
    with open(path, 'wb', buffering=0) as f:
        chunk = b'\0' * 65536
        while True:
            try:
                n += f.write(chunk)
            except OSError:
                break
        while True:
            try:
                n += f.write(b'\0' * 512)
            except OSError:
                break
    return n


def disk_full(check, tmp):
    """Runs inside a private mount namespace (see main)."""
    print('== b. disk full: a 2 MiB tmpfs as the store')
    store = os.path.join(tmp, 'tmpfs')
    os.makedirs(store)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', store], check=True)
    # the store's own faults: no time series (RRD files would fill the 2 MiB too)
    col = hftest.Collector(tmp, 'full', listen=['udp:127.0.0.1:0'], store=store,
                           args=['--no-rrd'])
    filler = os.path.join(store, 'filler')
    with col:
        col.start()
        a = Feed(col.udp, 0, count=3000)
        a.run()
        check.ok(col.wait(lambda s: s['store']['records'] >= 3000), 'A: 3000 stored: %s'
                 % col.last['store'])
        size = fill(filler)
        print('A: 3000 flows stored; filler of %d bytes: the store is full' % size)

        t0 = time.time()
        b = Feed(col.udp, 3000, count=24000, rate=2000)
        b.start()
        seen = []
        while b.is_alive():
            st = col.status()
            seen.append(st['time_ms'])
            time.sleep(1)
        b.join()
        check.ok(col.alive(), 'the collector runs on with the disk full')
        st = col.wait(lambda s: status_sum(s)[0] == status_sum(s)[1] == 27000, timeout=20)
        st = st or col.last
        s = st['store']
        print('B: 24000 flows in %.1f s with the disk full: %s' % (time.time() - t0, s))
        check.ok(len(seen) >= 5 and len(set(seen)) >= len(seen) // 2,
                 'status.json rewritten every second while the writes fail: %s' % seen)
        check.eq('disk full: received = on disk + write_failed + buffered + not_stored '
                 '(+ rejected + dropped)', (27000, 27000), status_sum(st))
        check.ok(s['records_write_failed'] > 0 and s['records_not_stored'] > 1000,
                 'writes failed and records were refused: %s' % s)
        check.ok(s['write_errors'] >= 2, 'a failed write, then a failed retry: %d'
                 % s['write_errors'])

        os.unlink(filler)
        # a failed slot is retried 10 s after its failure
        time.sleep(12)
        before = col.status()['store']['records']
        c = Feed(col.udp, 27000, count=2000)
        c.run()
        check.ok(col.wait(lambda s: s['store']['records'] >= before + 2000),
                 'C: the 2000 flows after space returned are written: %s'
                 % col.last['store'])
        rc = col.stop()
        col.check_exit(check, 'disk full (SIGTERM)', rc)
        st = col.status()
        s = st['store']
        print('final status: %s' % s)
        check.eq('at exit: received = on disk + write_failed + not_stored '
                 '(+ rejected + dropped)', (29000, 29000), status_sum(st))
        check.eq('at exit: nothing buffered', 0, s['records_buffered'])

        files = col.files() + col.files(temp=True)
        counted = [file_records(f) for f in files]
        check.eq('records on disk (status) = whole records in the store files',
                 s['records'], sum(n for n, _ in counted))
        check.eq('files cut back to whole messages after failed writes', [],
                 [f for f, (_, clean) in zip(files, counted) if not clean])
        recs, p = hftest.dump_csv(col.files())
        check.ok(p.returncode == 0, 'hostflow-dump of the slot files: %s' % p.stderr[-300:])
        stored = set(keys_of(recs))
        check.eq('C flows not stored', [], [k for k in sent_keys(27000, 2000)
                                            if k not in stored][:5])

        text = col.all_stderr()
        lines = [ln for ln in text.splitlines() if FAULT_LINE.search(ln)]
        tot = fault_totals(text)
        print('%d fault lines for %d failed operations and %d refused records:'
              % (len(lines), s['write_errors'], s['records_not_stored']))
        for ln in lines:
            print('  ' + ln.strip()[:200])
        check.ok(0 < len(lines) < 20, '%d fault lines' % len(lines))
        refused = tot.get('store records refused', 0)
        failed_ops = sum(v for k, v in tot.items() if k != 'store records refused')
        check.eq('logged failed operations = write_errors', s['write_errors'], failed_ops)
        # a write that fails while a record is added refuses that record too
        check.ok(refused <= s['records_not_stored'] <= refused + failed_ops,
                 'records_not_stored %d = the %d logged refusals + at most one a failed '
                 'write (%d)' % (s['records_not_stored'], refused, failed_ops))
        check.ok(tot.get('store write failure', 0) > 0, 'write failures logged: %s' % tot)
    subprocess.run(['umount', store])


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--disk-full':
        check = hftest.Check('collector_faults_store (disk full)')
        disk_full(check, sys.argv[2])
        check.finish()
    check = hftest.Check('collector_faults_store')
    t0 = time.time()
    skipped = False
    with hftest.tempdir() as tmp:
        kill_runs(check, tmp)
        print('(a: %.0f s)\n' % (time.time() - t0))
        t1 = time.time()
        if subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
            print('SKIP b: no private mount namespace (unshare -m)')
            skipped = True
        else:
            p = subprocess.run(['unshare', '-m', '--propagation', 'private', sys.executable,
                                os.path.abspath(__file__), '--disk-full', tmp])
            check.eq('disk-full scenario (in its mount namespace) exit status', 0,
                     p.returncode)
        print('(b: %.0f s)' % (time.time() - t1))
    if skipped and not check.failures:
        sys.exit(hftest.SKIP)
    check.finish()


if __name__ == '__main__':
    main()
