/* One hour's summaries: the key of rollup.h, sums, and the file. */
#include "rollup_hour.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_rules.h"
#include "ipfix_writer.h"
#include "store_fs.h"

/* What a summary adds up; the rest of its record is the key. */
struct sum {
    hf_flow_record_t rec;       /* key fields; strings point into names */
    uint64_t octets, packets, flows;
};

/* One hour of one source being summarised. */
struct hf_hour_sums {
    uint64_t hour_s;
    GHashTable *sums;           /* struct sum* (key: its record) */
    GStringChunk *names;        /* interned strings: equal names, equal pointers */
};


/* ---- the key ------------------------------------------------------------ */

static guint
sum_hash(gconstpointer p)
{
    const hf_flow_record_t *r = p;
    guint h = r->ipVersion * 31u + r->protocolIdentifier;

    h = h * 31u + r->sourceTransportPort;
    h = h * 31u + r->destinationTransportPort;
    h = h * 31u + r->sourceIPv4Address;
    h = h * 31u + r->destinationIPv4Address;
    for (int i = 0; r->ipVersion == 6 && i < 16; i++)
        h = h * 31u + r->sourceIPv6Address[i] + r->destinationIPv6Address[i];
    for (int i = 0; i < 6; i++)
        h = h * 31u + r->sourceMacAddress[i] + r->destinationMacAddress[i];
    /* interned strings: the pointer is the name */
    h = h * 31u + (guint)(uintptr_t)r->hostflowHostname.buf;
    h = h * 31u + (guint)(uintptr_t)r->applicationName.buf;
    return h;
}

static gboolean
sum_equal(gconstpointer a, gconstpointer b)
{
    const hf_flow_record_t *x = a, *y = b;

    return x->ipVersion == y->ipVersion
        && x->protocolIdentifier == y->protocolIdentifier
        && x->sourceTransportPort == y->sourceTransportPort
        && x->destinationTransportPort == y->destinationTransportPort
        && x->sourceIPv4Address == y->sourceIPv4Address
        && x->destinationIPv4Address == y->destinationIPv4Address
        && memcmp(x->sourceIPv6Address, y->sourceIPv6Address, 16) == 0
        && memcmp(x->destinationIPv6Address, y->destinationIPv6Address, 16) == 0
        && memcmp(x->sourceMacAddress, y->sourceMacAddress, 6) == 0
        && memcmp(x->destinationMacAddress, y->destinationMacAddress, 6) == 0
        && x->hostflowHostname.buf == y->hostflowHostname.buf
        && x->applicationName.buf == y->applicationName.buf;
}

static fbVarfield_t
intern(struct hf_hour_sums *h, const fbVarfield_t *v)
{
    fbVarfield_t out = { 0, NULL };
    char buf[256];
    size_t n = v->len < sizeof(buf) - 1 ? v->len : sizeof(buf) - 1;

    if (!n)
        return out;
    memcpy(buf, v->buf, n);
    buf[n] = 0;
    out.buf = (uint8_t *)g_string_chunk_insert_const(h->names, buf);
    out.len = strlen((char *)out.buf);
    return out;
}

/* The summary key of a flow record: see rollup.h. */
static void
key_of(struct hf_hour_sums *h, const hf_flow_record_t *r, hf_flow_record_t *k)
{
    bool from_service = hf_flow_from_service(r);
    uint8_t name_source;
    const fbVarfield_t *name = hf_flow_name(r, &name_source);

    memset(k, 0, sizeof(*k));
    k->ipVersion = r->ipVersion == 6 ? 6 : 4;
    k->protocolIdentifier = r->protocolIdentifier;
    if (from_service) {
        k->destinationIPv4Address = r->destinationIPv4Address;
        memcpy(k->destinationIPv6Address, r->destinationIPv6Address, 16);
        memcpy(k->destinationMacAddress, r->destinationMacAddress, 6);
        k->sourceTransportPort = r->sourceTransportPort;
    } else {
        k->sourceIPv4Address = r->sourceIPv4Address;
        memcpy(k->sourceIPv6Address, r->sourceIPv6Address, 16);
        memcpy(k->sourceMacAddress, r->sourceMacAddress, 6);
        k->destinationTransportPort = r->destinationTransportPort;
    }
    k->hostflowHostname = intern(h, name);
    k->hostflowNameSource = k->hostflowHostname.len ? name_source : HF_NAME_NONE;
    k->applicationName = intern(h, &r->applicationName);
    k->flowStartMilliseconds = h->hour_s * 1000;
    k->flowEndMilliseconds = (h->hour_s + 3600) * 1000 - 1;
}

void
hf_hour_sums_add(struct hf_hour_sums *h, const hf_flow_record_t *r)
{
    uint64_t scale = hf_flow_scale(r);
    hf_flow_record_t k;
    struct sum *s;

    key_of(h, r, &k);
    s = g_hash_table_lookup(h->sums, &k);
    if (!s) {
        s = g_new0(struct sum, 1);
        s->rec = k;
        g_hash_table_add(h->sums, s);
    }
    s->octets += r->octetDeltaCount * scale;
    s->packets += r->packetDeltaCount * scale;
    s->flows += hf_flow_count(r);
    s->rec.tcpControlBits |= r->tcpControlBits;
}

/* ---- writing ------------------------------------------------------------ */

static int
vcmp(const fbVarfield_t *a, const fbVarfield_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->buf, b->buf, n) : 0;

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* A stable order, so that the same flows give the same file. */
static int
sum_cmp(const void *pa, const void *pb)
{
    const hf_flow_record_t *a = &(*(struct sum *const *)pa)->rec;
    const hf_flow_record_t *b = &(*(struct sum *const *)pb)->rec;
    int c;

    if (a->ipVersion != b->ipVersion)
        return a->ipVersion - b->ipVersion;
    if ((c = memcmp(a->sourceIPv6Address, b->sourceIPv6Address, 16))
        || (c = memcmp(a->destinationIPv6Address, b->destinationIPv6Address, 16)))
        return c;
    if (a->sourceIPv4Address != b->sourceIPv4Address)
        return a->sourceIPv4Address < b->sourceIPv4Address ? -1 : 1;
    if (a->destinationIPv4Address != b->destinationIPv4Address)
        return a->destinationIPv4Address < b->destinationIPv4Address ? -1 : 1;
    if (a->protocolIdentifier != b->protocolIdentifier)
        return a->protocolIdentifier - b->protocolIdentifier;
    if (a->sourceTransportPort != b->sourceTransportPort)
        return a->sourceTransportPort - b->sourceTransportPort;
    if (a->destinationTransportPort != b->destinationTransportPort)
        return a->destinationTransportPort - b->destinationTransportPort;
    if ((c = memcmp(a->sourceMacAddress, b->sourceMacAddress, 6))
        || (c = memcmp(a->destinationMacAddress, b->destinationMacAddress, 6))
        || (c = vcmp(&a->hostflowHostname, &b->hostflowHostname)))
        return c;
    return vcmp(&a->applicationName, &b->applicationName);
}

bool
hf_hour_sums_write(struct hf_hour_sums *h, fbInfoModel_t *model,
                   const char *path, uint64_t *written, GError **err)
{
    struct hf_atomic_file file;
    fbSession_t *session = NULL;
    fBuf_t *fbuf = NULL;
    GPtrArray *rows = NULL;
    bool ok = false;

    if (!hf_atomic_file_open(&file, path, err))
        return false;
    session = hf_ipfix_flow_session(model, 0, HF_TMPL_FLOWS, err);
    if (!session)
        goto out;
    /* our FILE, as the store's writer does: synced before it is closed */
    fbuf = fBufAllocForExport(session, fbExporterAllocFP(file.fp));
    session = NULL;                 /* the buffer owns it */
    fBufSetExportTime(fbuf, (uint32_t)h->hour_s);
    if (!fbSessionExportTemplates(fBufGetSession(fbuf), err))
        goto out;

    rows = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, h->sums);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(rows, key);
    if (rows->len)
        qsort(rows->pdata, rows->len, sizeof(gpointer), sum_cmp);
    for (guint i = 0; i < rows->len; i++) {
        struct sum *s = g_ptr_array_index(rows, i);
        s->rec.octetDeltaCount = s->octets;
        s->rec.packetDeltaCount = s->packets;
        s->rec.deltaFlowCount = s->flows;
        if (!hf_ipfix_append_flow(fbuf, &s->rec, err))
            goto out;
    }
    if (!fBufEmit(fbuf, err))
        goto out;
    fBufFree(fbuf);                 /* flushes into file.fp, does not close it */
    fbuf = NULL;
    ok = hf_atomic_file_commit(&file, err);
    *written = rows->len;
out:
    if (fbuf)
        fBufFree(fbuf);
    if (!ok)
        hf_atomic_file_abort(&file);
    if (session)
        fbSessionFree(session);
    if (rows)
        g_ptr_array_unref(rows);
    return ok;
}

struct hf_hour_sums *
hf_hour_sums_new(uint64_t hour_s)
{
    struct hf_hour_sums *h = g_new0(struct hf_hour_sums, 1);

    h->hour_s = hour_s;
    h->sums = g_hash_table_new_full(sum_hash, sum_equal, g_free, NULL);
    h->names = g_string_chunk_new(4096);
    return h;
}

void
hf_hour_sums_free(struct hf_hour_sums *h)
{
    if (!h)
        return;
    g_hash_table_unref(h->sums);
    g_string_chunk_free(h->names);
    g_free(h);
}
