/* The collector's message decoder (collector/decoder.h) fed messages built
 * byte by byte here: IPFIX templates, withdrawal (one and all), a
 * redefinition, variable-length fields in both length forms, the fixed
 * templates' field ops against the general path, set padding,
 * options templates and records, data held for a template that comes later
 * (or never, or over the quota), NetFlow v9 and v5, an sFlow flow sample,
 * and every truncation of each message (no crash, a counter, and the
 * records before the cut as they were).  Run under ASan/UBSan: every
 * message is fed from a heap block of exactly its length. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decoder.h"

#define PEN 32473                       /* the test decoder's own PEN */
#define EXPORT_S 1700000000u

/* ---- messages ------------------------------------------------------------ */

struct msg {
    uint8_t b[70000];
    size_t n;
};

static void put8(struct msg *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void put16(struct msg *m, unsigned v) { put8(m, v >> 8); put8(m, v); }
static void put32(struct msg *m, uint32_t v) { put16(m, v >> 16); put16(m, v & 0xffff); }
static void put64(struct msg *m, uint64_t v) { put32(m, (uint32_t)(v >> 32)); put32(m, (uint32_t)v); }
static void putbytes(struct msg *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }
static void patch16(struct msg *m, size_t at, unsigned v) { m->b[at] = (uint8_t)(v >> 8); m->b[at + 1] = (uint8_t)v; }

static void
ipfix_begin(struct msg *m, uint32_t seq)
{
    m->n = 0;
    put16(m, 10);
    put16(m, 0);                        /* length: ipfix_end */
    put32(m, EXPORT_S);
    put32(m, seq);
    put32(m, 7);                        /* observation domain */
}

static void ipfix_end(struct msg *m) { patch16(m, 2, (unsigned)m->n); }

/* A set: set_begin returns where its header is, set_end writes its length. */
static size_t
set_begin(struct msg *m, unsigned id)
{
    size_t at = m->n;

    put16(m, id);
    put16(m, 0);
    return at;
}

static void set_end(struct msg *m, size_t at) { patch16(m, at + 2, (unsigned)(m->n - at)); }

/* Field specifiers as (id, length); an id above 0x8000 has PEN. */
static void
template_record(struct msg *m, unsigned tid, const unsigned (*f)[2], unsigned n)
{
    put16(m, tid);
    put16(m, n);
    for (unsigned i = 0; i < n; i++) {
        put16(m, f[i][0]);
        put16(m, f[i][1]);
        if (f[i][0] & 0x8000)
            put32(m, PEN);
    }
}

/* The flow template most tests use: addresses, ports, protocol, counters,
 * times (41 bytes a record). */
static const unsigned flow_fields[][2] = {
    { 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 1, 8 }, { 2, 8 },
    { 152, 8 }, { 153, 4 },             /* end time in a reduced size */
};
#define FLOW_FIELDS 9
#define FLOW_REC 41

static void
flow_record(struct msg *m, uint32_t src, uint16_t sport, uint64_t octets)
{
    put32(m, src);
    put32(m, 0x0a000002);
    put16(m, sport);
    put16(m, 443);
    put8(m, 6);
    put64(m, octets);
    put64(m, 3);
    put64(m, (uint64_t)EXPORT_S * 1000 - 5000);
    put32(m, 0x00aabbcc);               /* 4 bytes of a millisecond time */
}

/* ---- the decoder under test ---------------------------------------------- */

#define MAX_RECS 64
struct seen {
    hf_flow_record_t rec[MAX_RECS];
    char host[MAX_RECS][400];           /* httpRequestHost, copied */
    char name[MAX_RECS][400];           /* hostflowHostname, copied */
    int n;
};

static void
copy_text(char *dst, const fbVarfield_t *v)
{
    if (v->len)
        memcpy(dst, v->buf, v->len);
    dst[v->len] = 0;
}

static void
on_record(void *ctx, const struct hf_exporter_id *exp, const hf_flow_record_t *rec,
          uint64_t arrival_ms)
{
    struct seen *s = ctx;

    (void)exp;
    (void)arrival_ms;
    if (s->n >= MAX_RECS)
        return;
    memcpy(&s->rec[s->n], rec, sizeof(*rec));   /* padding too: compared whole */
    /* strings point into the message: copied, and the pointers cleared so
     * records compare by value */
    copy_text(s->host[s->n], &rec->httpRequestHost);
    copy_text(s->name[s->n], &rec->hostflowHostname);
    s->rec[s->n].httpRequestHost.buf = NULL;
    s->rec[s->n].hostflowHostname.buf = NULL;
    s->rec[s->n].sslServerNameNtop.buf = NULL;
    s->rec[s->n].dnsQueryNtop.buf = NULL;
    s->rec[s->n].applicationName.buf = NULL;
    s->rec[s->n].hostflowDnsName.buf = NULL;
    s->n++;
}

/* The second pass decodes into a consumer's slot (hf_decoder_set_slot),
 * handed out full of junk: the records must come out the same. */
static bool use_slot;
static hf_flow_record_t slot_rec;

static hf_flow_record_t *
junk_slot(void *ctx)
{
    (void)ctx;
    memset(&slot_rec, 0xa5, sizeof(slot_rec));
    return &slot_rec;
}

static struct hf_decoder *
decoder(struct seen *s, uint32_t max_held, uint32_t pending_max)
{
    struct hf_decoder_config cfg = {
        .enterprise_number = PEN, .pending_max_bytes = pending_max,
        .limits = { .max_held_per_exporter = max_held },
    };

    memset(s, 0, sizeof(*s));
    struct hf_decoder *d = hf_decoder_new(&cfg, on_record, s);
    if (use_slot)
        hf_decoder_set_slot(d, junk_slot);
    return d;
}

static uint64_t now_ms = (uint64_t)EXPORT_S * 1000;

/* Feeds len bytes of m from an exact-size heap copy (ASan sees any read
 * past the end), from 192.0.2.1 port `port`. */
static void
feed_from(struct hf_decoder *d, const struct msg *m, size_t len, uint16_t port)
{
    struct hf_exporter_id id;
    uint8_t *copy = malloc(len ? len : 1);

    memset(&id, 0, sizeof(id));
    id.addr[10] = id.addr[11] = 0xff;
    id.addr[12] = 192;
    id.addr[14] = 2;
    id.addr[15] = 1;
    id.port = port;
    id.local_port = 4739;
    memcpy(copy, m->b, len);
    hf_decoder_feed(d, &id, copy, len, now_ms);
    free(copy);
}

static void feed(struct hf_decoder *d, const struct msg *m) { feed_from(d, m, m->n, 40000); }

static uint64_t
malformed(struct hf_decoder *d, enum hf_malformed why)
{
    return hf_decoder_totals(d).malformed[why];
}

static uint64_t
malformed_all(struct hf_decoder *d)
{
    struct hf_exporter_stats t = hf_decoder_totals(d);
    uint64_t n = 0;

    for (int i = 0; i < HF_BAD_COUNT; i++)
        n += t.malformed[i];
    return n;
}

/* ---- IPFIX --------------------------------------------------------------- */

/* Template 256 (flow_fields) and a data set of n records. */
static void
ipfix_flows(struct msg *m, uint32_t seq, bool with_template, int n)
{
    size_t s;

    ipfix_begin(m, seq);
    if (with_template) {
        s = set_begin(m, 2);
        template_record(m, 256, flow_fields, FLOW_FIELDS);
        set_end(m, s);
    }
    s = set_begin(m, 256);
    for (int i = 0; i < n; i++)
        flow_record(m, 0x0a000001 + (uint32_t)i, (uint16_t)(50000 + i), 1000 + (uint64_t)i);
    set_end(m, s);
    ipfix_end(m);
}

static void
test_ipfix_basic(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;

    ipfix_flows(&m, 0, true, 2);
    feed(d, &m);
    CHECK(s.n == 2, "IPFIX: 2 records decoded (%d)", s.n);
    CHECK(s.rec[0].sourceIPv4Address == 0x0a000001 && s.rec[1].sourceIPv4Address == 0x0a000002,
          "IPFIX: source addresses");
    CHECK(s.rec[1].sourceTransportPort == 50001 && s.rec[1].destinationTransportPort == 443,
          "IPFIX: ports");
    CHECK(s.rec[0].protocolIdentifier == 6 && s.rec[1].octetDeltaCount == 1001
          && s.rec[0].packetDeltaCount == 3, "IPFIX: protocol and counters");
    CHECK(s.rec[0].flowStartMilliseconds == (uint64_t)EXPORT_S * 1000 - 5000,
          "IPFIX: 8-byte start time");
    CHECK(s.rec[0].flowEndMilliseconds == 0x00aabbcc, "IPFIX: 4-byte (reduced-size) end time");
    CHECK(s.rec[0].ipVersion == 4, "IPFIX: IPv4 inferred");
    /* a second message: sequence 2 expected, 5 says 3 records were lost */
    ipfix_flows(&m, 5, false, 1);
    feed(d, &m);
    struct hf_exporter_stats t = hf_decoder_totals(d);
    CHECK(s.n == 3 && t.records == 3, "IPFIX: the template persists for later messages");
    CHECK(t.sequence_lost == 3, "IPFIX: sequence numbers count records (%" G_GUINT64_FORMAT " lost)",
          t.sequence_lost);
    CHECK(malformed_all(d) == 0, "IPFIX: nothing counted malformed");
    hf_decoder_free(d);
}

/* A data set for template tid with one record of flow_fields layout. */
static void
ipfix_data_only(struct msg *m, unsigned tid, uint16_t sport)
{
    ipfix_begin(m, 0);
    size_t s = set_begin(m, tid);
    flow_record(m, 0x0a0000ff, sport, 1);
    set_end(m, s);
    ipfix_end(m);
}

static void
test_ipfix_withdrawal(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;
    size_t set;
    static const unsigned opt_fields[][2] = { { 149, 4 }, { 305, 4 } };

    /* templates 256, 257 (data) and 258 (options) */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 2);
    template_record(&m, 256, flow_fields, FLOW_FIELDS);
    template_record(&m, 257, flow_fields, FLOW_FIELDS);
    set_end(&m, set);
    set = set_begin(&m, 3);
    put16(&m, 258);
    put16(&m, 2);
    put16(&m, 1);                       /* scope count */
    for (int i = 0; i < 2; i++) {
        put16(&m, opt_fields[i][0]);
        put16(&m, opt_fields[i][1]);
    }
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(hf_decoder_counters(d).templates == 6, "withdrawal: 3 templates, each under "
          "session and exporter (%" G_GUINT64_FORMAT ")", hf_decoder_counters(d).templates);

    /* withdraw 256 alone */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 2);
    put16(&m, 256);
    put16(&m, 0);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(hf_decoder_totals(d).template_withdrawals == 1, "withdrawal of 256 counted");
    ipfix_data_only(&m, 256, 1);
    feed(d, &m);
    CHECK(s.n == 0 && hf_decoder_counters(d).held_bytes == FLOW_REC,
          "withdrawal: data for 256 is held, not decoded with the old template");
    ipfix_data_only(&m, 257, 2);
    feed(d, &m);
    CHECK(s.n == 1 && s.rec[0].sourceTransportPort == 2, "withdrawal: 257 still decodes");

    /* all data templates (template id 2): 257 goes, options 258 stays */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 2);
    put16(&m, 2);
    put16(&m, 0);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(hf_decoder_totals(d).template_withdrawals == 2, "all-templates withdrawal counted");
    CHECK(hf_decoder_counters(d).templates == 2, "all data templates withdrawn, the "
          "options template kept (%" G_GUINT64_FORMAT " entries)", hf_decoder_counters(d).templates);
    ipfix_data_only(&m, 257, 3);
    feed(d, &m);
    CHECK(s.n == 1, "after the all-templates withdrawal 257's data is held");

    /* all options templates (template id 3, in an options template set) */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 3);
    put16(&m, 3);
    put16(&m, 0);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(hf_decoder_counters(d).templates == 0, "all options templates withdrawn");

    /* a withdrawal of a reserved id is malformed */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 2);
    put16(&m, 5);
    put16(&m, 0);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(malformed(d, HF_BAD_TEMPLATE) == 1, "withdrawal of reserved id 5: template malformed");

    /* the template comes back: both held sets are decoded in order */
    ipfix_begin(&m, 0);
    set = set_begin(&m, 2);
    template_record(&m, 256, flow_fields, FLOW_FIELDS);
    template_record(&m, 257, flow_fields, FLOW_FIELDS);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    struct hf_exporter_stats t = hf_decoder_totals(d);
    CHECK(s.n == 3 && t.pending_decoded == 2 && hf_decoder_counters(d).held_bytes == 0,
          "re-announced templates release the held data (%d records, %" G_GUINT64_FORMAT
          " decoded from held)", s.n, t.pending_decoded);
    CHECK(s.rec[1].sourceTransportPort == 1 && s.rec[2].sourceTransportPort == 3,
          "held data decoded with the new templates");
    hf_decoder_free(d);
}

static void
test_ipfix_redefinition(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;
    static const unsigned swapped[][2] = { { 11, 2 }, { 7, 2 }, { 8, 4 } };

    ipfix_flows(&m, 0, true, 1);
    feed(d, &m);
    /* 256 again, another layout: destination port first, then source */
    ipfix_begin(&m, 1);
    size_t set = set_begin(&m, 2);
    template_record(&m, 256, swapped, 3);
    set_end(&m, set);
    set = set_begin(&m, 256);
    put16(&m, 53);
    put16(&m, 40001);
    put32(&m, 0xc0000201);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 2, "redefinition: both records decoded");
    CHECK(s.rec[1].destinationTransportPort == 53 && s.rec[1].sourceTransportPort == 40001
          && s.rec[1].sourceIPv4Address == 0xc0000201 && s.rec[1].octetDeltaCount == 0,
          "redefinition: the new layout is used");
    CHECK(hf_decoder_counters(d).templates == 2, "redefinition replaces, not adds");
    CHECK(malformed_all(d) == 0, "redefinition is not malformed");
    hf_decoder_free(d);
}

static void
test_ipfix_varlen(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;
    /* httpRequestHost (460) and hostflow's hostname (PEN, id 1), variable */
    static const unsigned fields[][2] = { { 7, 2 }, { 460, 0xffff }, { 0x8001, 0xffff } };
    char long_name[301];

    memset(long_name, 'a', 300);
    long_name[300] = 0;
    memcpy(long_name + 296, ".net", 4);
    ipfix_begin(&m, 0);
    size_t set = set_begin(&m, 2);
    template_record(&m, 300, fields, 3);
    set_end(&m, set);
    set = set_begin(&m, 300);
    put16(&m, 1);                       /* short forms */
    put8(&m, 11);
    putbytes(&m, "example.org", 11);
    put8(&m, 0);                        /* an empty one */
    put16(&m, 2);                       /* long form: 255, then 2 bytes */
    put8(&m, 255);
    put16(&m, 300);
    putbytes(&m, long_name, 300);
    put8(&m, 255);
    put16(&m, 3);
    putbytes(&m, "abc", 3);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 2, "varlen: 2 records (%d)", s.n);
    CHECK(strcmp(s.host[0], "example.org") == 0 && s.name[0][0] == 0,
          "varlen: short form, and an empty field");
    CHECK(s.rec[1].sourceTransportPort == 2 && strcmp(s.host[1], long_name) == 0,
          "varlen: 255 + 2-byte length form, 300 bytes");
    CHECK(strcmp(s.name[1], "abc") == 0, "varlen: long form for a short value, enterprise element");
    CHECK(malformed_all(d) == 0, "varlen: nothing malformed");

    /* a length running past the set: the record is cut, counted */
    ipfix_begin(&m, 1);
    set = set_begin(&m, 300);
    put16(&m, 3);
    put8(&m, 200);
    putbytes(&m, "short", 5);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 2 && malformed(d, HF_BAD_RECORD) == 1, "varlen past the set: record malformed");
    hf_decoder_free(d);
}

/* NetFlow v9: a message header (its sysUptime V9_UPTIME ms). */
#define V9_UPTIME 100000u

static void
v9_begin(struct msg *m, uint32_t seq)
{
    m->n = 0;
    put16(m, 9);
    put16(m, 0);
    put32(m, V9_UPTIME);
    put32(m, EXPORT_S);
    put32(m, seq);
    put32(m, 3);                        /* source id */
}

/* A fixed-length template's fields are decoded by its plan of steps
 * (collector/record_plan.c: typed copies, pairs of adjacent fields), every
 * field of a variable-length template by the general path, apply(): the
 * same fields with the same bytes, once in a fixed-length template and once
 * with a variable-length field of an unknown element after them, decode to
 * the same record.  The sets cover each step kind: full-size and
 * reduced-size integers into 8/16/32/64-bit fields (and wider ones
 * truncated), pairs in the record and in the side state, a field given
 * twice (the last wins, pair or not), the vlan mask, seconds, NTP times,
 * addresses, MACs, strings with NUL padding, fields the record does not
 * hold (side state, unknown and enterprise elements).  Sets without
 * sysUptime times (which v9 resolves with its header's clock) are also
 * decoded from a NetFlow v9 template and compared the same way. */

/* The byte b of field i (element id, len bytes) of record r of set k:
 * distinct bytes, the top bit set in integers, the protocol ICMP in every
 * other record (the ICMP fix-ups, and what they leave for the next
 * record), strings NUL-padded. */
static unsigned
field_byte(unsigned k, unsigned r, unsigned i, unsigned id, unsigned len, unsigned b)
{
    if (id == 4)
        return (k + r) % 2 ? 1 : 6;
    if ((id == 460 || id == 0x8001 || id == 0x8003) && b == len - 1)
        return 0;
    return (0x11 * (i + 1) + 0x29 * r + b + (id >= 150 ? 0 : 0x80 * (b == 0))) & 0xff;
}

#define FIELD_RECORDS 3

/* The records of set k's fields into m. */
static void
field_records(struct msg *m, unsigned k, const unsigned (*f)[2], unsigned n, bool var)
{
    for (unsigned r = 0; r < FIELD_RECORDS; r++) {
        for (unsigned i = 0; i < n; i++)
            for (unsigned b = 0; b < f[i][1]; b++)
                put8(m, field_byte(k, r, i, f[i][0], f[i][1], b));
        if (var)
            put8(m, 0);                         /* the empty field */
    }
}

/* Records a[0..n) and b[0..n) of two decodes are the same, strings too. */
static bool
same_records(const struct seen *a, int from_a, const struct seen *b, int from_b, int n)
{
    for (int i = 0; i < n; i++)
        if (memcmp(&a->rec[from_a + i], &b->rec[from_b + i], sizeof(a->rec[0])) != 0
            || strcmp(a->host[from_a + i], b->host[from_b + i]) != 0
            || strcmp(a->name[from_a + i], b->name[from_b + i]) != 0)
            return false;
    return true;
}

static bool
has_element(const unsigned (*f)[2], unsigned n, unsigned id)
{
    for (unsigned i = 0; i < n; i++)
        if (f[i][0] == id)
            return true;
    return false;
}

static void
test_field_ops(void)
{
    static const unsigned sets[][24][2] = {
        { { 1, 4 }, { 2, 4 }, { 4, 1 }, { 5, 1 }, { 6, 1 }, { 7, 2 }, { 11, 2 }, { 8, 4 },
          { 12, 4 }, { 10, 2 }, { 14, 2 }, { 60, 1 }, { 136, 1 }, { 152, 8 }, { 153, 8 } },
        { { 1, 8 }, { 2, 8 }, { 6, 2 }, { 10, 4 }, { 14, 4 }, { 150, 4 }, { 151, 4 },
          { 32, 2 }, { 58, 2 } },
        { { 22, 4 }, { 21, 4 }, { 1, 3 }, { 2, 5 }, { 7, 1 } },   /* and reduced sizes */
        /* reduced sizes into every width, wider ones truncated */
        { { 1, 1 }, { 2, 2 }, { 85, 3 }, { 86, 5 }, { 10, 3 }, { 14, 6 }, { 7, 3 },
          { 11, 7 }, { 4, 2 }, { 6, 8 }, { 34, 1 }, { 48, 2 }, { 5, 3 }, { 136, 2 },
          { 60, 4 }, { 150, 3 }, { 151, 7 }, { 32, 5 }, { 139, 1 }, { 58, 1 } },
        /* fields given twice, alone and after a pair: the last wins */
        { { 7, 2 }, { 11, 2 }, { 7, 2 }, { 8, 4 }, { 8, 4 }, { 12, 4 }, { 152, 8 },
          { 150, 4 }, { 1, 8 }, { 2, 8 }, { 1, 4 }, { 153, 8 }, { 153, 8 }, { 4, 1 },
          { 58, 2 }, { 58, 1 } },
        /* what the record does not hold, or holds through the side state */
        { { 56, 6 }, { 80, 6 }, { 27, 16 }, { 28, 16 }, { 176, 1 }, { 177, 1 }, { 85, 8 },
          { 86, 8 }, { 999, 4 }, { 0x8000 | 77, 3 }, { 158, 4 }, { 159, 8 }, { 0x8001, 10 },
          { 0x8002, 1 }, { 0x8003, 5 }, { 460, 7 }, { 48, 4 }, { 34, 4 }, { 4, 1 } },
        /* pairs in the side state; NTP times; IPv6 with ICMP */
        { { 85, 8 }, { 86, 8 }, { 158, 8 }, { 159, 8 }, { 154, 8 }, { 157, 8 }, { 27, 16 },
          { 4, 1 }, { 139, 2 }, { 32, 2 }, { 176, 1 }, { 177, 1 }, { 22, 8 }, { 21, 8 } },
        /* NTP times of another length are ignored; seconds and uptime pairs */
        { { 154, 4 }, { 155, 8 }, { 150, 4 }, { 151, 4 }, { 22, 4 }, { 21, 4 }, { 10, 4 },
          { 14, 4 } },
    };
    static const unsigned nfields[] = { 15, 9, 5, 20, 16, 19, 14, 8 };
    struct seen s, s9;
    struct msg m;

    G_STATIC_ASSERT(G_N_ELEMENTS(nfields) == G_N_ELEMENTS(sets));
    for (unsigned k = 0; k < G_N_ELEMENTS(sets); k++) {
        const unsigned (*f)[2] = sets[k];
        struct hf_decoder *d = decoder(&s, 0, 0);
        unsigned with_var[25][2];
        unsigned len = 0;

        memcpy(with_var, f, nfields[k] * sizeof(f[0]));
        with_var[nfields[k]][0] = 999;          /* unknown, variable length */
        with_var[nfields[k]][1] = 0xffff;
        ipfix_begin(&m, 0);
        size_t set = set_begin(&m, 2);
        template_record(&m, 400, f, nfields[k]);
        template_record(&m, 401, (const unsigned (*)[2])with_var, nfields[k] + 1);
        set_end(&m, set);
        for (unsigned tid = 400; tid <= 401; tid++) {
            set = set_begin(&m, tid);
            field_records(&m, k, f, nfields[k], tid == 401);
            set_end(&m, set);
        }
        ipfix_end(&m);
        feed(d, &m);
        for (unsigned i = 0; i < nfields[k]; i++)
            len += f[i][1];
        CHECK(s.n == 2 * FIELD_RECORDS && same_records(&s, 0, &s, FIELD_RECORDS, FIELD_RECORDS)
              && malformed_all(d) == 0,
              "field ops, set %u (%u fields, %u bytes): fixed-length and variable-length "
              "templates decode the same records", k, nfields[k], len);
        hf_decoder_free(d);

        bool enterprise = false;
        for (unsigned i = 0; i < nfields[k]; i++)
            enterprise |= (f[i][0] & 0x8000) != 0;
        if (enterprise || has_element(f, nfields[k], 21) || has_element(f, nfields[k], 22))
            continue;
        d = decoder(&s9, 0, 0);
        v9_begin(&m, 0);
        set = set_begin(&m, 0);
        put16(&m, 400);
        put16(&m, nfields[k]);
        for (unsigned i = 0; i < nfields[k]; i++) {
            put16(&m, f[i][0]);
            put16(&m, f[i][1]);
        }
        set_end(&m, set);
        set = set_begin(&m, 400);
        field_records(&m, k, f, nfields[k], false);
        while ((m.n - set) % 4)
            put8(&m, 0);
        set_end(&m, set);
        feed(d, &m);
        CHECK(s9.n == FIELD_RECORDS && same_records(&s9, 0, &s, FIELD_RECORDS, FIELD_RECORDS)
              && malformed_all(d) == 0,
              "field ops, set %u: a v9 fixed-length template decodes the same records", k);
        hf_decoder_free(d);
    }
    /* and the values are the fields' own */
    struct hf_decoder *d = decoder(&s, 0, 0);
    static const unsigned v9ish[][2] = { { 1, 4 }, { 2, 4 }, { 10, 2 }, { 6, 1 }, { 150, 4 } };
    ipfix_begin(&m, 0);
    size_t set = set_begin(&m, 2);
    template_record(&m, 402, v9ish, 5);
    set_end(&m, set);
    set = set_begin(&m, 402);
    put32(&m, 0x80000001);
    put32(&m, 7);
    put16(&m, 0x8003);
    put8(&m, 0x12);
    put32(&m, EXPORT_S - 60);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 1 && s.rec[0].octetDeltaCount == 0x80000001 && s.rec[0].packetDeltaCount == 7
          && s.rec[0].ingressInterface == 0x8003 && s.rec[0].tcpControlBits == 0x12
          && s.rec[0].flowStartMilliseconds == (uint64_t)(EXPORT_S - 60) * 1000,
          "field ops: 4-byte counters, 2-byte interface, 1-byte flags, seconds");
    hf_decoder_free(d);
}

static void
test_ipfix_padding(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;

    /* template set padded with 3 zero bytes; data set with 2 records and
     * 40 zero bytes (shorter than a record) of padding */
    ipfix_begin(&m, 0);
    size_t set = set_begin(&m, 2);
    template_record(&m, 256, flow_fields, FLOW_FIELDS);
    put8(&m, 0); put8(&m, 0); put8(&m, 0);
    set_end(&m, set);
    set = set_begin(&m, 256);
    flow_record(&m, 1, 1, 1);
    flow_record(&m, 2, 2, 2);
    for (int i = 0; i < FLOW_REC - 1; i++)
        put8(&m, 0);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 2 && malformed_all(d) == 0, "padding: zeros after templates and "
          "records are skipped (%d records, %" G_GUINT64_FORMAT " malformed)",
          s.n, malformed_all(d));

    /* padding that is not zeros: template and data disagree */
    ipfix_begin(&m, 2);
    set = set_begin(&m, 256);
    flow_record(&m, 3, 3, 3);
    put8(&m, 0); put8(&m, 1);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 2 && malformed(d, HF_BAD_TMPL_MISMATCH) == 1,
          "non-zero padding: the set is refused, counted");

    /* bytes after the last set of an IPFIX message */
    ipfix_flows(&m, 3, false, 1);
    put8(&m, 0); put8(&m, 0);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(s.n == 3 && malformed(d, HF_BAD_SET) == 1,
          "bytes after the last set: the sets before decode, the rest is counted");
    hf_decoder_free(d);
}

static void
session_interval(const struct hf_exporter_stats *st, void *ctx)
{
    *(uint32_t *)ctx = st->sampling_interval;
}

static void
test_ipfix_options(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;
    static const unsigned opt_fields[][2] = { { 302, 4 }, { 305, 4 } };
    static const unsigned sampled[][2] = { { 8, 4 }, { 302, 4 }, { 1, 4 } };

    /* options template 260: scope selectorId, samplingPacketInterval */
    ipfix_begin(&m, 0);
    size_t set = set_begin(&m, 3);
    put16(&m, 260);
    put16(&m, 2);
    put16(&m, 1);
    for (int i = 0; i < 2; i++) {
        put16(&m, opt_fields[i][0]);
        put16(&m, opt_fields[i][1]);
    }
    set_end(&m, set);
    set = set_begin(&m, 2);
    template_record(&m, 261, sampled, 3);
    set_end(&m, set);
    set = set_begin(&m, 260);           /* selector 9 samples 1 in 100 */
    put32(&m, 9);
    put32(&m, 100);
    set_end(&m, set);
    set = set_begin(&m, 261);
    put32(&m, 0x0a000001); put32(&m, 9); put32(&m, 1500);
    put32(&m, 0x0a000002); put32(&m, 4); put32(&m, 60);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    struct hf_exporter_stats t = hf_decoder_totals(d);
    CHECK(t.options_records == 1 && s.n == 2, "options: 1 options record, 2 flow records");
    CHECK(s.rec[0].samplingPacketInterval == 100, "options: selector 9's interval applies (%u)",
          s.rec[0].samplingPacketInterval);
    CHECK(s.rec[1].samplingPacketInterval == 100,
          "options: an unknown selector falls back to the exporter's interval");
    uint32_t interval = 0;
    hf_decoder_foreach_stats(d, session_interval, &interval);
    CHECK(interval == 100, "options: the session's sampling interval (%u)", interval);
    CHECK(t.sequence_lost == 0, "options records count in IPFIX sequence numbers");
    /* scope count 0 is malformed */
    ipfix_begin(&m, 3);
    set = set_begin(&m, 3);
    put16(&m, 262); put16(&m, 1); put16(&m, 0); put16(&m, 305); put16(&m, 4);
    set_end(&m, set);
    ipfix_end(&m);
    feed(d, &m);
    CHECK(malformed(d, HF_BAD_TEMPLATE) == 1, "options template with scope 0: malformed");
    hf_decoder_free(d);
}

static void
test_held_data(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;

    /* data first, template later (from another port of the exporter) */
    ipfix_flows(&m, 0, false, 2);
    feed(d, &m);
    CHECK(s.n == 0 && hf_decoder_counters(d).held_bytes == 2 * FLOW_REC,
          "held: data without its template is held");
    ipfix_begin(&m, 2);
    size_t set = set_begin(&m, 2);
    template_record(&m, 256, flow_fields, FLOW_FIELDS);
    set_end(&m, set);
    ipfix_end(&m);
    feed_from(d, &m, m.n, 40001);
    struct hf_exporter_stats t = hf_decoder_totals(d);
    CHECK(s.n == 2 && t.pending_decoded == 1 && hf_decoder_counters(d).held_bytes == 0,
          "held: decoded when the template comes");
    CHECK(s.rec[1].sourceTransportPort == 50001, "held: records as sent");
    hf_decoder_free(d);

    /* a template that never comes: dropped at the age bound */
    d = decoder(&s, 0, 0);
    ipfix_data_only(&m, 270, 1);
    feed(d, &m);
    hf_decoder_tick(d, now_ms + 1000);
    CHECK(hf_decoder_totals(d).pending_dropped == 0, "held: kept while young");
    hf_decoder_tick(d, now_ms + 1801 * 1000);
    CHECK(hf_decoder_totals(d).pending_dropped == 1 && hf_decoder_counters(d).held_bytes == 0,
          "held: dropped after 30 minutes without the template");
    hf_decoder_free(d);

    /* over the exporter's quota: refused; over the total: oldest dropped */
    d = decoder(&s, 100, 0);
    ipfix_data_only(&m, 270, 1);
    feed(d, &m);
    feed(d, &m);
    feed(d, &m);
    t = hf_decoder_totals(d);
    CHECK(t.pending_refused == 1 && hf_decoder_counters(d).held_bytes == 2 * FLOW_REC,
          "held: over the per-exporter quota the third set is refused");
    hf_decoder_free(d);
    d = decoder(&s, 0, 100);
    feed(d, &m);
    feed(d, &m);
    feed(d, &m);
    t = hf_decoder_totals(d);
    CHECK(t.pending_refused + t.pending_dropped == 1
          && hf_decoder_counters(d).held_bytes <= 100,
          "held: the total bound holds (%" G_GUINT64_FORMAT " refused, %" G_GUINT64_FORMAT
          " dropped, %" G_GUINT64_FORMAT " bytes)", t.pending_refused, t.pending_dropped,
          hf_decoder_counters(d).held_bytes);
    hf_decoder_drop_pending(d);
    t = hf_decoder_totals(d);
    CHECK(t.pending_refused + t.pending_dropped == 3 && hf_decoder_counters(d).held_bytes == 0,
          "held: at exit what is held is counted dropped");
    hf_decoder_free(d);
}

/* ---- NetFlow v9 and v5 --------------------------------------------------- */

/* Template 256 (a v9 options template 257 too) and n data records. */
static void
v9_flows(struct msg *m, uint32_t seq, int n)
{
    static const unsigned f[][2] = { { 8, 4 }, { 12, 4 }, { 4, 1 }, { 2, 4 }, { 22, 4 }, { 21, 4 } };

    v9_begin(m, seq);
    size_t set = set_begin(m, 0);
    put16(m, 256);
    put16(m, 6);
    for (int i = 0; i < 6; i++) {
        put16(m, f[i][0]);
        put16(m, f[i][1]);
    }
    set_end(m, set);
    set = set_begin(m, 1);              /* options: scope system (1), 4 bytes; interval */
    put16(m, 257);
    put16(m, 4);
    put16(m, 4);
    put16(m, 1); put16(m, 4);
    put16(m, 34); put16(m, 4);
    set_end(m, set);
    set = set_begin(m, 257);
    put32(m, 0);
    put32(m, 10);
    set_end(m, set);
    set = set_begin(m, 256);
    for (int i = 0; i < n; i++) {
        put32(m, 0x0a000001);
        put32(m, 0x0a000002 + (uint32_t)i);
        put8(m, 17);
        put32(m, 7 + (uint32_t)i);
        put32(m, V9_UPTIME - 3000);
        put32(m, V9_UPTIME - 1000);
    }
    while ((m->n - set) % 4)
        put8(m, 0);                     /* v9 pads flowsets to 4 bytes */
    set_end(m, set);
}

static void
test_v9(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;

    v9_flows(&m, 10, 2);
    feed(d, &m);
    CHECK(s.n == 2, "v9: 2 records (%d)", s.n);
    CHECK(s.rec[1].destinationIPv4Address == 0x0a000003 && s.rec[1].protocolIdentifier == 17
          && s.rec[1].packetDeltaCount == 8, "v9: fields");
    CHECK(s.rec[0].flowStartMilliseconds == (uint64_t)EXPORT_S * 1000 - 3000
          && s.rec[0].flowEndMilliseconds == (uint64_t)EXPORT_S * 1000 - 1000,
          "v9: times from sysUptime");
    CHECK(s.rec[0].samplingPacketInterval == 10, "v9: options record's sampling interval");
    CHECK(hf_decoder_totals(d).options_records == 1, "v9: options record counted");
    v9_flows(&m, 13, 1);
    feed(d, &m);
    CHECK(hf_decoder_totals(d).sequence_lost == 2, "v9: sequence numbers count packets");
    CHECK(malformed_all(d) == 0, "v9: nothing malformed");
    hf_decoder_free(d);
}

static void
v5_message(struct msg *m, uint32_t seq, int n)
{
    m->n = 0;
    put16(m, 5);
    put16(m, (unsigned)n);
    put32(m, 60000);                    /* uptime */
    put32(m, EXPORT_S);
    put32(m, 500000000);                /* + 500 ms */
    put32(m, seq);
    put8(m, 1); put8(m, 2);             /* engine type, id */
    put16(m, 0x4000 | 64);              /* sampling mode 1, 1 in 64 */
    for (int i = 0; i < n; i++) {
        put32(m, 0xc0a80001 + (uint32_t)i);
        put32(m, 0xc0a80101);
        put32(m, 0);                    /* next hop */
        put16(m, 3); put16(m, 4);       /* interfaces */
        put32(m, 10); put32(m, 840);
        put32(m, 50000); put32(m, 59000);
        put16(m, 1024); put16(m, i ? 0x0800 : 80);
        put8(m, 0); put8(m, 0x12); put8(m, i ? 1 : 6); put8(m, 0x10);
        put16(m, 0); put16(m, 0); put8(m, 24); put8(m, 24); put16(m, 0);
    }
}

static void
test_v5(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;
    uint64_t boot = (uint64_t)EXPORT_S * 1000 + 500 - 60000;

    v5_message(&m, 0, 2);
    feed(d, &m);
    CHECK(s.n == 2, "v5: 2 records");
    CHECK(s.rec[0].sourceIPv4Address == 0xc0a80001 && s.rec[0].ingressInterface == 3
          && s.rec[0].egressInterface == 4 && s.rec[0].packetDeltaCount == 10
          && s.rec[0].octetDeltaCount == 840, "v5: addresses, interfaces, counters");
    CHECK(s.rec[0].flowStartMilliseconds == boot + 50000
          && s.rec[0].flowEndMilliseconds == boot + 59000, "v5: times from uptime");
    CHECK(s.rec[0].tcpControlBits == 0x12 && s.rec[0].protocolIdentifier == 6
          && s.rec[0].ipClassOfService == 0x10 && s.rec[0].destinationTransportPort == 80,
          "v5: flags, protocol, tos, port");
    CHECK(s.rec[1].protocolIdentifier == 1 && s.rec[1].icmpTypeCodeIPv4 == 0x0800,
          "v5: ICMP type/code from the destination port");
    CHECK(s.rec[0].samplingPacketInterval == 64, "v5: sampling interval from the header");
    v5_message(&m, 5, 1);
    feed(d, &m);
    CHECK(hf_decoder_totals(d).sequence_lost == 3, "v5: sequence numbers count flows");
    /* a count above 30 is refused */
    v5_message(&m, 6, 1);
    patch16(&m, 2, 31);
    feed(d, &m);
    CHECK(s.n == 3 && malformed(d, HF_BAD_LENGTH) == 1, "v5: count 31 refused");
    hf_decoder_free(d);
}

/* ---- sFlow --------------------------------------------------------------- */

/* An Ethernet + IPv4 + TCP frame (the sampled header). */
static void
sflow_frame(struct msg *m)
{
    static const uint8_t eth[14] = { 0,1,2,3,4,5, 6,7,8,9,10,11, 0x08, 0x00 };
    putbytes(m, eth, 14);
    put8(m, 0x45); put8(m, 0x20); put16(m, 1400);      /* total length */
    put16(m, 1); put16(m, 0x4000); put8(m, 64); put8(m, 6); put16(m, 0);
    put32(m, 0xc6336401);               /* 198.51.100.1 */
    put32(m, 0xcb007102);               /* 203.0.113.2 */
    put16(m, 33000); put16(m, 443);
    put32(m, 1); put32(m, 0);
    put8(m, 0x50); put8(m, 0x18); put16(m, 512); put16(m, 0); put16(m, 0);
}

static void
sflow_datagram(struct msg *m, uint32_t seq, int samples)
{
    m->n = 0;
    put32(m, 5);
    put32(m, 1);                        /* agent IPv4 */
    put32(m, 0xc0000202);
    put32(m, 4);                        /* sub-agent */
    put32(m, seq);
    put32(m, 123456);                   /* uptime */
    put32(m, (uint32_t)samples + 1);
    /* a counter sample first: counted, skipped */
    put32(m, 2);
    put32(m, 8);
    put32(m, 1); put32(m, 0);
    for (int i = 0; i < samples; i++) {
        size_t sample = m->n;
        put32(m, 1);                    /* flow sample */
        put32(m, 0);
        put32(m, (uint32_t)i);          /* sequence */
        put32(m, 3);                    /* source id */
        put32(m, 512);                  /* rate */
        put32(m, 1000); put32(m, 0);    /* pool, drops */
        put32(m, 7); put32(m, 8);       /* input, output */
        put32(m, 2);                    /* records: raw header, switch */
        put32(m, 1);
        size_t rec = m->n;
        put32(m, 0);
        put32(m, 1);                    /* Ethernet */
        put32(m, 1418);                 /* frame length */
        put32(m, 4);                    /* stripped */
        put32(m, 54);
        sflow_frame(m);
        m->b[rec + 3] = (uint8_t)(m->n - rec - 4);  /* 70: not a multiple of 4 */
        put16(m, 0);                    /* XDR padding to 72 */
        put32(m, 1001);                 /* extended switch: VLAN 42 in */
        put32(m, 16);
        put32(m, 42); put32(m, 0); put32(m, 43); put32(m, 0);
        m->b[sample + 7] = (uint8_t)(m->n - sample - 8);
    }
}

static void
test_sflow(void)
{
    struct seen s;
    struct hf_decoder *d = decoder(&s, 0, 0);
    struct msg m;

    sflow_datagram(&m, 1, 2);
    feed(d, &m);
    CHECK(s.n == 2, "sFlow: 2 flow samples, 2 records (%d)", s.n);
    CHECK(s.rec[0].sourceIPv4Address == 0xc6336401 && s.rec[0].destinationIPv4Address == 0xcb007102
          && s.rec[0].sourceTransportPort == 33000 && s.rec[0].destinationTransportPort == 443
          && s.rec[0].protocolIdentifier == 6, "sFlow: the sampled header decoded");
    CHECK(s.rec[0].tcpControlBits == 0x18 && s.rec[0].ipClassOfService == 0x20,
          "sFlow: flags and tos");
    CHECK(s.rec[0].octetDeltaCount == 1418 && s.rec[0].packetDeltaCount == 1
          && s.rec[0].samplingPacketInterval == 512, "sFlow: frame length, 1 packet, rate");
    CHECK(s.rec[0].ingressInterface == 7 && s.rec[0].egressInterface == 8, "sFlow: interfaces");
    CHECK(s.rec[1].vlanId == 42, "sFlow: VLAN from the extended switch record after a "
          "padded one (%u)", s.rec[1].vlanId);
    CHECK(s.rec[0].destinationMacAddress[5] == 5 && s.rec[0].sourceMacAddress[0] == 6,
          "sFlow: MAC addresses");
    CHECK(hf_decoder_totals(d).options_records == 1, "sFlow: counter sample counted");
    sflow_datagram(&m, 4, 1);
    feed(d, &m);
    CHECK(hf_decoder_totals(d).sequence_lost == 2, "sFlow: sequence numbers count datagrams");
    CHECK(malformed_all(d) == 0, "sFlow: nothing malformed");
    hf_decoder_free(d);
}

/* ---- every truncation ---------------------------------------------------- */

/* How to cut a message and what each cut must give. */
struct cuts {
    const char *what;
    size_t from;                /* first length tried (0: all) */
    const size_t *ends;         /* where parts (sets, records, samples) end, */
    const int *recs;            /* ...and the records decoded up to there */
    int nends;
    bool end_ok;                /* a cut at a part's end is a valid message */
    size_t pad;                 /* ...and so is one this short after it */
    bool patch_msg_len;         /* IPFIX length rewritten to the cut */
    size_t patch_set_at;        /* this set's length rewritten too (0: no) */
};

static bool
same_record(const struct seen *a, int i, const struct seen *b, int j)
{
    return memcmp(&a->rec[i], &b->rec[j], sizeof(a->rec[i])) == 0
           && strcmp(a->host[i], b->host[j]) == 0
           && strcmp(a->name[i], b->name[j]) == 0;
}

/* Feeds each prefix of m (every length below the whole) to a fresh decoder:
 * never a crash; the records decoded are the first ones of the whole
 * message, unchanged, at least those of the parts that end before the
 * cut; and a malformed counter moves unless the cut leaves a valid
 * message. */
static void
every_cut(const struct msg *m, const struct cuts *k)
{
    static struct seen full, cut;
    struct hf_decoder *d = decoder(&full, 0, 0);
    int failed = 0;
    size_t first_bad = 0;

    feed(d, m);
    hf_decoder_free(d);
    check_failures_only = true;
    for (size_t len = k->from; len < m->n; len++) {
        static struct msg c;
        int need = 0;
        bool valid = false;

        c = *m;
        if (k->patch_msg_len && len >= 4)
            patch16(&c, 2, (unsigned)len);
        if (k->patch_set_at && len >= k->patch_set_at + 4)
            patch16(&c, k->patch_set_at + 2, (unsigned)(len - k->patch_set_at));
        for (int i = 0; i < k->nends; i++) {
            if (k->ends[i] <= len) {
                need = k->recs[i];
                valid = k->end_ok && len - k->ends[i] < (k->pad ? k->pad : 1);
            }
        }
        d = decoder(&cut, 0, 0);
        feed_from(d, &c, len, 40000);
        bool prefix = cut.n <= full.n;
        for (int i = 0; prefix && i < cut.n; i++)
            prefix = same_record(&cut, i, &full, i);
        bool ok = prefix && cut.n >= need && (valid || malformed_all(d) > 0);
        CHECK(ok, "%s cut at %zu of %zu: %d records (need %d), %" G_GUINT64_FORMAT
              " malformed", k->what, len, m->n, cut.n, need, malformed_all(d));
        if (!ok && !failed++)
            first_bad = len;
        hf_decoder_free(d);
    }
    check_failures_only = false;
    CHECK(failed == 0, "%s: every cut from %zu to %zu bytes handled (%d failed, first at %zu)",
          k->what, k->from, m->n - 1, failed, first_bad);
}

static void
test_truncation(void)
{
    static struct msg m;

    /* IPFIX as received: the header's length no longer matches */
    ipfix_flows(&m, 0, true, 3);
    every_cut(&m, &(struct cuts){ .what = "IPFIX" });

    /* IPFIX with its length rewritten to the cut, so the cut reaches the
     * sets: template set, data set, variable-length data set */
    static const unsigned vfields[][2] = { { 7, 2 }, { 460, 0xffff } };
    ipfix_begin(&m, 0);
    size_t set = set_begin(&m, 2);
    template_record(&m, 256, flow_fields, FLOW_FIELDS);
    template_record(&m, 300, vfields, 2);
    set_end(&m, set);
    size_t tmpl_end = m.n;
    set = set_begin(&m, 256);
    flow_record(&m, 1, 1, 1);
    flow_record(&m, 2, 2, 2);
    set_end(&m, set);
    size_t data_end = m.n;
    size_t vset = set_begin(&m, 300);
    size_t rec1 = m.n + 7, rec2 = rec1 + 10;
    put16(&m, 3); put8(&m, 4); putbytes(&m, "a.io", 4);
    put16(&m, 4); put8(&m, 255); put16(&m, 5); putbytes(&m, "bb.io", 5);
    set_end(&m, vset);
    ipfix_end(&m);
    /* the bare header is a valid message, so is each whole set */
    size_t set_ends[] = { 16, tmpl_end, data_end };
    int set_recs[] = { 0, 0, 2 };
    every_cut(&m, &(struct cuts){ .what = "IPFIX, length patched", .ends = set_ends,
                                  .recs = set_recs, .nends = 3, .end_ok = true,
                                  .patch_msg_len = true });
    /* ...and the last set's length too: the cut reaches its records.  Fewer
     * bytes than the shortest record (3) after one are padding. */
    size_t rec_ends[] = { vset + 4, rec1, rec2 };
    int rec_recs[] = { 2, 3, 4 };
    every_cut(&m, &(struct cuts){ .what = "IPFIX, set length patched", .from = vset + 4,
                                  .ends = rec_ends, .recs = rec_recs, .nends = 3,
                                  .end_ok = true, .pad = 3, .patch_msg_len = true,
                                  .patch_set_at = vset });

    /* v9 has no message length: flowset ends are valid cuts, and up to 3
     * bytes after one are padding */
    v9_flows(&m, 0, 3);
    size_t v9_ends[5] = { 20 };
    int v9_recs[5] = { 0, 0, 0, 0, 3 };
    for (int i = 1; i < 5; i++)
        v9_ends[i] = v9_ends[i - 1] + (size_t)(m.b[v9_ends[i - 1] + 2] << 8
                                               | m.b[v9_ends[i - 1] + 3]);
    CHECK(v9_ends[4] == m.n, "v9 flowsets walked to the end");
    every_cut(&m, &(struct cuts){ .what = "v9", .ends = v9_ends, .recs = v9_recs,
                                  .nends = 5, .end_ok = true, .pad = 4 });

    /* v5: the count says how many records: any cut is short */
    v5_message(&m, 0, 3);
    every_cut(&m, &(struct cuts){ .what = "v5" });

    /* sFlow: the sample count says 4, so even a cut after a whole sample is
     * counted; the samples before it are decoded */
    sflow_datagram(&m, 0, 3);
    size_t sf_ends[4];
    int sf_recs[4];
    size_t off = 28;                    /* the header, IPv4 agent */
    for (int i = 0; i < 4; i++) {
        off += 8 + (size_t)(m.b[off + 6] << 8 | m.b[off + 7]);
        sf_ends[i] = off;
        sf_recs[i] = i;
    }
    CHECK(off == m.n, "sFlow samples walked to the end");
    every_cut(&m, &(struct cuts){ .what = "sFlow", .ends = sf_ends, .recs = sf_recs,
                                  .nends = 4 });
}

int
main(void)
{
    for (int pass = 0; pass < 2; pass++) {
        use_slot = pass == 1;
        printf("== records decoded into %s\n", use_slot ? "a consumer's slot of junk"
                                                       : "the decoder's own");
        test_ipfix_basic();
        test_ipfix_withdrawal();
        test_ipfix_redefinition();
        test_ipfix_varlen();
        test_field_ops();
        test_ipfix_padding();
        test_ipfix_options();
        test_held_data();
        test_v9();
        test_v5();
        test_sflow();
        test_truncation();
    }
    return check_summary();
}
