#include "clickhouse_config.h"

#include <string.h>
#include "conf_file.h"

#define G "clickhouse"

/* Database and table names go into SQL text: plain identifiers only. */
static bool
check_identifier(const struct hf_conf *cf, const char *key, const char *v, GError **err)
{
    bool ok = *v && !g_ascii_isdigit(*v);

    for (const char *p = v; *p && ok; p++)
        ok = g_ascii_isalnum(*p) || *p == '_';
    if (!ok)
        hf_conf_error(cf, err, G, key, "want letters, digits and _ (not starting with a "
                      "digit), got \"%s\"", v);
    return ok;
}

static bool
read_password(const struct hf_conf *cf, struct hf_clickhouse_config *c, GError **err)
{
    char *text = NULL;
    GError *e = NULL;

    if (!g_file_get_contents(c->password_file, &text, NULL, &e)) {
        hf_conf_error(cf, err, G, "password-file", "%s", e->message);
        g_error_free(e);
        return false;
    }
    char *nl = strpbrk(text, "\r\n");
    if (nl)
        *nl = '\0';
    c->password = text;
    return true;
}

void
hf_clickhouse_config_defaults(struct hf_clickhouse_config *c)
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
}

bool
hf_clickhouse_config_load(struct hf_clickhouse_config *c, const struct hf_conf *cf,
                          GError **err)
{
    int64_t records = c->batch_records, secs = c->batch_seconds, days = c->retention_days;

    if (!hf_conf_string(cf, G, "url", &c->url, err)
        || !hf_conf_string(cf, G, "database", &c->database, err)
        || !hf_conf_string(cf, G, "table", &c->table, err)
        || !hf_conf_string(cf, G, "cluster", &c->cluster, err)
        || !hf_conf_string(cf, G, "user", &c->user, err)
        || !hf_conf_string(cf, G, "password-file", &c->password_file, err)
        || !hf_conf_string(cf, G, "collector-name", &c->collector_name, err)
        || !hf_conf_int(cf, G, "batch-records", 1, 10000000, &records, err)
        || !hf_conf_seconds(cf, G, "batch-seconds", 1, 3600, &secs, err)
        || !hf_conf_int(cf, G, "retention-days", 0, 100000, &days, err)
        || !hf_conf_string(cf, G, "spool-dir", &c->spool_dir, err)
        || !hf_conf_size(cf, G, "spool-size", 0, UINT64_MAX, &c->spool_bytes, err)
        || !hf_conf_bool(cf, G, "store-files", &c->store_files, err))
        return false;
    c->batch_records = (uint32_t)records;
    c->batch_seconds = (uint32_t)secs;
    c->retention_days = (uint32_t)days;
    if (c->url && !g_str_has_prefix(c->url, "http://") && !g_str_has_prefix(c->url, "https://")) {
        hf_conf_error(cf, err, G, "url", "want http://HOST:PORT/ or https://...");
        return false;
    }
    if (!check_identifier(cf, "database", c->database, err)
        || !check_identifier(cf, "table", c->table, err)
        || !check_identifier(cf, "cluster", c->cluster, err))
        return false;
    return !c->password_file || read_password(cf, c, err);
}

bool
hf_clickhouse_config_require_url(const struct hf_clickhouse_config *c,
                                 const struct hf_conf *cf, const char *section, GError **err)
{
    if (c->url)
        return true;
    hf_conf_error(cf, err, section, "clickhouse", "the configuration has no [clickhouse] "
                  "url to ask");
    return false;
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
    hf_conf_print_size(out, "spool-size", c->spool_bytes);
    fprintf(out, "store-files = %s\nretention-days = %u\n",
            c->store_files ? "true" : "false", c->retention_days);
}
