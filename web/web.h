/* The web view (nfsen-like): overview graphs from the collector's RRDs,
 * top-N details, devices, conversations and their CSV/JSON exports, served
 * read-only over a store with libmicrohttpd (man/hostflow-web.8).  A
 * library, so that hostflow-web and the collector serve the same thing. */
#ifndef HOSTFLOW_WEB_H
#define HOSTFLOW_WEB_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "names.h"

struct hf_web_config {
    const char *store;              /* the collector's store (read only) */
    const char *listen;             /* "ADDR:PORT" (IPv6 as [ADDR]:PORT); NULL: 127.0.0.1:8080 */
    const struct hf_names *names;   /* domains, devices; may be NULL */
    uint64_t max_scan_bytes;        /* a query reading more file bytes: 503; 0: 4 GiB */
    unsigned max_queries;           /* running at once, more: 503; 0: 2 */
    unsigned threads;               /* reading threads per query; 0: 2 */
    const char *javascript_dir;     /* Debian's packaged browser libraries, served
                                       under /js/; NULL: /usr/share/javascript */
};

/* The [web] settings a configuration file or the command line gives;
 * the strings are the holder's to g_free. */
struct hf_web_settings {
    char *listen, *max_scan, *javascript_dir;
    int max_queries;
};

/* The [web] group of a configuration file (kf may be NULL) where the
 * command line left them unset (NULL, 0): listen, max-scan, max-queries,
 * javascript-dir. */
void hf_web_settings_read(GKeyFile *kf, struct hf_web_settings *s);

/* max_scan (a size, may be NULL), max_queries (0 to 64) and
 * javascript_dir (an absolute path without "..", may be NULL) into c (the
 * strings borrowed from s); false with err naming the bad one. */
bool hf_web_settings_apply(struct hf_web_config *c, const struct hf_web_settings *s,
                           GError **err);

void hf_web_settings_clear(struct hf_web_settings *s);

/* Starts serving on its own threads; false with err when it cannot listen. */
bool hf_web_start(const struct hf_web_config *c, GError **err);

/* The port listened on (for a port 0 in listen), 0 when not started. */
unsigned hf_web_port(void);

void hf_web_stop(void);

#endif
