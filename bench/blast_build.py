#!/usr/bin/env python3
"""blast_build.py -- build an ipfix_blast.py stream once and save it to a file,
so that several collectors can be fed the byte-identical stream
(bench/udp_replay replays it, paced).

Usage: blast_build.py BLAST_PY OUTFILE VERSION COUNT [--shards N]
         [--per-packet N] [--template-every N]

BLAST_PY is ../shared/bench/ipfix_blast.py: its build_ipfix / build_v9
encoders are used unchanged (same records, same templates, same sequence
numbers).  With --shards N the COUNT records are split into N disjoint
streams (observation domain / source id 1..N, --seed offsets), written to
OUTFILE.0 .. OUTFILE.N-1, for N parallel senders on N source ports.

File format (all big-endian): "HFBLAST1", u32 version, u64 records,
u64 datagrams, u64 expected_bytes, u64 expected_packets, then per datagram
u16 length, u16 data records in it, payload.
Prints on stdout: records= datagrams= expected_bytes= expected_packets=
(totals over all shards).
"""
import argparse
import importlib.util
import struct
import sys


def load_blast(path):
    spec = importlib.util.spec_from_file_location("ipfix_blast", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("blast_py")
    ap.add_argument("outfile")
    ap.add_argument("version", type=int, choices=(9, 10))
    ap.add_argument("count", type=int)
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--per-packet", type=int, default=30)
    ap.add_argument("--template-every", type=int, default=500)
    a = ap.parse_args()

    blast = load_blast(a.blast_py)
    build = blast.build_ipfix if a.version == 10 else blast.build_v9
    sid_off = 16 if a.version == 10 else 20
    tot = [0, 0, 0, 0]
    base = 0
    for shard in range(a.shards):
        n = a.count // a.shards + (1 if shard < a.count % a.shards else 0)
        pkts, exp_bytes, exp_pkts = build(n, a.per_packet, shard + 1, base,
                                          a.template_every)
        # the generator's record values depend on the index j within the
        # shard, so shards differ by source address (seed) and domain only
        base += n
        out = a.outfile if a.shards == 1 else "%s.%d" % (a.outfile, shard)
        left = n
        with open(out, "wb") as f:
            f.write(b"HFBLAST1" + struct.pack("!IQQQQ", a.version, n, len(pkts),
                                              exp_bytes, exp_pkts))
            parts = []
            for p in pkts:
                sid = struct.unpack_from("!H", p, sid_off)[0]
                r = 0 if sid in (0, 2) else min(a.per_packet, left)
                left -= r
                parts.append(struct.pack("!HH", len(p), r))
                parts.append(p)
            f.write(b"".join(parts))
        tot[0] += n
        tot[1] += len(pkts)
        tot[2] += exp_bytes
        tot[3] += exp_pkts
    print("records=%d datagrams=%d expected_bytes=%d expected_packets=%d" % tuple(tot))


if __name__ == "__main__":
    sys.exit(main())
