/* The web view's HTTP side: libmicrohttpd on a few threads, one route
 * table (path, the parameters it takes, the handler), GET and HEAD only;
 * everything else is 400, 404 or 405 with a short text. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "clock.h"
#include "store_format.h"
#include "web_int.h"

#define ANY_TIME (HF_WP_FROM | HF_WP_TO | HF_WP_TZ)
#define QUERY (HF_WP_SOURCE | HF_WP_FILTER | ANY_TIME)

enum route_kind {
    R_OVERVIEW, R_DETAILS, R_DEVICE, R_FLOWS, R_GRAPH, R_SERIES, R_CSS, R_SCRIPT,
    R_DEVICE_SVG, R_DEVICE_SERIES, R_JS_LIB, R_TOP_CSV, R_TOP_JSON, R_FLOWS_CSV,
    R_FLOWS_JSON, R_DEVICE_CSV, R_DEVICE_JSON,
};

static const struct {
    const char *path;
    enum route_kind kind;
    unsigned allowed;
} routes[] = {
    { "/", R_OVERVIEW, HF_WP_SPAN | HF_WP_TZ },
    { "/details", R_DETAILS, QUERY | HF_WP_ORDER | HF_WP_N },
    { "/device", R_DEVICE, HF_WP_NAME | HF_WP_SOURCE | ANY_TIME },
    { "/flows", R_FLOWS, QUERY | HF_WP_PAGE | HF_WP_N },
    { "/graph.png", R_GRAPH, HF_WP_PROFILE | HF_WP_SOURCE | HF_WP_WHAT | HF_WP_SPAN },
    { "/api/series.json", R_SERIES, HF_WP_PROFILE | HF_WP_SOURCE | HF_WP_WHAT | HF_WP_SPAN },
    { "/static/style.css", R_CSS, 0 },
    { "/static/graphs.js", R_SCRIPT, 0 },
    { "/device.svg", R_DEVICE_SVG, HF_WP_NAME | HF_WP_SOURCE | ANY_TIME },
    { "/api/device-series.json", R_DEVICE_SERIES, HF_WP_NAME | HF_WP_SOURCE | ANY_TIME },
    { "/js/", R_JS_LIB, 0 },                    /* a prefix: the javascript directory */
    { "/api/top.csv", R_TOP_CSV, QUERY | HF_WP_ORDER | HF_WP_N | HF_WP_BY },
    { "/api/top.json", R_TOP_JSON, QUERY | HF_WP_ORDER | HF_WP_N | HF_WP_BY },
    { "/api/flows.csv", R_FLOWS_CSV, QUERY | HF_WP_PAGE | HF_WP_N },
    { "/api/flows.json", R_FLOWS_JSON, QUERY | HF_WP_PAGE | HF_WP_N },
    { "/api/device.csv", R_DEVICE_CSV, HF_WP_NAME | HF_WP_SOURCE | ANY_TIME | HF_WP_BY },
    { "/api/device.json", R_DEVICE_JSON, HF_WP_NAME | HF_WP_SOURCE | ANY_TIME | HF_WP_BY },
};

static struct hf_web *web;
static struct MHD_Daemon *daemon_;
static unsigned port_;

static GQuark
web_quark(void)
{
    return g_quark_from_static_string("hf-web");
}

void
hf_web_error(struct hf_web_reply *r, unsigned status, const char *msg)
{
    r->status = status;
    r->type = "text/plain; charset=utf-8";
    r->disposition = NULL;
    r->max_age = 0;
    g_string_assign(r->body, msg);
    g_string_append_c(r->body, '\n');
}

struct collect {
    GArray *pairs;
    bool nul;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
            const char *value, size_t vlen)
{
    struct collect *c = cls;
    struct hf_web_pair p = { key, klen, value, vlen };

    (void)kind;
    if (memchr(key, 0, klen) || (value && memchr(value, 0, vlen)))
        c->nul = true;
    if (c->pairs->len < 100)
        g_array_append_val(c->pairs, p);
    return MHD_YES;
}

static void
dispatch(struct MHD_Connection *conn, const char *url, struct hf_web_reply *r)
{
    struct collect c = { g_array_new(FALSE, FALSE, sizeof(struct hf_web_pair)), false };
    struct hf_web_params p;
    GError *err = NULL;
    int k = -1;

    for (size_t i = 0; i < G_N_ELEMENTS(routes); i++)
        if (!strcmp(url, routes[i].path)
            || (routes[i].kind == R_JS_LIB && g_str_has_prefix(url, routes[i].path)))
            k = (int)i;
    if (k < 0) {
        hf_web_error(r, strstr(url, "..") ? 400 : 404,
                     strstr(url, "..") ? "Bad path" : "Not found");
        g_array_unref(c.pairs);
        return;
    }
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
    if (c.nul) {
        hf_web_error(r, 400, "Bad request: NUL byte in a parameter");
        g_array_unref(c.pairs);
        return;
    }
    if (!hf_web_params_parse((struct hf_web_pair *)(void *)c.pairs->data, c.pairs->len,
                             routes[k].allowed, hf_wall_ms(), &p, &err)) {
        GString *m = g_string_new("Bad request: ");
        g_string_append(m, err->message);
        hf_web_error(r, 400, m->str);
        g_string_free(m, TRUE);
        g_clear_error(&err);
        hf_web_params_clear(&p);
        g_array_unref(c.pairs);
        return;
    }
    switch (routes[k].kind) {
    case R_OVERVIEW: hf_page_overview(web, &p, r); break;
    case R_DETAILS: hf_page_details(web, &p, r); break;
    case R_DEVICE: hf_page_device(web, &p, r); break;
    case R_FLOWS: hf_page_flows(web, &p, r); break;
    case R_GRAPH: hf_graph_png(web, &p, r); break;
    case R_SERIES: hf_graph_series(web, &p, r); break;
    case R_CSS:
        r->type = "text/css; charset=utf-8";
        r->max_age = 3600;
        g_string_assign(r->body, hf_web_css);
        break;
    case R_SCRIPT:
        r->type = "text/javascript; charset=utf-8";
        r->max_age = 3600;
        g_string_assign(r->body, hf_web_graphs_js);
        break;
    case R_DEVICE_SVG: hf_device_graph_svg(web, &p, r); break;
    case R_DEVICE_SERIES: hf_device_graph_json(web, &p, r); break;
    case R_JS_LIB: hf_web_javascript(web, url + strlen(routes[k].path), r); break;
    case R_TOP_CSV: hf_export_top(web, &p, r, false); break;
    case R_TOP_JSON: hf_export_top(web, &p, r, true); break;
    case R_FLOWS_CSV: hf_export_flows(web, &p, r, false); break;
    case R_FLOWS_JSON: hf_export_flows(web, &p, r, true); break;
    case R_DEVICE_CSV: hf_export_device(web, &p, r, false); break;
    case R_DEVICE_JSON: hf_export_device(web, &p, r, true); break;
    }
    hf_web_params_clear(&p);
    g_array_unref(c.pairs);
}

/* True when the request may be served: no users configured, or the
 * Authorization header names one with its password. */
static bool
authorized(struct MHD_Connection *conn)
{
    struct hf_web_auth *a;
    bool ok;

    g_mutex_lock(&web->lock);
    a = hf_web_auth_ref(web->auth);
    g_mutex_unlock(&web->lock);
    if (!a)
        return true;
    ok = hf_web_auth_check(a, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_AUTHORIZATION));
    hf_web_auth_unref(a);
    return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **state)
{
    struct hf_web_reply r = { 200, "text/html; charset=utf-8", g_string_new(NULL), NULL, 0 };
    struct MHD_Response *resp;
    enum MHD_Result ret;
    static int marker;

    (void)cls, (void)version, (void)upload_data;
    if (!*state) {                  /* headers only so far */
        *state = &marker;
        return MHD_YES;
    }
    if (*upload_size) {             /* a body: not read */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!authorized(conn))
        hf_web_error(&r, 401, "Authentication required");
    else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        hf_web_error(&r, 405, "Method not allowed");
    else if (strlen(url) > 256)
        hf_web_error(&r, 414, "URI too long");
    else
        dispatch(conn, url, &r);
    resp = MHD_create_response_from_buffer(r.body->len, r.body->str, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", r.type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* scripts only from this server's files (no inline script); the graphs'
     * script fetches their JSON from here */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; img-src 'self'; style-src 'self'; "
                            "script-src 'self'; connect-src 'self'; "
                            "form-action 'self'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (r.disposition)
        MHD_add_response_header(resp, "Content-Disposition", r.disposition);
    if (r.max_age) {
        char cc[48];
        g_snprintf(cc, sizeof(cc), "max-age=%u", r.max_age);
        MHD_add_response_header(resp, "Cache-Control", cc);
    } else {
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    }
    if (r.status == 405)
        MHD_add_response_header(resp, "Allow", "GET, HEAD");
    if (r.status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"hostflow\", charset=\"UTF-8\"");
    ret = MHD_queue_response(conn, r.status, resp);
    MHD_destroy_response(resp);
    g_string_free(r.body, TRUE);
    g_free(r.disposition);
    return ret;
}

static bool
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, GError **err)
{
    char *host;
    const char *colon;
    guint64 port;
    char *end;

    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (!rb || rb[1] != ':')
            goto bad;
        host = g_strndup(spec + 1, (gsize)(rb - spec - 1));
        colon = rb + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            goto bad;
        host = g_strndup(spec, (gsize)(colon - spec));
    }
    port = g_ascii_strtoull(colon + 1, &end, 10);
    if (!colon[1] || *end || port > 65535) {
        g_free(host);
        goto bad;
    }
    {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)port);
            *len = sizeof(*a4);
        } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)port);
            *len = sizeof(*a6);
        } else {
            g_free(host);
            goto bad;
        }
    }
    g_free(host);
    return true;
bad:
    g_set_error(err, web_quark(), 1,
                "bad listen address %s (ADDR:PORT, [ADDR6]:PORT)", spec);
    return false;
}

/* What the configuration asks beyond the address: users, TLS. */
static bool
load_safety(const struct hf_web_config *c, GError **err)
{
    if (c->htpasswd) {
        web->htpasswd = g_strdup(c->htpasswd);
        web->auth = hf_web_auth_load(c->htpasswd, err);
        if (!web->auth)
            return false;
    }
    if (!c->tls_cert != !c->tls_key) {
        g_set_error(err, web_quark(), 1, "tls-cert and tls-key go together");
        return false;
    }
    if (!c->tls_cert)
        return true;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        g_set_error(err, web_quark(), 1, "this libmicrohttpd was built without TLS "
                    "(GnuTLS): tls-cert and tls-key cannot be served");
        return false;
    }
    if (!g_file_get_contents(c->tls_cert, &web->tls_cert, NULL, err)
        || !g_file_get_contents(c->tls_key, &web->tls_key, NULL, err)) {
        g_prefix_error(err, "TLS: ");
        return false;
    }
    return true;
}

bool
hf_web_start(const struct hf_web_config *c, GError **err)
{
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    const union MHD_DaemonInfo *info;
    struct MHD_OptionItem tls[3] = {
        { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
    };

    if (daemon_) {
        g_set_error(err, web_quark(), 1, "already started");
        return false;
    }
    if (!parse_listen(c->listen ? c->listen : "127.0.0.1:8080", &ss, &sl, err))
        return false;
    /* a store of a newer format or with a damaged marker: not served */
    if (!c->clickhouse && hf_store_format_read(c->store, err) < 0)
        return false;
    web = g_new0(struct hf_web, 1);
    web->store = g_strdup(c->store);
    web->clickhouse = c->clickhouse;
    web->names = c->names;
    web->max_scan_bytes = c->max_scan_bytes ? c->max_scan_bytes : (uint64_t)4 << 30;
    web->max_queries = c->max_queries ? c->max_queries : 2;
    web->threads = c->threads ? c->threads : 2;
    web->max_query_us = (gint64)((c->max_query_seconds > 0 ? c->max_query_seconds : 20)
                                 * G_USEC_PER_SEC);
    web->max_groups = c->max_groups ? c->max_groups : 1000000;
    web->javascript_dir = g_strdup(c->javascript_dir ? c->javascript_dir
                                                     : "/usr/share/javascript");
    g_mutex_init(&web->lock);
    web->graphs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, hf_graph_cache_free);
    if (!load_safety(c, err)) {
        hf_web_stop();
        return false;
    }
    if (web->tls_cert) {
        tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, web->tls_cert };
        tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, web->tls_key };
    }
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG
                               | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0)
                               | (web->tls_cert ? MHD_USE_TLS : 0),
                               0, NULL, NULL, on_request, NULL,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
                               MHD_OPTION_ARRAY, tls,
                               MHD_OPTION_END);
    if (!daemon_) {
        if (web->tls_cert)
            g_set_error(err, web_quark(), 1, "cannot serve HTTPS on %s: is tls-cert a "
                        "certificate and tls-key its private key, both PEM?",
                        c->listen ? c->listen : "127.0.0.1:8080");
        else
            g_set_error(err, web_quark(), 1, "cannot listen on %s",
                        c->listen ? c->listen : "127.0.0.1:8080");
        hf_web_stop();
        return false;
    }
    info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info ? info->port : 0;
    return true;
}

bool
hf_web_reload_users(GError **err)
{
    struct hf_web_auth *a, *old;

    if (!web || !web->htpasswd)
        return true;
    a = hf_web_auth_load(web->htpasswd, err);
    if (!a)
        return false;
    g_mutex_lock(&web->lock);
    old = web->auth;
    web->auth = a;
    g_mutex_unlock(&web->lock);
    hf_web_auth_unref(old);
    return true;
}

unsigned
hf_web_port(void)
{
    return port_;
}

void
hf_web_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
    port_ = 0;
    if (web) {
        g_hash_table_unref(web->graphs);
        g_mutex_clear(&web->lock);
        hf_web_auth_unref(web->auth);
        g_free(web->htpasswd);
        if (web->tls_key)
            explicit_bzero(web->tls_key, strlen(web->tls_key));
        g_free(web->tls_key);
        g_free(web->tls_cert);
        g_free(web->store);
        g_free(web->javascript_dir);
        g_free(web);
        web = NULL;
    }
}
