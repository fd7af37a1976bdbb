/* Data sets of IPFIX and NetFlow v9: each record through its template into
 * hf_flow_record_t (or, for an options record, into the exporter's sampling
 * and clock knowledge).  Every field is read through a cursor over the
 * record; a field cut short ends the set and is counted. */
#include <string.h>

#include "decoder_int.h"
#include "record_plan.h"
#include "proto.h"
#include "record_fields.h"

#define NTP_UNIX_OFFSET 2208988800ULL

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
    case IE_OCTETS:        r->octetDeltaCount = v; s->x.has |= HAS_OCTETS; break;
    case IE_PACKETS:       r->packetDeltaCount = v; s->x.has |= HAS_PACKETS; break;
    case IE_OCTETS_TOTAL:  s->x.octets_total = v; break;
    case IE_PACKETS_TOTAL: s->x.packets_total = v; break;
    case IE_PROTO:         r->protocolIdentifier = (uint8_t)v; break;
    case IE_TOS:           r->ipClassOfService = (uint8_t)v; break;
    case IE_TCP_FLAGS:     r->tcpControlBits = (uint16_t)v; break;
    case IE_SPORT:         r->sourceTransportPort = (uint16_t)v; break;
    case IE_DPORT:         r->destinationTransportPort = (uint16_t)v; break;
    case IE_SRC4:          r->sourceIPv4Address = (uint32_t)v; s->x.has |= HAS_V4; break;
    case IE_DST4:          r->destinationIPv4Address = (uint32_t)v; s->x.has |= HAS_V4; break;
    case IE_SRC6:          hf_cur_copy(f, 0, r->sourceIPv6Address, 16); s->x.has |= HAS_V6; break;
    case IE_DST6:          hf_cur_copy(f, 0, r->destinationIPv6Address, 16); s->x.has |= HAS_V6; break;
    case IE_IN_IF:         r->ingressInterface = (uint32_t)v; break;
    case IE_OUT_IF:        r->egressInterface = (uint32_t)v; break;
    case IE_VLAN:          r->vlanId = (uint16_t)v & 0x0fff; break;
    case IE_SRC_MAC:       hf_cur_copy(f, 0, r->sourceMacAddress, 6); break;
    case IE_DST_MAC:       hf_cur_copy(f, 0, r->destinationMacAddress, 6); break;
    case IE_ICMP4:         r->icmpTypeCodeIPv4 = (uint16_t)v; break;
    case IE_ICMP6:         r->icmpTypeCodeIPv6 = (uint16_t)v; break;
    case IE_ICMP_TYPE:     s->x.icmp_type = (uint8_t)v; s->x.has |= HAS_ICMP_PARTS; break;
    case IE_ICMP_CODE:     s->x.icmp_code = (uint8_t)v; s->x.has |= HAS_ICMP_PARTS; break;
    case IE_IPVER:         r->ipVersion = (uint8_t)v; break;
    case IE_END_REASON:    r->flowEndReason = (uint8_t)v; break;
    case IE_START_S:       r->flowStartMilliseconds = v * 1000; break;
    case IE_END_S:         r->flowEndMilliseconds = v * 1000; break;
    case IE_START_MS:      r->flowStartMilliseconds = v; break;
    case IE_END_MS:        r->flowEndMilliseconds = v; break;
    case IE_START_US: case IE_START_NS:
        if (n == 8) r->flowStartMilliseconds = ntp_to_ms(v);
        break;
    case IE_END_US: case IE_END_NS:
        if (n == 8) r->flowEndMilliseconds = ntp_to_ms(v);
        break;
    case IE_START_UPTIME:  s->x.start_up = v; s->x.has |= HAS_START_UP; break;
    case IE_END_UPTIME:    s->x.end_up = v; s->x.has |= HAS_END_UP; break;
    case IE_START_DELTA_US: s->x.start_delta_us = v; s->x.has |= HAS_START_DELTA; break;
    case IE_END_DELTA_US:  s->x.end_delta_us = v; s->x.has |= HAS_END_DELTA; break;
    case IE_SAMPLING_INTERVAL: s->x.interval = (uint32_t)v; break;
    case IE_SAMPLER_ID:    s->x.sampler_id = (uint32_t)v; s->x.has |= HAS_SAMPLER; break;
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
    if (!(s->x.has & HAS_SAMPLER)) {
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
    if (s->x.has & HAS_SAMPLER)
        for (uint32_t i = 0; i < o->n_samplers; i++)
            if (o->samplers[i].id == s->x.sampler_id)
                return o->samplers[i].interval;
    return o->default_interval;
}

/* The message's clock, the same for all records of a set: its export
 * time, and the exporter's boot (0: unknown) for sysUptime times. */
struct set_clock {
    uint64_t export_ms, boot_ms;
};

static struct set_clock
set_clock(const struct hf_msg_ctx *m)
{
    struct set_clock k = { (uint64_t)m->export_s * 1000, 0 };

    if (m->uptime_ms)                        /* v9: header gives the clock */
        k.boot_ms = k.export_ms - m->uptime_ms;
    else if (m->sess->opts->sysinit_ms)
        k.boot_ms = m->sess->opts->sysinit_ms;
    return k;
}

/* Absolute times from whatever the exporter used: the record's own
 * (absolute ones, 0 if not given) completed from the side state. */
static inline void
resolve_times(const struct set_clock *k, const struct record_side *x,
              hf_flow_record_t *r)
{
    uint64_t export_ms = k->export_ms, boot_ms = k->boot_ms;
    uint64_t start_ms = r->flowStartMilliseconds, end_ms = r->flowEndMilliseconds;

    if (!start_ms && (x->has & HAS_START_UP))
        start_ms = boot_ms ? boot_ms + x->start_up : export_ms;
    if (!end_ms && (x->has & HAS_END_UP))
        end_ms = boot_ms ? boot_ms + x->end_up : export_ms;
    if (!start_ms && (x->has & HAS_START_DELTA))
        start_ms = export_ms - x->start_delta_us / 1000;
    if (!end_ms && (x->has & HAS_END_DELTA))
        end_ms = export_ms - x->end_delta_us / 1000;
    if (!end_ms)
        end_ms = start_ms ? start_ms : export_ms;
    if (!start_ms)
        start_ms = end_ms;
    r->flowStartMilliseconds = start_ms;
    r->flowEndMilliseconds = end_ms;
}

/* The decoded record s completed (what the template lacked, derived;
 * absolute times) and handed over, or an options record learnt. */
static inline __attribute__((always_inline)) void
finish_record(struct hf_decoder *d, struct hf_msg_ctx *m, const struct hf_template *t,
              struct record_state *s, const struct set_clock *k)
{
    m->data_records++;          /* IPFIX sequence numbers count options too */
    if (t->scope_count) {
        learn_options(d, m, s);
        return;
    }
    hf_flow_record_t *r = s->rec;
    if (!(s->x.has & HAS_OCTETS))
        r->octetDeltaCount = s->x.octets_total;
    if (!(s->x.has & HAS_PACKETS))
        r->packetDeltaCount = s->x.packets_total;
    if (!r->ipVersion)
        r->ipVersion = (s->x.has & (HAS_V4 | HAS_V6)) == HAS_V6 ? 6 : 4;
    if ((s->x.has & HAS_ICMP_PARTS) && !r->icmpTypeCodeIPv4 && !r->icmpTypeCodeIPv6) {
        hf_record_set_icmp_type_code(r, r->ipVersion == 6 ? HF_PROTO_ICMPV6 : HF_PROTO_ICMP,
                                     (uint16_t)(s->x.icmp_type << 8 | s->x.icmp_code));
    }
    /* NetFlow tools put ICMP type/code in the destination port */
    if (hf_proto_is_icmp(r->protocolIdentifier)
        && r->destinationTransportPort == 0)
        r->destinationTransportPort = hf_record_icmp_type_code(r);
    uint32_t interval = sampling_for(m->sess->opts, s);
    r->samplingPacketInterval = interval > 1 ? interval : 0;
    resolve_times(k, &s->x, r);
    m->sess->st.records++;
    d->fn(d->ctx, m->id, r, m->now_ms);
}

/* Variable-length field (RFC 7011 7): a 1-byte length, or 255 and a
 * 2-byte length. */
#define VARLEN_LONG 255

/* A record zeroed by 16-byte stores: memset() of this size is a rep stos,
 * which costs more to start than to clear. */
static inline void
zero_record(hf_flow_record_t *r)
{
    typedef uint64_t zero16 __attribute__((vector_size(16)));
    const zero16 z = { 0, 0 };
    uint8_t *p = (uint8_t *)r;

    _Static_assert(sizeof(*r) % 16 == 0, "whole 16-byte stores");
#pragma GCC unroll 16
    for (size_t i = 0; i < sizeof(*r); i += 16)
        memcpy(p + i, &z, 16);
}

/* Readies s for the next record.  Into the consumer's slot (stale
 * memory) the record is zeroed whole.  Into the decoder's own, zeroed for
 * the set's first record: a fixed-length template writes the same fields
 * of every record (each field's length was checked with the template), so
 * only what the record's own fields may leave unwritten is cleared, the
 * fields derived when the template lacks them; with a variable-length
 * field, which may be skipped (a bad length), all of it.  The side state
 * likewise: a fixed-length data template's steps write the same side
 * fields of every record and its flags are the template's (set with the
 * set, hf_decode_data_set); an options record changes it (teach()). */
static inline void
record_reset(struct hf_decoder *d, struct record_state *s, const struct hf_template *t)
{
    if (t->varlen || t->scope_count) {
        memset(&s->x, 0, sizeof(s->x));
        s->x.has = t->side_has;
    }
    s->rec = d->slot && !t->scope_count ? d->slot(d->ctx) : NULL;
    if (s->rec) {
        zero_record(s->rec);
        return;
    }
    s->rec = &s->own;
    if (t->varlen) {
        zero_record(&s->own);
        return;
    }
    s->own.flowStartMilliseconds = s->own.flowEndMilliseconds = 0;
    s->own.ipVersion = 0;
    s->own.icmpTypeCodeIPv4 = s->own.icmpTypeCodeIPv6 = 0;
    s->own.destinationTransportPort = 0;
}

/* Reads of the integer steps (N: 3, 5, 6 or 7 bytes) and their bases. */
#define STEP_READ_1(p, n) ((uint64_t)(p)[0])
#define STEP_READ_2(p, n) ((uint64_t)hf_be16(p))
#define STEP_READ_4(p, n) ((uint64_t)hf_be32(p))
#define STEP_READ_8(p, n) hf_be64(p)
#define STEP_READ_N(p, n) hf_be_uint(p, n)
#define STEP_PAIR_READ_2(p, n, type) \
    do { uint32_t b_ = hf_be32(p); n[0] = (type)(b_ >> 16); n[1] = (type)(b_ & 0xffff); } while (0)
#define STEP_PAIR_READ_4(p, n, type) \
    do { uint64_t b_ = hf_be64(p); n[0] = (type)(b_ >> 32); n[1] = (type)(uint32_t)b_; } while (0)
#define STEP_PAIR_READ_8(p, n, type) \
    do { n[0] = (type)hf_be64(p); n[1] = (type)hf_be64((p) + 8); } while (0)
#define STEP_BASE_REC rb
#define STEP_BASE_SIDE xb

/* The records of a data set of fixed-length template t (its padding
 * checked), each by the template's plan (record_plan.h): one bounds check
 * a record, then the steps, threaded: each step's code jumps straight to
 * the next one's. */
static void
decode_fixed_set(struct hf_decoder *d, struct hf_msg_ctx *m, const struct hf_template *t,
                 struct hf_cursor set, struct record_state *restrict s)
{
    static const void *const kinds[STEP_KINDS] = {
        [STEP_END] = &&end,
#define STEP_INT_LABEL(base, rd, w) [STEP_##base##_R##rd##_W##w] = &&base##_R##rd##_W##w,
        STEP_INTS(STEP_INT_LABEL)
#undef STEP_INT_LABEL
#define STEP_PAIR_LABEL(base, rd, w) \
        [STEP_##base##_PAIR_R##rd##_W##w] = &&base##_PAIR_R##rd##_W##w,
        STEP_PAIRS(STEP_PAIR_LABEL)
#undef STEP_PAIR_LABEL
        [STEP_VLAN] = &&vlan, [STEP_SECONDS] = &&seconds, [STEP_NTP] = &&ntp,
        [STEP_COPY16] = &&copy16, [STEP_COPY6] = &&copy6, [STEP_STRING] = &&string,
    };
    const struct set_clock k = set_clock(m);
    const struct hf_step *plan = hf_template_steps(t);

    for (; set.len >= t->min_len; hf_cur_skip(&set, t->min_len)) {
        record_reset(d, s, t);
        const struct hf_step *st = plan;
        const uint8_t *rec = set.p;
        hf_flow_record_t *r = s->rec;
        uint8_t *rb = (uint8_t *)r, *xb = (uint8_t *)&s->x;
        uint64_t v;

#define NEXT_STEP() do { st++; goto *kinds[st->kind]; } while (0)
        goto *kinds[st->kind];
#define STEP_INT_CODE(base, rd, w) \
        base##_R##rd##_W##w: { \
            uint##w##_t n_ = (uint##w##_t)STEP_READ_##rd(rec + st->src, st->len); \
            memcpy(STEP_BASE_##base + st->dst, &n_, sizeof(n_)); \
            NEXT_STEP(); \
        }
        STEP_INTS(STEP_INT_CODE)
#undef STEP_INT_CODE
        /* a pair: both fields' bytes in one load (two of 8 bytes) */
#define STEP_PAIR_CODE(base, rd, w) \
        base##_PAIR_R##rd##_W##w: { \
            uint##w##_t n_[2]; \
            STEP_PAIR_READ_##rd(rec + st->src, n_, uint##w##_t); \
            memcpy(STEP_BASE_##base + st->dst, n_, sizeof(n_)); \
            NEXT_STEP(); \
        }
        STEP_PAIRS(STEP_PAIR_CODE)
#undef STEP_PAIR_CODE
vlan:
        r->vlanId = (uint16_t)hf_be_uint(rec + st->src, st->len) & 0x0fff;
        NEXT_STEP();
seconds:
        v = hf_be_uint(rec + st->src, st->len) * 1000;
        memcpy(rb + st->dst, &v, 8);
        NEXT_STEP();
ntp:
        v = ntp_to_ms(hf_be64(rec + st->src));
        memcpy(rb + st->dst, &v, 8);
        NEXT_STEP();
copy16:
        memcpy(rb + st->dst, rec + st->src, 16);
        NEXT_STEP();
copy6:
        memcpy(rb + st->dst, rec + st->src, 6);
        NEXT_STEP();
string:
        set_string((fbVarfield_t *)(void *)(rb + st->dst), rec + st->src, st->len);
        NEXT_STEP();
#undef NEXT_STEP
end:
        finish_record(d, m, t, s, &k);
    }
}

/* Decodes the record at the start of set, of a template with a
 * variable-length field, into s (record_reset() first) and finishes it;
 * returns the bytes it takes, 0 if it runs past the end. */
static uint32_t
decode_record(struct hf_decoder *d, struct hf_msg_ctx *m,
              const struct hf_template *t, const struct hf_cursor *set,
              struct record_state *restrict s, const struct set_clock *k)
{
    /* the rest of the record, advanced field by field (a local copy:
     * stores into the record cannot alias it, so it stays in registers;
     * each field is then read at offset 0, one bounds check) */
    struct hf_cursor c = *set;

    record_reset(d, s, t);
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
    finish_record(d, m, t, s, k);
    return set->len - c.len;
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
    s.x.has = t->side_has;
    if (!t->varlen) {
        decode_fixed_set(d, m, t, set, &s);
        return;
    }
    const struct set_clock k = set_clock(m);
    while (set.len >= t->min_len) {
        uint32_t used = decode_record(d, m, t, &set, &s, &k);
        if (used == 0) {
            hf_bad(m, HF_BAD_RECORD);
            return;
        }
        hf_cur_skip(&set, used);
    }
}
