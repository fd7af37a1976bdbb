/* NetFlow v5: a fixed 24-byte header and 48-byte records (Cisco's format,
 * as softflowd and routers send it). */
#include <string.h>

#include "decoder_int.h"
#include "proto.h"

#define V5_HDR 24
#define V5_REC 48
#define V5_MAX_COUNT 30

void
hf_decode_v5(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *msg,
             size_t len)
{
    if (len < V5_HDR) {
        m->sess->st.malformed[HF_BAD_SHORT]++;
        return;
    }
    uint16_t count = rd16(msg + 2);
    if (count == 0 || count > V5_MAX_COUNT || len < V5_HDR + (size_t)count * V5_REC) {
        m->sess->st.malformed[HF_BAD_LENGTH]++;
        return;
    }
    uint32_t uptime = rd32(msg + 4);
    uint64_t export_ms = (uint64_t)rd32(msg + 8) * 1000 + rd32(msg + 12) / 1000000;
    uint64_t boot_ms = export_ms - uptime;
    uint32_t seq = rd32(msg + 16);
    /* top two bits: sampling mode; the rest: the interval */
    uint16_t sampling = rd16(msg + 22) & 0x3fff;

    for (uint16_t i = 0; i < count; i++) {
        const uint8_t *r = msg + V5_HDR + (size_t)i * V5_REC;
        hf_flow_record_t rec;

        memset(&rec, 0, sizeof(rec));
        rec.ipVersion = 4;
        rec.sourceIPv4Address = rd32(r);
        rec.destinationIPv4Address = rd32(r + 4);
        rec.ingressInterface = rd16(r + 12);
        rec.egressInterface = rd16(r + 14);
        rec.packetDeltaCount = rd32(r + 16);
        rec.octetDeltaCount = rd32(r + 20);
        rec.flowStartMilliseconds = boot_ms + rd32(r + 24);
        rec.flowEndMilliseconds = boot_ms + rd32(r + 28);
        rec.sourceTransportPort = rd16(r + 32);
        rec.destinationTransportPort = rd16(r + 34);
        rec.tcpControlBits = r[37];
        rec.protocolIdentifier = r[38];
        rec.ipClassOfService = r[39];
        if (rec.protocolIdentifier == HF_PROTO_ICMP)
            rec.icmpTypeCodeIPv4 = rec.destinationTransportPort;
        rec.samplingPacketInterval = sampling > 1 ? sampling : 0;
        m->data_records++;
        m->sess->st.records++;
        d->fn(d->ctx, m->id, &rec, m->now_ms);
    }
    if (sampling > 1)
        m->sess->st.sampling_interval = sampling;
    hf_sequence_check(m->sess, seq, count);     /* v5 counts flows */
}
