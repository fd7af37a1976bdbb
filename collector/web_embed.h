/* The web view inside the collector: the server of hostflow-web (web/web.h),
 * read-only over the store this collector writes, when the configuration's
 * [web] group has listen = ADDR:PORT or --web ADDR:PORT is given. */
#ifndef HOSTFLOW_COLLECTOR_WEB_EMBED_H
#define HOSTFLOW_COLLECTOR_WEB_EMBED_H

#include <stdbool.h>
#include <glib.h>

struct hf_web_embed;

/* *out NULL when no web view is asked for; false with err when one is
 * asked for and cannot start (a bad [web] value, the port taken). */
bool hf_web_embed_start(const char *store, const char *config_path, const char *listen,
                        struct hf_web_embed **out, GError **err);

/* --check-config: the [web] values of config_path (may be NULL), the
 * htpasswd file and TLS files included; false with err naming the bad one. */
bool hf_web_embed_check(const char *config_path, GError **err);

/* SIGHUP: the htpasswd file again; false (the old users kept) with err.
 * w may be NULL (no web view): true. */
bool hf_web_embed_reload(struct hf_web_embed *w, GError **err);

/* "http:ADDR:PORT" (or https:) it serves on (for the log line). */
char *hf_web_embed_url(const struct hf_web_embed *w);

void hf_web_embed_stop(struct hf_web_embed *w);

#endif
