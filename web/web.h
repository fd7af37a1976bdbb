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

struct hf_clickhouse_config;

struct hf_web_config {
    const char *store;              /* the collector's store (read only) */
    /* not NULL: queries go to ClickHouse ([clickhouse] url, database,
     * table); the store then gives only the RRD graphs */
    const struct hf_clickhouse_config *clickhouse;
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

/* The [web] section of hostflow.conf(5), for hostflow-web and the
 * collector's embedded view: defaults, the file, then the command line. */
struct hf_web_settings {
    char *listen;                   /* NULL: none (the collector) or 127.0.0.1:8080 */
    uint64_t max_scan_bytes;
    int64_t max_queries;
    int64_t threads;
    double max_query_seconds;
    int64_t max_groups;
    char *htpasswd, *tls_cert, *tls_key;    /* NULL: none */
    char *javascript_dir;           /* served under /js/ */
    bool clickhouse;                /* queries to [clickhouse]'s url, not the files */
};

/* What the command line gave (NULL or -1: not given). */
struct hf_web_options {
    const char *listen, *max_scan, *max_query_seconds, *htpasswd, *tls_cert, *tls_key;
    int max_queries, threads;
    gint64 max_groups;
};

void hf_web_settings_defaults(struct hf_web_settings *s);
/* The file's [web] over the defaults; false with err (file, line, key). */
bool hf_web_settings_load(struct hf_web_settings *s, const struct hf_conf *cf, GError **err);
/* Command-line values over the file's; false with err naming the bad option. */
bool hf_web_settings_override(struct hf_web_settings *s, const struct hf_web_options *o,
                              GError **err);
/* The files the settings name: TLS certificate and key both given,
 * readable and PEM; the htpasswd file readable with accepted hashes.
 * False with err naming the bad one. */
bool hf_web_settings_check_files(const struct hf_web_settings *s, GError **err);
/* Fills c's settings (its strings then point into s). */
void hf_web_settings_to_config(const struct hf_web_settings *s, struct hf_web_config *c);
/* As hostflow.conf(5) writes it (--check-config). */
void hf_web_settings_print(FILE *f, const struct hf_web_settings *s);
void hf_web_settings_clear(struct hf_web_settings *s);

/* Starts serving on its own threads; false with err when it cannot listen. */
bool hf_web_start(const struct hf_web_config *c, GError **err);

/* The port listened on (for a port 0 in listen), 0 when not started. */
unsigned hf_web_port(void);

/* Reads the htpasswd file again (SIGHUP); on error the old users stay. */
bool hf_web_reload_users(GError **err);

void hf_web_stop(void);

#endif
