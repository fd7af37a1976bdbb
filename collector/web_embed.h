/* The web view inside the collector: the server of hostflow-web (web/web.h),
 * read-only over the store this collector writes, when the configuration's
 * [web] group has listen = ADDR:PORT or --web ADDR:PORT is given. */
#ifndef HOSTFLOW_COLLECTOR_WEB_EMBED_H
#define HOSTFLOW_COLLECTOR_WEB_EMBED_H

#include <stdbool.h>
#include <glib.h>

struct hf_web_embed;

struct hf_conf;
struct hf_web_settings;
struct hf_clickhouse_config;

/* *out NULL when no web view is asked for (no listen); false with err
 * when one is asked for and cannot start (the port taken).  Devices come
 * from the configuration's [devices]; with [web] clickhouse = true the
 * queries go to ch (the collector's [clickhouse], kept alive by it). */
bool hf_web_embed_start(const char *store, const struct hf_clickhouse_config *ch,
                        const struct hf_conf *cf, const struct hf_web_settings *s,
                        struct hf_web_embed **out, GError **err);

/* SIGHUP: the htpasswd file again; false (the old users kept) with err.
 * w may be NULL (no web view): true. */
bool hf_web_embed_reload(struct hf_web_embed *w, GError **err);

/* "http:ADDR:PORT" (or https:) it serves on (for the log line). */
char *hf_web_embed_url(const struct hf_web_embed *w);

void hf_web_embed_stop(struct hf_web_embed *w);

#endif
