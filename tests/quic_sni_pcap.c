/* quic_sni_pcap FILE: the name hf_quic_sni finds for each QUIC flow of a
 * capture, one line per client→server flow that starts with an Initial:
 *   src sport dst dport name      (name is "-" when none was found)
 * For checking against tshark, which decrypts Initials itself. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "app_parse.h"
#include "packet.h"

struct flow {
    uint8_t ip_version;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    enum hf_parse_status status;   /* MORE while still parsing */
    char name[HF_NAME_MAX];
    struct hf_quic_state quic;
};

static struct flow **flows;
static size_t n_flows, cap_flows;

/* Directional: the server's half is a flow of its own, and is dropped when
 * its first datagram does not open with the client's keys. */
static struct flow *find_flow(const struct hf_packet *pkt, int *is_new)
{
    for (size_t i = 0; i < n_flows; i++) {
        struct flow *f = flows[i];
        if (f->ip_version == pkt->ip_version && f->sport == pkt->sport &&
            f->dport == pkt->dport && !memcmp(f->src, pkt->src_addr, 16) &&
            !memcmp(f->dst, pkt->dst_addr, 16)) {
            *is_new = 0;
            return f;
        }
    }
    if (n_flows == cap_flows) {
        cap_flows = cap_flows ? 2 * cap_flows : 64;
        flows = realloc(flows, cap_flows * sizeof *flows);
        if (!flows)
            abort();
    }
    struct flow *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    f->ip_version = pkt->ip_version;
    memcpy(f->src, pkt->src_addr, 16);
    memcpy(f->dst, pkt->dst_addr, 16);
    f->sport = pkt->sport;
    f->dport = pkt->dport;
    f->status = HF_PARSE_MORE;
    flows[n_flows++] = f;
    *is_new = 1;
    return f;
}

static void udp_payload(const struct hf_packet *pkt)
{
    int is_new;
    struct flow *f = find_flow(pkt, &is_new);

    if (f->status != HF_PARSE_MORE)
        return;
    f->status = hf_quic_sni(pkt->payload, pkt->payload_len, &f->quic,
                            f->name);
    /* a server's Initial fails the client's keys on its first datagram */
    if (is_new && f->status == HF_PARSE_NO_NAME)
        f->status = HF_PARSE_NOT_MINE;
}

static void print_flow(const struct flow *f)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    int af = f->ip_version == 4 ? AF_INET : AF_INET6;

    inet_ntop(af, f->src, src, sizeof src);
    inet_ntop(af, f->dst, dst, sizeof dst);
    printf("%s %u %s %u %s\n", src, f->sport, dst, f->dport,
           f->status == HF_PARSE_NAME ? f->name : "-");
}

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *frame;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    pcap_t *pc = pcap_open_offline(argv[1], err);
    if (!pc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int dlt = pcap_datalink(pc);
    while (pcap_next_ex(pc, &h, &frame) == 1) {
        struct hf_packet pkt = { 0 };
        pkt.caplen = h->caplen;
        pkt.wirelen = h->len;
        if (hf_decode_packet(dlt, frame, h->caplen, &pkt) != HF_DECODE_OK ||
            pkt.proto != 17 || !pkt.has_ports || pkt.is_fragment ||
            pkt.payload_len == 0)
            continue;
        udp_payload(&pkt);
    }
    pcap_close(pc);

    for (size_t i = 0; i < n_flows; i++) {
        if (flows[i]->status != HF_PARSE_NOT_MINE)
            print_flow(flows[i]);
        free(flows[i]);
    }
    free(flows);
    return 0;
}
