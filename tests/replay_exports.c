/* Feeds the UDP payloads of a capture of flow exports (NetFlow v5/v9,
 * IPFIX) to the collector's decoder, in capture order, each exporter keyed
 * by its address and source port, and prints what came out: the records as
 * CSV (-F csv / json) or totals, then the decoder's counters.  Used by the
 * tests to compare with tshark's decoding of the same packets. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "decoder.h"
#include "infomodel.h"
#include "packet.h"
#include "record_format.h"

struct totals {
    uint64_t records, packets, bytes;
    enum hf_format fmt;
    bool print;
};

static void
on_record(void *ctx, const struct hf_exporter_id *exp, const hf_flow_record_t *rec,
          uint64_t arrival_ms)
{
    (void)arrival_ms;
    struct totals *t = ctx;
    (void)exp;
    t->records++;
    t->packets += rec->packetDeltaCount;
    t->bytes += rec->octetDeltaCount;
    if (t->print)
        hf_format_record(stdout, t->fmt, rec);
}

int
main(int argc, char **argv)
{
    struct totals t = { 0 };
    char errbuf[PCAP_ERRBUF_SIZE];
    int argi = 1;
    const char *state = NULL;

    while (argi < argc && argv[argi][0] == '-') {
        if (strcmp(argv[argi], "-F") == 0 && argi + 1 < argc) {
            if (!hf_format_parse(argv[argi + 1], &t.fmt))
                return 2;
            t.print = true;
            argi += 2;
        } else if (strcmp(argv[argi], "-s") == 0 && argi + 1 < argc) {
            state = argv[argi + 1];          /* template state dir */
            argi += 2;
        } else {
            break;
        }
    }
    if (argi >= argc) {
        fprintf(stderr, "usage: replay_exports [-F csv|json] [-s STATEDIR] CAPTURE...\n");
        return 2;
    }
    struct hf_decoder_config cfg = { .state_dir = state,
                                     .enterprise_number = hf_enterprise_number };
    struct hf_decoder *d = hf_decoder_new(&cfg, on_record, &t);
    if (t.print)
        hf_format_header(stdout, t.fmt);
    for (; argi < argc; argi++) {
        pcap_t *p = pcap_open_offline(argv[argi], errbuf);
        if (!p) {
            fprintf(stderr, "%s\n", errbuf);
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *bytes;
        int dlt = pcap_datalink(p);
        while (pcap_next_ex(p, &h, &bytes) == 1) {
            struct hf_packet pkt;
            pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
            pkt.caplen = h->caplen;
            pkt.wirelen = h->len;
            if (hf_decode_packet(dlt, bytes, h->caplen, &pkt) != HF_DECODE_OK
                || pkt.proto != 17 || !pkt.has_ports || pkt.is_fragment)
                continue;
            struct hf_exporter_id id;
            memset(&id, 0, sizeof(id));
            if (pkt.ip_version == 4) {
                id.addr[10] = id.addr[11] = 0xff;
                memcpy(id.addr + 12, pkt.src_addr, 4);
            } else {
                memcpy(id.addr, pkt.src_addr, 16);
            }
            id.port = pkt.sport;
            id.local_port = pkt.dport;
            hf_decoder_feed(d, &id, pkt.payload, pkt.payload_len, pkt.ts_us / 1000);
        }
        pcap_close(p);
    }
    struct hf_exporter_stats s = hf_decoder_totals(d);
    fprintf(t.print ? stderr : stdout,
            "records %lu packets %lu bytes %lu messages %lu templates %lu options %lu "
            "pending_decoded %lu pending_dropped %lu seq_lost %lu",
            (unsigned long)t.records, (unsigned long)t.packets, (unsigned long)t.bytes,
            (unsigned long)s.messages, (unsigned long)s.templates,
            (unsigned long)s.options_records, (unsigned long)s.pending_decoded,
            (unsigned long)s.pending_dropped, (unsigned long)s.sequence_lost);
    for (int i = 0; i < HF_BAD_COUNT; i++)
        fprintf(t.print ? stderr : stdout, " bad_%s %lu", hf_malformed_name(i),
                (unsigned long)s.malformed[i]);
    fprintf(t.print ? stderr : stdout, "\n");
    hf_decoder_free(d);
    return 0;
}
