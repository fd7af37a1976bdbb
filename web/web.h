/* The web view (nfsen-like): overview graphs from the collector's RRDs,
 * top-N details, devices, conversations and their CSV/JSON exports, served
 * read-only over a store with libmicrohttpd (man/hostflow-web.8).  A
 * library, so that hostflow-web and the collector serve the same thing. */
#ifndef HOSTFLOW_WEB_H
#define HOSTFLOW_WEB_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <stdio.h>
#include "conf_file.h"
#include "names.h"

struct hf_web_config {
    const char *store;              /* the collector's store (read only) */
    const char *listen;             /* "ADDR:PORT" (IPv6 as [ADDR]:PORT); NULL: 127.0.0.1:8080 */
    const struct hf_names *names;   /* domains, devices; may be NULL */
    uint64_t max_scan_bytes;        /* a query reading more file bytes: 503; 0: 4 GiB */
    unsigned max_queries;           /* running at once, more: 503; 0: 2 */
    unsigned threads;               /* reading threads per query; 0: 2 */
};

/* The [web] section of hostflow.conf(5), for hostflow-web and the
 * collector's embedded view: defaults, the file, then the command line. */
struct hf_web_settings {
    char *listen;                   /* NULL: none (the collector) or 127.0.0.1:8080 */
    uint64_t max_scan_bytes;
    int64_t max_queries;
    int64_t threads;
};
void hf_web_settings_defaults(struct hf_web_settings *s);
/* The file's [web] over the defaults; false with err (file, line, key). */
bool hf_web_settings_load(struct hf_web_settings *s, const struct hf_conf *cf, GError **err);
/* Command-line values (NULL or -1: not given) over the file's; false with
 * err naming the bad option. */
bool hf_web_settings_override(struct hf_web_settings *s, const char *listen,
                              const char *max_scan, int max_queries, int threads,
                              GError **err);
/* As hostflow.conf(5) writes it (--check-config). */
void hf_web_settings_print(FILE *f, const struct hf_web_settings *s);
void hf_web_settings_clear(struct hf_web_settings *s);

/* Starts serving on its own threads; false with err when it cannot listen. */
bool hf_web_start(const struct hf_web_config *c, GError **err);

/* The port listened on (for a port 0 in listen), 0 when not started. */
unsigned hf_web_port(void);

void hf_web_stop(void);

#endif
