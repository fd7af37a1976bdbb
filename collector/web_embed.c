#include "web_embed.h"

#include <string.h>

#include "names.h"
#include "web.h"

struct hf_web_embed {
    struct hf_names *names;
    char *listen;
    bool tls;
};

/* The configuration file (may be NULL: *kf NULL) and its [web] settings. */
static bool
load_settings(const char *config_path, GKeyFile **kf, struct hf_web_settings *set,
              GError **err)
{
    *kf = NULL;
    if (!config_path)
        return true;
    *kf = g_key_file_new();
    if (!g_key_file_load_from_file(*kf, config_path, G_KEY_FILE_NONE, err))
        return false;
    hf_web_settings_read(*kf, set);
    return true;
}

bool
hf_web_embed_check(const char *config_path, GError **err)
{
    GKeyFile *kf;
    struct hf_web_config c = { 0 };
    struct hf_web_settings set = { 0 };
    bool ok = load_settings(config_path, &kf, &set, err);

    if (ok && !(ok = hf_web_settings_apply(&c, &set, err)))
        g_prefix_error(err, "[web] ");
    hf_web_settings_clear(&set);
    if (kf)
        g_key_file_free(kf);
    return ok;
}

bool
hf_web_embed_reload(struct hf_web_embed *w, GError **err)
{
    return !w || hf_web_reload_users(err);
}

bool
hf_web_embed_start(const char *store, const char *config_path, const char *listen,
                   struct hf_web_embed **out, GError **err)
{
    GKeyFile *kf = NULL;
    struct hf_web_config c = { .store = store };
    struct hf_web_settings set = { 0 };
    struct hf_web_embed *w = NULL;
    bool ok = false;

    *out = NULL;
    if (!load_settings(config_path, &kf, &set, err))
        goto out;
    if (!listen)
        listen = set.listen;
    if (!listen) {
        ok = true;                      /* no web view asked for */
        goto out;
    }
    if (!hf_web_settings_apply(&c, &set, err)) {
        g_prefix_error(err, "[web] ");
        goto out;
    }
    w = g_new0(struct hf_web_embed, 1);
    {
        /* domains and devices as hostflow-web and hostflow-report see them */
        struct hf_names_config nc = { .config = kf };
        w->names = hf_names_load(&nc, err);
        if (!w->names)
            goto out;
    }
    w->listen = g_strdup(listen);
    w->tls = c.tls_cert != NULL;
    c.listen = w->listen;
    c.names = w->names;
    if (!hf_web_start(&c, err)) {
        g_prefix_error(err, "web view on %s: ", listen);
        goto out;
    }
    *out = w;
    w = NULL;
    ok = true;
out:
    if (w) {
        hf_names_free(w->names);
        g_free(w->listen);
        g_free(w);
    }
    hf_web_settings_clear(&set);
    if (kf)
        g_key_file_free(kf);
    return ok;
}

char *
hf_web_embed_url(const struct hf_web_embed *w)
{
    const char *colon = strrchr(w->listen, ':');
    int host = colon ? (int)(colon - w->listen) : 0;

    return g_strdup_printf("%s:%.*s:%u", w->tls ? "https" : "http", host, w->listen,
                           hf_web_port());
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
