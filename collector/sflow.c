/* sFlow version 5 (sflow.org, "sFlow Version 5", 2004): datagrams of flow
 * samples and counter samples, XDR-encoded.  A flow sample is one sampled
 * packet: it becomes one record of one packet and the packet's frame
 * length, with the sample's rate as samplingPacketInterval (counters stay
 * unscaled, as for sampled NetFlow).  Sampled headers are decoded by the
 * packet/ library (the probe's packet decoders).  Counter samples are
 * counted, not stored.  Every read goes through extract.h. */
#include <string.h>

#include <pcap/dlt.h>

#include "decoder_int.h"
#include "extract.h"
#include "packet.h"
#include "packet_record.h"
#include "record_fields.h"

/* Sample and record types: enterprise (20 bits) << 12 | format (12 bits),
 * enterprise 0 (sFlow's own). */
enum {
    SF_FLOW_SAMPLE = 1, SF_COUNTER_SAMPLE = 2,
    SF_FLOW_SAMPLE_EXPANDED = 3, SF_COUNTER_SAMPLE_EXPANDED = 4,
};
enum {
    SF_RAW_HEADER = 1, SF_SAMPLED_IPV4 = 3, SF_SAMPLED_IPV6 = 4,
    SF_EXTENDED_SWITCH = 1001,
};
/* header_protocol of a raw packet header */
enum { SF_PROTO_ETHERNET = 1, SF_PROTO_IPV4 = 11, SF_PROTO_IPV6 = 12 };

/* datagram header: version, agent address type, agent address (0, 4 or 16
 * bytes), then sub-agent id, sequence number, uptime, sample count */
#define SF_AGENT_TYPE_AT       4
#define SF_AGENT_AT            8
#define SF_SEQ_AFTER_AGENT     4
#define SF_COUNT_AFTER_AGENT   12
#define SF_HDR_AFTER_AGENT     16
/* a sample or a flow record: type, length, body */
#define SF_ITEM_TYPE_AT        0
#define SF_ITEM_LEN_AT         4
#define SF_ITEM_HDR            8
/* flow sample (compact): seq, source id, rate, pool, drops, input,
 * output, record count */
#define SF_FS_RATE_AT          8
#define SF_FS_INPUT_AT         20
#define SF_FS_OUTPUT_AT        24
#define SF_FS_NREC_AT          28
#define SF_FS_FIXED            32
/* expanded: source id as type + index, interfaces as format + value */
#define SF_FSX_RATE_AT         12
#define SF_FSX_IN_FORMAT_AT    24
#define SF_FSX_IN_VALUE_AT     28
#define SF_FSX_OUT_FORMAT_AT   32
#define SF_FSX_OUT_VALUE_AT    36
#define SF_FSX_NREC_AT         40
#define SF_FSX_FIXED           44
/* raw packet header: protocol, frame length, stripped, header length */
#define SF_RAW_PROTO_AT        0
#define SF_RAW_FRAME_LEN_AT    4
#define SF_RAW_HLEN_AT         12
#define SF_RAW_HDR             16
/* extended switch: src vlan, src priority, dst vlan, dst priority */
#define SF_SWITCH_VLAN_AT      0
#define SF_SWITCH_LEN          16

/* ifIndex 0x3fffffff in a compact interface field: the agent itself */
#define SF_IF_INTERNAL 0x3fffffffu

/* What the records of one flow sample said. */
struct sf_sample {
    hf_flow_record_t rec;         /* from the raw header, else empty */
    hf_flow_record_t ip;          /* from a sampled IPv4/IPv6 record */
    bool     have_header;
    bool     have_ip;
    uint16_t switch_vlan;         /* extended switch: incoming VLAN */
};


/* Bytes an XDR item of n <= left bytes takes: padded to 4, unless the
 * padding would run past the end. */
static uint32_t
padded(uint32_t n, uint32_t left)
{
    uint32_t p = n + ((4 - (n & 3)) & 3);

    return p < n || p > left ? left : p;
}

/* Raw packet header: protocol, frame length, stripped, header<>. */
static bool
raw_header(struct hf_cursor c, struct sf_sample *s)
{
    uint32_t proto, frame_len, hlen;
    int dlt;

    struct hf_cursor hdr;

    if (!hf_cur_u32(&c, SF_RAW_PROTO_AT, &proto)
        || !hf_cur_u32(&c, SF_RAW_FRAME_LEN_AT, &frame_len)
        || !hf_cur_u32(&c, SF_RAW_HLEN_AT, &hlen)
        || !hf_cur_sub(&c, SF_RAW_HDR, hlen, &hdr))
        return false;
    switch (proto) {
    case SF_PROTO_ETHERNET: dlt = DLT_EN10MB; break;
    case SF_PROTO_IPV4:     dlt = DLT_IPV4; break;
    case SF_PROTO_IPV6:     dlt = DLT_IPV6; break;
    default:                return true;    /* other links: skipped */
    }
    struct hf_packet pkt = { .caplen = hlen, .wirelen = frame_len };
    enum hf_decode_result r = hf_decode_packet(dlt, hdr.p, hdr.len, &pkt);
    memset(&s->rec, 0, sizeof(s->rec));
    hf_packet_fill_record(&pkt, r, &s->rec);
    s->rec.octetDeltaCount = frame_len;
    s->have_header = true;
    return true;
}

/* Sampled IPv4 / IPv6: length, protocol, addresses, ports, flags, tos. */
static bool
sampled_ip(struct hf_cursor c, bool v6, struct sf_sample *s)
{
    uint32_t alen = v6 ? 16 : 4, len, proto, sport, dport, flags, tos;
    uint8_t src[16], dst[16];
    uint32_t o = 8 + 2 * alen;

    if (!hf_cur_u32(&c, 0, &len) || !hf_cur_u32(&c, 4, &proto)
        || !hf_cur_copy(&c, 8, src, alen) || !hf_cur_copy(&c, 8 + alen, dst, alen)
        || !hf_cur_u32(&c, o, &sport) || !hf_cur_u32(&c, o + 4, &dport)
        || !hf_cur_u32(&c, o + 8, &flags) || !hf_cur_u32(&c, o + 12, &tos))
        return false;
    hf_flow_record_t *r = &s->ip;
    memset(r, 0, sizeof(*r));
    hf_record_set_addresses(r, v6 ? 6 : 4, src, dst);
    r->octetDeltaCount = len;
    r->protocolIdentifier = (uint8_t)proto;
    r->sourceTransportPort = (uint16_t)sport;
    r->destinationTransportPort = (uint16_t)dport;
    r->tcpControlBits = (uint16_t)flags;
    r->ipClassOfService = (uint8_t)tos;
    s->have_ip = true;
    return true;
}

/* The flow records of a sample; false (and counted) if one is malformed. */
static bool
flow_records(struct hf_msg_ctx *m, struct hf_cursor c, uint32_t count,
             struct sf_sample *s)
{
    for (uint32_t i = 0; i < count; i++) {
        uint32_t type, len;
        struct hf_cursor body;
        uint32_t vlan;
        if (!hf_cur_u32(&c, SF_ITEM_TYPE_AT, &type)
            || !hf_cur_u32(&c, SF_ITEM_LEN_AT, &len)
            || !hf_cur_sub(&c, SF_ITEM_HDR, len, &body)) {
            hf_bad(m, HF_BAD_RECORD);
            return false;
        }
        bool ok = true;
        switch (type) {
        case SF_RAW_HEADER:   ok = raw_header(body, s); break;
        case SF_SAMPLED_IPV4: ok = sampled_ip(body, false, s); break;
        case SF_SAMPLED_IPV6: ok = sampled_ip(body, true, s); break;
        case SF_EXTENDED_SWITCH:
            ok = hf_cur_has(&body, SF_SWITCH_LEN)
                 && hf_cur_u32(&body, SF_SWITCH_VLAN_AT, &vlan);
            if (ok)
                s->switch_vlan = (uint16_t)(vlan & 0x0fff);
            break;
        default: break;           /* other records: skipped by length */
        }
        if (!ok) {
            hf_bad(m, HF_BAD_FIELD);
            return false;
        }
        hf_cur_skip(&c, SF_ITEM_HDR);
        hf_cur_skip(&c, padded(len, c.len));
    }
    return true;
}

/* A flow sample (compact or expanded) becomes one record. */
static void
flow_sample(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor c,
            bool expanded)
{
    uint32_t rate = 0, in_format = 0, in_value = 0, out_format = 0, out_value = 0;
    uint32_t nrec = 0;
    uint32_t fixed = expanded ? SF_FSX_FIXED : SF_FS_FIXED;

    if (!hf_cur_has(&c, fixed)) {
        hf_bad(m, HF_BAD_SET);
        return;
    }
    /* within the fixed part checked above: the reads cannot fail */
    if (expanded) {
        hf_cur_u32(&c, SF_FSX_RATE_AT, &rate);
        hf_cur_u32(&c, SF_FSX_IN_FORMAT_AT, &in_format);
        hf_cur_u32(&c, SF_FSX_IN_VALUE_AT, &in_value);
        hf_cur_u32(&c, SF_FSX_OUT_FORMAT_AT, &out_format);
        hf_cur_u32(&c, SF_FSX_OUT_VALUE_AT, &out_value);
        hf_cur_u32(&c, SF_FSX_NREC_AT, &nrec);
    } else {
        uint32_t input = 0, output = 0;
        hf_cur_u32(&c, SF_FS_INPUT_AT, &input);
        hf_cur_u32(&c, SF_FS_OUTPUT_AT, &output);
        hf_cur_u32(&c, SF_FS_RATE_AT, &rate);
        in_format = input >> 30;
        in_value = input & 0x3fffffff;
        if (in_value == SF_IF_INTERNAL)
            in_format = 1;        /* sent by the agent itself: no ifIndex */
        /* format 1: dropped (the value is a reason), 2: several ports */
        out_format = output >> 30;
        out_value = output & 0x3fffffff;
        if (out_value == SF_IF_INTERNAL)
            out_format = 1;       /* delivered to the agent itself */
        hf_cur_u32(&c, SF_FS_NREC_AT, &nrec);
    }
    hf_cur_skip(&c, fixed);

    struct sf_sample s;
    memset(&s, 0, sizeof(s));
    if (!flow_records(m, c, nrec, &s))
        return;
    hf_flow_record_t *rec = &s.rec;
    if (!s.have_header && s.have_ip)
        rec = &s.ip;              /* the raw header says more, when both */
    if (!rec->vlanId)
        rec->vlanId = s.switch_vlan;
    rec->packetDeltaCount = 1;
    rec->samplingPacketInterval = rate > 1 ? rate : 0;    /* 1 in 1: all */
    rec->ingressInterface = in_format == 0 ? in_value : 0;
    rec->egressInterface = out_format == 0 ? out_value : 0;
    rec->flowStartMilliseconds = rec->flowEndMilliseconds = m->now_ms;
    if (rate > 1)
        m->sess->st.sampling_interval = rate;
    m->data_records++;
    m->sess->st.records++;
    d->fn(d->ctx, m->id, rec, m->now_ms);
}

/* Length of the agent address of type t, or -1 for an unknown type. */
static int
agent_len(uint32_t t)
{
    switch (t) {
    case 0:  return 0;            /* unknown: no address */
    case 1:  return 4;
    case 2:  return 16;
    default: return -1;
    }
}

uint32_t
hf_sflow_sub_agent(struct hf_cursor c)
{
    uint32_t t, id = 0;
    int alen;

    if (hf_cur_u32(&c, SF_AGENT_TYPE_AT, &t) && (alen = agent_len(t)) >= 0)
        hf_cur_u32(&c, SF_AGENT_AT + (uint32_t)alen, &id);
    return id;
}

void
hf_decode_sflow(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor c)
{
    uint32_t type, seq, count;
    int alen;

    if (!hf_cur_u32(&c, SF_AGENT_TYPE_AT, &type)) {
        hf_bad(m, HF_BAD_SHORT);
        return;
    }
    if ((alen = agent_len(type)) < 0) {
        hf_bad(m, HF_BAD_FIELD);
        return;
    }
    /* version, address type, address, sub-agent, sequence, uptime, count */
    uint32_t agent_end = SF_AGENT_AT + (uint32_t)alen;
    uint32_t hdr = agent_end + SF_HDR_AFTER_AGENT;
    if (!hf_cur_u32(&c, agent_end + SF_SEQ_AFTER_AGENT, &seq)
        || !hf_cur_u32(&c, agent_end + SF_COUNT_AFTER_AGENT, &count)) {
        hf_bad(m, HF_BAD_SHORT);
        return;
    }
    hf_sequence_check(m->sess, seq, 1);     /* sFlow counts datagrams */
    hf_cur_skip(&c, hdr);

    /* Each sample takes 8 bytes at least, so a count beyond the datagram
     * ends the loop on its bytes. */
    for (uint32_t i = 0; i < count; i++) {
        uint32_t stype, slen;
        struct hf_cursor body;
        if (!hf_cur_u32(&c, SF_ITEM_TYPE_AT, &stype)
            || !hf_cur_u32(&c, SF_ITEM_LEN_AT, &slen)) {
            hf_bad(m, HF_BAD_LENGTH);          /* fewer samples than counted */
            return;
        }
        if (!hf_cur_sub(&c, SF_ITEM_HDR, slen, &body)) {
            hf_bad(m, HF_BAD_SET);             /* sample runs past the datagram */
            return;
        }
        switch (stype) {
        case SF_FLOW_SAMPLE:          flow_sample(d, m, body, false); break;
        case SF_FLOW_SAMPLE_EXPANDED: flow_sample(d, m, body, true); break;
        default:
            /* counter samples and unknown ones: counted, skipped */
            m->sess->st.options_records++;
            break;
        }
        hf_cur_skip(&c, SF_ITEM_HDR);
        hf_cur_skip(&c, padded(slen, c.len));
    }
}
