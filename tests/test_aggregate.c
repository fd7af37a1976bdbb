/* The aggregation table (query/aggregate.c) against a plain model: many
 * thousands of groups (several entry blocks, table growth, the prefetch
 * ring), fixed-width and variable keys (long names in the arena), IPv4 and
 * IPv6, either-side keys, a merge of two tables, and top-N with "other";
 * records one by one and in batches of every size (hf_agg_add_batch), and
 * both mixed. */
#include <string.h>

#include "aggregate.h"
#include "check.h"

#define RECORDS 400000

/* deterministic, spread over many groups */
static uint64_t
next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static char names[64][300];

static void
make_record(uint64_t i, hf_flow_record_t *r)
{
    uint64_t s = i + 1;

    memset(r, 0, sizeof(*r));
    r->ipVersion = i % 17 == 0 ? 6 : 4;
    if (r->ipVersion == 4) {
        r->sourceIPv4Address = 0x0a000000u | (uint32_t)(next(&s) % 200000);
        r->destinationIPv4Address = 0xac100000u | (uint32_t)(next(&s) % 5000);
    } else {
        r->sourceIPv6Address[0] = 0x20;
        r->sourceIPv6Address[1] = 0x01;
        r->sourceIPv6Address[15] = (uint8_t)next(&s);
        r->sourceIPv6Address[14] = (uint8_t)next(&s);
        r->destinationIPv6Address[0] = 0xfd;
        r->destinationIPv6Address[15] = (uint8_t)(next(&s) % 50);
    }
    r->protocolIdentifier = i % 3 ? 6 : 17;
    r->sourceTransportPort = (uint16_t)(1024 + next(&s) % 60000);
    r->destinationTransportPort = (uint16_t)(next(&s) % 4 == 0 ? 53 : 443);
    r->packetDeltaCount = 1 + next(&s) % 100;
    r->octetDeltaCount = r->packetDeltaCount * (40 + next(&s) % 1400);
    r->flowStartMilliseconds = 1700000000000ULL + i;
    r->flowEndMilliseconds = r->flowStartMilliseconds + 10;
    const char *name = names[next(&s) % 64];
    r->hostflowHostname.buf = (uint8_t *)name;
    r->hostflowHostname.len = strlen(name);
}

/* the model: encoded key -> sums, by the same encoder */
static void
model_add(GHashTable *m, const struct hf_key *keys, unsigned n, const hf_flow_record_t *r,
          const struct hf_key_env *env)
{
    uint8_t buf[HF_KEY_BYTES_MAX];

    for (int side = 0; side < (hf_keys_either_side(keys, n) ? 2 : 1); side++) {
        size_t len = hf_keys_encode(keys, n, r, env, side, buf);
        GBytes *k = g_bytes_new(buf, len);
        struct hf_sums *s = g_hash_table_lookup(m, k);
        if (!s) {
            s = g_new0(struct hf_sums, 1);
            g_hash_table_insert(m, k, s);
        } else {
            g_bytes_unref(k);
        }
        hf_sums_add_record(s, r);
    }
}

/* Records [from, from + n) into t: one by one, or (batch) in batches of
 * sizes 1 to 300 with one record alone now and then between them. */
static void
feed(struct hf_agg *t, uint64_t from, uint64_t n, bool batch, const struct hf_key_env *env)
{
    enum { MOST = 300 };
    hf_flow_record_t recs[MOST];
    const hf_flow_record_t *take[MOST];
    struct hf_sums sums[MOST];
    uint64_t size = 1;

    for (uint64_t i = from; i < from + n;) {
        if (!batch || i % 7 == 0) {
            make_record(i++, &recs[0]);
            hf_agg_add(t, &recs[0], env);
            continue;
        }
        size = size % MOST + 1 + i % 13;
        unsigned m = (unsigned)MIN(MIN(size, (uint64_t)MOST), from + n - i);
        for (unsigned k = 0; k < m; k++, i++) {
            make_record(i, &recs[k]);
            take[k] = &recs[k];
            memset(&sums[k], 0, sizeof(sums[k]));
            hf_sums_add_record(&sums[k], &recs[k]);
        }
        hf_agg_add_batch(t, take, sums, m, env);
    }
}

/* shares: the table in three shares of the keys, each fed every record,
 * adopted into one (as threads that each read every record), else two
 * halves of the records merged. */
static void
check_keys(const char *text, bool shares, bool batch)
{
    struct hf_key keys[HF_KEYS_MAX];
    unsigned n;
    GError *err = NULL;
    struct hf_key_env env = { "src", NULL, "col" };
    GHashTable *model = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                              (GDestroyNotify)g_bytes_unref, g_free);

    CHECK(hf_keys_parse(text, keys, &n, &err), "%s: keys parse", text);
    struct hf_agg *a = hf_agg_new(keys, n), *b = hf_agg_new(keys, n), *c = hf_agg_new(keys, n);
    if (shares) {
        hf_agg_partition(a, 0, 3);
        hf_agg_partition(b, 1, 3);
        hf_agg_partition(c, 2, 3);
    }
    for (uint64_t i = 0; i < RECORDS; i++) {
        hf_flow_record_t r;
        make_record(i, &r);
        model_add(model, keys, n, &r, &env);
    }
    if (shares) {
        feed(a, 0, RECORDS, batch, &env);
        feed(b, 0, RECORDS, batch, &env);
        feed(c, 0, RECORDS, batch, &env);
    } else {
        feed(a, 0, RECORDS / 2, batch, &env);
        feed(b, RECORDS / 2, RECORDS - RECORDS / 2, batch, &env);
    }
    if (shares) {
        CHECK(hf_agg_size(a) && hf_agg_size(b) && hf_agg_size(c),
              "%s: every share has groups (%u %u %u)", text, hf_agg_size(a), hf_agg_size(b),
              hf_agg_size(c));
        hf_agg_adopt(a, b);
        hf_agg_adopt(a, c);
    } else {
        hf_agg_merge(a, b);
        hf_agg_free(b);
        hf_agg_free(c);
    }
    text = g_strdup_printf("%s%s%s", text, shares ? " (3 shares)" : "",
                           batch ? " (batches)" : "");

    /* every group, with its sums */
    guint groups = g_hash_table_size(model);
    GArray *all = hf_agg_top(a, HF_ORDER_BYTES, 0, &(struct hf_sums){ 0 });
    CHECK(all->len == groups, "%s: %u groups, the model has %u", text, all->len, groups);
    CHECK(hf_agg_size(a) == groups, "%s: size %u", text, hf_agg_size(a));
    guint wrong = 0;
    struct hf_sums sum = { 0 };
    for (guint i = 0; i < all->len; i++) {
        const struct hf_agg_row *row = &g_array_index(all, struct hf_agg_row, i);
        GBytes *k = g_bytes_new_static(row->key, row->len);
        const struct hf_sums *m = g_hash_table_lookup(model, k);
        g_bytes_unref(k);
        if (!m || m->bytes != row->sums.bytes || m->packets != row->sums.packets
            || m->flows != row->sums.flows)
            wrong++;
        if (i && row->sums.bytes > g_array_index(all, struct hf_agg_row, i - 1).sums.bytes)
            wrong++;
        hf_sums_add(&sum, &row->sums);
    }
    CHECK(wrong == 0, "%s: %u groups differ from the model or are out of order", text, wrong);
    const struct hf_sums *total = hf_agg_total(a);
    CHECK(total->flows == RECORDS, "%s: total flows %" G_GUINT64_FORMAT, text, total->flows);
    CHECK(sum.flows == (hf_keys_either_side(keys, n) ? 2 : 1) * (uint64_t)RECORDS,
          "%s: groups' flows %" G_GUINT64_FORMAT, text, sum.flows);

    /* top 10 by each order (by key too: IPv4 before IPv6 addresses, held
     * apart): the first 10 of the full sort, and other = the rest */
    for (int o = HF_ORDER_BYTES; o <= HF_ORDER_KEY; o++) {
        struct hf_sums other;
        GArray *full = hf_agg_top(a, o, 0, &(struct hf_sums){ 0 });
        GArray *top = hf_agg_top(a, o, 10, &other);
        bool same = top->len == MIN(10u, groups);
        struct hf_sums kept = { 0 };
        for (guint i = 0; same && i < top->len; i++) {
            const struct hf_agg_row *x = &g_array_index(top, struct hf_agg_row, i);
            const struct hf_agg_row *y = &g_array_index(full, struct hf_agg_row, i);
            same = x->len == y->len && memcmp(x->key, y->key, x->len) == 0;
            hf_sums_add(&kept, &x->sums);
        }
        CHECK(same, "%s: top 10 by order %d is the head of the full order", text, o);
        CHECK(other.bytes + kept.bytes == sum.bytes && other.flows + kept.flows == sum.flows
              && other.packets + kept.packets == sum.packets,
              "%s: order %d: other + top = all groups", text, o);
        g_array_unref(top);
        g_array_unref(full);
    }
    g_array_unref(all);
    hf_agg_free(a);
    g_hash_table_destroy(model);
    g_free((gpointer)text);
}

/* A group's flows past 32 bits (an IPv4 address's entries keep 32 of
 * them in place): counted exactly, one by one, in batches, merged. */
static void
check_many_flows(void)
{
    struct hf_key keys[HF_KEYS_MAX];
    unsigned n;
    struct hf_key_env env = { "src", NULL, "col" };
    hf_flow_record_t r;

    CHECK(hf_keys_parse("srcip", keys, &n, NULL), "srcip parses");
    struct hf_agg *a = hf_agg_new(keys, n), *b = hf_agg_new(keys, n);
    make_record(1, &r);
    r.ipVersion = 4;
    r.deltaFlowCount = 3000000000u;
    const hf_flow_record_t *take[2] = { &r, &r };
    struct hf_sums sums[2] = { { 0 } };
    hf_sums_add_record(&sums[0], &r);
    sums[1] = sums[0];
    hf_agg_add(a, &r, &env);                /* 3 G */
    hf_agg_add_batch(a, take, sums, 2, &env);   /* 9 G */
    hf_agg_add(b, &r, &env);
    hf_agg_add(b, &r, &env);                /* 6 G */
    hf_agg_merge(a, b);
    hf_agg_free(b);
    struct hf_sums other;
    GArray *top = hf_agg_top(a, HF_ORDER_FLOWS, 1, &other);
    const struct hf_agg_row *row = &g_array_index(top, struct hf_agg_row, 0);
    CHECK(top->len == 1 && row->sums.flows == 15000000000ULL && other.flows == 0,
          "one address of 15 G flows: %" G_GUINT64_FORMAT, top->len ? row->sums.flows : 0);
    CHECK(hf_agg_total(a)->flows == 15000000000ULL, "total 15 G flows: %" G_GUINT64_FORMAT,
          hf_agg_total(a)->flows);
    g_array_unref(top);
    hf_agg_free(a);
}

int
main(void)
{
    for (int i = 0; i < 64; i++) {
        /* some names longer than an entry holds inline */
        int len = snprintf(names[i], sizeof(names[i]), "host%d.example", i);
        for (int k = 0; i % 3 == 0 && k < 40 + i; k++)
            len += snprintf(names[i] + len, sizeof(names[i]) - (size_t)len, "x");
    }
    check_many_flows();
    static const char *const tuples[] = { "srcip", "ip", "dstip,dstport", "hostname",
                                          "proto,hostname", "port" };
    for (int batch = 0; batch < 2; batch++) {
        for (size_t i = 0; i < G_N_ELEMENTS(tuples); i++) {
            check_keys(tuples[i], false, batch);
            check_keys(tuples[i], true, batch);
        }
        check_keys("proto", false, batch);      /* one byte: counted in an array */
        check_keys("dstport", false, batch);    /* two bytes: likewise */
    }
    return check_summary();
}
