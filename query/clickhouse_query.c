/* The query engine's ClickHouse back end, part two: the SELECT of
 * clickhouse_sql.h sent over ClickHouse's HTTP interface (libcurl, the
 * values as a multipart "external data" table _p), its RowBinary answer
 * read as it streams in, each row made a flow record again and counted by
 * the same step as a record of the files (query_int.h), so that keys,
 * names, the ignore list and the residual filter terms are hostflow's own
 * code on either back end. */
#include <string.h>

#include "clickhouse_config.h"
#include "clickhouse_curl.h"
#include "clickhouse_sql.h"
#include "filter_env.h"
#include "filter_int.h"
#include "query_int.h"

#define HTTP_ERROR_MAX 4096
#define CH_ERROR g_quark_from_static_string("hf-clickhouse-query")

/* libcurl, loaded by hf_ch_query_run() before anything here runs */
static inline const struct hf_curl *
api(void)
{
    return hf_curl_load(NULL);
}

struct reader {
    const struct hf_query *q;
    const struct hf_ch_sql *sql;
    struct hf_query_worker *w;
    GByteArray *buf;            /* bytes not yet made rows */
    GString *error;             /* the body of an answer other than 200 */
    CURL *curl;
    long status;
    uint64_t rows;
    bool bad;                   /* a row that could not be read: stop */
};

/* ---- RowBinary ------------------------------------------------------------ */

struct cursor {
    const uint8_t *p, *end;
    bool short_;                /* ran out: the row is not all here yet */
};

static uint64_t
get_le(struct cursor *c, unsigned size)
{
    uint64_t v = 0;

    if ((size_t)(c->end - c->p) < size) {
        c->short_ = true;
        c->p = c->end;
        return 0;
    }
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += size;
    return v;
}

static void
get_bytes(struct cursor *c, uint8_t *out, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->short_ = true;
        c->p = c->end;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p, n);
    c->p += n;
}

static void
get_string(struct cursor *c, fbVarfield_t *v)
{
    uint64_t len = 0;
    unsigned shift = 0;

    v->len = 0;
    v->buf = NULL;
    for (;;) {
        if (c->p >= c->end || shift > 63) {
            c->short_ = true;
            c->p = c->end;
            return;
        }
        uint8_t b = *c->p++;
        len |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if ((uint64_t)(c->end - c->p) < len) {
        c->short_ = true;
        c->p = c->end;
        return;
    }
    v->buf = (uint8_t *)c->p;
    v->len = (size_t)len;
    c->p += len;
}

static void
get_addr(struct cursor *c, hf_flow_record_t *r, bool src)
{
    uint8_t a[16];

    get_bytes(c, a, 16);
    memcpy(src ? r->sourceIPv6Address : r->destinationIPv6Address, a, 16);
    uint32_t v4 = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
    if (src)
        r->sourceIPv4Address = v4;
    else
        r->destinationIPv4Address = v4;
}

static void
get_mac(struct cursor *c, uint8_t mac[6])
{
    uint64_t v = get_le(c, 8);

    for (int i = 5; i >= 0; i--, v >>= 8)
        mac[i] = (uint8_t)v;
}

/* One answer row into r (strings pointing into the cursor's bytes) and
 * its source; false when the row is not all here yet. */
static bool
read_row(struct cursor *c, const struct hf_ch_sql *sql, hf_flow_record_t *r,
         fbVarfield_t *source, fbVarfield_t *collector, struct hf_sums *sums)
{
    memset(r, 0, sizeof(*r));
    for (unsigned col = 0; col < HF_CHC_COUNT; col++) {
        if (!(sql->cols & (1u << col)))
            continue;
        switch ((enum hf_ch_col)col) {
        case HF_CHC_SOURCE: get_string(c, source); break;
        case HF_CHC_IPVERSION: r->ipVersion = (uint8_t)get_le(c, 1); break;
        case HF_CHC_SRCADDR: get_addr(c, r, true); break;
        case HF_CHC_DSTADDR: get_addr(c, r, false); break;
        case HF_CHC_SRCPORT: r->sourceTransportPort = (uint16_t)get_le(c, 2); break;
        case HF_CHC_DSTPORT: r->destinationTransportPort = (uint16_t)get_le(c, 2); break;
        case HF_CHC_PROTO: r->protocolIdentifier = (uint8_t)get_le(c, 1); break;
        case HF_CHC_FLAGS: r->tcpControlBits = (uint16_t)get_le(c, 2); break;
        case HF_CHC_TOS: r->ipClassOfService = (uint8_t)get_le(c, 1); break;
        case HF_CHC_IN_IF: r->ingressInterface = (uint32_t)get_le(c, 4); break;
        case HF_CHC_OUT_IF: r->egressInterface = (uint32_t)get_le(c, 4); break;
        case HF_CHC_SRCMAC: get_mac(c, r->sourceMacAddress); break;
        case HF_CHC_DSTMAC: get_mac(c, r->destinationMacAddress); break;
        case HF_CHC_VLAN: r->vlanId = (uint16_t)get_le(c, 2); break;
        case HF_CHC_NAMES:
            get_string(c, &r->hostflowHostname);
            r->hostflowNameSource = (uint8_t)get_le(c, 1);
            get_string(c, &r->hostflowDnsName);
            get_string(c, &r->httpRequestHost);
            get_string(c, &r->sslServerNameNtop);
            get_string(c, &r->dnsQueryNtop);
            break;
        case HF_CHC_APP: get_string(c, &r->applicationName); break;
        case HF_CHC_START: r->flowStartMilliseconds = get_le(c, 8); break;
        case HF_CHC_END: r->flowEndMilliseconds = get_le(c, 8); break;
        case HF_CHC_COLLECTOR: get_string(c, collector); break;
        case HF_CHC_COUNT: break;
        }
    }
    if (sql->oriented) {
        /* client first (clickhouse_sql.h): the highest port makes the
         * source the client; a server not asked for is the highest
         * address, for protocols without ports */
        r->sourceTransportPort = UINT16_MAX;
        if (!(sql->cols & (1u << HF_CHC_DSTADDR))) {
            r->destinationIPv4Address = UINT32_MAX;
            memset(r->destinationIPv6Address, 0xff, 16);
        }
    }
    r->packetDeltaCount = get_le(c, 8);
    r->octetDeltaCount = get_le(c, 8);
    uint64_t flows = get_le(c, 8);
    if (sql->grouped) {
        /* the group's sums (scaled) apart: the record stays a flow's, as
         * hf_flow_from_service() tells a summary by its flow count */
        *sums = (struct hf_sums){ flows, r->packetDeltaCount, r->octetDeltaCount };
    } else {
        /* one record: the column holds hf_flow_count(), 1 for a flow */
        r->deltaFlowCount = flows == 1 ? 0 : flows;
        r->samplingPacketInterval = (uint32_t)get_le(c, 4);
    }
    return !c->short_;
}

static bool
residual_match(const struct reader *rd, const hf_flow_record_t *r, const char *source)
{
    const GPtrArray *res = rd->sql->residual;
    struct hf_filter_env env = { .source = source };

    hf_filter_env_names(&env, rd->q->names);
    for (guint i = 0; i < res->len; i++)
        if (!hf_filter_node_match(g_ptr_array_index(res, i), r, &env))
            return false;
    return true;
}

/* v as a C string in buf (cut at size - 1 bytes) */
static void
cut_text(char *buf, size_t size, const fbVarfield_t *v)
{
    size_t n = MIN(v->len, size - 1);

    memcpy(buf, v->buf ? (const char *)v->buf : "", n);
    buf[n] = '\0';
}

/* The rows wholly in rd->buf, counted; the rest kept for the next bytes. */
static void
take_rows(struct reader *rd)
{
    struct cursor c = { rd->buf->data, rd->buf->data + rd->buf->len, false };
    const uint8_t *done = c.p;
    char source[256], collector[256];
    hf_flow_record_t r;
    fbVarfield_t src = { 0 }, col = { 0 };
    struct hf_sums sums;

    while (c.p < c.end && !rd->bad) {
        if (!read_row(&c, rd->sql, &r, &src, &col, &sums))
            break;
        done = c.p;
        rd->rows++;
        /* a source name never holds a NUL; a longer one cannot be a store's */
        cut_text(source, sizeof(source), &src);
        cut_text(collector, sizeof(collector), &col);
        if (!residual_match(rd, &r, source))
            continue;
        hf_query_worker_take(rd->w, &r, source,
                             rd->sql->cols & (1u << HF_CHC_COLLECTOR) ? collector : NULL,
                             rd->sql->grouped ? &sums : NULL);
        if (g_atomic_int_get(&rd->w->stop->flag))
            rd->bad = true;             /* too many groups: stop reading */
    }
    g_byte_array_remove_range(rd->buf, 0, (guint)(done - rd->buf->data));
}

static size_t
on_bytes(char *data, size_t size, size_t n, void *ctx)
{
    struct reader *rd = ctx;
    size_t len = size * n;

    if (!rd->status)
        api()->easy_getinfo(rd->curl, CURLINFO_RESPONSE_CODE, &rd->status);
    if (rd->status != 200) {
        if (rd->error->len < HTTP_ERROR_MAX)
            g_string_append_len(rd->error, data, (gssize)MIN(len, HTTP_ERROR_MAX));
        return len;
    }
    g_byte_array_append(rd->buf, (const uint8_t *)data, (guint)len);
    take_rows(rd);
    return rd->bad ? 0 : len;
}

/* ---- the request ------------------------------------------------------------ */

/* BASE?database=D&wait_end_of_query=1&query=...[&_p_structure=...&_p_format=RowBinary];
 * waiting for the end makes an error an HTTP status, not a cut answer. */
static char *
query_url(CURL *curl, const struct hf_clickhouse_config *c, const struct hf_ch_sql *sql)
{
    char *q = api()->easy_escape(curl, sql->text->str, (int)sql->text->len);
    char *st = api()->easy_escape(curl, HF_CH_PARAMS_STRUCTURE, 0);
    char *url = g_strdup_printf("%s%sdatabase=%s&wait_end_of_query=1&query=%s%s%s%s", c->url,
                                strchr(c->url, '?') ? "&" : "?", c->database, q,
                                sql->nparams ? "&_p_format=RowBinary&_p_structure=" : "",
                                sql->nparams ? st : "", "");
    api()->free(st);
    api()->free(q);
    return url;
}

static void
explain(GString *out, const struct hf_query *q, const struct hf_ch_sql *sql)
{
    const struct hf_clickhouse_config *c = q->clickhouse;

    g_string_append_printf(out, "input: ClickHouse %s, table %s.%s\n", c->url, c->database,
                           c->table);
    if (q->filter) {
        char *text = hf_filter_to_string(q->filter);
        g_string_append_printf(out, "filter: %s\n", text);
        g_free(text);
    }
    g_string_append_printf(out, "sql: %s\n", sql->text->str);
    g_string_append_printf(out, "values sent as external table _p: %u\n", sql->nparams);
    for (guint i = 0; i < sql->residual->len; i++) {
        g_string_append(out, "evaluated here (not in SQL): ");
        hf_filter_node_print(out, g_ptr_array_index(sql->residual, i));
        g_string_append_c(out, '\n');
    }
    g_string_append_printf(out, "rows: %s\n", sql->grouped ? "one per group of the columns "
                           "the keys and those terms read, summed"
                           : "one per record");
    if (hf_query_hides_names(q))
        g_string_append(out, "names on the ignore list: hidden (--all shows them)\n");
}

static curl_mime *
params_part(CURL *curl, const struct hf_ch_sql *sql)
{
    curl_mime *mime = api()->mime_init(curl);
    curl_mimepart *part = api()->mime_addpart(mime);

    api()->mime_name(part, "_p");
    api()->mime_filename(part, "_p");    /* ClickHouse takes file parts as tables */
    api()->mime_data(part, (const char *)sql->params->data, sql->params->len);
    return mime;
}

static bool
run_one(const struct hf_query *q, struct hf_query_result *res, GError **err)
{
    const struct hf_clickhouse_config *c = q->clickhouse;
    struct hf_decode_stop stop = { 0, q->deadline_us };
    struct hf_ch_sql sql;
    struct reader rd = { 0 };
    curl_mime *mime = NULL;
    bool ok = true;

    memset(res, 0, sizeof(*res));
    res->explain = g_string_new(NULL);
    if (!hf_curl_load(err))
        return false;
    hf_ch_sql_build(q, c->database, c->table, &sql);
    explain(res->explain, q, &sql);

    rd.q = q;
    rd.sql = &sql;
    rd.w = hf_query_workers_new(q, 1, &stop);
    rd.buf = g_byte_array_new();
    rd.error = g_string_new(NULL);
    rd.curl = api()->easy_init();
    char *url = query_url(rd.curl, c, &sql);
    api()->easy_setopt(rd.curl, CURLOPT_URL, url);
    api()->easy_setopt(rd.curl, CURLOPT_NOSIGNAL, 1L);
    api()->easy_setopt(rd.curl, CURLOPT_CONNECTTIMEOUT, 5L);
    api()->easy_setopt(rd.curl, CURLOPT_USERNAME, c->user);
    api()->easy_setopt(rd.curl, CURLOPT_PASSWORD, c->password ? c->password : "");
    api()->easy_setopt(rd.curl, CURLOPT_WRITEFUNCTION, on_bytes);
    api()->easy_setopt(rd.curl, CURLOPT_WRITEDATA, &rd);
    if (q->deadline_us) {
        gint64 left = (q->deadline_us - g_get_monotonic_time()) / 1000;
        api()->easy_setopt(rd.curl, CURLOPT_TIMEOUT_MS, (long)MAX(left, 1));
    }
    if (sql.nparams) {
        mime = params_part(rd.curl, &sql);
        api()->easy_setopt(rd.curl, CURLOPT_MIMEPOST, mime);
    } else {
        api()->easy_setopt(rd.curl, CURLOPT_POSTFIELDS, "");
    }
    CURLcode rc = api()->easy_perform(rd.curl);
    api()->easy_getinfo(rd.curl, CURLINFO_RESPONSE_CODE, &rd.status);

    if (g_atomic_int_get(&stop.flag) == HF_QUERY_STOP_GROUPS) {
        res->stopped = HF_QUERY_TOO_MANY_GROUPS;
    } else if (rc == CURLE_OPERATION_TIMEDOUT && q->deadline_us) {
        res->stopped = HF_QUERY_TIMED_OUT;
    } else if (rc != CURLE_OK) {
        g_set_error(err, CH_ERROR, 1, "ClickHouse %s: %s", c->url,
                    api()->easy_strerror(rc));
        ok = false;
    } else if (rd.status != 200) {
        g_strchomp(rd.error->str);
        g_set_error(err, CH_ERROR, 1, "ClickHouse %s: HTTP %ld: %s", c->url,
                    rd.status, rd.error->str);
        ok = false;
    } else if (rd.buf->len) {
        g_set_error(err, CH_ERROR, 1, "ClickHouse %s: the answer ends "
                    "within a row (%u bytes left)", c->url, rd.buf->len);
        ok = false;
    }
    hf_query_workers_finish(rd.w, 1, res);
    res->scan.records = rd.rows;
    g_string_append_printf(res->explain, "read: %" G_GUINT64_FORMAT " rows; matched %"
                           G_GUINT64_FORMAT ", hidden %" G_GUINT64_FORMAT "\n", rd.rows,
                           res->matched, res->ignored);
    if (res->stopped)
        g_string_append_printf(res->explain, "stopped early: %s\n",
                               res->stopped == HF_QUERY_TIMED_OUT ? "out of time"
                                                                 : "too many groups");
    api()->mime_free(mime);
    api()->easy_cleanup(rd.curl);
    g_free(url);
    g_byte_array_unref(rd.buf);
    g_string_free(rd.error, TRUE);
    hf_ch_sql_clear(&sql);
    return ok;
}

/* A page of several tables: one SELECT each, every one grouped by only
 * what its own keys read (one scan of the files is the files' economy;
 * ClickHouse reads columns, and a narrower GROUP BY returns fewer rows). */
bool
hf_ch_query_run(const struct hf_query *q, struct hf_query_result *res, GError **err)
{
    struct hf_query one = *q;

    one.nmore = 0;
    bool ok = run_one(&one, res, err);
    for (unsigned t = 0; ok && t < q->nmore && !res->stopped; t++) {
        struct hf_query table = one;
        struct hf_query_result r;

        memcpy(table.keys, q->more[t].keys, sizeof(table.keys));
        table.nkeys = q->more[t].nkeys;
        ok = run_one(&table, &r, err);
        g_string_append(res->explain, r.explain->str);
        res->scan.records += r.scan.records;
        res->stopped = r.stopped;
        res->more[t] = r.agg;
        r.agg = NULL;
        hf_query_result_clear(&r);
    }
    return ok;
}
