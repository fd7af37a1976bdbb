#!/usr/bin/env python3
"""hostflow-ipfix(7) lists exactly the elements of the templates hostflow
writes, with their enterprise numbers, ids and lengths.

The templates are read here, with a parser of RFC 7011 template sets of
its own, from what the programs write on real captures:
1. the probe's IPFIX file (chrome.pcap and http_ipv6.pcap: IPv4, IPv6,
   names): its flow templates, and its options template of exporter
   statistics;
2. the slot files of a collector that received the probe's export over
   UDP on loopback: the flows it stores;
3. the hourly summary the collector's --rollup writes of a store holding
   the probe's file in a past hour.
The page's FLOW RECORDS must be exactly the union of (1)'s and of (2)'s
flow templates' elements, FLOW RECORDS plus HOURLY SUMMARIES exactly (3)'s,
and EXPORTER STATISTICS exactly the options template's; hostflow's own
elements carry the build's enterprise number (HF_PEN), and every element's
enterprise number, id, type and semantics on the page are those of the
information model the programs load (tests/ie_lookup.c: libfixbuf's IANA
elements and hostflow-ie.xml)."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

CAPTURES = ('chrome.pcap', 'http_ipv6.pcap')
PAGE = os.path.join(hftest.BUILD, 'man', 'hostflow-ipfix.7')
VARLEN = 65535
# libfixbuf's numbering of RFC 7012's data types and semantics
TYPES = ['octetArray', 'unsigned8', 'unsigned16', 'unsigned32', 'unsigned64', 'signed8',
         'signed16', 'signed32', 'signed64', 'float32', 'float64', 'boolean', 'macAddress',
         'string', 'dateTimeSeconds', 'dateTimeMilliseconds', 'dateTimeMicroseconds',
         'dateTimeNanoseconds', 'ipv4Address', 'ipv6Address', 'basicList', 'subTemplateList',
         'subTemplateMultiList']
SEMANTICS = ['default', 'quantity', 'totalCounter', 'deltaCounter', 'identifier', 'flags',
             'list', 'snmpCounter', 'snmpGauge']


def templates(path):
    """{(set kind, template id): [(pen, id, length)]} of every template
    record in an IPFIX file; kind 2 = template, 3 = options template."""
    with open(path, 'rb') as f:
        data = f.read()
    return {(sid, tid): [(pen, fid, flen) for (pen, fid), flen in fields]
            for m in hftest.ipfix_messages(data, path)
            for sid, tid, fields in m['template_records'] if fields}


def union(tmpls, kind):
    return {f for (k, _), fields in tmpls.items() if k == kind for f in fields}


def page_sections(path):
    """{section title: {(pen, id, length)}} and {(pen, id): (name, type,
    semantics)} from the page's tagged paragraphs: '.TP', '.B name', then
    'PEN p, ID i, type[, semantics][, length n | variable length].'"""
    sections, names, title = {}, {}, None
    lines = open(path, encoding='utf-8').read().split('\n')
    for i, line in enumerate(lines):
        if line.startswith('.SH '):
            title = line[4:].strip('"')
            sections.setdefault(title, set())
        m = re.match(r'PEN (\d+), ID (\d+), (.*)\.$', line)
        if not (m and lines[i - 1].startswith('.B ')):
            continue
        pen, eid = int(m.group(1)), int(m.group(2))
        facts = m.group(3).split(', ')
        length = None
        if facts[-1] == 'variable length':
            length = VARLEN
        elif facts[-1].startswith('length '):
            length = int(facts[-1].split()[1])
        if length is not None:
            facts.pop()
        sections[title].add((pen, eid, length))
        names[(pen, eid)] = (lines[i - 1][3:].replace('\\-', '-'), facts[0],
                             facts[1] if len(facts) > 1 else 'default')
    return sections, names


def model_check(check, names):
    """Each element's PEN, id, type and semantics on the page are those of
    the information model the programs load (tests/ie_lookup.c)."""
    lookup = os.environ.get('HF_IE_LOOKUP') or os.path.join(hftest.BUILD, 'tests', 'ie_lookup')
    p = hftest.run([lookup] + [n for n, _, _ in names.values()])
    check.probe_ran(p, 'ie_lookup')
    model = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 5:
            model[f[0]] = (int(f[1]), int(f[2]), TYPES[int(f[3])], SEMANTICS[int(f[4])])
    for (pen, eid), (name, typ, sem) in sorted(names.items()):
        check.eq('%s: PEN, ID, type, semantics on the page vs the model' % name,
                 model.get(name), (pen, eid, typ, sem))
    print('model: %d elements of the page checked' % len(model))


def slot_path(store, source, t):
    tm = time.gmtime(t)
    return os.path.join(store, source, time.strftime('%Y/%m/%d', tm),
                        'flows-%s.ipfix' % time.strftime('%Y%m%d%H%M', tm))


def show(what, elems, names):
    return '%s: %s' % (what, ', '.join('%s(%d/%d len %s)' % (names.get((p, i), '?')[0], p, i, n)
                                       for p, i, n in sorted(elems)) or 'none')


def same(check, what, written, page, names):
    """The elements written and the page's are the same (pen, id, length)."""
    check.ok(written == page, '%s: %s; %s' % (what, show('only written', written - page, names),
                                              show('only on the page', page - written, names)))


def main():
    check = hftest.Check('ipfix-page')
    if not os.path.exists(PAGE):
        print('FAIL: %s not built' % PAGE)
        return 1
    sections, names = page_sections(PAGE)
    page_flows = sections.get('FLOW RECORDS', set())
    page_summaries = page_flows | sections.get('HOURLY SUMMARIES', set())
    page_stats = sections.get('EXPORTER STATISTICS', set())
    print('page: %d flow, %d summary, %d statistics elements'
          % (len(page_flows), len(page_summaries), len(page_stats)))
    own_pen = int(os.environ.get('HF_PEN', '32473'))
    own = {(p, i) for (p, i), (n, _, _) in names.items() if n.startswith('hostflow')}
    check.ok(own and all(p == own_pen for p, _ in own),
             'hostflow elements carry PEN %d: %s' % (own_pen, sorted(own)))

    model_check(check, names)

    with hftest.tempdir() as tmp:
        # 1. the probe's file
        probe_file = os.path.join(tmp, 'probe.ipfix')
        check.probe_ran(hftest.probe_to_file([hftest.pcap(c) for c in CAPTURES], probe_file),
                        'probe -o')
        probe_t = templates(probe_file)
        print('probe templates: %s' % sorted('%d/%#x' % k for k in probe_t))
        probe_flows, probe_stats = union(probe_t, 2), union(probe_t, 3)
        same(check, 'probe flow templates vs page FLOW RECORDS', probe_flows, page_flows, names)
        same(check, 'probe options template vs page EXPORTER STATISTICS', probe_stats,
             page_stats, names)

        # 2. the flows a collector stores
        with hftest.Collector(tmp, 'col', listen=['udp:127.0.0.1:0']) as col:
            col.start()
            want = hftest.dump_count(probe_file)[0]
            for c in CAPTURES:
                check.probe_ran(hftest.run_probe(['-r', hftest.pcap(c), '-c',
                                                  '127.0.0.1:%d' % col.udp, '-t', 'udp']),
                                'probe -c %s' % c)
            col.wait(lambda st: hftest.exporter_sum(st)['records'] >= want, timeout=30)
            col.check_exit(check, 'collector', col.stop())
            slots = col.files()
        check.ok(slots, 'the collector stored slot files')
        stored = set()
        for f in slots:
            stored |= union(templates(f), 2)
        same(check, 'stored flow templates vs page FLOW RECORDS', stored, page_flows, names)

        # 3. an hourly summary of the probe's file placed two days back
        store, state = os.path.join(tmp, 'store'), os.path.join(tmp, 'state')
        t = (int(time.time()) - 2 * 86400) // 3600 * 3600
        dst = slot_path(store, 'home', t)
        os.makedirs(os.path.dirname(dst))
        shutil.copyfile(probe_file, dst)
        p = hftest.run([hftest.COLLECTOR, '--rollup', '-w', store, '-s', state])
        check.probe_ran(p, 'collector --rollup')
        hourly = []
        for d, _, files in os.walk(os.path.join(store, '.hourly')):
            hourly += [os.path.join(d, f) for f in files if f.endswith('.ipfix')]
        check.eq('hourly summary files', 1, len(hourly))
        summary = set()
        for f in hourly:
            summary |= union(templates(f), 2)
        same(check, 'summary templates vs page FLOW RECORDS + HOURLY SUMMARIES', summary,
             page_summaries, names)
    check.finish()


if __name__ == '__main__':
    sys.exit(main())
