/* Exporter bookkeeping: sessions, per-address quotas and eviction.
 *
 * Anyone can spoof a UDP source, so what one address makes the decoder hold
 * (sessions, templates, data held for templates) is bounded per address,
 * and the tables as a whole are bounded too.  When a table is full, room is
 * made by evicting from the least recently seen address that is not a
 * configured source: its oldest session (counters and sequence tracking:
 * its templates stay, keyed by address) or all its templates; when nothing
 * can be evicted the newcomer is refused and counted.  State is never
 * shared between exporters: an evicted session's counters are summed into
 * the decoder's "evicted" counters, an address's options knowledge goes
 * with its last session, template and held data. */
#include <string.h>

#include "decoder_int.h"

/* how far down the least-recently-seen list to look for a victim: bounded,
 * so a full table costs the same per datagram however large it is */
#define EVICT_SCAN 256

static guint
addr_hash(gconstpointer p)
{
    return hf_addr16_hash(p, 0);
}

static gboolean
addr_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 16) == 0;
}

static guint
id_hash(gconstpointer p)
{
    const struct hf_exporter_id *id = p;
    return hf_exporter_addr_hash(id, id->domain * 2654435761u ^ id->port ^
                                     (guint)id->version << 24);
}

static gboolean
id_equal(gconstpointer a, gconstpointer b)
{
    const struct hf_exporter_id *x = a, *y = b;
    return x->domain == y->domain && x->port == y->port
        && x->version == y->version && x->local_port == y->local_port
        && memcmp(x->addr, y->addr, 16) == 0;
}

static void
source_addr_free(gpointer p)
{
    struct hf_source_addr *a = p;

    g_ptr_array_unref(a->tmpl_keys);
    g_ptr_array_unref(a->opts_keys);
    g_free(a);
}

void
hf_exporters_init(struct hf_decoder *d)
{
    struct hf_decoder_limits *l = &d->cfg.limits;

    if (!l->max_sessions)
        l->max_sessions = 65536;
    if (!l->max_sessions_per_exporter)
        l->max_sessions_per_exporter = 1024;
    if (!l->max_templates)
        l->max_templates = 65536;
    if (!l->max_templates_per_exporter)
        l->max_templates_per_exporter = 4096;
    if (!l->max_held_per_exporter)
        l->max_held_per_exporter = 4u << 20;
    d->sessions = g_hash_table_new_full(id_hash, id_equal, NULL, g_free);
    d->addrs = g_hash_table_new_full(addr_hash, addr_equal, NULL, source_addr_free);
    g_queue_init(&d->sess_lru);
    g_queue_init(&d->tmpl_lru);
}

void
hf_exporters_free(struct hf_decoder *d)
{
    /* the lists' links are embedded in the addresses and sessions: freed
     * with them, never by g_queue_clear (GSlice would take them back) */
    g_hash_table_destroy(d->sessions);
    g_hash_table_destroy(d->addrs);
    g_queue_init(&d->sess_lru);
    g_queue_init(&d->tmpl_lru);
}

struct hf_source_addr *
hf_source_addr_get(struct hf_decoder *d, const uint8_t addr[16])
{
    struct hf_source_addr *a = g_hash_table_lookup(d->addrs, addr);

    if (a)
        return a;
    a = g_new0(struct hf_source_addr, 1);
    memcpy(a->addr, addr, 16);
    a->named = d->cfg.is_named && d->cfg.is_named(d->cfg.named_ctx, addr);
    a->with_sessions.data = a;
    a->with_templates.data = a;
    g_queue_init(&a->sess_lru);
    a->tmpl_keys = g_ptr_array_new_with_free_func(g_free);
    a->opts_keys = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(d->addrs, a->addr, a);
    return a;
}

void
hf_source_addr_release(struct hf_decoder *d, struct hf_source_addr *a)
{
    if (a->sessions || a->templates || a->held_bytes)
        return;
    for (guint i = 0; i < a->opts_keys->len; i++)
        g_hash_table_remove(d->opts, g_ptr_array_index(a->opts_keys, i));
    g_hash_table_remove(d->addrs, a->addr);
}

/* Keeps a's place in the two least-recently-seen lists in step with its
 * counts: call after sessions or templates changed from `before`. */
static void
sessions_changed(struct hf_decoder *d, struct hf_source_addr *a, uint32_t before)
{
    if (!before && a->sessions)
        g_queue_push_tail_link(&d->sess_lru, &a->with_sessions);
    else if (before && !a->sessions)
        g_queue_unlink(&d->sess_lru, &a->with_sessions);
}

static void
templates_changed(struct hf_decoder *d, struct hf_source_addr *a, uint32_t before)
{
    if (!before && a->templates)
        g_queue_push_tail_link(&d->tmpl_lru, &a->with_templates);
    else if (before && !a->templates)
        g_queue_unlink(&d->tmpl_lru, &a->with_templates);
}

static void
to_tail(GQueue *q, GList *link)
{
    if (link->next == NULL && q->tail == link)
        return;
    g_queue_unlink(q, link);
    g_queue_push_tail_link(q, link);
}

static void
touch(struct hf_decoder *d, struct hf_source_addr *a, struct hf_session *s,
      uint64_t now_ms)
{
    s->st.last_seen_ms = now_ms;
    if (now_ms < a->last_seen_ms)
        return;                 /* held data decoded late: not news */
    a->last_seen_ms = now_ms;
    if (a->sessions)
        to_tail(&d->sess_lru, &a->with_sessions);
    if (a->templates)
        to_tail(&d->tmpl_lru, &a->with_templates);
    to_tail(&a->sess_lru, &s->lru);
}

static void
session_evict(struct hf_decoder *d, struct hf_session *s)
{
    struct hf_source_addr *a = s->src;

    hf_exporter_stats_add(&d->c.evicted, &s->st);
    d->c.sessions_evicted++;
    g_queue_unlink(&a->sess_lru, &s->lru);
    a->sessions--;
    sessions_changed(d, a, a->sessions + 1);
    g_hash_table_remove(d->sessions, &s->st.id);   /* frees s */
    hf_source_addr_release(d, a);
}

/* The least recently seen address of list q other than keep and not
 * named; NULL if none within the scan bound (only named ones are passed
 * over, so the bound is reached only when hundreds of sources are named). */
static struct hf_source_addr *
victim(GQueue *q, const struct hf_source_addr *keep)
{
    int n = 0;

    for (GList *l = q->head; l && n < EVICT_SCAN; l = l->next, n++) {
        struct hf_source_addr *a = l->data;
        if (a != keep && !a->named)
            return a;
    }
    return NULL;
}

struct hf_session *
hf_session_find(struct hf_decoder *d, const struct hf_exporter_id *id)
{
    return g_hash_table_lookup(d->sessions, id);
}

struct hf_session *
hf_session_get(struct hf_decoder *d, const struct hf_exporter_id *id,
               uint64_t now_ms)
{
    struct hf_session *s = g_hash_table_lookup(d->sessions, id);
    struct hf_source_addr *a, *v = NULL;

    if (s) {
        touch(d, s->src, s, now_ms);
        return s;
    }
    a = hf_source_addr_get(d, id->addr);
    if (a->sessions >= d->cfg.limits.max_sessions_per_exporter) {
        v = a;                  /* its own oldest session makes room */
    } else if (g_hash_table_size(d->sessions) >= d->cfg.limits.max_sessions) {
        v = victim(&d->sess_lru, a);
        if (!v) {
            hf_source_addr_release(d, a);
            return NULL;
        }
        if (v->last_seen_ms + 60000 > now_ms) {
            char addr[64];
            hf_exporter_addr_str(v->addr, addr, sizeof(addr));
            hf_rate_log(&d->log_full, now_ms, "%u exporter sessions (max-exporters): "
                        "one of %s, seen %" G_GUINT64_FORMAT " s ago, evicted",
                        g_hash_table_size(d->sessions), addr,
                        (now_ms - v->last_seen_ms) / 1000);
        }
    }
    s = g_new0(struct hf_session, 1);
    s->st.id = *id;
    s->src = a;
    s->lru.data = s;
    a->sessions++;
    sessions_changed(d, a, a->sessions - 1);
    g_queue_push_tail_link(&a->sess_lru, &s->lru);
    /* evicting after the new session is in: a cannot be freed meanwhile */
    if (v)
        session_evict(d, v->sess_lru.head->data);
    g_hash_table_insert(d->sessions, &s->st.id, s);
    /* options knowledge is per exporter address and domain */
    struct hf_tmpl_key k;
    hf_tmpl_key_make(&k, id, false, 0);
    s->opts = g_hash_table_lookup(d->opts, &k);
    if (!s->opts) {
        s->opts = g_new0(struct hf_exporter_opts, 1);
        g_hash_table_insert(d->opts, g_memdup2(&k, sizeof(k)), s->opts);
        g_ptr_array_add(a->opts_keys, g_memdup2(&k, sizeof(k)));
    }
    /* known from an earlier session, or from before a restart */
    s->st.sampling_interval = s->opts->default_interval;
    touch(d, a, s, now_ms);
    return s;
}

/* Removes every template entry of address a (some of its recorded keys
 * may already be gone: withdrawn or replaced). */
static void
templates_evict(struct hf_decoder *d, struct hf_source_addr *a)
{
    uint32_t before = a->templates;

    for (guint i = 0; i < a->tmpl_keys->len; i++)
        g_hash_table_remove(d->templates, g_ptr_array_index(a->tmpl_keys, i));
    d->c.templates_evicted += a->templates;
    d->templates_dirty = true;
    a->templates = 0;
    templates_changed(d, a, before);
    g_ptr_array_set_size(a->tmpl_keys, 0);
    hf_source_addr_release(d, a);
}

bool
hf_template_room(struct hf_decoder *d, struct hf_session *s)
{
    struct hf_source_addr *a = s->src;
    char who[96], addr[64];

    if (a->templates >= d->cfg.limits.max_templates_per_exporter) {
        s->st.templates_refused++;
        hf_session_str(&s->st.id, who, sizeof(who));
        hf_rate_log(&d->log_quota, s->st.last_seen_ms, "%s: new template refused, "
                    "its address holds %u template entries (max-templates-per-exporter)",
                    who, a->templates);
        return false;
    }
    if (g_hash_table_size(d->templates) < d->cfg.limits.max_templates)
        return true;
    struct hf_source_addr *v = victim(&d->tmpl_lru, a);
    hf_session_str(&s->st.id, who, sizeof(who));
    if (!v) {
        s->st.templates_refused++;
        hf_rate_log(&d->log_full, s->st.last_seen_ms, "%s: new template refused, "
                    "%u template entries (max-templates), none can be evicted",
                    who, g_hash_table_size(d->templates));
        return false;
    }
    hf_exporter_addr_str(v->addr, addr, sizeof(addr));
    hf_rate_log(&d->log_full, s->st.last_seen_ms, "%s: %u template entries "
                "(max-templates): the %u of %s, least recently seen, evicted",
                who, g_hash_table_size(d->templates), v->templates, addr);
    templates_evict(d, v);
    return true;
}

/* Keeps only the keys still in the table, once each. */
static void
tmpl_keys_compact(struct hf_decoder *d, struct hf_source_addr *a)
{
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < a->tmpl_keys->len; i++) {
        gpointer orig = NULL;
        if (g_hash_table_lookup_extended(d->templates,
                                         g_ptr_array_index(a->tmpl_keys, i),
                                         &orig, NULL)
            && g_hash_table_add(seen, orig))
            g_ptr_array_add(keep, g_memdup2(orig, sizeof(struct hf_tmpl_key)));
    }
    g_hash_table_destroy(seen);
    g_ptr_array_unref(a->tmpl_keys);
    a->tmpl_keys = keep;
}

void
hf_source_templates_added(struct hf_decoder *d, struct hf_source_addr *a,
                          const struct hf_tmpl_key *k)
{
    a->templates++;
    templates_changed(d, a, a->templates - 1);
    /* keys of withdrawn templates linger in the list: drop them now and
     * then, so a withdraw-and-redefine loop cannot grow it */
    if (a->tmpl_keys->len >= 2 * a->templates + 64)
        tmpl_keys_compact(d, a);
    g_ptr_array_add(a->tmpl_keys, g_memdup2(k, sizeof(*k)));
}

void
hf_source_templates_removed(struct hf_decoder *d, struct hf_source_addr *a,
                            guint n)
{
    uint32_t before = a->templates;

    a->templates = n < a->templates ? a->templates - n : 0;
    templates_changed(d, a, before);
    if (a->templates == 0)
        g_ptr_array_set_size(a->tmpl_keys, 0);
    hf_source_addr_release(d, a);
}
