#!/usr/bin/env python3
"""The one memory budget of the collector's queues ([collector]
queue-memory): with the writer stalled (HOSTFLOW_TEST_HOLD_WRITER, the
test hook standing for a disk that does not take writes) and the smallest
budget, a stream of records many times the budget is received and
decoded; the records that find no room are dropped and counted
(record_queue_drops), the budget's peak stays within its cap, the
collector's resident memory grows by less than the records would take
(bounded by the cap, far below what the records would take), and once
the writer goes on every record sent is either stored or counted as
dropped (records at the record queue, whole datagrams at the listener
when held records took the room, those per exporter too), with the
stored ones exactly the ones status.json says.  The same stream with the
default budget and the writer free is stored whole."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAP = 4 << 20                   # HF_QUEUE_MEMORY_MIN
PER_DGRAM = 30
DGRAMS = 4000                   # 120 000 records: ~24 MiB as queued records
TID = 256


def messages(now_s):
    """IPFIX messages of STD_V4 flows: a template, then DGRAMS data
    messages of PER_DGRAM records each."""
    fields = hftest.STD_V4
    tmpl = hftest.ipfix_message([hftest.ipfix_template_set([(TID, fields)])],
                                domain=7, seq=0, export_s=now_s)
    out, seq = [tmpl], 0
    now_ms = now_s * 1000
    for d in range(DGRAMS):
        recs = [hftest.pack_record(fields, hftest.flow_values(d * PER_DGRAM + k, now_ms))
                for k in range(PER_DGRAM)]
        out.append(hftest.ipfix_message([hftest.ipfix_data_set(TID, recs)], domain=7,
                                        seq=seq, export_s=now_s))
        seq += PER_DGRAM
    return out


def rss_kib(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def run(check, tmp, name, hold, msgs, cap):
    """One collector fed msgs, the writer held while hold; returns
    (RSS growth in KiB while the records were queued, the status then, the
    last status, the records in the store files, stderr)."""
    conf = os.path.join(tmp, name + '.conf')
    with open(conf, 'w') as f:
        f.write('[collector]\nstatus-exporters = 1000\nqueue-memory = %d\n'
                'log-stats = 1\n' % cap)
    holdfile = os.path.join(tmp, name + '.hold')
    os.environ['HOSTFLOW_TEST_HOLD_WRITER'] = holdfile
    if hold:
        open(holdfile, 'w').close()
    col = hftest.Collector(tmp, name, listen=['udp:127.0.0.1:0'], config=conf)
    with col:
        col.start()
        del os.environ['HOSTFLOW_TEST_HOLD_WRITER']
        time.sleep(0.5)
        base = rss_kib(col.proc.pid, 'VmRSS')
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i, m in enumerate(msgs):
            s.sendto(m, ('127.0.0.1', col.udp))
            if i % 50 == 49:
                time.sleep(0.005)       # within the socket buffer
        s.close()
        # every datagram decoded, or dropped for want of room
        st = col.wait(lambda st: hftest.exporter_sum(st)['messages']
                      + st['sockets']['queue_drops'] >= len(msgs), 60)
        check.ok(st is not None, '%s: all %d datagrams taken (%s)' % (
            name, len(msgs), col.last and hftest.exporter_sum(col.last)['messages']))
        time.sleep(1.5)                 # status and the last batches
        grown = rss_kib(col.proc.pid, 'VmHWM') - base
        held = col.status()
        if hold:
            os.unlink(holdfile)
        st = col.wait(lambda st: st['store']['records'] + st['store']['record_queue_drops']
                      >= hftest.exporter_sum(st)['records'], 60)
        check.ok(st is not None, '%s: the writer went on' % name)
        time.sleep(1.2)
        col.check_exit(check, name, col.stop())
        last = col.status()
        stored_files = col.totals()[0]
        log = col.all_stderr()
    return grown, held, last, stored_files, log


def main():
    check = hftest.Check('collector-queue-memory')
    with hftest.tempdir() as tmp:
        test(check, tmp)
    return check.finish()


def test(check, tmp):
    msgs = messages(int(time.time()))
    sent = DGRAMS * PER_DGRAM

    print('== the writer stalled, queue-memory = %d' % CAP, flush=True)
    grown, held, last, stored, log = run(check, tmp, 'held', True, msgs, CAP)
    qm = held['queue_memory']
    # records dropped: one by one at the record queue, and whole datagrams
    # at the listener when the records held took all the room
    dgram_drops = last['sockets']['queue_drops']
    drops = last['store']['record_queue_drops'] + PER_DGRAM * dgram_drops
    print('while held: queue_memory %s, record_queue_drops %d, RSS +%d KiB'
          % (qm, held['store']['record_queue_drops'], grown))
    check.eq('held: cap in status.json', CAP, qm['cap'])
    check.ok(qm['peak'] <= CAP, 'held: budget peak %d within the cap %d' % (qm['peak'], CAP))
    check.ok(qm['refused'] > 0, 'held: the budget refused batches (%d)' % qm['refused'])
    check.ok(held['store']['record_queue_drops'] > sent // 2,
             'held: most records dropped while held (%d of %d)'
             % (held['store']['record_queue_drops'], sent))
    by_exporter = sum(e['datagrams'] for e in last['queue_drops_by_exporter'])
    check.eq('held: datagram drops per exporter add up to queue_drops', dgram_drops,
             by_exporter + last['queue_drops_other_exporters'])
    check.ok(all(e['exporter'] == '127.0.0.1' for e in last['queue_drops_by_exporter']),
             'held: drops under the sending exporter: %s' % last['queue_drops_by_exporter'])
    check.eq('held: records decoded = sent - datagrams dropped', sent - PER_DGRAM * dgram_drops,
             hftest.exporter_sum(last)['records'])
    # every record sent: stored, or counted as dropped for the budget
    check.eq('held: stored (status) + dropped = sent', sent, last['store']['records'] + drops)
    check.eq('held: records in the store files = status store.records',
             last['store']['records'], stored)
    check.eq('held: records missing from the store = record_queue_drops', sent - stored, drops)
    check.ok(' record queue (queue memory ' in log,
             'held: the stats line shows the queue memory: %r' % log[-300:])

    print('== the same stream, writer free', flush=True)
    grown_free, _, last_free, stored_free, _ = run(check, tmp, 'free', False, msgs, 64 << 20)
    check.eq('free: every record stored', sent, stored_free)
    check.eq('free: nothing dropped', 0, last_free['store']['record_queue_drops']
             + last_free['sockets']['queue_drops'])

    # the held run queued at most the cap; without the cap it would have
    # queued every record (~200 bytes each)
    queued_kib = sent * 200 // 1024
    print('RSS growth: held %d KiB, free %d KiB; all records queued would be ~%d KiB'
          % (grown, grown_free, queued_kib))
    check.ok(grown < CAP // 1024 + queued_kib // 2,
             'held: RSS grew %d KiB, bounded by the cap (%d KiB) well below the %d KiB '
             'of all records' % (grown, CAP // 1024, queued_kib))


if __name__ == '__main__':
    sys.exit(main())
