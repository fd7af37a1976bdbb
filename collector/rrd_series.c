#include "rrd_series.h"

#include "flow_rules.h"
#include "filter_env.h"
#include "query.h"

#include <stdio.h>
#include <string.h>

#define GRACE_MS 2000           /* records still queued at a slot's end */
#define JUMP_MS 5000            /* wall and monotonic clocks disagree: a jump */

struct open_slot {
    uint64_t start;
    GHashTable *sources;        /* interned source → struct hf_rrd_sums[n] */
};

struct hf_rrd_series {
    struct hf_rrd_files *files;
    const struct hf_rrd_profile_def *profiles;
    unsigned n;
    const struct hf_names *names;
    uint32_t step;
    GPtrArray *open;            /* struct open_slot *, by start */
    GHashTable *seen;           /* interned source → first slot start (boxed) */
    uint64_t first_full;        /* slots before it are not drawn */
    uint64_t next_flush;        /* the next slot to write */
    uint64_t last_wall, last_mono;
    uint64_t late;
    /* the last record's sums: records come in runs per exporter and
     * slot, so most skip the name check and the lookups.  Keyed by the
     * interned name; dropped whenever an open slot goes. */
    const char *last_source;
    uint64_t last_from_ms, last_to_ms;  /* its slot, in ms: no division */
    struct hf_rrd_sums *last_sums;
};

static uint64_t
slot_of(const struct hf_rrd_series *s, uint64_t ms)
{
    uint64_t t = ms / 1000;
    return t - t % s->step;
}

static void
open_slot_free(gpointer p)
{
    struct open_slot *o = p;
    g_hash_table_destroy(o->sources);
    g_free(o);
}

/* Starts over at now: the slot being filled is partly unknown. */
static void
restart(struct hf_rrd_series *s, uint64_t now_ms)
{
    s->last_sums = NULL;
    g_ptr_array_set_size(s->open, 0);
    s->next_flush = slot_of(s, now_ms);
    s->first_full = s->next_flush + s->step;
}

struct hf_rrd_series *
hf_rrd_series_new(const char *store_dir, uint32_t step, const char *daemon,
                  const struct hf_rrd_profile_def *profiles, unsigned n,
                  const struct hf_names *names, uint64_t now_ms)
{
    struct hf_rrd_series *s = g_new0(struct hf_rrd_series, 1);
    char *dir = g_build_filename(store_dir, HF_RRD_DIR, NULL);

    s->files = hf_rrd_files_new(dir, step, daemon);
    g_free(dir);
    s->profiles = profiles;
    s->names = names;
    s->n = n;
    s->step = step;
    s->open = g_ptr_array_new_with_free_func(open_slot_free);
    s->seen = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    restart(s, now_ms);
    s->last_wall = now_ms;
    s->last_mono = (uint64_t)g_get_monotonic_time() / 1000;
    return s;
}

/* Inlined into hf_rrd_series_add(), which adds every stored record. */
static inline __attribute__((always_inline)) void
sums_add(struct hf_rrd_sums *sums, const struct hf_rrd_profile_def *profiles,
         unsigned n, const struct hf_names *names, const char *source,
         const hf_flow_record_t *rec)
{
    unsigned c = hf_rrd_proto_class(rec->protocolIdentifier);
    uint64_t scale = hf_flow_scale(rec), flows = hf_flow_count(rec);
    struct hf_filter_env env;
    bool env_set = false;       /* "live" alone (the usual) needs none */

    for (unsigned i = 0; i < n; i++) {
        if (profiles[i].filter) {
            if (!env_set) {
                env = (struct hf_filter_env){ .source = source };
                hf_filter_env_names(&env, names);
                env_set = true;
            }
            if (!hf_filter_match(profiles[i].filter, rec, &env))
                continue;
        }
        sums[i].flows[c] += flows;
        sums[i].packets[c] += rec->packetDeltaCount * scale;
        sums[i].bytes[c] += rec->octetDeltaCount * scale;
    }
}

void
hf_rrd_sums_add(struct hf_rrd_sums *sums, const struct hf_rrd_profile_def *profiles,
                unsigned n, const struct hf_names *names, const char *source,
                const hf_flow_record_t *rec)
{
    sums_add(sums, profiles, n, names, source, rec);
}

void
hf_rrd_series_add(struct hf_rrd_series *s, const char *source,
                  const hf_flow_record_t *rec, uint64_t now_ms)
{
    if (s->last_sums && source == s->last_source && now_ms >= s->last_from_ms
        && now_ms < s->last_to_ms) {
        sums_add(s->last_sums, s->profiles, s->n, s->names, source, rec);
        return;
    }
    uint64_t start = slot_of(s, now_ms);

    if (start < s->next_flush) {
        s->late++;
        return;
    }
    if (!hf_rrd_name_ok(source) || strcmp(source, HF_RRD_TOTAL) == 0)
        return;
    source = g_intern_string(source);
    if (!g_hash_table_contains(s->seen, source))
        g_hash_table_insert(s->seen, (gpointer)source, g_memdup2(&start, sizeof(start)));
    struct open_slot *o = NULL;
    guint i;
    for (i = 0; i < s->open->len; i++) {
        struct open_slot *x = g_ptr_array_index(s->open, i);
        if (x->start == start) {
            o = x;
            break;
        }
        if (x->start > start)
            break;
    }
    if (!o) {
        o = g_new0(struct open_slot, 1);
        o->start = start;
        o->sources = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        g_ptr_array_insert(s->open, (gint)i, o);
    }
    struct hf_rrd_sums *sums = g_hash_table_lookup(o->sources, source);
    if (!sums) {
        sums = g_new0(struct hf_rrd_sums, s->n);
        g_hash_table_insert(o->sources, (gpointer)source, sums);
    }
    s->last_source = source;
    s->last_from_ms = start * 1000;
    s->last_to_ms = (start + s->step) * 1000;
    s->last_sums = sums;
    sums_add(sums, s->profiles, s->n, s->names, source, rec);
}

static void
flush(struct hf_rrd_series *s, uint64_t start)
{
    struct open_slot *o = NULL;

    if (s->open->len) {
        struct open_slot *x = g_ptr_array_index(s->open, 0);
        if (x->start == start)
            o = x;
    }
    if (start >= s->first_full) {
        struct hf_rrd_sums *total = g_new0(struct hf_rrd_sums, s->n);
        static const struct hf_rrd_sums zero;
        bool any = false;
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, s->seen);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            if (*(uint64_t *)v > start)
                continue;
            any = true;
            const struct hf_rrd_sums *sums = o ? g_hash_table_lookup(o->sources, k) : NULL;
            for (unsigned p = 0; p < s->n; p++) {
                const struct hf_rrd_sums *x = sums ? &sums[p] : &zero;
                hf_rrd_files_write(s->files, s->profiles[p].name, k, start, x);
                for (unsigned c = 0; c < HF_RRD_NPROTO; c++) {
                    total[p].flows[c] += x->flows[c];
                    total[p].packets[c] += x->packets[c];
                    total[p].bytes[c] += x->bytes[c];
                }
            }
        }
        for (unsigned p = 0; any && p < s->n; p++)
            hf_rrd_files_write(s->files, s->profiles[p].name, HF_RRD_TOTAL, start, &total[p]);
        g_free(total);
    }
    if (o) {
        s->last_sums = NULL;
        g_ptr_array_remove_index(s->open, 0);
    }
}

static void
flush_until(struct hf_rrd_series *s, uint64_t limit_ms)
{
    /* slots older than the next to write (cannot be: records of them are
     * late) never stay */
    while (s->open->len
           && ((struct open_slot *)g_ptr_array_index(s->open, 0))->start < s->next_flush) {
        s->last_sums = NULL;
        g_ptr_array_remove_index(s->open, 0);
    }
    while ((s->next_flush + s->step) * 1000 <= limit_ms) {
        flush(s, s->next_flush);
        s->next_flush += s->step;
    }
}

void
hf_rrd_series_tick(struct hf_rrd_series *s, uint64_t now_ms)
{
    uint64_t mono = (uint64_t)g_get_monotonic_time() / 1000;
    int64_t drift = ((int64_t)now_ms - (int64_t)s->last_wall)
                  - ((int64_t)mono - (int64_t)s->last_mono);

    s->last_wall = now_ms;
    s->last_mono = mono;
    if (drift > JUMP_MS || drift < -JUMP_MS) {
        fprintf(stderr, "hostflow-collector: the clock jumped %+" G_GINT64_FORMAT
                " s: time series unknown until the next whole slot\n", drift / 1000);
        restart(s, now_ms);
        return;
    }
    flush_until(s, now_ms > GRACE_MS ? now_ms - GRACE_MS : 0);
}

void
hf_rrd_series_finish(struct hf_rrd_series *s, uint64_t now_ms)
{
    hf_rrd_series_tick(s, now_ms + GRACE_MS);
}

void
hf_rrd_series_free(struct hf_rrd_series *s)
{
    if (!s)
        return;
    hf_rrd_files_free(s->files);
    g_ptr_array_unref(s->open);
    g_hash_table_destroy(s->seen);
    g_free(s);
}

struct hf_rrd_stats
hf_rrd_series_stats(const struct hf_rrd_series *s)
{
    struct hf_rrd_stats st = hf_rrd_files_stats(s->files);
    st.late_records = s->late;
    return st;
}
