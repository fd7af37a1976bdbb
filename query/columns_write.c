/* Writing a slot file's columns (columns.h): the IPFIX file read through
 * the store decoder, its records cut into blocks, each field of a block
 * written as the narrowest integers that hold it above its minimum, one
 * value when all are equal, strings as a dictionary of the block. */
#include "columns.h"
#include "columns_format.h"
#include "store_fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dict {
    GHashTable *index;          /* GBytes -> index + 1 */
    GByteArray *bytes;
    GArray *offsets;            /* uint32_t, count + 1 */
    int32_t empty;              /* the empty string's index, -1: none yet */
    uint32_t last;              /* the previous record's index */
    uint32_t *idx;              /* per record */
};

struct builder {
    FILE *fp;
    uint64_t at;                /* bytes written */
    GArray *offsets;            /* uint64_t: each block's */
    uint32_t n;                 /* records in the block */
    uint64_t records;
    uint64_t *ints[HF_C_COUNT];
    uint8_t *raw[HF_C_COUNT];
    struct dict dict[HF_C_COUNT];
    uint64_t *scratch;          /* HF_COLS_BLOCK values */
    GByteArray *out;            /* the block being encoded */
    bool failed;                /* a write failed (errno kept) */
    int err;
};

static void
dict_reset(struct dict *d)
{
    g_hash_table_remove_all(d->index);
    g_byte_array_set_size(d->bytes, 0);
    g_array_set_size(d->offsets, 0);
    uint32_t zero = 0;
    g_array_append_val(d->offsets, zero);
    d->empty = -1;
    d->last = UINT32_MAX;
}

static uint32_t
dict_add(struct dict *d, const fbVarfield_t *v)
{
    if (v->len == 0) {
        if (d->empty < 0) {
            uint32_t end = d->bytes->len;
            d->empty = (int32_t)(d->offsets->len - 1);
            g_array_append_val(d->offsets, end);
        }
        return (uint32_t)d->empty;
    }
    if (d->last != UINT32_MAX) {
        /* names come in runs: the previous record's first */
        uint32_t a = g_array_index(d->offsets, uint32_t, d->last);
        uint32_t b = g_array_index(d->offsets, uint32_t, d->last + 1);
        if (b - a == v->len && memcmp(d->bytes->data + a, v->buf, v->len) == 0)
            return d->last;
    }
    GBytes *key = g_bytes_new(v->buf, v->len);
    gpointer found = g_hash_table_lookup(d->index, key);
    uint32_t i;

    if (found) {
        g_bytes_unref(key);
        i = GPOINTER_TO_UINT(found) - 1;
    } else {
        i = d->offsets->len - 1;
        g_byte_array_append(d->bytes, v->buf, (guint)v->len);
        uint32_t end = d->bytes->len;
        g_array_append_val(d->offsets, end);
        g_hash_table_insert(d->index, key, GUINT_TO_POINTER(i + 1));
    }
    d->last = i;
    return i;
}

static void
builder_init(struct builder *b, FILE *fp)
{
    memset(b, 0, sizeof(*b));
    b->fp = fp;
    b->offsets = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    b->out = g_byte_array_new();
    b->scratch = g_new(uint64_t, HF_COLS_BLOCK);
    for (unsigned c = 0; c < HF_C_COUNT; c++) {
        const struct hf_col_def *d = &hf_col_defs[c];
        if (d->enc == HF_COL_INT) {
            b->ints[c] = g_new(uint64_t, HF_COLS_BLOCK);
        } else if (d->enc == HF_COL_RAW) {
            b->raw[c] = g_malloc((size_t)HF_COLS_BLOCK * d->size);
        } else {
            struct dict *t = &b->dict[c];
            t->index = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                             (GDestroyNotify)g_bytes_unref, NULL);
            t->bytes = g_byte_array_new();
            t->offsets = g_array_new(FALSE, FALSE, sizeof(uint32_t));
            t->idx = g_new(uint32_t, HF_COLS_BLOCK);
            dict_reset(t);
        }
    }
}

static void
builder_clear(struct builder *b)
{
    for (unsigned c = 0; c < HF_C_COUNT; c++) {
        g_free(b->ints[c]);
        g_free(b->raw[c]);
        if (b->dict[c].index) {
            g_hash_table_destroy(b->dict[c].index);
            g_byte_array_unref(b->dict[c].bytes);
            g_array_unref(b->dict[c].offsets);
            g_free(b->dict[c].idx);
        }
    }
    g_array_unref(b->offsets);
    g_byte_array_unref(b->out);
    g_free(b->scratch);
}

static void
put(struct builder *b, const void *p, size_t n)
{
    if (!b->failed && n && fwrite(p, 1, n, b->fp) != n) {
        b->failed = true;
        b->err = errno ? errno : EIO;
    }
    b->at += n;
}

static uint8_t
width_of(uint64_t range)
{
    return range == 0 ? 0 : range <= 0xff ? 1 : range <= 0xffff ? 2
         : range <= 0xffffffffu ? 4 : 8;
}

/* n values of width w (the low bytes of each, native order) */
static void
append_ints(GByteArray *out, const uint64_t *v, uint32_t n, uint8_t w, uint64_t base)
{
    guint at = out->len;

    g_byte_array_set_size(out, at + n * w);
    uint8_t *p = out->data + at;
    switch (w) {        /* one loop per width, none with a branch inside */
    case 1:
        for (uint32_t i = 0; i < n; i++)
            p[i] = (uint8_t)(v[i] - base);
        break;
    case 2:
        for (uint32_t i = 0; i < n; i++) {
            uint16_t y = (uint16_t)(v[i] - base);
            memcpy(p + 2 * i, &y, 2);
        }
        break;
    case 4:
        for (uint32_t i = 0; i < n; i++) {
            uint32_t y = (uint32_t)(v[i] - base);
            memcpy(p + 4 * i, &y, 4);
        }
        break;
    default:
        for (uint32_t i = 0; i < n; i++) {
            uint64_t y = v[i] - base;
            memcpy(p + 8 * i, &y, 8);
        }
        break;
    }
}

static void
align(GByteArray *out, guint to)
{
    static const uint8_t zeros[8];
    if (out->len % to)
        g_byte_array_append(out, zeros, to - out->len % to);
}

static void
encode_int(struct builder *b, struct hf_cols_column *col, unsigned c)
{
    const uint64_t *v = b->ints[c];
    uint64_t lo = v[0], hi = v[0];

    for (uint32_t i = 1; i < b->n; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    col->base = lo;
    col->width = width_of(hi - lo);
    if (col->width)
        append_ints(b->out, v, b->n, col->width, lo);
}

static void
encode_raw(struct builder *b, struct hf_cols_column *col, unsigned c)
{
    size_t size = hf_col_defs[c].size;
    const uint8_t *v = b->raw[c];
    bool same = true;

    if (size == 16)         /* sizes the compiler knows: compares, not calls */
        for (uint32_t i = 1; i < b->n && same; i++)
            same = memcmp(v, v + i * 16, 16) == 0;
    else if (size == 6)
        for (uint32_t i = 1; i < b->n && same; i++)
            same = memcmp(v, v + i * 6, 6) == 0;
    else
        for (uint32_t i = 1; i < b->n && same; i++)
            same = memcmp(v, v + i * size, size) == 0;
    col->width = same ? 0 : (uint8_t)size;
    g_byte_array_append(b->out, v, (guint)(same ? size : b->n * size));
}

static void
encode_dict(struct builder *b, struct hf_cols_column *col, unsigned c)
{
    const struct dict *d = &b->dict[c];
    uint32_t count = d->offsets->len - 1;
    uint64_t *idx = b->scratch;

    g_byte_array_append(b->out, (const guint8 *)&count, 4);
    g_byte_array_append(b->out, (const guint8 *)d->offsets->data, (count + 1) * 4);
    g_byte_array_append(b->out, d->bytes->data, d->bytes->len);
    align(b->out, 4);
    col->width = count <= 1 ? 0 : width_of(count - 1);
    for (uint32_t i = 0; i < b->n; i++)
        idx[i] = d->idx[i];
    if (col->width)
        append_ints(b->out, idx, b->n, col->width, 0);
}

static void
flush_block(struct builder *b)
{
    struct hf_cols_block head;

    if (!b->n)
        return;
    memset(&head, 0, sizeof(head));
    g_byte_array_set_size(b->out, sizeof(head));
    for (unsigned c = 0; c < HF_C_COUNT; c++) {
        struct hf_cols_column *col = &head.col[c];
        align(b->out, 8);
        col->offset = b->out->len;
        col->enc = hf_col_defs[c].enc;
        if (col->enc == HF_COL_INT)
            encode_int(b, col, c);
        else if (col->enc == HF_COL_RAW)
            encode_raw(b, col, c);
        else
            encode_dict(b, col, c);
        col->length = b->out->len - col->offset;
    }
    head.records = b->n;
    head.length = b->out->len;
    memcpy(b->out->data, &head, sizeof(head));
    g_array_append_val(b->offsets, b->at);
    put(b, b->out->data, b->out->len);
    b->records += b->n;
    b->n = 0;
    for (unsigned c = 0; c < HF_C_COUNT; c++)
        if (b->dict[c].index)
            dict_reset(&b->dict[c]);
}

/* Field by field in straight lines: a loop over hf_col_defs[] with a
 * branch per field was most of the cost of writing columns. */
#define INT_COL(c, field) (b->ints[c][i] = r->field)
#define RAW_COL(c, field) memcpy(b->raw[c] + (size_t)i * sizeof(r->field), r->field, sizeof(r->field))
/* most records have no names: their empty strings' index without a call */
#define DICT_COL(c, field) \
    (b->dict[c].idx[i] = r->field.len == 0 && b->dict[c].empty >= 0 \
                         ? (uint32_t)b->dict[c].empty : dict_add(&b->dict[c], &r->field))

static void
add_record(void *ctx, const hf_flow_record_t *r)
{
    struct builder *b = ctx;
    uint32_t i = b->n;

    INT_COL(HF_C_START, flowStartMilliseconds);
    INT_COL(HF_C_END, flowEndMilliseconds);
    INT_COL(HF_C_OCTETS, octetDeltaCount);
    INT_COL(HF_C_PACKETS, packetDeltaCount);
    INT_COL(HF_C_FLOWS, deltaFlowCount);
    INT_COL(HF_C_SAMPLING, samplingPacketInterval);
    INT_COL(HF_C_IPVER, ipVersion);
    INT_COL(HF_C_PROTO, protocolIdentifier);
    INT_COL(HF_C_SRC4, sourceIPv4Address);
    INT_COL(HF_C_DST4, destinationIPv4Address);
    RAW_COL(HF_C_SRC6, sourceIPv6Address);
    RAW_COL(HF_C_DST6, destinationIPv6Address);
    INT_COL(HF_C_SPORT, sourceTransportPort);
    INT_COL(HF_C_DPORT, destinationTransportPort);
    INT_COL(HF_C_ICMP4, icmpTypeCodeIPv4);
    INT_COL(HF_C_ICMP6, icmpTypeCodeIPv6);
    INT_COL(HF_C_IN_IF, ingressInterface);
    INT_COL(HF_C_OUT_IF, egressInterface);
    INT_COL(HF_C_TCPFLAGS, tcpControlBits);
    INT_COL(HF_C_TOS, ipClassOfService);
    INT_COL(HF_C_VLAN, vlanId);
    INT_COL(HF_C_ENDREASON, flowEndReason);
    RAW_COL(HF_C_SRCMAC, sourceMacAddress);
    RAW_COL(HF_C_DSTMAC, destinationMacAddress);
    INT_COL(HF_C_NAMESRC, hostflowNameSource);
    DICT_COL(HF_C_HOSTNAME, hostflowHostname);
    DICT_COL(HF_C_DNSNAME, hostflowDnsName);
    DICT_COL(HF_C_HTTPHOST, httpRequestHost);
    DICT_COL(HF_C_SNI, sslServerNameNtop);
    DICT_COL(HF_C_DNSQUERY, dnsQueryNtop);
    DICT_COL(HF_C_APPNAME, applicationName);
    if (++b->n == HF_COLS_BLOCK)
        flush_block(b);
}

bool
hf_columns_build(const char *ipfix_path, GError **err)
{
    struct stat before, after;
    struct hf_store_decode_result res;
    struct hf_cols_header h;
    struct builder b;
    uint64_t size = 0;
    bool ok = false;

    if (stat(ipfix_path, &before) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
                    ipfix_path, g_strerror(errno));
        return false;
    }
    struct hf_store_decoder *d = hf_store_decoder_new(err);
    if (!d)
        return false;
    /* synced before it is renamed: after a crash the side file is whole
     * or absent, never blocks of zeros behind a good header */
    char *path = hf_columns_path(ipfix_path);
    struct hf_atomic_file file;
    if (!hf_atomic_file_open(&file, path, err))
        goto out;
    FILE *fp = file.fp;
    builder_init(&b, fp);
    memset(&h, 0, sizeof(h));
    put(&b, &h, sizeof(h));             /* written again at the end */
    if (!hf_store_decode_file(d, ipfix_path, add_record, &b, &res, &size) || res.damaged) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", ipfix_path,
                    res.why[0] ? res.why : "cannot be read");
    } else if (stat(ipfix_path, &after) != 0 || after.st_size != before.st_size
               || hf_stat_mtime_ns(&after) != hf_stat_mtime_ns(&before)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_AGAIN, "%s: changed while read",
                    ipfix_path);
    } else {
        flush_block(&b);
        memcpy(h.magic, HF_COLS_MAGIC, sizeof(h.magic));
        h.byte_order = HF_COLS_BYTE_ORDER;
        h.version = HF_COLS_VERSION;
        h.ncols = HF_C_COUNT;
        h.nblocks = b.offsets->len;
        h.ipfix_size = (uint64_t)before.st_size;
        h.ipfix_mtime_ns = hf_stat_mtime_ns(&before);
        h.records = b.records;
        h.options_records = res.options_records;
        h.index_offset = b.at;
        put(&b, b.offsets->data, b.offsets->len * sizeof(uint64_t));
        put(&b, &h.index_offset, sizeof(uint64_t));
        if (!b.failed && (fseek(fp, 0, SEEK_SET) != 0 || fwrite(&h, sizeof(h), 1, fp) != 1)) {
            b.failed = true;
            b.err = errno ? errno : EIO;
        }
        ok = !b.failed;
        if (!ok)
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(b.err), "%s: %s",
                        file.tmp, g_strerror(b.err));
    }
    builder_clear(&b);
    if (ok)
        ok = hf_atomic_file_commit(&file, err);
    else
        hf_atomic_file_abort(&file);
out:
    hf_store_decoder_free(d);
    g_free(path);
    return ok;
}
