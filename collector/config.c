#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define CFG_ERROR g_quark_from_static_string("hostflow-config")

static void
listen_spec_clear(gpointer p)
{
    g_free(((struct hf_listen_spec *)p)->host);
}

static void
source_free(gpointer p)
{
    struct hf_source *s = p;
    g_free(s->name);
    g_free(s);
}

bool
hf_slot_seconds_valid(long s)
{
    /* file names resolve minutes; slots must tile a day exactly */
    return s >= 60 && s <= 86400 && s % 60 == 0 && 86400 % s == 0;
}

/* A whole number key into a uint32_t (unchanged when absent). */
static bool
get_u32(const struct hf_conf *cf, const char *key, int64_t min, int64_t max,
        uint32_t *out, GError **err)
{
    int64_t v = *out;

    if (!hf_conf_int(cf, "collector", key, min, max, &v, err))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* A size key ("4M") below 4 GiB into *out (unchanged when absent). */
static bool
get_size32(const struct hf_conf *cf, const char *key, uint32_t *out, GError **err)
{
    uint64_t v = *out;

    if (!hf_conf_size(cf, "collector", key, 1024, UINT64_C(4095) << 20, &v, err))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* What exporters may make the collector hold (decoder.h). */
static bool
load_limits(struct hf_collector_config *c, const struct hf_conf *cf, GError **err)
{
    struct hf_decoder_limits *l = &c->limits;

    return get_u32(cf, "max-exporters", 1, INT32_MAX, &l->max_sessions, err)
        && get_u32(cf, "max-sessions-per-exporter", 1, INT32_MAX,
                   &l->max_sessions_per_exporter, err)
        && get_u32(cf, "max-templates", 1, INT32_MAX, &l->max_templates, err)
        && get_u32(cf, "max-templates-per-exporter", 1, INT32_MAX,
                   &l->max_templates_per_exporter, err)
        && get_size32(cf, "held-data", &c->held_bytes, err)
        && get_size32(cf, "max-held-per-exporter", &l->max_held_per_exporter, err)
        && get_u32(cf, "status-exporters", 1, INT32_MAX, &c->status_exporters, err);
}

bool
hf_listen_parse(const char *spec, struct hf_listen_spec *out, GError **err)
{
    const char *p = spec;
    char *host = NULL;

    memset(out, 0, sizeof(*out));
    if (g_str_has_prefix(p, "udp:"))
        p += 4;
    else if (g_str_has_prefix(p, "tcp:")) {
        out->tcp = true;
        p += 4;
    }
    const char *port = p;
    if (p[0] == '[') {
        const char *end = strchr(p, ']');
        if (!end || end[1] != ':')
            goto bad;
        host = g_strndup(p + 1, end - p - 1);
        port = end + 2;
    } else if (strrchr(p, ':')) {
        const char *c = strrchr(p, ':');
        host = g_strndup(p, c - p);
        port = c + 1;
    }
    char *end;
    long v = strtol(port, &end, 10);
    if (*port == 0 || *end || v < 0 || v > 65535)
        goto bad;
    out->port = (uint16_t)v;
    out->host = host;
    return true;
bad:
    g_free(host);
    g_set_error(err, CFG_ERROR, 1, "bad listen spec '%s' (want [udp:|tcp:][HOST:]PORT)", spec);
    return false;
}

static bool
parse_exporter(const char *s, uint8_t addr[16])
{
    struct in_addr a4;

    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, &a4) == 1) {
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s, addr) == 1;
}

/* Source names become directory names: keep them plain. */
static bool
valid_name(const char *n)
{
    if (!*n || n[0] == '.' || strlen(n) > 64)
        return false;
    for (; *n; n++)
        if (!g_ascii_isalnum(*n) && *n != '-' && *n != '_' && *n != '.')
            return false;
    return true;
}

static void
profile_free(gpointer p)
{
    struct hf_profile *x = p;
    g_free(x->name);
    g_free(x->filter_text);
    hf_filter_free(x->filter);
    g_free(x);
}

/* [profile NAME] filter = EXPR: a time series of the records it matches. */
static bool
load_profiles(struct hf_collector_config *c, const struct hf_conf *cf, GError **err)
{
    gchar **groups = hf_conf_sections(cf, "profile ");
    bool ok = false;

    for (gchar **g = groups; *g; g++) {
        const char *name = *g + 8;
        if (!valid_name(name) || strcmp(name, "live") == 0) {
            hf_conf_error(cf, err, *g, NULL, "profile names use letters, digits, - _ . "
                          "only, and \"live\" is all traffic");
            goto out;
        }
        char *text = NULL;
        if (!hf_conf_string(cf, *g, "filter", &text, err))
            goto out;
        if (!text) {
            hf_conf_error(cf, err, *g, NULL, "no filter (filter = EXPR)");
            goto out;
        }
        GError *e = NULL;
        struct hf_filter *f = hf_filter_parse(text, &e);
        if (!f) {
            hf_conf_error(cf, err, *g, "filter", "%s", e->message);
            g_error_free(e);
            g_free(text);
            goto out;
        }
        struct hf_profile *p = g_new0(struct hf_profile, 1);
        p->name = g_strdup(name);
        p->filter_text = text;
        p->filter = f;
        g_ptr_array_add(c->profiles, p);
    }
    ok = true;
out:
    g_strfreev(groups);
    return ok;
}

static bool
load_sources(struct hf_collector_config *c, const struct hf_conf *cf, GError **err)
{
    gchar **groups = hf_conf_sections(cf, "source ");
    bool ok = false;

    for (gchar **g = groups; *g; g++) {
        const char *name = *g + 7;
        if (!valid_name(name)) {
            hf_conf_error(cf, err, *g, NULL, "source names use letters, digits, - _ . only");
            goto out;
        }
        struct hf_source *s = g_new0(struct hf_source, 1);
        s->name = g_strdup(name);
        g_ptr_array_add(c->sources, s);
        int64_t port = 0;
        if (!hf_conf_int(cf, *g, "port", 0, 65535, &port, err))
            goto out;
        s->port = (uint16_t)port;
        char *exp = NULL;
        if (!hf_conf_string(cf, *g, "exporter", &exp, err))
            goto out;
        if (exp) {
            s->has_exporter = parse_exporter(exp, s->exporter);
            if (!s->has_exporter)
                hf_conf_error(cf, err, *g, "exporter", "'%s': not an IPv4 or IPv6 address", exp);
            g_free(exp);
            if (!s->has_exporter)
                goto out;
        }
    }
    ok = true;
out:
    g_strfreev(groups);
    return ok;
}

static bool
load_listen(struct hf_collector_config *c, const struct hf_conf *cf, GError **err)
{
    char **listen = NULL;
    bool ok = hf_conf_strv(cf, "collector", "listen", &listen, err);

    for (char **l = listen; ok && l && *l; l++) {
        struct hf_listen_spec ls;
        GError *e = NULL;
        if (!hf_listen_parse(*l, &ls, &e)) {
            hf_conf_error(cf, err, "collector", "listen", "%s", e->message);
            g_error_free(e);
            ok = false;
        } else {
            g_array_append_val(c->listen, ls);
        }
    }
    g_strfreev(listen);
    return ok;
}

void
hf_collector_config_defaults(struct hf_collector_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen = g_array_new(FALSE, TRUE, sizeof(struct hf_listen_spec));
    g_array_set_clear_func(c->listen, listen_spec_clear);
    c->sources = g_ptr_array_new_with_free_func(source_free);
    c->profiles = g_ptr_array_new_with_free_func(profile_free);
    c->rrd = true;
    c->store_dir = g_strdup(HF_DEFAULT_STORE);
    c->state_dir = g_strdup("/var/lib/hostflow/state");
    c->slot_seconds = 300;
    c->retention_days = 28;
    c->columns = true;
    c->hourly = true;
    c->hourly_retention_days = 365;
    c->accept_unknown = true;
    c->status_exporters = 100;
    c->log_stats_seconds = 300;
    c->rcvbuf = 32 << 20;
    /* the decoder's own defaults (exporters.c, decoder.c), spelled out so
     * that --check-config prints the values in effect */
    c->limits.max_sessions = 65536;
    c->limits.max_sessions_per_exporter = 1024;
    c->limits.max_templates = 65536;
    c->limits.max_templates_per_exporter = 4096;
    c->limits.max_held_per_exporter = 4u << 20;
    c->held_bytes = 16u << 20;
    c->queue_memory = HF_QUEUE_MEMORY_DEFAULT;
    hf_clickhouse_config_defaults(&c->clickhouse);
}

/* A profile may name domains and devices: the lists the report uses. */
static bool
load_profile_names(struct hf_collector_config *c, const struct hf_conf *cf, GError **err)
{
    struct hf_names_config nc = { .config = hf_conf_keyfile(cf) };
    GError *e = NULL;

    if (!c->profiles->len)
        return true;
    if (!(c->names = hf_names_load(&nc, &e))) {
        g_set_error(err, CFG_ERROR, 1, "domain and device lists for the profiles: %s",
                    e->message);
        g_error_free(e);
        return false;
    }
    return true;
}

bool
hf_collector_config_load(struct hf_collector_config *c, const struct hf_conf *cf,
                         GError **err)
{
    const char *g = "collector";
    int64_t slot = c->slot_seconds, rcvbuf = c->rcvbuf, log_stats = c->log_stats_seconds;

    if (hf_conf_path(cf))
        c->config_path = g_strdup(hf_conf_path(cf));
    if (!load_listen(c, cf, err)
        || !hf_conf_string(cf, g, "store", &c->store_dir, err)
        || !hf_conf_string(cf, g, "state", &c->state_dir, err)
        || !hf_conf_size(cf, g, "max-store-size", 0, UINT64_MAX, &c->max_store_bytes, err)
        || !hf_conf_size(cf, g, "queue-memory", HF_QUEUE_MEMORY_MIN, UINT64_C(1) << 40,
                         &c->queue_memory, err)
        || !hf_conf_int(cf, g, "slot-seconds", 60, 86400, &slot, err)
        || !get_u32(cf, "retention-days", 0, INT32_MAX, &c->retention_days, err)
        || !hf_conf_int(cf, g, "rcvbuf", 4096, INT32_MAX, &rcvbuf, err)
        || !get_u32(cf, "hourly-retention-days", 0, INT32_MAX, &c->hourly_retention_days, err)
        || !hf_conf_bool(cf, g, "accept-unknown", &c->accept_unknown, err)
        || !hf_conf_bool(cf, g, "hourly", &c->hourly, err)
        || !hf_conf_bool(cf, g, "columns", &c->columns, err)
        || !hf_conf_bool(cf, g, "rrd", &c->rrd, err)
        || !hf_conf_string(cf, g, "rrdcached", &c->rrdcached, err)
        || !hf_conf_seconds(cf, g, "log-stats", 0, 86400, &log_stats, err))
        return false;
    c->log_stats_seconds = (uint32_t)log_stats;
    if (!hf_slot_seconds_valid(slot)) {
        hf_conf_error(cf, err, g, "slot-seconds", "must be whole minutes that divide a day "
                      "(60, 300, 3600...)");
        return false;
    }
    c->slot_seconds = (uint32_t)slot;
    c->rcvbuf = (int)rcvbuf;
    if (c->rrdcached && !*c->rrdcached) {
        g_free(c->rrdcached);
        c->rrdcached = NULL;
    }
    return load_profiles(c, cf, err) && load_profile_names(c, cf, err)
        && load_limits(c, cf, err) && hf_clickhouse_config_load(&c->clickhouse, cf, err)
        && load_sources(c, cf, err);
}

void
hf_collector_config_clear(struct hf_collector_config *c)
{
    if (c->listen)
        g_array_free(c->listen, TRUE);
    if (c->sources)
        g_ptr_array_free(c->sources, TRUE);
    g_free(c->store_dir);
    g_free(c->state_dir);
    g_free(c->config_path);
    if (c->profiles)
        g_ptr_array_free(c->profiles, TRUE);
    hf_names_free(c->names);
    g_free(c->rrdcached);
    hf_clickhouse_config_clear(&c->clickhouse);
    memset(c, 0, sizeof(*c));
}

bool
hf_config_names_exporter(const struct hf_collector_config *c,
                         const uint8_t addr[16])
{
    for (guint i = 0; i < c->sources->len; i++) {
        const struct hf_source *s = g_ptr_array_index(c->sources, i);
        if (s->has_exporter && memcmp(s->exporter, addr, 16) == 0)
            return true;
    }
    return false;
}

char *
hf_source_for(const struct hf_collector_config *c, const struct hf_exporter_id *id)
{
    const struct hf_source *best = NULL;

    /* an exporter-specific source beats a port-only one */
    for (guint i = 0; i < c->sources->len; i++) {
        const struct hf_source *s = g_ptr_array_index(c->sources, i);
        if (s->port && s->port != id->local_port)
            continue;
        if (s->has_exporter && memcmp(s->exporter, id->addr, 16) != 0)
            continue;
        if (!best || (s->has_exporter && !best->has_exporter))
            best = s;
    }
    if (best)
        return g_strdup(best->name);
    if (!c->accept_unknown)
        return NULL;
    char addr[64];
    hf_exporter_addr_str(id->addr, addr, sizeof(addr));
    g_strdelimit(addr, ":", '_');
    return g_strdup_printf("exp-%s", addr);
}
