/* Inside the web view: the server's state, a reply being built, the pages
 * (pages.c) and graphs (graph.c). */
#ifndef HOSTFLOW_WEB_INT_H
#define HOSTFLOW_WEB_INT_H

#include "auth.h"
#include "params.h"
#include "web.h"

struct hf_web {
    char *store;
    const struct hf_clickhouse_config *clickhouse;  /* NULL: the store's files */
    char *javascript_dir;           /* served under /js/ (javascript.c) */
    const struct hf_names *names;
    uint64_t max_scan_bytes;
    unsigned max_queries, threads;
    gint64 max_query_us;            /* a query's time */
    uint64_t max_groups;            /* a query's groups */
    char *htpasswd;                 /* NULL: no auth */
    struct hf_web_auth *auth;       /* its users; swapped under lock on reload */
    char *tls_cert, *tls_key;       /* PEM text, NULL: plain HTTP */
    GMutex lock;                    /* running, the graph cache, auth */
    unsigned running;
    GHashTable *graphs;             /* "profile/source/what/span" -> struct graph */
};

struct hf_web_reply {
    unsigned status;
    const char *type;               /* Content-Type */
    GString *body;
    char *disposition;              /* Content-Disposition, or NULL */
    unsigned max_age;               /* Cache-Control max-age (s), 0: no-store */
};

/* An error page (plain text; msg is escaped nowhere: text/plain). */
void hf_web_error(struct hf_web_reply *r, unsigned status, const char *msg);

void hf_page_overview(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
void hf_page_details(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
void hf_page_device(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
void hf_page_flows(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
void hf_export_top(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
                   bool json);
void hf_export_flows(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
                     bool json);
void hf_export_device(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
                      bool json);

/* graph.c */
void hf_graph_png(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
void hf_graph_series(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r);
/* STORE/.rrd/PROFILE/SOURCE.rrd, g_free it */
char *hf_graph_rrd_path(struct hf_web *w, const char *profile, const char *source);
void hf_graph_cache_free(gpointer g);

/* javascript.c: /js/REL from the javascript directory */
void hf_web_javascript(struct hf_web *w, const char *rel, struct hf_web_reply *r);

/* device_graph.c: a device's sent and received bytes over the window, in
 * time steps: an SVG image (no script needed) and its JSON */
void hf_device_graph_svg(struct hf_web *w, const struct hf_web_params *p,
                         struct hf_web_reply *r);
void hf_device_graph_json(struct hf_web *w, const struct hf_web_params *p,
                          struct hf_web_reply *r);

/* pages.c, for device_graph.c: runs q for p's window, filter and source
 * (false with r filled: 400, 503 or 500); the filter term naming a device
 * (a MAC, an address or a name) on side "src "/"dst " or either ("") */
struct hf_filter;
bool hf_web_run(struct hf_web *w, const struct hf_web_params *p, struct hf_query *q,
                const struct hf_filter *filter, struct hf_query_result *res,
                struct hf_web_reply *r);
void hf_web_device_term(GString *o, const char *side, const char *v);

extern const char hf_web_css[];
extern const char hf_web_graphs_js[];

#endif
