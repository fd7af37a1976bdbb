/* Decode every packet of a capture and count the results.
 *
 *   decode_pcap [-v] [-p] FILE
 *
 * Prints "packets N ok N", then "REASON COUNT" for each other nonzero
 * reason.  -v adds IP version, transport and fragment-table counts; -p
 * lists each packet (frame number as tshark numbers it, reason, IP
 * version, ip_octets, proto, ports) for diffing against tshark -T fields. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "ip_frag.h"
#include "packet.h"

struct totals {
    uint64_t packets;
    uint64_t reasons[HF_DECODE_REASON_COUNT];
    uint64_t ipv4, ipv6, with_ports, transport_truncated, fragments;
    uint64_t ip_octets;
};

static void list_packet(uint64_t frame, enum hf_decode_result r,
                        const struct hf_packet *pkt)
{
    printf("%" PRIu64 " %s", frame, hf_decode_name(r));
    if (r == HF_DECODE_OK) {
        printf(" v%u len=%u proto=%u", pkt->ip_version, pkt->ip_octets,
               pkt->proto);
        if (pkt->has_ports)
            printf(" %u>%u", pkt->sport, pkt->dport);
        if (pkt->is_fragment)
            printf(" frag=%" PRIu32 "%s%s", pkt->frag_id,
                   pkt->first_fragment ? ",first" : "",
                   pkt->last_fragment ? ",last" : "");
        if (pkt->transport_truncated)
            printf(" l4trunc");
    }
    putchar('\n');
}

static void count_ok(struct totals *t, const struct hf_packet *pkt)
{
    if (pkt->ip_version == 4)
        t->ipv4++;
    else
        t->ipv6++;
    t->with_ports += pkt->has_ports;
    t->transport_truncated += pkt->transport_truncated;
    t->fragments += pkt->is_fragment;
    t->ip_octets += pkt->ip_octets;
}

static void print_totals(const struct totals *t, bool verbose,
                         const struct hf_frag_table *frags)
{
    printf("packets %" PRIu64 " ok %" PRIu64 "\n", t->packets,
           t->reasons[HF_DECODE_OK]);
    for (int r = 1; r < HF_DECODE_REASON_COUNT; r++)
        if (t->reasons[r])
            printf("%s %" PRIu64 "\n", hf_decode_name(r), t->reasons[r]);
    if (!verbose)
        return;

    struct hf_frag_stats fs = hf_frag_stats(frags);
    printf("ipv4 %" PRIu64 "\nipv6 %" PRIu64 "\nip_octets %" PRIu64
           "\nwith_ports %" PRIu64 "\ntransport_truncated %" PRIu64
           "\nfragments %" PRIu64 "\n",
           t->ipv4, t->ipv6, t->ip_octets, t->with_ports,
           t->transport_truncated, t->fragments);
    printf("frag_first_seen %" PRIu64 "\nfrag_resolved %" PRIu64
           "\nfrag_unresolved %" PRIu64 "\nfrag_evicted %" PRIu64 "\n",
           fs.first_seen, fs.resolved, fs.unresolved, fs.evicted);
}

int main(int argc, char **argv)
{
    bool verbose = false, list = false;
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    struct totals t;
    int opt, dlt, rc;

    while ((opt = getopt(argc, argv, "vp")) != -1) {
        switch (opt) {
        case 'v': verbose = true; break;
        case 'p': list = true; break;
        default:
            fprintf(stderr, "usage: %s [-v] [-p] FILE\n", argv[0]);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: %s [-v] [-p] FILE\n", argv[0]);
        return 2;
    }

    pcap_t *pc = pcap_open_offline(argv[optind], errbuf);
    if (!pc) {
        fprintf(stderr, "%s: %s\n", argv[optind], errbuf);
        return 1;
    }
    dlt = pcap_datalink(pc);
    if (!hf_decode_link_supported(dlt))
        fprintf(stderr, "%s: link type %d (%s) not decoded\n", argv[optind],
                dlt, pcap_datalink_val_to_name(dlt));

    struct hf_frag_table *frags = hf_frag_new(4096, 30 * 1000000ull);
    memset(&t, 0, sizeof t);
    while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
        struct hf_packet pkt;
        enum hf_decode_result r;

        pkt.ts_us = (uint64_t)hdr->ts.tv_sec * 1000000u +
                    (uint64_t)hdr->ts.tv_usec;
        pkt.caplen = hdr->caplen;
        pkt.wirelen = hdr->len;
        r = hf_decode_packet(dlt, data, hdr->caplen, &pkt);
        t.packets++;
        t.reasons[r]++;
        if (r == HF_DECODE_OK) {
            hf_frag_update(frags, &pkt);
            count_ok(&t, &pkt);
        }
        if (list)
            list_packet(t.packets, r, &pkt);
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "%s: %s\n", argv[optind], pcap_geterr(pc));

    print_totals(&t, verbose, frags);
    hf_frag_free(frags);
    pcap_close(pc);
    return rc == PCAP_ERROR ? 1 : 0;
}
