#include "conversation.h"

#include <arpa/inet.h>
#include <string.h>

#include "flow_rules.h"
#include "hash.h"

/* The 5-tuple part of struct hf_conv, hashed and compared as bytes. */
struct conv_key {
    uint8_t  ip_version, proto;
    uint16_t client_port, server_port;
    uint8_t  pad[2];            /* zero: hashed with the rest */
    uint8_t  client[16], server[16];
};

struct hf_convs {
    GHashTable *by_key;         /* struct conv_key* (inside a struct entry) */
};

/* The MAC, source, name and app of a conversation come from its earliest
 * record that has one (ties: the smaller value), so the answer does not
 * depend on which thread read which file first. */
struct entry {
    struct conv_key k;
    struct hf_conv c;
    /* where client_mac came from: the client's own records (their source
     * MAC) before the service's, then the earliest start, then the smaller
     * MAC; so the MAC is the same whatever order records come in (threads,
     * ClickHouse) */
    uint8_t mac_rank;           /* 0 none, 1 a record from the service, 2 from the client */
    uint64_t mac_start;
    uint64_t source_ms, name_ms, app_ms;   /* UINT64_MAX: none yet */
};

static bool
earlier(uint64_t t, uint64_t than, int cmp)
{
    return t < than || (t == than && cmp < 0);
}

/* True when a MAC from a record of this rank and start is better. */
static bool
mac_better(const struct entry *e, uint8_t rank, uint64_t start, const uint8_t *mac)
{
    return rank > e->mac_rank
        || (rank == e->mac_rank && earlier(start, e->mac_start, memcmp(mac, e->c.client_mac, 6)));
}

/* *have (learnt at *have_ms) replaced by a copy of v (of a record at t)
 * when that is earlier */
static void
take_name(char **have, uint64_t *have_ms, const fbVarfield_t *v, uint64_t t)
{
    if (!v->len)
        return;
    char *n = g_strndup((const char *)v->buf, v->len);
    if (!*have || earlier(t, *have_ms, strcmp(n, *have))) {
        g_free(*have);
        *have = n;
        *have_ms = t;
    } else {
        g_free(n);
    }
}

/* the same for a name another table learnt (moved, not copied) */
static void
merge_name(char **have, uint64_t *have_ms, char **other, uint64_t other_ms)
{
    if (*other && (!*have || earlier(other_ms, *have_ms, strcmp(*other, *have)))) {
        g_free(*have);
        *have = *other;
        *have_ms = other_ms;
        *other = NULL;
    }
}

static guint
conv_hash(gconstpointer p)
{
    const uint8_t *b = p;
    uint64_t h = 0;

    for (size_t i = 0; i < sizeof(struct conv_key); i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = hf_mix64(h ^ w);
    }
    return (guint)h;
}

static gboolean
conv_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct conv_key)) == 0;
}

static void
entry_free(gpointer p)
{
    struct entry *e = p;

    g_free(e->c.hostname);
    g_free(e->c.app);
    g_free(e);
}

struct hf_convs *
hf_convs_new(void)
{
    struct hf_convs *c = g_new0(struct hf_convs, 1);

    G_STATIC_ASSERT(sizeof(struct conv_key) % 8 == 0);
    c->by_key = g_hash_table_new_full(conv_hash, conv_equal, NULL, entry_free);
    return c;
}

void
hf_convs_free(struct hf_convs *c)
{
    if (!c)
        return;
    g_hash_table_destroy(c->by_key);
    g_free(c);
}

guint
hf_convs_size(const struct hf_convs *c)
{
    return g_hash_table_size(c->by_key);
}

static void
side(const hf_flow_record_t *r, bool src, uint8_t out[16])
{
    memset(out, 0, 16);
    if (r->ipVersion == 6) {
        memcpy(out, src ? r->sourceIPv6Address : r->destinationIPv6Address, 16);
    } else {
        uint32_t a = htonl(src ? r->sourceIPv4Address : r->destinationIPv4Address);
        memcpy(out, &a, 4);
    }
}

/* Fills in what the earliest record with it knew: the name, the app. */
static void
learn(struct entry *e, const hf_flow_record_t *r)
{
    uint8_t source;

    take_name(&e->c.hostname, &e->name_ms, hf_flow_name(r, &source), r->flowStartMilliseconds);
    take_name(&e->c.app, &e->app_ms, &r->applicationName, r->flowStartMilliseconds);
}

void
hf_convs_add(struct hf_convs *c, const hf_flow_record_t *r, const char *source)
{
    bool back = hf_flow_from_service(r);
    struct conv_key k;
    struct entry *e;

    memset(&k, 0, sizeof(k));
    k.ip_version = r->ipVersion == 6 ? 6 : 4;
    k.proto = r->protocolIdentifier;
    side(r, !back, k.client);
    side(r, back, k.server);
    if (hf_proto_has_ports(r->protocolIdentifier)) {
        k.client_port = back ? r->destinationTransportPort : r->sourceTransportPort;
        k.server_port = back ? r->sourceTransportPort : r->destinationTransportPort;
    }
    e = g_hash_table_lookup(c->by_key, &k);
    if (!e) {
        e = g_new0(struct entry, 1);
        e->k = k;
        e->c.ip_version = k.ip_version;
        e->c.proto = k.proto;
        memcpy(e->c.client, k.client, 16);
        memcpy(e->c.server, k.server, 16);
        e->c.client_port = k.client_port;
        e->c.server_port = k.server_port;
        e->source_ms = e->name_ms = e->app_ms = UINT64_MAX;
        g_hash_table_add(c->by_key, e);
    }
    uint64_t t = r->flowStartMilliseconds;
    if (source && earlier(t, e->source_ms, e->c.source ? strcmp(source, e->c.source) : -1)) {
        e->c.source = g_intern_string(source);     /* outlives the scan */
        e->source_ms = t;
    }
    if (!e->c.start_ms || (r->flowStartMilliseconds && r->flowStartMilliseconds < e->c.start_ms))
        e->c.start_ms = r->flowStartMilliseconds;
    if (r->flowEndMilliseconds > e->c.end_ms)
        e->c.end_ms = r->flowEndMilliseconds;
    const uint8_t *mac = back ? r->destinationMacAddress : r->sourceMacAddress;
    if (mac_better(e, back ? 1 : 2, r->flowStartMilliseconds, mac)) {
        memcpy(e->c.client_mac, mac, 6);
        e->mac_rank = back ? 1 : 2;
        e->mac_start = r->flowStartMilliseconds;
    }
    hf_sums_add_record(back ? &e->c.received : &e->c.sent, r);
    learn(e, r);
}

void
hf_convs_merge(struct hf_convs *into, struct hf_convs *from)
{
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, from->by_key);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        struct entry *e = k, *mine = g_hash_table_lookup(into->by_key, &e->k);
        if (!mine) {
            g_hash_table_iter_steal(&it);
            g_hash_table_add(into->by_key, e);
            continue;
        }
        hf_sums_add(&mine->c.sent, &e->c.sent);
        hf_sums_add(&mine->c.received, &e->c.received);
        if (e->c.start_ms && (!mine->c.start_ms || e->c.start_ms < mine->c.start_ms))
            mine->c.start_ms = e->c.start_ms;
        if (e->c.end_ms > mine->c.end_ms)
            mine->c.end_ms = e->c.end_ms;
        if (e->mac_rank && mac_better(mine, e->mac_rank, e->mac_start, e->c.client_mac)) {
            memcpy(mine->c.client_mac, e->c.client_mac, 6);
            mine->mac_rank = e->mac_rank;
            mine->mac_start = e->mac_start;
        }
        if (e->c.source && earlier(e->source_ms, mine->source_ms,
                                   mine->c.source ? strcmp(e->c.source, mine->c.source) : -1)) {
            mine->c.source = e->c.source;
            mine->source_ms = e->source_ms;
        }
        merge_name(&mine->c.hostname, &mine->name_ms, &e->c.hostname, e->name_ms);
        merge_name(&mine->c.app, &mine->app_ms, &e->c.app, e->app_ms);
    }
    g_hash_table_remove_all(from->by_key);
}

static gint
by_start(gconstpointer pa, gconstpointer pb)
{
    const struct entry *a = *(struct entry *const *)pa, *b = *(struct entry *const *)pb;

    if (a->c.start_ms != b->c.start_ms)
        return a->c.start_ms < b->c.start_ms ? -1 : 1;
    return memcmp(&a->k, &b->k, sizeof(a->k));
}

GPtrArray *
hf_convs_sorted(struct hf_convs *c)
{
    GPtrArray *out = g_ptr_array_sized_new(g_hash_table_size(c->by_key));
    GHashTableIter it;
    gpointer k;

    g_hash_table_iter_init(&it, c->by_key);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(out, k);
    g_ptr_array_sort(out, by_start);
    /* the callers want the conversations: c is the first member */
    for (guint i = 0; i < out->len; i++)
        out->pdata[i] = &((struct entry *)out->pdata[i])->c;
    return out;
}
