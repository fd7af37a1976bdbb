#include "query.h"
#include "query_int.h"

#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "filter_env.h"
#include "flow_rules.h"
#include "store_format.h"

#define HOUR_MS 3600000ULL
static bool
over_share(const struct hf_query_worker *w)
{
    if (!w->agg)
        return hf_convs_size(w->convs) > w->max_groups;
    uint64_t n = hf_agg_size(w->agg);
    for (unsigned i = 0; i < w->q->nmore; i++)
        n += hf_agg_size(w->more[i]);
    return n > w->max_groups;
}

/* True when r's name is on the ignore list. */
static bool
name_ignored(const struct hf_query *q, const hf_flow_record_t *r)
{
    uint8_t name_source;
    const fbVarfield_t *name = hf_flow_name(r, &name_source);

    return name->len && hf_names_ignored(q->names, (const char *)name->buf, name->len);
}

/* What the keys read besides a record from source, received by collector
 * (NULL: the query's, else this host). */
static struct hf_key_env
key_env(const struct hf_query *q, const char *source, const char *collector)
{
    return (struct hf_key_env){ source, q->names,
                                collector ? collector
                                          : q->collector ? q->collector : g_get_host_name() };
}

/* Memory follows the groups: past its share, every reader stops. */
static void
check_groups(struct hf_query_worker *w)
{
    if (w->max_groups && over_share(w))
        g_atomic_int_compare_and_exchange(&w->stop->flag, 0, HF_QUERY_STOP_GROUPS);
}

void
hf_query_worker_take(struct hf_query_worker *w, const hf_flow_record_t *r, const char *source,
                     const char *collector, const struct hf_sums *sums)
{
    const struct hf_query *q = w->q;
    bool ignored = w->any_hide && name_ignored(q, r);
    struct hf_key_env kenv = key_env(q, source, collector);
    struct hf_sums own = { 0 };
    if (!sums) {
        hf_sums_add_record(&own, r);
        sums = &own;
    }
    for (unsigned i = 0; i < q->nmore; i++)
        if (!(ignored && w->more_hide[i]))
            hf_agg_add_sums(w->more[i], r, &kenv, sums);
    if (ignored && w->hide_ignored) {
        w->ignored += w->counts_records;
    } else {
        w->matched += w->counts_records;
        if (w->agg)
            hf_agg_add_sums(w->agg, r, &kenv, sums);
        else if (!r->deltaFlowCount)
            hf_convs_add(w->convs, r, source);
    }
    check_groups(w);
}

/* Records are taken in two steps: which are wanted, from the few fields
 * the window, the filter and the ignore list read (on_select), then the
 * chosen ones whole (on_take).  A worker that counts into one table alone
 * counts a chunk at once (its lookups prefetched); others take each record
 * through hf_query_worker_take(). */
static bool
one_table(const struct hf_query_worker *w)
{
    return w->agg && w->q->nmore == 0;
}

static uint32_t
on_select(void *ctx, const hf_flow_record_t *recs, uint32_t n, uint32_t *keep,
          const struct hf_scan_file *f)
{
    struct hf_query_worker *w = ctx;
    const struct hf_query *q = w->q;
    bool one = one_table(w);
    struct hf_filter_env env = { .source = f->source };
    uint32_t m = 0;

    if (w->filter)
        hf_filter_env_names(&env, q->names);
    for (uint32_t i = 0; i < n; i++) {
        const hf_flow_record_t *r = &recs[i];
        if (r->flowEndMilliseconds < q->from_ms || r->flowStartMilliseconds >= q->to_ms)
            continue;
        if (w->filter && !hf_filter_match(w->filter, r, &env))
            continue;
        if (one && w->hide_ignored && name_ignored(q, r)) {
            w->ignored += w->counts_records;
            continue;
        }
        if (one)
            w->matched += w->counts_records;
        keep[m++] = i;
    }
    return m;
}

#define BATCH 256

static void
on_take(void *ctx, const hf_flow_record_t *recs, const uint32_t *keep, uint32_t n,
        const struct hf_scan_file *f)
{
    struct hf_query_worker *w = ctx;
    const struct hf_query *q = w->q;

    if (!one_table(w)) {
        for (uint32_t i = 0; i < n; i++)
            hf_query_worker_take(w, &recs[keep[i]], f->source, NULL, NULL);
        return;
    }
    struct hf_key_env kenv = key_env(q, f->source, NULL);
    const hf_flow_record_t *take[BATCH];
    struct hf_sums sums[BATCH];

    for (uint32_t from = 0; from < n; from += BATCH) {
        uint32_t m = MIN(n - from, BATCH);
        for (uint32_t i = 0; i < m; i++) {
            take[i] = &recs[keep[from + i]];
            memset(&sums[i], 0, sizeof(sums[i]));
            hf_sums_add_record(&sums[i], take[i]);
        }
        if (m == 1)     /* one by one (IPFIX files): the table's ring prefetches */
            hf_agg_add_sums(w->agg, take[0], &kenv, &sums[0]);
        else
            hf_agg_add_batch(w->agg, take, sums, m, &kenv);
        check_groups(w);
    }
}

/* ---- which input ------------------------------------------------------------ */

/* What a filter may read and get the same answer from summaries: they keep
 * the protocol, the flow's name (so its domain), the application and the
 * source, but sum counters, OR flags, zero the other side's address and
 * port, and keep one of the name elements. */
static bool
filter_fits_summaries(const struct hf_filter *f)
{
    const uint64_t fit = HF_FIELD_IPVERSION | HF_FIELD_PROTO | HF_FIELD_DOMAIN
                       | HF_FIELD_APP | HF_FIELD_EXPORTER;

    return (hf_filter_fields(f) & ~fit) == 0;
}

static bool
keys_in_summaries(const struct hf_key *keys, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (!hf_key_in_summaries(keys[i].kind)
            || (keys[i].kind == HF_KEY_TIME && keys[i].step_s < 3600))
            return false;
    return true;
}

bool
hf_query_summaries_fit(const struct hf_query *q, const char **why)
{
    if (q->nkeys == 0) {
        *why = "conversations need the raw flows' ports";
        return false;
    }
    bool fit = keys_in_summaries(q->keys, q->nkeys);
    for (unsigned i = 0; fit && i < q->nmore; i++)
        fit = keys_in_summaries(q->more[i].keys, q->more[i].nkeys);
    if (!fit) {
        *why = "a key the summaries do not keep";
        return false;
    }
    if (q->filter && !filter_fits_summaries(q->filter)) {
        *why = "the filter reads fields the summaries do not keep";
        return false;
    }
    if (q->from_ms % HOUR_MS || (q->to_ms != UINT64_MAX && q->to_ms % HOUR_MS)) {
        *why = "the window is not whole hours";
        return false;
    }
    *why = NULL;
    return true;
}

static guint
file_hour_hash(gconstpointer p)
{
    const struct hf_scan_file *f = p;
    return g_str_hash(f->source) ^ (guint)(f->start_ms / HOUR_MS);
}

static gboolean
file_hour_equal(gconstpointer a, gconstpointer b)
{
    const struct hf_scan_file *x = a, *y = b;
    return x->start_ms / HOUR_MS == y->start_ms / HOUR_MS && strcmp(x->source, y->source) == 0;
}

/* True when every hour of every source that has raw files in the window
 * has its summary (the roll-up may be off, or not done with an hour). */
static bool
summaries_cover(GPtrArray *flows, GPtrArray *hourly)
{
    GHashTable *have = g_hash_table_new(file_hour_hash, file_hour_equal);
    bool ok = true;

    for (guint i = 0; i < hourly->len; i++)
        g_hash_table_add(have, g_ptr_array_index(hourly, i));
    for (guint i = 0; i < flows->len && ok; i++)
        ok = g_hash_table_contains(have, g_ptr_array_index(flows, i));
    g_hash_table_destroy(have);
    return ok;
}

static GPtrArray *
choose_files(const struct hf_query *q, struct hf_query_result *res)
{
    GPtrArray *flows = NULL, *hourly = NULL;
    const char *why = NULL;

    if (q->input != HF_INPUT_FLOWS && q->input != HF_INPUT_IPFIX)
        hourly = hf_scan_files(q->store, q->sources, q->from_ms, q->to_ms, true);
    if (q->input != HF_INPUT_HOURLY)
        flows = hf_scan_files(q->store, q->sources, q->from_ms, q->to_ms, false);
    if (q->input == HF_INPUT_HOURLY) {
        res->hourly = true;
        g_string_append(res->explain, "input: hourly summaries (asked for)\n");
        return hourly;
    }
    if (q->input == HF_INPUT_AUTO && hf_query_summaries_fit(q, &why)) {
        if (summaries_cover(flows, hourly)) {
            res->hourly = true;
            g_string_append(res->explain, "input: hourly summaries (keys, filter and "
                            "window fit, every hour summarised)\n");
            g_ptr_array_unref(flows);
            return hourly;
        }
        why = "some hours of the window are not summarised yet";
    }
    g_string_append_printf(res->explain, "input: raw flows (%s)\n",
                           q->input == HF_INPUT_FLOWS || q->input == HF_INPUT_IPFIX
                           ? "asked for" : why);
    if (hourly)
        g_ptr_array_unref(hourly);
    return flows;
}

/* ---- which fields ----------------------------------------------------------- */

/* The column groups (columns.h) a filter reads; a field this does not
 * know reads everything. */
static uint32_t
filter_groups(const struct hf_filter *f)
{
    static const struct { uint64_t fields; uint32_t groups; } map[] = {
        { HF_FIELD_SRCADDR, HF_COLS_SRC },
        { HF_FIELD_DSTADDR, HF_COLS_DST },
        { HF_FIELD_IPVERSION | HF_FIELD_PROTO, HF_COLS_PROTO },
        { HF_FIELD_PACKETS | HF_FIELD_BYTES | HF_FIELD_SAMPLING | HF_FIELD_FLOWS,
          HF_COLS_COUNT },
        { HF_FIELD_TIME, HF_COLS_TIME },
        { HF_FIELD_EXPORTER, 0 },
        { HF_FIELD_SRCPORT | HF_FIELD_DSTPORT, HF_COLS_PORT },
        { HF_FIELD_IN_IF | HF_FIELD_OUT_IF, HF_COLS_IF },
        { HF_FIELD_TCPFLAGS | HF_FIELD_TOS | HF_FIELD_VLAN, HF_COLS_MISC },
        { HF_FIELD_SRCMAC | HF_FIELD_DSTMAC, HF_COLS_MAC },
        { HF_FIELD_HOSTNAME | HF_FIELD_APP | HF_FIELD_DOMAIN | HF_FIELD_DNSQUERY, HF_COLS_NAMES },
        /* devices: by MAC or address, the client side by ports */
        { HF_FIELD_SRCDEVICE | HF_FIELD_DSTDEVICE, HF_COLS_ADDR | HF_COLS_PORT | HF_COLS_MAC },
    };
    uint64_t fields = f ? hf_filter_fields(f) : 0;
    uint32_t groups = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (fields & map[i].fields) {
            groups |= map[i].groups;
            fields &= ~map[i].fields;
        }
    return fields ? HF_COLS_ALL : groups;
}

static uint32_t
key_groups(const struct hf_key *k)
{
    switch (k->kind) {
    case HF_KEY_SRCIP:
        return HF_COLS_SRC;
    case HF_KEY_DSTIP:
        return HF_COLS_DST;
    case HF_KEY_IP:
        return HF_COLS_ADDR;
    case HF_KEY_SRCPORT: case HF_KEY_DSTPORT: case HF_KEY_PORT:
        return HF_COLS_PORT;
    case HF_KEY_PROTO: case HF_KEY_EXPORTER: case HF_KEY_COLLECTOR: case HF_KEY_TIME:
        return 0;
    case HF_KEY_CLIENT: case HF_KEY_SERVER: case HF_KEY_SERVICE: case HF_KEY_DEVICE:
        return HF_COLS_ADDR | HF_COLS_PORT | HF_COLS_MAC;
    case HF_KEY_HOSTNAME: case HF_KEY_DOMAIN: case HF_KEY_APP:
        return HF_COLS_NAMES;
    case HF_KEY_IN_IF: case HF_KEY_OUT_IF:
        return HF_COLS_IF;
    case HF_KEY_SRCMAC: case HF_KEY_DSTMAC:
        return HF_COLS_MAC;
    default:
        return HF_COLS_ALL;
    }
}

/* What the query reads of each record: the times, counters and protocol
 * always, then its filter's and keys' fields; conversations everything. */
static uint32_t
query_groups(const struct hf_query *q, bool names_hidden)
{
    uint32_t g = HF_COLS_BASE | filter_groups(q->filter);

    if (q->nkeys == 0)
        return HF_COLS_ALL;
    if (names_hidden)
        g |= HF_COLS_NAMES;
    for (unsigned i = 0; i < q->nkeys; i++)
        g |= key_groups(&q->keys[i]);
    for (unsigned t = 0; t < q->nmore; t++)
        for (unsigned i = 0; i < q->more[t].nkeys; i++)
            g |= key_groups(&q->more[t].keys[i]);
    return g;
}

/* What on_select() reads: the times, the IP version and protocol, the
 * filter's fields and the names when the ignore list hides some; the rest
 * is read for the records it chooses alone. */
static uint32_t
select_groups(const struct hf_query *q)
{
    uint32_t g = HF_COLS_TIME | HF_COLS_PROTO | filter_groups(q->filter);

    return hf_query_hides_names(q) ? g | HF_COLS_NAMES : g;
}

/* ---- sharing keys out -------------------------------------------------------- */

/* Keys that run into millions of groups: each thread counts a share of
 * them over all records, so each group is held once (no merge, no
 * copy in each thread's table).  Reading every record on every thread is
 * cheap from columns only. */
static bool
many_groups(const struct hf_key *keys, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        switch (keys[i].kind) {
        case HF_KEY_SRCIP: case HF_KEY_DSTIP: case HF_KEY_IP:
        case HF_KEY_CLIENT: case HF_KEY_SERVER:
            return true;
        default:
            break;
        }
    return false;
}

static bool
share_keys(const struct hf_query *q, GPtrArray *files, bool hourly, unsigned threads)
{
    if (threads < 2 || q->nkeys == 0 || hourly || q->input == HF_INPUT_IPFIX)
        return false;
    bool many = many_groups(q->keys, q->nkeys);
    for (unsigned t = 0; t < q->nmore; t++)
        many |= many_groups(q->more[t].keys, q->more[t].nkeys);
    for (guint i = 0; many && i < files->len; i++)
        many = hf_columns_valid(((const struct hf_scan_file *)g_ptr_array_index(files, i))->path);
    return many;
}

/* ---- running ------------------------------------------------------------------ */

/* The ignore list hides noise where names are shown (the timeline, tables
 * by hostname or domain); a table by address or port counts everything,
 * as nfdump would. */
static bool
shows_names(const struct hf_key *keys, unsigned n)
{
    if (n == 0)
        return true;
    for (unsigned i = 0; i < n; i++)
        if (keys[i].kind == HF_KEY_HOSTNAME || keys[i].kind == HF_KEY_DOMAIN)
            return true;
    return false;
}

static unsigned
cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

bool
hf_query_hides_names(const struct hf_query *q)
{
    return !q->all_names && q->names && shows_names(q->keys, q->nkeys);
}

struct hf_query_worker *
hf_query_workers_new(const struct hf_query *q, unsigned n, struct hf_decode_stop *stop)
{
    /* each thread's worker on cache lines of its own: the counters it
     * bumps per record must not share a line with another thread's */
    struct hf_query_worker *w = g_aligned_alloc0(n, sizeof(*w), HF_CACHE_LINE);
    bool hides = !q->all_names && q->names;

    for (unsigned i = 0; i < n; i++) {
        w[i].q = q;
        w[i].filter = q->filter && !hf_filter_always(q->filter) ? q->filter : NULL;
        w[i].counts_records = true;
        w[i].hide_ignored = hf_query_hides_names(q);
        w[i].stop = stop;
        w[i].max_groups = q->max_groups ? MAX(q->max_groups / n, 1) : 0;
        w[i].any_hide = w[i].hide_ignored;
        if (q->nkeys)
            w[i].agg = hf_agg_new(q->keys, q->nkeys);
        else
            w[i].convs = hf_convs_new();
        for (unsigned t = 0; q->nkeys && t < q->nmore; t++) {
            w[i].more[t] = hf_agg_new(q->more[t].keys, q->more[t].nkeys);
            w[i].more_hide[t] = hides && shows_names(q->more[t].keys, q->more[t].nkeys);
            w[i].any_hide |= w[i].more_hide[t];
        }
    }
    return w;
}

void
hf_query_workers_finish(struct hf_query_worker *w, unsigned n, struct hf_query_result *res)
{
    const struct hf_query *q = w[0].q;

    for (unsigned i = 0; i < n; i++) {
        res->matched += w[i].matched;
        res->ignored += w[i].ignored;
        if (i == 0)
            continue;
        if (q->nkeys && w[i].shared) {
            hf_agg_adopt(w[0].agg, w[i].agg);
            for (unsigned t = 0; t < q->nmore; t++)
                hf_agg_adopt(w[0].more[t], w[i].more[t]);
        } else if (q->nkeys) {
            hf_agg_merge(w[0].agg, w[i].agg);
            hf_agg_free(w[i].agg);
            for (unsigned t = 0; t < q->nmore; t++) {
                hf_agg_merge(w[0].more[t], w[i].more[t]);
                hf_agg_free(w[i].more[t]);
            }
        } else {
            hf_convs_merge(w[0].convs, w[i].convs);
            hf_convs_free(w[i].convs);
        }
    }
    res->agg = w[0].agg;
    for (unsigned t = 0; t < q->nmore; t++)
        res->more[t] = w[0].more[t];
    res->convs = w[0].convs;
    g_aligned_free(w);
}

bool
hf_query_run(const struct hf_query *q, struct hf_query_result *res, GError **err)
{
    unsigned n = q->threads ? q->threads : cores();
    struct hf_decode_stop stop = { 0, q->deadline_us };
    GPtrArray *files;
    bool ok;

    if (q->clickhouse)
        return hf_ch_query_run(q, res, err);
    memset(res, 0, sizeof(*res));
    res->explain = g_string_new(NULL);
    /* a store of a newer format, or a damaged marker: nothing is read */
    if (hf_store_format_read(q->store, err) < 0)
        return false;
    if (q->filter) {
        char *text = hf_filter_to_string(q->filter);
        g_string_append_printf(res->explain, "filter: %s\n", text);
        g_free(text);
    }
    files = choose_files(q, res);
    g_string_append_printf(res->explain, "files: %u\n", files->len);
    if (hf_query_hides_names(q))
        g_string_append(res->explain, "names on the ignore list: hidden (--all shows them)\n");
    struct hf_query_worker *w = hf_query_workers_new(q, n, &stop);
    bool shared = share_keys(q, files, res->hourly, n);
    if (shared)
        g_string_append_printf(res->explain, "keys shared out over %u threads, each reading "
                               "every record\n", n);
    void **ctxs = g_new(void *, n);
    for (unsigned i = 0; i < n; i++) {
        ctxs[i] = &w[i];
        if (!shared)
            continue;
        w[i].shared = true;
        w[i].counts_records = i == 0;
        hf_agg_partition(w[i].agg, i, n);
        for (unsigned t = 0; t < q->nmore; t++)
            hf_agg_partition(w[i].more[t], i, n);
    }
    struct hf_scan_reader rd = {
        .groups = q->input == HF_INPUT_IPFIX ? 0 : query_groups(q, w[0].any_hide),
        .first = select_groups(q), .select = on_select, .fn = on_take,
        .every_thread = shared,
    };
    ok = hf_scan_run_fields(files, n, &rd, ctxs,
                            q->deadline_us || q->max_groups ? &stop : NULL, &res->scan, err);
    if (res->scan.stopped || g_atomic_int_get(&stop.flag))
        res->stopped = g_atomic_int_get(&stop.flag) == HF_QUERY_STOP_GROUPS
                       ? HF_QUERY_TOO_MANY_GROUPS : HF_QUERY_TIMED_OUT;
    hf_query_workers_finish(w, n, res);
    g_string_append_printf(res->explain, "read: %" G_GUINT64_FORMAT " files, %"
                           G_GUINT64_FORMAT " records, %" G_GUINT64_FORMAT
                           " unreadable files; matched %" G_GUINT64_FORMAT
                           ", hidden %" G_GUINT64_FORMAT "\n", res->scan.files,
                           res->scan.records, res->scan.files_bad, res->matched,
                           res->ignored);
    if (res->scan.columns_files)
        g_string_append_printf(res->explain, "columns: %" G_GUINT64_FORMAT " of the files "
                               "read from their columns\n", res->scan.columns_files);
    if (res->stopped)
        g_string_append_printf(res->explain, "stopped early: %s\n",
                               res->stopped == HF_QUERY_TIMED_OUT ? "out of time"
                                                                 : "too many groups");
    g_ptr_array_unref(files);
    g_free(ctxs);
    return ok;
}

void
hf_query_result_clear(struct hf_query_result *res)
{
    hf_agg_free(res->agg);
    for (unsigned t = 0; t < HF_QUERY_MORE_MAX; t++)
        hf_agg_free(res->more[t]);
    hf_convs_free(res->convs);
    if (res->explain)
        g_string_free(res->explain, TRUE);
    memset(res, 0, sizeof(*res));
}
