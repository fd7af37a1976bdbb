/* libFuzzer target for the packet decoders and the fragment table.
 * Input: one byte choosing the link type, then the frame.  Besides the
 * sanitizers' own checks, the decoded payload must lie inside the frame. */
#include <stdint.h>
#include <stdlib.h>

#include <pcap/dlt.h>

#include "ip_frag.h"
#include "packet.h"

static const int link_types[] = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101, DLT_IPV4,
    DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL, DLT_PPP_ETHER,
    DLT_C_HDLC,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small and long-lived so fragments of successive inputs meet, and
     * eviction and expiry run too. */
    static struct hf_frag_table *frags;
    static uint64_t clock_us;
    struct hf_packet pkt = { 0 };
    const uint8_t *frame = data + 1;
    uint32_t caplen;

    if (size < 1 || size > 1u << 20)
        return 0;
    if (!frags)
        frags = hf_frag_new(16, 5000);
    caplen = (uint32_t)(size - 1);

    int dlt = link_types[data[0] % (sizeof link_types / sizeof link_types[0])];
    pkt.ts_us = clock_us += 1000 + (data[0] >> 4) * 300;
    pkt.caplen = pkt.wirelen = caplen;

    enum hf_decode_result r = hf_decode_packet(dlt, frame, caplen, &pkt);
    if ((unsigned)r >= HF_DECODE_REASON_COUNT || !hf_decode_name(r))
        abort();
    if (pkt.payload_len && (pkt.payload < frame || pkt.payload_len > caplen ||
                            pkt.payload + pkt.payload_len > frame + caplen))
        abort();
    if (r == HF_DECODE_OK) {
        if (pkt.ip_version != 4 && pkt.ip_version != 6)
            abort();
        hf_frag_update(frags, &pkt);
        if (hf_frag_count(frags) > 16)
            abort();
    }
    return 0;
}
