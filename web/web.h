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
    double max_query_seconds;       /* a query running longer: stopped, 503; 0: 20 */
    uint64_t max_groups;            /* groups a query holds, more: stopped, 503; 0: 1000000 */
    const char *htpasswd;           /* users for basic auth; NULL: none asked */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS; NULL: plain HTTP */
    const char *javascript_dir;     /* Debian's packaged browser libraries, served
                                       under /js/; NULL: /usr/share/javascript */
};

/* The [web] settings as read: from the command line first, then from a
 * configuration file's [web] group where the command line left them unset
 * (NULL, 0). */
struct hf_web_settings {
    char *listen, *max_scan, *htpasswd, *tls_cert, *tls_key, *javascript_dir;
    int max_queries;
    double max_query_seconds;
    gint64 max_groups;
};

/* Fills what s leaves unset from kf's [web] group (kf may be NULL). */
void hf_web_settings_read(GKeyFile *kf, struct hf_web_settings *s);

/* Checks s and puts it into c (whose strings then point into s): sizes
 * and counts in range, the htpasswd file readable with accepted hashes,
 * the TLS certificate and key both given, readable and PEM, the javascript
 * directory absolute and without "..".  False with err naming the bad
 * one. */
bool hf_web_settings_apply(struct hf_web_config *c, const struct hf_web_settings *s,
                           GError **err);

void hf_web_settings_clear(struct hf_web_settings *s);

/* Starts serving on its own threads; false with err when it cannot listen. */
bool hf_web_start(const struct hf_web_config *c, GError **err);

/* The port listened on (for a port 0 in listen), 0 when not started. */
unsigned hf_web_port(void);

/* Reads the htpasswd file again (SIGHUP); on error the old users stay. */
bool hf_web_reload_users(GError **err);

void hf_web_stop(void);

#endif
