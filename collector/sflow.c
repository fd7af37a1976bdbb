/* sFlow version 5 (sflow.org, "sFlow Version 5", 2004): datagrams of flow
 * samples and counter samples, XDR-encoded.  A flow sample is one sampled
 * packet: it becomes one record of one packet and the packet's frame
 * length, with the sample's rate as samplingPacketInterval (counters stay
 * unscaled, as for sampled NetFlow).  Sampled headers are decoded by the
 * probe's own packet decoders.  Counter samples are counted, not stored. */
#include <string.h>

#include <pcap/dlt.h>

#include "decoder_int.h"
#include "proto.h"
#include "extract.h"
#include "packet.h"

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

static void
bad(struct hf_msg_ctx *m, enum hf_malformed why)
{
    m->sess->st.malformed[why]++;
}

static uint32_t
rd32_addr(const uint8_t a[16])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Bytes an XDR item of n <= left bytes takes: padded to 4, unless the
 * padding would run past the end. */
static uint32_t
padded(uint32_t n, uint32_t left)
{
    uint32_t p = n + ((4 - (n & 3)) & 3);

    return p < n || p > left ? left : p;
}

/* The fields of a decoded packet, as the probe's records carry them:
 * ICMP type and code also in the destination port. */
static void
from_packet(const struct hf_packet *pkt, enum hf_decode_result r,
            hf_flow_record_t *rec)
{
    if (pkt->has_mac) {
        memcpy(rec->sourceMacAddress, pkt->src_mac, 6);
        memcpy(rec->destinationMacAddress, pkt->dst_mac, 6);
    }
    rec->vlanId = pkt->vlan_id;
    if (r != HF_DECODE_OK)
        return;                   /* not IP, or cut: the link fields only */
    rec->ipVersion = pkt->ip_version;
    if (pkt->ip_version == 6) {
        memcpy(rec->sourceIPv6Address, pkt->src_addr, 16);
        memcpy(rec->destinationIPv6Address, pkt->dst_addr, 16);
    } else {
        rec->sourceIPv4Address = rd32_addr(pkt->src_addr);
        rec->destinationIPv4Address = rd32_addr(pkt->dst_addr);
    }
    rec->protocolIdentifier = pkt->proto;
    rec->ipClassOfService = pkt->tos;
    rec->tcpControlBits = pkt->tcp_flags;
    if (pkt->has_ports) {
        rec->sourceTransportPort = pkt->sport;
        rec->destinationTransportPort = pkt->dport;
    } else if (hf_proto_is_icmp(pkt->proto)) {
        rec->destinationTransportPort = pkt->icmp_type_code;
        if (pkt->proto == HF_PROTO_ICMP)
            rec->icmpTypeCodeIPv4 = pkt->icmp_type_code;
        else
            rec->icmpTypeCodeIPv6 = pkt->icmp_type_code;
    }
}

/* Raw packet header: protocol, frame length, stripped, header<>. */
static bool
raw_header(struct hf_cursor c, struct sf_sample *s)
{
    uint32_t proto, frame_len, hlen;
    int dlt;

    if (!hf_cur_u32(&c, 0, &proto) || !hf_cur_u32(&c, 4, &frame_len)
        || !hf_cur_u32(&c, 12, &hlen) || !hf_cur_has_at(&c, 16, hlen))
        return false;
    switch (proto) {
    case SF_PROTO_ETHERNET: dlt = DLT_EN10MB; break;
    case SF_PROTO_IPV4:     dlt = DLT_IPV4; break;
    case SF_PROTO_IPV6:     dlt = DLT_IPV6; break;
    default:                return true;    /* other links: skipped */
    }
    struct hf_packet pkt = { .caplen = hlen, .wirelen = frame_len };
    enum hf_decode_result r = hf_decode_packet(dlt, c.p + 16, hlen, &pkt);
    memset(&s->rec, 0, sizeof(s->rec));
    from_packet(&pkt, r, &s->rec);
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
    r->ipVersion = v6 ? 6 : 4;
    if (v6) {
        memcpy(r->sourceIPv6Address, src, 16);
        memcpy(r->destinationIPv6Address, dst, 16);
    } else {
        r->sourceIPv4Address = rd32_addr(src);
        r->destinationIPv4Address = rd32_addr(dst);
    }
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
        if (!hf_cur_u32(&c, 0, &type) || !hf_cur_u32(&c, 4, &len)
            || !hf_cur_has_at(&c, 8, len)) {
            bad(m, HF_BAD_RECORD);
            return false;
        }
        struct hf_cursor body = hf_cur_make(c.p + 8, len);
        bool ok = true;
        switch (type) {
        case SF_RAW_HEADER:   ok = raw_header(body, s); break;
        case SF_SAMPLED_IPV4: ok = sampled_ip(body, false, s); break;
        case SF_SAMPLED_IPV6: ok = sampled_ip(body, true, s); break;
        case SF_EXTENDED_SWITCH:
            ok = hf_cur_has(&body, 16);
            if (ok)
                s->switch_vlan = (uint16_t)(rd32(body.p) & 0x0fff);
            break;
        default: break;           /* other records: skipped by length */
        }
        if (!ok) {
            bad(m, HF_BAD_FIELD);
            return false;
        }
        hf_cur_skip(&c, 8);
        hf_cur_skip(&c, padded(len, c.len));
    }
    return true;
}

/* A flow sample (compact or expanded) becomes one record. */
static void
flow_sample(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor c,
            bool expanded)
{
    uint32_t rate, in_format, in_value, out_format, out_value, nrec;
    uint32_t fixed = expanded ? 44 : 32;

    if (!hf_cur_has(&c, fixed)) {
        bad(m, HF_BAD_SET);
        return;
    }
    if (expanded) {
        rate = rd32(c.p + 12);
        in_format = rd32(c.p + 24);
        in_value = rd32(c.p + 28);
        out_format = rd32(c.p + 32);
        out_value = rd32(c.p + 36);
        nrec = rd32(c.p + 40);
    } else {
        uint32_t input = rd32(c.p + 20), output = rd32(c.p + 24);
        rate = rd32(c.p + 8);
        in_format = input >> 30;
        in_value = input & 0x3fffffff;
        if (in_value == SF_IF_INTERNAL)
            in_format = 1;        /* sent by the agent itself: no ifIndex */
        /* format 1: dropped (the value is a reason), 2: several ports */
        out_format = output >> 30;
        out_value = output & 0x3fffffff;
        if (out_value == SF_IF_INTERNAL)
            out_format = 1;       /* delivered to the agent itself */
        nrec = rd32(c.p + 28);
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
hf_sflow_sub_agent(const uint8_t *msg, size_t len)
{
    struct hf_cursor c = hf_cur_make(msg, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    uint32_t t, id = 0;
    int alen;

    if (hf_cur_u32(&c, 4, &t) && (alen = agent_len(t)) >= 0)
        hf_cur_u32(&c, 8 + (uint32_t)alen, &id);
    return id;
}

void
hf_decode_sflow(struct hf_decoder *d, struct hf_msg_ctx *m, const uint8_t *msg,
                size_t len)
{
    struct hf_cursor c = hf_cur_make(msg, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    uint32_t type, seq, count;
    int alen;

    if (!hf_cur_u32(&c, 4, &type)) {
        bad(m, HF_BAD_SHORT);
        return;
    }
    if ((alen = agent_len(type)) < 0) {
        bad(m, HF_BAD_FIELD);
        return;
    }
    /* version, address type, address, sub-agent, sequence, uptime, count */
    uint32_t hdr = 8 + (uint32_t)alen + 16;
    if (!hf_cur_u32(&c, hdr - 12, &seq) || !hf_cur_u32(&c, hdr - 4, &count)) {
        bad(m, HF_BAD_SHORT);
        return;
    }
    hf_sequence_check(m->sess, seq, 1);     /* sFlow counts datagrams */
    hf_cur_skip(&c, hdr);

    /* Each sample takes 8 bytes at least, so a count beyond the datagram
     * ends the loop on its bytes. */
    for (uint32_t i = 0; i < count; i++) {
        uint32_t stype, slen;
        if (!hf_cur_u32(&c, 0, &stype) || !hf_cur_u32(&c, 4, &slen)) {
            bad(m, HF_BAD_LENGTH);          /* fewer samples than counted */
            return;
        }
        if (!hf_cur_has_at(&c, 8, slen)) {
            bad(m, HF_BAD_SET);             /* sample runs past the datagram */
            return;
        }
        struct hf_cursor body = hf_cur_make(c.p + 8, slen);
        switch (stype) {
        case SF_FLOW_SAMPLE:          flow_sample(d, m, body, false); break;
        case SF_FLOW_SAMPLE_EXPANDED: flow_sample(d, m, body, true); break;
        default:
            /* counter samples and unknown ones: counted, skipped */
            m->sess->st.options_records++;
            break;
        }
        hf_cur_skip(&c, 8);
        hf_cur_skip(&c, padded(slen, c.len));
    }
}
