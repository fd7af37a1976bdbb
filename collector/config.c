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

/* A non-negative integer key: -1 when absent, error when malformed. */
static bool
get_int(GKeyFile *kf, const char *group, const char *key, int *out, GError **err)
{
    GError *e = NULL;

    *out = -1;
    if (!g_key_file_has_key(kf, group, key, NULL))
        return true;
    int v = g_key_file_get_integer(kf, group, key, &e);
    if (e || v < 0) {
        g_set_error(err, CFG_ERROR, 1, "[%s] %s: want a whole number >= 0", group, key);
        g_clear_error(&e);
        return false;
    }
    *out = v;
    return true;
}

/* A boolean key: *out unchanged when absent, error when malformed. */
static bool
get_bool(GKeyFile *kf, const char *group, const char *key, bool *out, GError **err)
{
    GError *e = NULL;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return true;
    gboolean b = g_key_file_get_boolean(kf, group, key, &e);
    if (e) {
        g_set_error(err, CFG_ERROR, 1, "[%s] %s: want true or false", group, key);
        g_error_free(e);
        return false;
    }
    *out = b;
    return true;
}

/* A whole number key of at least 1 into *out (unchanged when absent). */
static bool
get_count(GKeyFile *kf, const char *group, const char *key, uint32_t *out,
          GError **err)
{
    int i;

    if (!get_int(kf, group, key, &i, err))
        return false;
    if (i == 0) {
        g_set_error(err, CFG_ERROR, 1, "[%s] %s: want a whole number >= 1", group, key);
        return false;
    }
    if (i > 0)
        *out = (uint32_t)i;
    return true;
}

/* A size key ("4M") below 4 GiB into *out (unchanged when absent). */
static bool
get_size32(GKeyFile *kf, const char *group, const char *key, uint32_t *out,
           GError **err)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    uint64_t n;
    bool ok;

    if (!v)
        return true;
    ok = hf_size_parse(v, &n) && n >= 1024 && n < (UINT64_C(1) << 32);
    g_free(v);
    if (!ok) {
        g_set_error(err, CFG_ERROR, 1, "[%s] %s: want a size from 1K to 4095M",
                    group, key);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/* What exporters may make the collector hold (decoder.h). */
static bool
load_limits(struct hf_collector_config *c, GKeyFile *kf, const char *g,
            GError **err)
{
    struct hf_decoder_limits *l = &c->limits;

    return get_count(kf, g, "max-exporters", &l->max_sessions, err)
        && get_count(kf, g, "max-sessions-per-exporter", &l->max_sessions_per_exporter, err)
        && get_count(kf, g, "max-templates", &l->max_templates, err)
        && get_count(kf, g, "max-templates-per-exporter", &l->max_templates_per_exporter, err)
        && get_size32(kf, g, "held-data", &c->held_bytes, err)
        && get_size32(kf, g, "max-held-per-exporter", &l->max_held_per_exporter, err)
        && get_count(kf, g, "status-exporters", &c->status_exporters, err);
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
load_profiles(struct hf_collector_config *c, GKeyFile *kf, GError **err)
{
    gchar **groups = g_key_file_get_groups(kf, NULL);
    bool ok = false;

    for (gchar **g = groups; *g; g++) {
        if (!g_str_has_prefix(*g, "profile "))
            continue;
        const char *name = *g + 8;
        if (!valid_name(name) || strcmp(name, "live") == 0) {
            g_set_error(err, CFG_ERROR, 1, "[%s]: profile names use letters, digits, - _ . "
                        "only, and \"live\" is all traffic", *g);
            goto out;
        }
        for (guint i = 0; i < c->profiles->len; i++)
            if (strcmp(((struct hf_profile *)g_ptr_array_index(c->profiles, i))->name, name) == 0) {
                g_set_error(err, CFG_ERROR, 1, "[%s]: profile defined twice", *g);
                goto out;
            }
        char *text = g_key_file_get_string(kf, *g, "filter", NULL);
        if (!text) {
            g_set_error(err, CFG_ERROR, 1, "[%s]: no filter (filter = EXPR)", *g);
            goto out;
        }
        GError *e = NULL;
        struct hf_filter *f = hf_filter_parse(text, &e);
        if (!f) {
            g_set_error(err, CFG_ERROR, 1, "[%s] filter: %s", *g, e->message);
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
load_sources(struct hf_collector_config *c, GKeyFile *kf, GError **err)
{
    gchar **groups = g_key_file_get_groups(kf, NULL);

    for (gchar **g = groups; *g; g++) {
        if (!g_str_has_prefix(*g, "source "))
            continue;
        const char *name = *g + 7;
        if (!valid_name(name)) {
            g_set_error(err, CFG_ERROR, 1, "[%s]: source names use letters, digits, - _ . only", *g);
            goto fail;
        }
        struct hf_source *s = g_new0(struct hf_source, 1);
        s->name = g_strdup(name);
        g_ptr_array_add(c->sources, s);
        int port;
        if (!get_int(kf, *g, "port", &port, err))
            goto fail;
        if (port > 65535) {
            g_set_error(err, CFG_ERROR, 1, "[%s]: bad port", *g);
            goto fail;
        }
        s->port = port < 0 ? 0 : (uint16_t)port;
        char *exp = g_key_file_get_string(kf, *g, "exporter", NULL);
        if (exp) {
            s->has_exporter = parse_exporter(exp, s->exporter);
            if (!s->has_exporter) {
                g_set_error(err, CFG_ERROR, 1, "[%s]: bad exporter address '%s'", *g, exp);
                g_free(exp);
                goto fail;
            }
            g_free(exp);
        }
    }
    g_strfreev(groups);
    return true;
fail:
    g_strfreev(groups);
    return false;
}

bool
hf_collector_config_load(struct hf_collector_config *c, const char *path,
                         GError **err)
{
    memset(c, 0, sizeof(*c));
    c->listen = g_array_new(FALSE, TRUE, sizeof(struct hf_listen_spec));
    g_array_set_clear_func(c->listen, listen_spec_clear);
    c->sources = g_ptr_array_new_with_free_func(source_free);
    c->profiles = g_ptr_array_new_with_free_func(profile_free);
    c->rrd = true;
    c->store_dir = g_strdup("/var/lib/hostflow/flows");
    c->state_dir = g_strdup("/var/lib/hostflow/state");
    c->slot_seconds = 300;
    c->retention_days = 28;
    c->hourly = true;
    c->hourly_retention_days = 365;
    c->accept_unknown = true;
    c->status_exporters = 100;
    c->rcvbuf = 32 << 20;
    /* the decoder's own defaults (exporters.c, decoder.c), spelled out so
     * that --check-config prints the values in effect */
    c->limits.max_sessions = 65536;
    c->limits.max_sessions_per_exporter = 1024;
    c->limits.max_templates = 65536;
    c->limits.max_templates_per_exporter = 4096;
    c->limits.max_held_per_exporter = 4u << 20;
    c->held_bytes = 16u << 20;
    if (!path)
        return hf_clickhouse_config_load(&c->clickhouse, NULL, err);

    c->config_path = g_strdup(path);
    GKeyFile *kf = g_key_file_new();
    bool ok = false;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, err))
        goto out;
    const char *g = "collector";
    gchar **listen = g_key_file_get_string_list(kf, g, "listen", NULL, NULL);
    for (gchar **l = listen; l && *l; l++) {
        struct hf_listen_spec ls;
        if (!hf_listen_parse(g_strstrip(*l), &ls, err)) {
            g_strfreev(listen);
            goto out;
        }
        g_array_append_val(c->listen, ls);
    }
    g_strfreev(listen);
    char *v;
    if ((v = g_key_file_get_string(kf, g, "store", NULL))) {
        g_free(c->store_dir);
        c->store_dir = v;
    }
    if ((v = g_key_file_get_string(kf, g, "state", NULL))) {
        g_free(c->state_dir);
        c->state_dir = v;
    }
    if ((v = g_key_file_get_string(kf, g, "max-store-size", NULL))) {
        bool size_ok = hf_size_parse(v, &c->max_store_bytes);
        g_free(v);
        if (!size_ok) {
            g_set_error(err, CFG_ERROR, 1, "max-store-size: want a size like 50G");
            goto out;
        }
    }
    int i;
    if (!get_int(kf, g, "slot-seconds", &i, err))
        goto out;
    if (i != -1) {
        if (!hf_slot_seconds_valid(i)) {
            g_set_error(err, CFG_ERROR, 1,
                        "slot-seconds must be whole minutes that divide a day (60, 300, 3600...)");
            goto out;
        }
        c->slot_seconds = (uint32_t)i;
    }
    if (!get_int(kf, g, "retention-days", &i, err))
        goto out;
    if (i != -1)
        c->retention_days = (uint32_t)i;
    if (!get_int(kf, g, "rcvbuf", &i, err))
        goto out;
    if (i != -1) {
        if (i < 4096) {
            g_set_error(err, CFG_ERROR, 1, "rcvbuf must be at least 4096 bytes");
            goto out;
        }
        c->rcvbuf = i;
    }
    if (!get_int(kf, g, "hourly-retention-days", &i, err))
        goto out;
    if (i != -1)
        c->hourly_retention_days = (uint32_t)i;
    if (!get_bool(kf, g, "accept-unknown", &c->accept_unknown, err)
        || !get_bool(kf, g, "hourly", &c->hourly, err)
        || !get_bool(kf, g, "rrd", &c->rrd, err))
        goto out;
    if ((v = g_key_file_get_string(kf, g, "rrdcached", NULL))) {
        g_strstrip(v);
        if (*v)
            c->rrdcached = v;
        else
            g_free(v);
    }
    if (!load_profiles(c, kf, err))
        goto out;
    if (!load_limits(c, kf, g, err))
        goto out;
    if (!hf_clickhouse_config_load(&c->clickhouse, kf, err))
        goto out;
    ok = load_sources(c, kf, err);
out:
    g_key_file_free(kf);
    return ok;
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
