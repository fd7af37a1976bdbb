/* NetFlow v5: a fixed 24-byte header and 48-byte records (Cisco's format,
 * as softflowd and routers send it). */
#include <string.h>

#include "decoder_int.h"
#include "proto.h"

/* header */
#define V5_COUNT_AT       2
#define V5_UPTIME_AT      4     /* sysUptime, ms */
#define V5_UNIX_SECS_AT   8
#define V5_UNIX_NSECS_AT  12
#define V5_SEQUENCE_AT    16    /* flows seen before this message */
#define V5_ENGINE_AT      20    /* engine type, engine id */
#define V5_SAMPLING_AT    22    /* mode (2 bits), interval (14 bits) */
#define V5_HDR            24
#define V5_MAX_COUNT      30
/* record */
#define V5_REC            48
#define V5_SRC_ADDR_AT    0
#define V5_DST_ADDR_AT    4
#define V5_INPUT_AT       12
#define V5_OUTPUT_AT      14
#define V5_PACKETS_AT     16
#define V5_OCTETS_AT      20
#define V5_FIRST_AT       24    /* sysUptime at the first packet */
#define V5_LAST_AT        28
#define V5_SRC_PORT_AT    32
#define V5_DST_PORT_AT    34
#define V5_TCP_FLAGS_AT   37
#define V5_PROTO_AT       38
#define V5_TOS_AT         39

uint32_t
hf_v5_domain(struct hf_cursor msg)
{
    uint16_t engine = 0;

    if (hf_cur_has(&msg, V5_HDR))
        hf_cur_u16(&msg, V5_ENGINE_AT, &engine);
    return engine;
}

/* One record; the caller checked that V5_REC bytes are there, so every
 * read succeeds. */
static void
v5_record(struct hf_cursor r, uint64_t boot_ms, hf_flow_record_t *rec)
{
    uint32_t first = 0, last = 0, packets = 0, octets = 0;
    uint16_t input = 0, output = 0;

    memset(rec, 0, sizeof(*rec));
    rec->ipVersion = 4;
    hf_cur_u32(&r, V5_SRC_ADDR_AT, &rec->sourceIPv4Address);
    hf_cur_u32(&r, V5_DST_ADDR_AT, &rec->destinationIPv4Address);
    hf_cur_u16(&r, V5_INPUT_AT, &input);
    hf_cur_u16(&r, V5_OUTPUT_AT, &output);
    rec->ingressInterface = input;
    rec->egressInterface = output;
    hf_cur_u32(&r, V5_PACKETS_AT, &packets);
    hf_cur_u32(&r, V5_OCTETS_AT, &octets);
    rec->packetDeltaCount = packets;
    rec->octetDeltaCount = octets;
    hf_cur_u32(&r, V5_FIRST_AT, &first);
    hf_cur_u32(&r, V5_LAST_AT, &last);
    rec->flowStartMilliseconds = boot_ms + first;
    rec->flowEndMilliseconds = boot_ms + last;
    hf_cur_u16(&r, V5_SRC_PORT_AT, &rec->sourceTransportPort);
    hf_cur_u16(&r, V5_DST_PORT_AT, &rec->destinationTransportPort);
    uint8_t flags = 0;
    hf_cur_u8(&r, V5_TCP_FLAGS_AT, &flags);
    rec->tcpControlBits = flags;
    hf_cur_u8(&r, V5_PROTO_AT, &rec->protocolIdentifier);
    hf_cur_u8(&r, V5_TOS_AT, &rec->ipClassOfService);
    if (rec->protocolIdentifier == HF_PROTO_ICMP)
        rec->icmpTypeCodeIPv4 = rec->destinationTransportPort;
}

void
hf_decode_v5(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg)
{
    uint16_t count = 0, sampling = 0;
    uint32_t uptime = 0, secs = 0, nsecs = 0, seq = 0;

    if (!hf_cur_has(&msg, V5_HDR)) {
        hf_bad(m, HF_BAD_SHORT);
        return;
    }
    hf_cur_u16(&msg, V5_COUNT_AT, &count);
    if (count == 0 || count > V5_MAX_COUNT
        || !hf_cur_has_at(&msg, V5_HDR, (uint32_t)count * V5_REC)) {
        hf_bad(m, HF_BAD_LENGTH);
        return;
    }
    hf_cur_u32(&msg, V5_UPTIME_AT, &uptime);
    hf_cur_u32(&msg, V5_UNIX_SECS_AT, &secs);
    hf_cur_u32(&msg, V5_UNIX_NSECS_AT, &nsecs);
    hf_cur_u32(&msg, V5_SEQUENCE_AT, &seq);
    hf_cur_u16(&msg, V5_SAMPLING_AT, &sampling);
    uint64_t export_ms = (uint64_t)secs * 1000 + nsecs / 1000000;
    uint64_t boot_ms = export_ms - uptime;
    /* top two bits: sampling mode; the rest: the interval */
    sampling &= 0x3fff;

    for (uint16_t i = 0; i < count; i++) {
        struct hf_cursor r = { NULL, 0 };
        hf_flow_record_t rec;

        hf_cur_sub(&msg, V5_HDR + (uint32_t)i * V5_REC, V5_REC, &r);
        v5_record(r, boot_ms, &rec);
        rec.samplingPacketInterval = sampling > 1 ? sampling : 0;
        m->data_records++;
        m->sess->st.records++;
        d->fn(d->ctx, m->id, &rec, m->now_ms);
    }
    if (sampling > 1)
        m->sess->st.sampling_interval = sampling;
    hf_sequence_check(m->sess, seq, count);     /* v5 counts flows */
}
