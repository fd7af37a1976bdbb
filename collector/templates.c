/* Template storage: compiled templates per session with an exporter-wide
 * fallback, withdrawal, and persistence across restarts (with what options
 * records taught: sampling intervals, boot time). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decoder_int.h"
#include "record_plan.h"

#define STATE_FILE "templates.v1"
#define STATE_MAGIC "HFTMPL01"

static guint
key_hash(gconstpointer p)
{
    const struct hf_tmpl_key *k = p;

    return hf_addr16_hash(k->addr, (uint64_t)k->domain << 32 ^ (uint64_t)k->tid << 16
                                   ^ k->port ^ (uint64_t)k->version << 56);
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct hf_tmpl_key)) == 0;
}

GHashTable *
hf_templates_table(void)
{
    return g_hash_table_new_full(key_hash, key_equal, g_free, g_free);
}

const struct hf_template *
hf_templates_find(struct hf_decoder *d, const struct hf_exporter_id *id,
                  uint16_t tid)
{
    struct hf_tmpl_key k;
    const struct hf_template *t;

    hf_tmpl_key_make(&k, id, true, tid);
    t = g_hash_table_lookup(d->templates, &k);
    if (t)
        return t;
    hf_tmpl_key_make(&k, id, false, tid);
    return g_hash_table_lookup(d->templates, &k);
}

static size_t
template_size(const struct hf_template *t)
{
    return hf_template_size(t->nfields);
}

/* false: refused (counted under s) */
static bool
insert(struct hf_decoder *d, struct hf_session *s, bool session,
       const struct hf_template *t)
{
    struct hf_tmpl_key *k = g_new(struct hf_tmpl_key, 1);
    bool fresh;

    hf_tmpl_key_make(k, &s->st.id, session, t->tid);
    fresh = !g_hash_table_contains(d->templates, k);
    if (fresh && !hf_template_room(d, s)) {
        g_free(k);
        return false;
    }
    g_hash_table_replace(d->templates, k, g_memdup2(t, template_size(t)));
    if (fresh)
        hf_source_templates_added(d, s->src, k);
    return true;
}

bool
hf_templates_add(struct hf_decoder *d, struct hf_session *s,
                 struct hf_template *t)
{
    struct hf_tmpl_key k;
    const struct hf_template *old;
    bool ok;

    hf_tmpl_key_make(&k, &s->st.id, false, t->tid);
    old = g_hash_table_lookup(d->templates, &k);
    if (!old || template_size(old) != template_size(t)
        || memcmp(old, t, template_size(t)) != 0) {
        d->templates_dirty = true;
        if (old) {
            /* legal after a withdrawal or a restart, a sign of trouble when
             * two exporters share an address and domain */
            char who[96];
            hf_session_str(&s->st.id, who, sizeof(who));
            hf_rate_log(&d->log_conflict, s->st.last_seen_ms, "%s: template %u "
                        "redefined with another layout", who, t->tid);
        }
    }
    /* the exporter's scope first: a session template without it would not
     * survive a restart */
    ok = insert(d, s, false, t) && insert(d, s, true, t);
    g_free(t);
    return ok;
}

static gboolean
matches_withdrawal(gpointer key, gpointer value, gpointer user)
{
    const struct hf_tmpl_key *k = key, *w = user;
    const struct hf_template *t = value;

    if (memcmp(k->addr, w->addr, 16) || k->domain != w->domain
        || k->version != w->version || (k->port && k->port != w->port))
        return FALSE;
    if (w->tid == 2)                      /* all data templates */
        return t->scope_count == 0;
    if (w->tid == 3)                      /* all options templates */
        return t->scope_count > 0;
    return k->tid == w->tid;
}

void
hf_templates_withdraw(struct hf_decoder *d, const struct hf_exporter_id *id,
                      uint16_t tid)
{
    struct hf_tmpl_key w;

    guint n;

    hf_tmpl_key_make(&w, id, true, tid);
    n = g_hash_table_foreach_remove(d->templates, matches_withdrawal, &w);
    if (n) {
        d->templates_dirty = true;
        hf_source_templates_removed(d, hf_source_addr_get(d, id->addr), n);
    }
}

struct hf_template *
hf_template_new(uint16_t tid, uint16_t nfields, uint16_t scope_count,
                uint8_t version)
{
    struct hf_template *t = g_malloc0(hf_template_size(nfields));

    t->tid = tid;
    t->nfields = nfields;
    t->scope_count = scope_count;
    t->version = version;
    return t;
}

void
hf_template_layout(struct hf_template *t)
{
    t->min_len = 0;
    t->varlen = false;
    for (uint16_t i = 0; i < t->nfields; i++) {
        const struct hf_tmpl_field *f = &t->f[i];
        if (f->len == HF_VARLEN) {
            t->varlen = true;
            t->min_len += 1;
        } else {
            t->min_len += f->len;
        }
    }
    hf_template_plan(t);
}

bool
hf_template_set_field(struct hf_decoder *d, struct hf_template *t, uint16_t i,
                      uint32_t pen, uint16_t id, uint16_t len)
{
    struct hf_tmpl_field *f = &t->f[i];
    enum hf_ie_action a = hf_ie_lookup(pen, id, d->cfg.enterprise_number);

    f->pen = pen;
    f->id = id;
    f->len = len;
    if (len != HF_VARLEN && !hf_ie_length_fits(a, len)) {
        /* keep decoding the rest of the record, just not this field */
        f->action = IE_SKIP;
        return false;
    }
    f->action = (uint8_t)a;
    return true;
}

/* ---- persistence: exporter-level entries, one binary file per table -----
 *
 * A file is MAGIC, then (struct hf_tmpl_key, uint32 size, size bytes) per
 * exporter-level entry (port 0: sessions end with the process), written to
 * a temporary file, synced and renamed.  A damaged tail only loses the
 * entries in it. */

#define OPTS_FILE "options.v1"
#define OPTS_MAGIC "HFOPTS01"

struct state_kind {
    const char *file, *magic;
    size_t (*size_of)(gconstpointer value);
    bool (*empty)(gconstpointer value);     /* not worth saving; may be NULL */
    /* a loaded value, or NULL to stop reading (damage) */
    gpointer (*accept)(struct hf_decoder *d, const struct hf_tmpl_key *k,
                       const uint8_t *blob, uint32_t size);
};

static bool
state_save(struct hf_decoder *d, const struct state_kind *kind, GHashTable *table)
{
    GHashTableIter it;
    gpointer kp, vp;
    bool ok = false;
    char *path = g_build_filename(d->cfg.state_dir, kind->file, NULL);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    FILE *f = fopen(tmp, "wb");

    if (!f) {
        g_warning("cannot save %s: %s", tmp, g_strerror(errno));
        goto out;
    }
    fwrite(kind->magic, 1, 8, f);
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &kp, &vp)) {
        const struct hf_tmpl_key *k = kp;
        uint32_t size = (uint32_t)kind->size_of(vp);
        if (k->port != 0 || (kind->empty && kind->empty(vp)))
            continue;
        fwrite(k, sizeof(*k), 1, f);
        fwrite(&size, sizeof(size), 1, f);
        fwrite(vp, size, 1, f);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0
        || rename(tmp, path) != 0)
        g_warning("cannot save %s: %s", path, g_strerror(errno));
    else
        ok = true;
out:
    g_free(tmp);
    g_free(path);
    return ok;
}

static void
state_load(struct hf_decoder *d, const struct state_kind *kind, GHashTable *table)
{
    char *path, *data = NULL;
    gsize len = 0, off = 8;

    if (!d->cfg.state_dir)
        return;
    path = g_build_filename(d->cfg.state_dir, kind->file, NULL);
    if (!g_file_get_contents(path, &data, &len, NULL) || len < 8
        || memcmp(data, kind->magic, 8) != 0) {
        g_free(data);
        g_free(path);
        return;
    }
    while (off + sizeof(struct hf_tmpl_key) + 4 <= len) {
        struct hf_tmpl_key k;
        uint32_t size;
        gpointer v;

        memcpy(&k, data + off, sizeof(k));
        memcpy(&size, data + off + sizeof(k), 4);
        off += sizeof(k) + 4;
        if (size > len - off
            || !(v = kind->accept(d, &k, (const uint8_t *)data + off, size)))
            break;
        off += size;
        g_hash_table_replace(table, g_memdup2(&k, sizeof(k)), v);
    }
    g_free(data);
    g_free(path);
}

/* A template is saved without its plan (rebuilt at load, as what the
 * elements mean may have changed with the configuration): the header and
 * the fields, which is all a file of older versions holds too. */
static size_t
template_saved_size(uint16_t nfields)
{
    return sizeof(struct hf_template) + nfields * sizeof(struct hf_tmpl_field);
}

static size_t
template_value_size(gconstpointer v)
{
    return template_saved_size(((const struct hf_template *)v)->nfields);
}

static gpointer
accept_template(struct hf_decoder *d, const struct hf_tmpl_key *k,
                const uint8_t *blob, uint32_t size)
{
    struct hf_template head;

    if (size < sizeof(head))
        return NULL;
    memcpy(&head, blob, sizeof(head));
    if (template_saved_size(head.nfields) != size || head.tid != k->tid)
        return NULL;
    /* only what the exporter said is taken: the rest is derived again */
    struct hf_template *t = hf_template_new(head.tid, head.nfields, head.scope_count,
                                            head.version);
    for (uint16_t i = 0; i < t->nfields; i++) {
        struct hf_tmpl_field f;
        memcpy(&f, blob + sizeof(head) + i * sizeof(f), sizeof(f));
        enum hf_ie_action a = hf_ie_lookup(f.pen, f.id, d->cfg.enterprise_number);
        t->f[i].pen = f.pen;
        t->f[i].id = f.id;
        t->f[i].len = f.len;
        t->f[i].action = (uint8_t)(hf_ie_length_fits(a, f.len) ? a : IE_SKIP);
    }
    hf_template_layout(t);
    return t;
}

static size_t
opts_size(gconstpointer v)
{
    (void)v;
    return sizeof(struct hf_exporter_opts);
}

static bool
opts_empty(gconstpointer v)
{
    const struct hf_exporter_opts *o = v;
    return !o->sysinit_ms && !o->default_interval && !o->n_samplers;
}

static gpointer
accept_opts(struct hf_decoder *d, const struct hf_tmpl_key *k,
            const uint8_t *blob, uint32_t size)
{
    struct hf_exporter_opts *o;

    (void)d;
    (void)k;
    if (size != sizeof(*o))
        return NULL;
    o = g_memdup2(blob, size);
    if (o->n_samplers > G_N_ELEMENTS(o->samplers)) {
        g_free(o);
        return NULL;
    }
    return o;
}

static const struct state_kind templates_kind = {
    STATE_FILE, STATE_MAGIC, template_value_size, NULL, accept_template,
};
static const struct state_kind opts_kind = {
    OPTS_FILE, OPTS_MAGIC, opts_size, opts_empty, accept_opts,
};

void
hf_templates_save(struct hf_decoder *d)
{
    if (!d->cfg.state_dir)
        return;
    if (d->templates_dirty && state_save(d, &templates_kind, d->templates))
        d->templates_dirty = false;
    if (d->opts_dirty && state_save(d, &opts_kind, d->opts))
        d->opts_dirty = false;
}

void
hf_templates_load(struct hf_decoder *d)
{
    GHashTableIter it;
    gpointer k;

    state_load(d, &templates_kind, d->templates);
    state_load(d, &opts_kind, d->opts);
    /* what was loaded counts against its exporter's quotas */
    g_hash_table_iter_init(&it, d->templates);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const struct hf_tmpl_key *key = k;
        hf_source_templates_added(d, hf_source_addr_get(d, key->addr), key);
    }
    g_hash_table_iter_init(&it, d->opts);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const struct hf_tmpl_key *key = k;
        g_ptr_array_add(hf_source_addr_get(d, key->addr)->opts_keys,
                        g_memdup2(key, sizeof(*key)));
    }
}
