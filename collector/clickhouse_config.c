#include "clickhouse_config.h"

#include <string.h>
#include "size_parse.h"

#define CH_ERROR g_quark_from_static_string("hostflow-clickhouse-config")
#define G "clickhouse"

static const char *const known_keys[] = {
    "url", "database", "table", "cluster", "user", "password-file", "collector-name",
    "batch-records", "batch-seconds", "spool-dir", "spool-size", "store-files",
    "retention-days", NULL,
};

static bool
get_string(GKeyFile *kf, const char *key, char **out)
{
    char *v = g_key_file_get_string(kf, G, key, NULL);

    if (!v)
        return false;
    g_strstrip(v);
    g_free(*out);
    *out = v;
    return true;
}

/* A whole number from MIN to MAX, *out unchanged when absent. */
static bool
get_uint(GKeyFile *kf, const char *key, uint32_t min, uint32_t max, uint32_t *out,
         GError **err)
{
    char *v = g_key_file_get_string(kf, G, key, NULL), *end = NULL;

    if (!v)
        return true;
    g_strstrip(v);
    guint64 n = g_ascii_strtoull(v, &end, 10);
    bool ok = *v && g_ascii_isdigit(*v) && end && !*end && n >= min && n <= max;
    g_free(v);
    if (!ok) {
        g_set_error(err, CH_ERROR, 1, "[clickhouse] %s: want a whole number from %u to %u",
                    key, min, max);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/* Database and table names go into SQL text: plain identifiers only. */
static bool
check_identifier(const char *key, const char *v, GError **err)
{
    bool ok = *v && !g_ascii_isdigit(*v);

    for (const char *p = v; *p && ok; p++)
        ok = g_ascii_isalnum(*p) || *p == '_';
    if (!ok)
        g_set_error(err, CH_ERROR, 1, "[clickhouse] %s: want letters, digits and _ "
                    "(not starting with a digit), got \"%s\"", key, v);
    return ok;
}

static bool
read_password(struct hf_clickhouse_config *c, GError **err)
{
    char *text = NULL;
    GError *e = NULL;

    if (!g_file_get_contents(c->password_file, &text, NULL, &e)) {
        g_set_error(err, CH_ERROR, 1, "[clickhouse] password-file: %s", e->message);
        g_error_free(e);
        return false;
    }
    char *nl = strpbrk(text, "\r\n");
    if (nl)
        *nl = '\0';
    c->password = text;
    return true;
}

bool
hf_clickhouse_config_load(struct hf_clickhouse_config *c, GKeyFile *kf, GError **err)
{
    memset(c, 0, sizeof(*c));
    c->database = g_strdup("hostflow");
    c->table = g_strdup("flows");
    c->cluster = g_strdup("hostflow");
    c->user = g_strdup("default");
    c->collector_name = g_strdup(g_get_host_name());
    c->batch_records = 50000;
    c->batch_seconds = 5;
    c->spool_bytes = UINT64_C(1) << 30;
    c->store_files = true;
    if (!kf || !g_key_file_has_group(kf, G))
        return true;

    gchar **keys = g_key_file_get_keys(kf, G, NULL, NULL);
    for (gchar **k = keys; k && *k; k++) {
        if (!g_strv_contains(known_keys, *k)) {
            g_set_error(err, CH_ERROR, 1, "[clickhouse] %s: unknown key", *k);
            g_strfreev(keys);
            return false;
        }
    }
    g_strfreev(keys);
    get_string(kf, "url", &c->url);
    if (!c->url || !(g_str_has_prefix(c->url, "http://") || g_str_has_prefix(c->url, "https://"))) {
        g_set_error(err, CH_ERROR, 1, "[clickhouse] url: want http://HOST:PORT/ or https://...");
        return false;
    }
    get_string(kf, "database", &c->database);
    get_string(kf, "table", &c->table);
    get_string(kf, "cluster", &c->cluster);
    get_string(kf, "user", &c->user);
    get_string(kf, "collector-name", &c->collector_name);
    if (!check_identifier("database", c->database, err)
        || !check_identifier("table", c->table, err)
        || !check_identifier("cluster", c->cluster, err))
        return false;
    if (get_string(kf, "password-file", &c->password_file) && !read_password(c, err))
        return false;
    if (!get_uint(kf, "batch-records", 1, 10000000, &c->batch_records, err)
        || !get_uint(kf, "batch-seconds", 1, 3600, &c->batch_seconds, err)
        || !get_uint(kf, "retention-days", 0, 100000, &c->retention_days, err))
        return false;
    get_string(kf, "spool-dir", &c->spool_dir);
    char *v = NULL;
    if (get_string(kf, "spool-size", &v)) {
        bool ok = hf_size_parse(v, &c->spool_bytes);
        g_free(v);
        if (!ok) {
            g_set_error(err, CH_ERROR, 1,
                        "[clickhouse] spool-size: want a size like 1G (0: no spool)");
            return false;
        }
    }
    GError *e = NULL;
    if (g_key_file_has_key(kf, G, "store-files", NULL)) {
        c->store_files = g_key_file_get_boolean(kf, G, "store-files", &e);
        if (e) {
            g_error_free(e);
            g_set_error(err, CH_ERROR, 1, "[clickhouse] store-files: want true or false");
            return false;
        }
    }
    return true;
}

void
hf_clickhouse_config_clear(struct hf_clickhouse_config *c)
{
    g_free(c->url);
    g_free(c->database);
    g_free(c->table);
    g_free(c->cluster);
    g_free(c->user);
    g_free(c->password_file);
    if (c->password)
        memset(c->password, 0, strlen(c->password));
    g_free(c->password);
    g_free(c->collector_name);
    g_free(c->spool_dir);
    memset(c, 0, sizeof(*c));
}

void
hf_clickhouse_config_print(const struct hf_clickhouse_config *c, FILE *out)
{
    if (!c->url)
        return;
    fprintf(out, "\n[clickhouse]\nurl = %s\ndatabase = %s\ntable = %s\ncluster = %s\n"
            "user = %s\n", c->url, c->database, c->table, c->cluster, c->user);
    if (c->password_file)
        fprintf(out, "password-file = %s\n", c->password_file);
    fprintf(out, "collector-name = %s\nbatch-records = %u\nbatch-seconds = %u\n",
            c->collector_name, c->batch_records, c->batch_seconds);
    if (c->spool_dir)
        fprintf(out, "spool-dir = %s\n", c->spool_dir);
    fprintf(out, "spool-size = %" G_GUINT64_FORMAT "\nstore-files = %s\nretention-days = %u\n",
            c->spool_bytes, c->store_files ? "true" : "false", c->retention_days);
}
