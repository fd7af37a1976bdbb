/* A fixed-length template's plan (record_plan.h): each field it decodes as
 * a step with its offset in the record, its place in the flow record or
 * side state and the kind of its copy, chosen here once for all records. */
#include <stddef.h>

#include "record_plan.h"

enum step_base { REC, SIDE };

/* Where an element lands: an integer field (base, offset, bits), or a
 * special kind (kind != 0, into the flow record at off); has: the side
 * flag it sets. */
struct target {
    uint8_t base, bits, kind;
    uint16_t off, has;
};

#define R_INT(field, b) { REC, b, 0, offsetof(hf_flow_record_t, field), 0 }
#define R_INT_HAS(field, b, h) { REC, b, 0, offsetof(hf_flow_record_t, field), h }
#define S_INT(field, b, h) { SIDE, b, 0, offsetof(struct record_side, field), h }
#define R_KIND(field, k, h) { REC, 0, k, offsetof(hf_flow_record_t, field), h }

/* apply() (data_records.c) is the same table as code: a change to one is
 * a change to the other (test_field_ops compares them). */
static const struct target targets[IE_ACTION_COUNT] = {
    [IE_OCTETS] = R_INT_HAS(octetDeltaCount, 64, HAS_OCTETS),
    [IE_PACKETS] = R_INT_HAS(packetDeltaCount, 64, HAS_PACKETS),
    [IE_OCTETS_TOTAL] = S_INT(octets_total, 64, 0),
    [IE_PACKETS_TOTAL] = S_INT(packets_total, 64, 0),
    [IE_PROTO] = R_INT(protocolIdentifier, 8),
    [IE_TOS] = R_INT(ipClassOfService, 8),
    [IE_TCP_FLAGS] = R_INT(tcpControlBits, 16),
    [IE_SPORT] = R_INT(sourceTransportPort, 16),
    [IE_DPORT] = R_INT(destinationTransportPort, 16),
    [IE_SRC4] = R_INT_HAS(sourceIPv4Address, 32, HAS_V4),
    [IE_DST4] = R_INT_HAS(destinationIPv4Address, 32, HAS_V4),
    [IE_SRC6] = R_KIND(sourceIPv6Address, STEP_COPY16, HAS_V6),
    [IE_DST6] = R_KIND(destinationIPv6Address, STEP_COPY16, HAS_V6),
    [IE_IN_IF] = R_INT(ingressInterface, 32),
    [IE_OUT_IF] = R_INT(egressInterface, 32),
    [IE_VLAN] = R_KIND(vlanId, STEP_VLAN, 0),
    [IE_SRC_MAC] = R_KIND(sourceMacAddress, STEP_COPY6, 0),
    [IE_DST_MAC] = R_KIND(destinationMacAddress, STEP_COPY6, 0),
    [IE_ICMP4] = R_INT(icmpTypeCodeIPv4, 16),
    [IE_ICMP6] = R_INT(icmpTypeCodeIPv6, 16),
    [IE_ICMP_TYPE] = S_INT(icmp_type, 8, HAS_ICMP_PARTS),
    [IE_ICMP_CODE] = S_INT(icmp_code, 8, HAS_ICMP_PARTS),
    [IE_IPVER] = R_INT(ipVersion, 8),
    [IE_END_REASON] = R_INT(flowEndReason, 8),
    [IE_START_S] = R_KIND(flowStartMilliseconds, STEP_SECONDS, 0),
    [IE_END_S] = R_KIND(flowEndMilliseconds, STEP_SECONDS, 0),
    [IE_START_MS] = R_INT(flowStartMilliseconds, 64),
    [IE_END_MS] = R_INT(flowEndMilliseconds, 64),
    [IE_START_US] = R_KIND(flowStartMilliseconds, STEP_NTP, 0),
    [IE_START_NS] = R_KIND(flowStartMilliseconds, STEP_NTP, 0),
    [IE_END_US] = R_KIND(flowEndMilliseconds, STEP_NTP, 0),
    [IE_END_NS] = R_KIND(flowEndMilliseconds, STEP_NTP, 0),
    [IE_START_UPTIME] = S_INT(start_up, 64, HAS_START_UP),
    [IE_END_UPTIME] = S_INT(end_up, 64, HAS_END_UP),
    [IE_START_DELTA_US] = S_INT(start_delta_us, 64, HAS_START_DELTA),
    [IE_END_DELTA_US] = S_INT(end_delta_us, 64, HAS_END_DELTA),
    [IE_SAMPLING_INTERVAL] = S_INT(interval, 32, 0),
    [IE_SAMPLER_ID] = S_INT(sampler_id, 32, HAS_SAMPLER),
    [IE_SYSINIT_MS] = S_INT(sysinit_ms, 64, 0),
    [IE_SAMPLING_SIZE] = S_INT(sampling_size, 32, 0),
    [IE_SAMPLING_POPULATION] = S_INT(sampling_population, 32, 0),
    [IE_HOSTNAME] = R_KIND(hostflowHostname, STEP_STRING, 0),
    [IE_NAME_SOURCE] = R_INT(hostflowNameSource, 8),
    [IE_DNS_NAME] = R_KIND(hostflowDnsName, STEP_STRING, 0),
    [IE_HTTP_HOST] = R_KIND(httpRequestHost, STEP_STRING, 0),
    [IE_SNI] = R_KIND(sslServerNameNtop, STEP_STRING, 0),
    [IE_DNS_QUERY] = R_KIND(dnsQueryNtop, STEP_STRING, 0),
    [IE_APP_NAME] = R_KIND(applicationName, STEP_STRING, 0),
};

_Static_assert(STEP_SIDE_R1_W8 == STEP_REC_R1_W8 + 20 && STEP_REC_RN_W64 == STEP_REC_R1_W8 + 19,
               "int_kind() counts STEP_INTS in its order");

/* The integer step reading len bytes into a bits-wide field of base. */
static uint8_t
int_kind(uint8_t base, uint16_t len, uint8_t bits)
{
    unsigned rd = len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : len == 8 ? 3 : 4;
    unsigned w = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3;

    /* STEP_INTS: base, then read, then store, in that order */
    return (uint8_t)(STEP_REC_R1_W8 + base * 20 + rd * 4 + w);
}

/* The pair step of steps a and b, or STEP_END if they are not a pair:
 * the same full-size integer kind, b's field right after a's in the record
 * and in the destination. */
static uint8_t
pair_kind(const struct hf_step *a, const struct hf_step *b)
{
    static const struct { uint8_t single, pair; } pairs[] = {
#define PAIR_OF(base, rd, w) { STEP_##base##_R##rd##_W##w, STEP_##base##_PAIR_R##rd##_W##w },
        STEP_PAIRS(PAIR_OF)
#undef PAIR_OF
    };
    static const uint8_t width[] = { 1, 2, 4, 8 };

    if (a->kind != b->kind || b->src != a->src + a->len)
        return STEP_END;
    for (unsigned i = 0; i < G_N_ELEMENTS(pairs); i++) {
        /* the store width: the kind's place among its read's four */
        unsigned w = width[(a->kind - STEP_REC_R1_W8) % 4];
        if (pairs[i].single == a->kind && b->dst == a->dst + w)
            return pairs[i].pair;
    }
    return STEP_END;
}

/* Adjacent steps that form a pair made one (template order is kept: a
 * field given twice still ends with its last value). */
static unsigned
merge_pairs(struct hf_step *st, unsigned n)
{
    unsigned out = 0;

    for (unsigned i = 0; i < n; i++) {
        uint8_t pair = i + 1 < n ? pair_kind(&st[i], &st[i + 1]) : STEP_END;
        st[out] = st[i];
        if (pair != STEP_END) {
            st[out].kind = pair;
            i++;
        }
        out++;
    }
    return out;
}

void
hf_template_plan(struct hf_template *t)
{
    struct hf_step *st = hf_template_steps(t);
    uint32_t off = 0;
    unsigned n = 0;

    t->side_has = 0;
    /* a record over 64 KiB never fits a set: no plan needed, none built
     * (its offsets would not fit the steps) */
    if (!t->varlen && t->min_len <= UINT16_MAX) {
        for (uint16_t i = 0; i < t->nfields; i++) {
            const struct hf_tmpl_field *f = &t->f[i];
            const struct target *g = &targets[f->action < IE_ACTION_COUNT ? f->action : IE_SKIP];
            uint8_t kind = g->kind ? g->kind
                         : g->bits ? int_kind(g->base, f->len, g->bits) : STEP_END;
            /* NTP times are 8 bytes, or ignored (as apply() does) */
            if (kind == STEP_NTP && f->len != 8)
                kind = STEP_END;
            if (kind != STEP_END) {
                st[n++] = (struct hf_step){ .src = (uint16_t)off, .dst = g->off,
                                            .len = f->len, .kind = kind };
                t->side_has |= g->has;
            }
            off += f->len;
        }
        n = merge_pairs(st, n);
    }
    st[n] = (struct hf_step){ .kind = STEP_END };
    /* the steps the template does not need stay zero: compared whole */
    for (unsigned i = n + 1; i <= t->nfields; i++)
        st[i] = (struct hf_step){ .kind = STEP_END };
}
