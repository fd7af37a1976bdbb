#!/usr/bin/env python3
"""Real NetFlow v9 / IPFIX exports (captures from routers and pmacct's test
suite) decoded by the collector two ways -- replayed as UDP datagrams to a
running hostflow-collector (shared/bench/replay-exporters.py) and fed
in-process (tests/replay_exports) -- give the records, packets and octets
tshark decodes from the same datagrams, without a malformed counter.

Also: netflowv9.pcap holds data whose templates are not in the capture:
its data is counted, held (not decoded, not malformed) and decoded once a
template for it arrives; pmacct-104 announces random 1-out-of-256
sampling: its stored records carry sampling 256; pmacct-100's templates
sent from one source port and its data from another still decode."""
import collections
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = ['pmacct-100-ipfix-cisco.pcap', 'pmacct-101-nfv9-cisco.pcap',
            'pmacct-104-ipfix-ipv6-sampling.pcap', 'netflow-fritz.pcap', 'netflowv9.pcap']
NO_TEMPLATES = 'netflowv9.pcap'          # data only: tshark cannot decode it either
SAMPLED = ('pmacct-104-ipfix-ipv6-sampling.pcap', 256)
SPLIT_PORTS = 'pmacct-100-ipfix-cisco.pcap'


def tshark_totals(path):
    """(records, packets, octets) tshark decodes over all export ports."""
    ports = hftest.export_ports(path)
    dec = hftest.cflow_decode(path, ['udp.port==%d,cflow' % p for p in ports])
    return tuple(sum(t[k] for t in dec.values()) for k in ('records', 'packets', 'octets'))


def tshark_interfaces(path):
    """{'in_if': Counter, 'out_if': Counter} of the non-zero interface
    indexes (cflow.inputint, cflow.outputint) tshark decodes in the flow
    records of a capture."""
    extra = []
    for p in hftest.export_ports(path):
        extra += ['-d', 'udp.port==%d,cflow' % p]
    rows = hftest.tshark_fields(path, ['cflow.inputint', 'cflow.outputint'], extra)
    out = {'in_if': collections.Counter(), 'out_if': collections.Counter()}
    for r in rows:
        for col, field in (('in_if', 'cflow.inputint'), ('out_if', 'cflow.outputint')):
            for v in (r.get(field) or '').split(','):
                if v and int(v, 0):
                    out[col][int(v, 0)] += 1
    return out


def held_data_sets(path):
    """NetFlow v9 data flowsets of a capture as (source address, source id,
    flowset id, body length), parsed from the datagrams."""
    out = []
    for src, _, _, payload in hftest.export_datagrams(path):
        if len(payload) < 20 or struct.unpack('!H', payload[:2])[0] != 9:
            continue
        source_id = struct.unpack('!I', payload[16:20])[0]
        for fid, start, end in hftest.v9_flowsets(payload):
            if fid >= 256:
                out.append((src, source_id, fid, end - start - 4))
    return out


def check_replayed(check, tmp, name, rows):
    path = hftest.pcap(name)
    want = tshark_totals(path)
    inproc, rp = hftest.replay_exports(path)
    check.ok(rp.returncode == 0 and inproc, '%s: replay_exports %s: %s'
             % (name, hftest.describe_exit(rp), rp.stderr.strip()))
    bad_inproc = sum(v for k, v in inproc.items() if k.startswith('bad_'))
    with hftest.Collector(tmp, name, listen=['udp:127.0.0.1:0']) as col:
        col.start()
        sent = hftest.replay_exporters(path, col.udp)
        st = col.wait_messages(sent)
        check.ok(st is not None, '%s: collector counted %d of %d messages' % (
            name, hftest.exporter_sum(col.last)['messages'], sent))
        extra = None
        if name == NO_TEMPLATES:
            extra = check_held(check, col, name, path)
        rc = col.stop()
        col.check_exit(check, name, rc)
        st = col.status()
        tot = hftest.exporter_sum(st)
        stored = col.totals()
        recs = col.records()
    got_inproc = (inproc.get('records'), inproc.get('packets'), inproc.get('bytes'))
    rows.append((name, sent, '%d/%d/%d' % want, '%s/%s/%s' % got_inproc,
                 '%d/%d/%d' % stored, hftest.malformed_text(tot)))

    check.eq('%s: malformed counters (collector)' % name, 0, tot['malformed'])
    check.eq('%s: malformed counters (replay_exports)' % name, 0, bad_inproc)
    own = 1 if extra else 0                 # the template check_held sent
    check.eq('%s: messages counted' % name, sent + own, tot['messages'])
    check.eq('%s: datagrams received' % name, sent + own, st['sockets']['datagrams'])
    if name == NO_TEMPLATES:
        check.eq('%s: tshark decodes nothing (no template in the capture)' % name,
                 (0, 0, 0), want)
        check.eq('%s: replay_exports decodes nothing' % name, (0, 0, 0), got_inproc)
        check.eq('%s: replay_exports drops no held data' % name, 0,
                 inproc.get('pending_dropped'))
        if extra:
            want_recs, want_sets = extra
            check.eq('%s: records stored once templates came (one per held byte)'
                     % name, want_recs, stored[0])
        return
    check.ok(want[0] > 0 or name == 'netflow-fritz.pcap',
             '%s: tshark decoded no record' % name)
    check.eq('%s: replay_exports (records, packets, octets) vs tshark' % name,
             want, got_inproc)
    check.eq('%s: stored (records, packets, octets) vs tshark' % name, want, stored)
    check.eq('%s: decoded records counted vs stored' % name, stored[0], tot['records'])
    check.eq('%s: held data left undecoded' % name, 0, tot['pending_dropped'])
    ifs = tshark_interfaces(path)
    for col_name in ('in_if', 'out_if'):
        got = collections.Counter(int(r[col_name]) for r in recs if int(r[col_name]))
        check.eq('%s: %s of the stored records vs tshark' % (name, col_name),
                 dict(ifs[col_name]), dict(got))
    print('%s: interfaces in %d, out %d' % (name, len(ifs['in_if']), len(ifs['out_if'])))
    if name == SAMPLED[0]:
        sampling = collections.Counter(r['sampling'] for r in recs)
        print('%s: sampling column of the stored records: %s' % (name, dict(sampling)))
        check.eq('%s: every stored record carries sampling %d' % (name, SAMPLED[1]),
                 {str(SAMPLED[1]): len(recs)}, dict(sampling))
        check.ok(any(e['sampling_interval'] == SAMPLED[1] for e in st['exporters']),
                 '%s: no exporter reports sampling_interval %d' % (name, SAMPLED[1]))
        check.eq('%s: options records (the sampling announcement)' % name,
                 inproc.get('options'), tot['options_records'])


def check_held(check, col, name, path):
    """netflowv9: the data waits for templates; a v9 template for each
    template id it uses, one 1-byte field (IN_BYTES) per record, then
    decodes every held byte as one record.  Returns (records, data sets)
    expected."""
    st = col.status()
    tot = hftest.exporter_sum(st)
    print('%s: after the replay: messages %d records %d pending_decoded %d '
          'pending_dropped %d malformed %d' % (name, tot['messages'], tot['records'],
                                               tot['pending_decoded'], tot['pending_dropped'],
                                               tot['malformed']))
    check.eq('%s: records decoded without templates' % name, 0, tot['records'])
    check.eq('%s: held data dropped' % name, 0, tot['pending_dropped'])
    sets = held_data_sets(path)
    srcs = sorted({(s[0], s[1]) for s in sets})
    check.eq('%s: one exporter and source id in the capture' % name, 1, len(srcs))
    tids = sorted({s[2] for s in sets})
    want_recs = sum(s[3] for s in sets)
    # replay-exporters.py sends the first exporter from 127.0.0.10
    exp = hftest.Exporter(col.udp, addr='127.0.0.10')
    exp.send(hftest.v9_message([hftest.v9_template_flowset([(t, [(1, 1)]) for t in tids])],
                               source_id=srcs[0][1]))
    exp.close()
    st = col.wait(lambda s: hftest.exporter_sum(s)['pending_decoded'] >= len(sets))
    tot = hftest.exporter_sum(col.last)
    print('%s: template for ids %s sent: pending_decoded %d (want %d data sets), '
          'records %d (want %d)' % (name, tids, tot['pending_decoded'], len(sets),
                                    tot['records'], want_recs))
    check.eq('%s: held data sets decoded once the template came' % name,
             len(sets), tot['pending_decoded'])
    check.eq('%s: records decoded from the held data' % name, want_recs, tot['records'])
    check.eq('%s: malformed after the template' % name, 0, tot['malformed'])
    return want_recs, len(sets)


def check_split_ports(check, tmp):
    """Templates from one source port, data from another (same exporter
    address and domain): the exporter-wide fallback must decode all."""
    path = hftest.pcap(SPLIT_PORTS)
    want = tshark_totals(path)
    grams = hftest.export_datagrams(path)
    with hftest.Collector(tmp, 'split-ports', listen=['udp:127.0.0.1:0']) as col:
        col.start()
        tmpl = hftest.Exporter(col.udp, addr='127.0.0.40')
        data = hftest.Exporter(col.udp, addr='127.0.0.40')
        n = 0
        for _, _, _, payload in grams:
            # sets of this capture: template sets (id 2) or data sets only
            set_id = struct.unpack('!H', payload[16:18])[0]
            (tmpl if set_id in (2, 3) else data).send(payload)
            n += 1
        col.wait_messages(n)
        rc = col.stop()
        col.check_exit(check, 'split ports', rc)
        tot = hftest.exporter_sum(col.status())
        stored = col.totals()
    print('%s with templates from port %d and data from port %d: stored %d/%d/%d, '
          'tshark %d/%d/%d, pending_decoded %d, malformed %s'
          % ((SPLIT_PORTS, tmpl.sport, data.sport) + stored + want +
             (tot['pending_decoded'], hftest.malformed_text(tot))))
    check.eq('split ports: stored (records, packets, octets) vs tshark', want, stored)
    check.eq('split ports: malformed', 0, tot['malformed'])


def main():
    hftest.need_tools('tshark')
    check = hftest.Check('collector_exports')
    rows = []
    with hftest.tempdir() as tmp:
        hftest.parallel(lambda n: check_replayed(check, tmp, n, rows), CAPTURES)
        print()
        hftest.table(['capture', 'datagrams', 'tshark rec/pk/oct', 'in-process rec/pk/oct',
                      'stored rec/pk/oct', 'malformed'], sorted(rows))
        print()
        check_split_ports(check, tmp)
    check.finish()


if __name__ == '__main__':
    main()
