#include "web_embed.h"

#include <string.h>

#include "clickhouse_config.h"
#include "names.h"
#include "web.h"

struct hf_web_embed {
    struct hf_names *names;
    char *listen;
    bool tls;
};

bool
hf_web_embed_start(const char *store, const struct hf_clickhouse_config *ch,
                   const struct hf_conf *cf, const struct hf_web_settings *s,
                   struct hf_web_embed **out, GError **err)
{
    struct hf_web_config c = { .store = store };
    struct hf_web_embed *w;

    *out = NULL;
    if (!s->listen)
        return true;                    /* no web view asked for */
    if (s->clickhouse) {
        if (!hf_clickhouse_config_require_url(ch, cf, "web", err))
            return false;
        c.clickhouse = ch;              /* the collector's own, alive as long as it */
    }
    w = g_new0(struct hf_web_embed, 1);
    {
        /* domains and devices as hostflow-web and hostflow-report see them */
        struct hf_names_config nc = { .config = hf_conf_keyfile(cf) };
        w->names = hf_names_load(&nc, err);
        if (!w->names)
            goto fail;
    }
    hf_web_settings_to_config(s, &c);
    w->listen = g_strdup(s->listen);
    w->tls = c.tls_cert != NULL;
    c.listen = w->listen;
    c.names = w->names;
    if (!hf_web_start(&c, err)) {
        g_prefix_error(err, "web view on %s: ", s->listen);
        goto fail;
    }
    *out = w;
    return true;
fail:
    hf_names_free(w->names);
    g_free(w->listen);
    g_free(w);
    return false;
}

char *
hf_web_embed_url(const struct hf_web_embed *w)
{
    const char *colon = strrchr(w->listen, ':');
    int host = colon ? (int)(colon - w->listen) : 0;

    return g_strdup_printf("%s:%.*s:%u", w->tls ? "https" : "http", host, w->listen,
                           hf_web_port());
}

bool
hf_web_embed_reload(struct hf_web_embed *w, GError **err)
{
    return !w || hf_web_reload_users(err);
}

void
hf_web_embed_stop(struct hf_web_embed *w)
{
    if (!w)
        return;
    hf_web_stop();
    hf_names_free(w->names);
    g_free(w->listen);
    g_free(w);
}
