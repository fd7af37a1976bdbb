/* Data sets of IPFIX and NetFlow v9: each record through its template into
 * hf_flow_record_t (or, for an options record, into the exporter's sampling
 * and clock knowledge).  Every field is read through a cursor over the
 * record; a field cut short ends the set and is counted. */
#include <string.h>

#include "decoder_int.h"
#include "proto.h"
#include "record_fields.h"

#define NTP_UNIX_OFFSET 2208988800ULL

struct times {
    uint64_t start_ms, end_ms;            /* absolute, 0 = not given */
    uint64_t start_up, end_up;            /* sysUptime ms */
    bool has_start_up, has_end_up;
    uint64_t start_delta_us, end_delta_us;
    bool has_start_delta, has_end_delta;
};

/* What a record's fields say besides the flow record itself. */
struct record_side {
    struct times tm;
    uint64_t octets_total, packets_total;
    bool has_octets, has_packets;
    uint32_t sampler_id, interval;
    uint32_t sampling_size, sampling_population;
    bool has_sampler;
    uint64_t sysinit_ms;
    uint8_t icmp_type, icmp_code;
    bool has_icmp_parts, has_v4, has_v6;
};

struct record_state {
    hf_flow_record_t *rec;      /* the consumer's slot, or own */
    struct record_side x;
    hf_flow_record_t own;
};

static uint64_t
ntp_to_ms(uint64_t ntp)
{
    uint64_t s = ntp >> 32, frac = ntp & 0xffffffffu;
    if (s < NTP_UNIX_OFFSET)
        return 0;
    return (s - NTP_UNIX_OFFSET) * 1000 + ((frac * 1000) >> 32);
}

/* A string field: it points into the message (the callback copies what
 * it keeps). */
static void
set_string(fbVarfield_t *v, const uint8_t *p, uint32_t n)
{
    /* fixed-length strings may be NUL-padded */
    while (n > 0 && p[n - 1] == 0)
        n--;
    v->buf = (uint8_t *)p;
    v->len = n;
}

/* The field in the first n bytes of f (the caller checked they are there)
 * into the record.  Its value as an unsigned integer is read once, before
 * the switch (1..8 bytes: integer elements' lengths were checked when the
 * template came, or for a variable-length field before the call; an
 * address or a string leaves it 0).  Inlined into the record loop: a call
 * per field was a third of decoding. */
static inline __attribute__((always_inline)) void
apply(struct record_state *s, enum hf_ie_action a, const struct hf_cursor *f,
      uint32_t n)
{
    hf_flow_record_t *r = s->rec;
    uint64_t v = 0;

    hf_cur_uint(f, 0, n, &v);
    switch (a) {
    case IE_OCTETS:        r->octetDeltaCount = v; s->x.has_octets = true; break;
    case IE_PACKETS:       r->packetDeltaCount = v; s->x.has_packets = true; break;
    case IE_OCTETS_TOTAL:  s->x.octets_total = v; break;
    case IE_PACKETS_TOTAL: s->x.packets_total = v; break;
    case IE_PROTO:         r->protocolIdentifier = (uint8_t)v; break;
    case IE_TOS:           r->ipClassOfService = (uint8_t)v; break;
    case IE_TCP_FLAGS:     r->tcpControlBits = (uint16_t)v; break;
    case IE_SPORT:         r->sourceTransportPort = (uint16_t)v; break;
    case IE_DPORT:         r->destinationTransportPort = (uint16_t)v; break;
    case IE_SRC4:          r->sourceIPv4Address = (uint32_t)v; s->x.has_v4 = true; break;
    case IE_DST4:          r->destinationIPv4Address = (uint32_t)v; s->x.has_v4 = true; break;
    case IE_SRC6:          hf_cur_copy(f, 0, r->sourceIPv6Address, 16); s->x.has_v6 = true; break;
    case IE_DST6:          hf_cur_copy(f, 0, r->destinationIPv6Address, 16); s->x.has_v6 = true; break;
    case IE_IN_IF:         r->ingressInterface = (uint32_t)v; break;
    case IE_OUT_IF:        r->egressInterface = (uint32_t)v; break;
    case IE_VLAN:          r->vlanId = (uint16_t)v & 0x0fff; break;
    case IE_SRC_MAC:       hf_cur_copy(f, 0, r->sourceMacAddress, 6); break;
    case IE_DST_MAC:       hf_cur_copy(f, 0, r->destinationMacAddress, 6); break;
    case IE_ICMP4:         r->icmpTypeCodeIPv4 = (uint16_t)v; break;
    case IE_ICMP6:         r->icmpTypeCodeIPv6 = (uint16_t)v; break;
    case IE_ICMP_TYPE:     s->x.icmp_type = (uint8_t)v; s->x.has_icmp_parts = true; break;
    case IE_ICMP_CODE:     s->x.icmp_code = (uint8_t)v; s->x.has_icmp_parts = true; break;
    case IE_IPVER:         r->ipVersion = (uint8_t)v; break;
    case IE_END_REASON:    r->flowEndReason = (uint8_t)v; break;
    case IE_START_S:       s->x.tm.start_ms = v * 1000; break;
    case IE_END_S:         s->x.tm.end_ms = v * 1000; break;
    case IE_START_MS:      s->x.tm.start_ms = v; break;
    case IE_END_MS:        s->x.tm.end_ms = v; break;
    case IE_START_US: case IE_START_NS:
        if (n == 8) s->x.tm.start_ms = ntp_to_ms(v);
        break;
    case IE_END_US: case IE_END_NS:
        if (n == 8) s->x.tm.end_ms = ntp_to_ms(v);
        break;
    case IE_START_UPTIME:  s->x.tm.start_up = v; s->x.tm.has_start_up = true; break;
    case IE_END_UPTIME:    s->x.tm.end_up = v; s->x.tm.has_end_up = true; break;
    case IE_START_DELTA_US: s->x.tm.start_delta_us = v; s->x.tm.has_start_delta = true; break;
    case IE_END_DELTA_US:  s->x.tm.end_delta_us = v; s->x.tm.has_end_delta = true; break;
    case IE_SAMPLING_INTERVAL: s->x.interval = (uint32_t)v; break;
    case IE_SAMPLER_ID:    s->x.sampler_id = (uint32_t)v; s->x.has_sampler = true; break;
    case IE_SYSINIT_MS:    s->x.sysinit_ms = v; break;
    case IE_SAMPLING_SIZE: s->x.sampling_size = (uint32_t)v; break;
    case IE_SAMPLING_POPULATION: s->x.sampling_population = (uint32_t)v; break;
    case IE_HOSTNAME:      set_string(&r->hostflowHostname, f->p, n); break;
    case IE_NAME_SOURCE:   r->hostflowNameSource = (uint8_t)v; break;
    case IE_DNS_NAME:      set_string(&r->hostflowDnsName, f->p, n); break;
    case IE_HTTP_HOST:     set_string(&r->httpRequestHost, f->p, n); break;
    case IE_SNI:           set_string(&r->sslServerNameNtop, f->p, n); break;
    case IE_DNS_QUERY:     set_string(&r->dnsQueryNtop, f->p, n); break;
    case IE_APP_NAME:      set_string(&r->applicationName, f->p, n); break;
    case IE_SKIP: case IE_ACTION_COUNT: break;
    }
}

/* The commonest elements at their commonest lengths, decoded by one
 * switch over an op per field (a fixed-length template's: their offsets
 * and lengths were checked with the record), not apply()'s over the
 * element after one over the length. */
#define FIELD_OPS(X) \
    X(OCTETS_4, IE_OCTETS, 4, r->octetDeltaCount = hf_be32(p); s->x.has_octets = true) \
    X(OCTETS_8, IE_OCTETS, 8, r->octetDeltaCount = hf_be64(p); s->x.has_octets = true) \
    X(PACKETS_4, IE_PACKETS, 4, r->packetDeltaCount = hf_be32(p); s->x.has_packets = true) \
    X(PACKETS_8, IE_PACKETS, 8, r->packetDeltaCount = hf_be64(p); s->x.has_packets = true) \
    X(PROTO_1, IE_PROTO, 1, r->protocolIdentifier = p[0]) \
    X(TOS_1, IE_TOS, 1, r->ipClassOfService = p[0]) \
    X(TCP_FLAGS_1, IE_TCP_FLAGS, 1, r->tcpControlBits = p[0]) \
    X(TCP_FLAGS_2, IE_TCP_FLAGS, 2, r->tcpControlBits = hf_be16(p)) \
    X(SPORT_2, IE_SPORT, 2, r->sourceTransportPort = hf_be16(p)) \
    X(DPORT_2, IE_DPORT, 2, r->destinationTransportPort = hf_be16(p)) \
    X(SRC4_4, IE_SRC4, 4, r->sourceIPv4Address = hf_be32(p); s->x.has_v4 = true) \
    X(DST4_4, IE_DST4, 4, r->destinationIPv4Address = hf_be32(p); s->x.has_v4 = true) \
    X(IN_IF_2, IE_IN_IF, 2, r->ingressInterface = hf_be16(p)) \
    X(IN_IF_4, IE_IN_IF, 4, r->ingressInterface = hf_be32(p)) \
    X(OUT_IF_2, IE_OUT_IF, 2, r->egressInterface = hf_be16(p)) \
    X(OUT_IF_4, IE_OUT_IF, 4, r->egressInterface = hf_be32(p)) \
    X(IPVER_1, IE_IPVER, 1, r->ipVersion = p[0]) \
    X(END_REASON_1, IE_END_REASON, 1, r->flowEndReason = p[0]) \
    X(START_MS_8, IE_START_MS, 8, s->x.tm.start_ms = hf_be64(p)) \
    X(END_MS_8, IE_END_MS, 8, s->x.tm.end_ms = hf_be64(p)) \
    X(START_S_4, IE_START_S, 4, s->x.tm.start_ms = (uint64_t)hf_be32(p) * 1000) \
    X(END_S_4, IE_END_S, 4, s->x.tm.end_ms = (uint64_t)hf_be32(p) * 1000) \
    X(START_UP_4, IE_START_UPTIME, 4, s->x.tm.start_up = hf_be32(p); s->x.tm.has_start_up = true) \
    X(END_UP_4, IE_END_UPTIME, 4, s->x.tm.end_up = hf_be32(p); s->x.tm.has_end_up = true)

enum field_op {
    OP_APPLY = 0,               /* the rest: apply() */
#define OP_ENUM(name, action, len, code) OP_##name,
    FIELD_OPS(OP_ENUM)
#undef OP_ENUM
};

uint8_t
hf_field_op(enum hf_ie_action a, uint16_t len)
{
#define OP_MATCH(name, action, n, code) if (a == action && len == n) return OP_##name;
    FIELD_OPS(OP_MATCH)
#undef OP_MATCH
    return OP_APPLY;
}

/* The field tf of the record at rec (its bytes checked) into s. */
static inline __attribute__((always_inline)) void
decode_fixed_field(struct record_state *s, const struct hf_tmpl_field *tf,
                   const uint8_t *rec)
{
    hf_flow_record_t *r = s->rec;
    const uint8_t *p = rec + tf->off;

    switch ((enum field_op)tf->op) {
#define OP_CASE(name, action, len, code) case OP_##name: code; return;
    FIELD_OPS(OP_CASE)
#undef OP_CASE
    case OP_APPLY:
        break;
    }
    if (tf->action != IE_SKIP) {
        struct hf_cursor f = { p, tf->len };
        apply(s, (enum hf_ie_action)tf->action, &f, tf->len);
    }
}

/* Options records teach the exporter's sampling and boot time; what they
 * change is saved, so a restart still scales the exporter's data. */
static void
teach(struct hf_exporter_opts *o, struct hf_msg_ctx *m, struct record_state *s)
{
    /* random n-out-of-N (Cisco): one packet in population/size */
    if (s->x.sampling_size && s->x.sampling_population / s->x.sampling_size > s->x.interval)
        s->x.interval = s->x.sampling_population / s->x.sampling_size;
    m->sess->st.options_records++;
    if (s->x.sysinit_ms)
        o->sysinit_ms = s->x.sysinit_ms;
    if (!s->x.interval)
        return;
    m->sess->st.sampling_interval = s->x.interval;
    if (!s->x.has_sampler) {
        o->default_interval = s->x.interval;
        return;
    }
    for (uint32_t i = 0; i < o->n_samplers; i++) {
        if (o->samplers[i].id == s->x.sampler_id) {
            o->samplers[i].interval = s->x.interval;
            return;
        }
    }
    if (o->n_samplers < G_N_ELEMENTS(o->samplers)) {
        o->samplers[o->n_samplers].id = s->x.sampler_id;
        o->samplers[o->n_samplers++].interval = s->x.interval;
    }
    if (o->default_interval == 0)
        o->default_interval = s->x.interval;  /* data without a sampler id */
}

static void
learn_options(struct hf_decoder *d, struct hf_msg_ctx *m, struct record_state *s)
{
    struct hf_exporter_opts before = *m->sess->opts;

    teach(m->sess->opts, m, s);
    if (memcmp(&before, m->sess->opts, sizeof(before)) != 0)
        d->opts_dirty = true;
}

static uint32_t
sampling_for(const struct hf_exporter_opts *o, const struct record_state *s)
{
    if (s->x.interval)
        return s->x.interval;                 /* carried in the record itself */
    if (s->x.has_sampler)
        for (uint32_t i = 0; i < o->n_samplers; i++)
            if (o->samplers[i].id == s->x.sampler_id)
                return o->samplers[i].interval;
    return o->default_interval;
}

/* Absolute times from whatever the exporter used. */
static void
resolve_times(const struct hf_msg_ctx *m, struct record_state *s)
{
    uint64_t export_ms = (uint64_t)m->export_s * 1000;
    uint64_t boot_ms = 0;

    if (m->uptime_ms)                        /* v9: header gives the clock */
        boot_ms = export_ms - m->uptime_ms;
    else if (m->sess->opts->sysinit_ms)
        boot_ms = m->sess->opts->sysinit_ms;
    if (!s->x.tm.start_ms && s->x.tm.has_start_up)
        s->x.tm.start_ms = boot_ms ? boot_ms + s->x.tm.start_up : export_ms;
    if (!s->x.tm.end_ms && s->x.tm.has_end_up)
        s->x.tm.end_ms = boot_ms ? boot_ms + s->x.tm.end_up : export_ms;
    if (!s->x.tm.start_ms && s->x.tm.has_start_delta)
        s->x.tm.start_ms = export_ms - s->x.tm.start_delta_us / 1000;
    if (!s->x.tm.end_ms && s->x.tm.has_end_delta)
        s->x.tm.end_ms = export_ms - s->x.tm.end_delta_us / 1000;
    if (!s->x.tm.end_ms)
        s->x.tm.end_ms = s->x.tm.start_ms ? s->x.tm.start_ms : export_ms;
    if (!s->x.tm.start_ms)
        s->x.tm.start_ms = s->x.tm.end_ms;
    s->rec->flowStartMilliseconds = s->x.tm.start_ms;
    s->rec->flowEndMilliseconds = s->x.tm.end_ms;
}

/* Variable-length field (RFC 7011 7): a 1-byte length, or 255 and a
 * 2-byte length. */
#define VARLEN_LONG 255

/* Readies s for the next record.  Into the consumer's slot (stale
 * memory) the record is zeroed whole.  Into the decoder's own, zeroed for
 * the set's first record: a fixed-length template writes the same fields
 * of every record (each field's length was checked with the template), so
 * only what the record's own fields may leave unwritten is cleared, the
 * side state and the fields derived when the template lacks them; with a
 * variable-length field, which may be skipped (a bad length), all of it. */
static inline void
record_reset(struct hf_decoder *d, struct record_state *s, const struct hf_template *t)
{
    /* copied from zero structs: vector moves, where memset() of a struct
     * this size is a rep stos that costs more to start than to clear */
    static const struct record_side no_side;
    static const hf_flow_record_t no_record;

    s->x = no_side;
    s->rec = d->slot && !t->scope_count ? d->slot(d->ctx) : NULL;
    if (s->rec) {
        *s->rec = no_record;
        return;
    }
    s->rec = &s->own;
    if (t->varlen) {
        s->own = no_record;
        return;
    }
    s->own.ipVersion = 0;
    s->own.icmpTypeCodeIPv4 = s->own.icmpTypeCodeIPv6 = 0;
    s->own.destinationTransportPort = 0;
}

/* Decodes the record at the start of set into s (record_reset() first);
 * returns the bytes it takes, 0 if it runs past the end. */
static uint32_t
decode_record(struct hf_decoder *d, struct hf_msg_ctx *m,
              const struct hf_template *t, const struct hf_cursor *set,
              struct record_state *restrict s)
{
    /* the rest of the record, advanced field by field (a local copy:
     * stores into the record cannot alias it, so it stays in registers;
     * each field is then read at offset 0, one bounds check) */
    struct hf_cursor c = *set;

    record_reset(d, s, t);
    uint32_t off;
    if (!t->varlen) {
        /* the template's plan: one bounds check for the record, each
         * field at the offset the template gave it */
        if (!hf_cur_has(&c, t->min_len))
            return 0;
        for (uint16_t i = 0; i < t->nfields; i++)
            decode_fixed_field(s, &t->f[i], c.p);
        off = t->min_len;
    } else {
        for (uint16_t i = 0; i < t->nfields; i++) {
            const struct hf_tmpl_field *tf = &t->f[i];
            uint32_t n = tf->len;
            if (n == HF_VARLEN) {
                uint8_t short_len;
                uint16_t long_len;
                if (!hf_cur_u8(&c, 0, &short_len))
                    return 0;
                hf_cur_skip(&c, 1);
                n = short_len;
                if (n == VARLEN_LONG) {
                    if (!hf_cur_u16(&c, 0, &long_len))
                        return 0;
                    hf_cur_skip(&c, 2);
                    n = long_len;
                }
            }
            if (!hf_cur_has(&c, n))
                return 0;
            if (tf->action != IE_SKIP) {
                /* fixed lengths were checked with the template */
                if (tf->len != HF_VARLEN || hf_ie_length_fits(tf->action, n))
                    apply(s, (enum hf_ie_action)tf->action, &c, n);
                else
                    hf_bad(m, HF_BAD_FIELD);
            }
            hf_cur_skip(&c, n);
        }
        off = set->len - c.len;
    }

    m->data_records++;          /* IPFIX sequence numbers count options too */
    if (t->scope_count) {
        learn_options(d, m, s);
        return off;
    }
    hf_flow_record_t *r = s->rec;
    if (!s->x.has_octets)
        r->octetDeltaCount = s->x.octets_total;
    if (!s->x.has_packets)
        r->packetDeltaCount = s->x.packets_total;
    if (!r->ipVersion)
        r->ipVersion = s->x.has_v6 && !s->x.has_v4 ? 6 : 4;
    if (s->x.has_icmp_parts && !r->icmpTypeCodeIPv4 && !r->icmpTypeCodeIPv6) {
        hf_record_set_icmp_type_code(r, r->ipVersion == 6 ? HF_PROTO_ICMPV6 : HF_PROTO_ICMP,
                                     (uint16_t)(s->x.icmp_type << 8 | s->x.icmp_code));
    }
    /* NetFlow tools put ICMP type/code in the destination port */
    if (hf_proto_is_icmp(r->protocolIdentifier)
        && r->destinationTransportPort == 0)
        r->destinationTransportPort = hf_record_icmp_type_code(r);
    uint32_t interval = sampling_for(m->sess->opts, s);
    r->samplingPacketInterval = interval > 1 ? interval : 0;
    resolve_times(m, s);
    m->sess->st.records++;
    d->fn(d->ctx, m->id, r, m->now_ms);
    return off;
}

void
hf_decode_data_set(struct hf_decoder *d, struct hf_msg_ctx *m,
                   const struct hf_template *t, struct hf_cursor set)
{
    if (t->min_len == 0)
        return;
    if (!t->varlen && set.len % t->min_len != 0) {
        /* padding must be zeros and shorter than a record (RFC 7011 3.3.1);
         * anything else means template and data disagree: trust neither */
        for (uint32_t i = set.len - set.len % t->min_len; i < set.len; i++) {
            uint8_t pad = 0;
            hf_cur_u8(&set, i, &pad);
            if (pad != 0) {
                hf_bad(m, HF_BAD_TMPL_MISMATCH);
                return;
            }
        }
    }
    struct record_state s;
    memset(&s, 0, sizeof(s));           /* once a set: see record_reset() */
    while (set.len >= t->min_len) {
        uint32_t used = decode_record(d, m, t, &set, &s);
        if (used == 0) {
            hf_bad(m, HF_BAD_RECORD);
            return;
        }
        hf_cur_skip(&set, used);
    }
}
