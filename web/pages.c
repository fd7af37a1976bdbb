/* The web view's pages (server-rendered HTML, no JavaScript) and their
 * CSV/JSON exports.  Every string from the network (hostnames, apps,
 * device names, filters as typed) goes through hf_escape_html, CSV
 * through hf_escape_csv_cell, JSON through hf_escape_json_string
 * (report/render.c prints the exports: the same columns as
 * hostflow-report --csv/--json). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "flow_rules.h"
#include "render.h"
#include "safe_text.h"
#include "store_format.h"
#include "web_int.h"

/* ---- small helpers ---------------------------------------------------------------- */

static void
esc(GString *o, const char *s)
{
    if (s)
        hf_escape_html(o, s, strlen(s));
}

/* A query string: pairs of name, value (NULL values skipped), %-escaped. */
static void
qs_add(GString *o, const char *name, const char *value)
{
    char *e;

    if (!value || !*value)
        return;
    g_string_append_c(o, strchr(o->str, '?') ? '&' : '?');
    g_string_append(o, name);
    g_string_append_c(o, '=');
    e = g_uri_escape_string(value, NULL, FALSE);
    g_string_append(o, e);
    g_free(e);
}

/* the window and zone of p, for links */
static void
qs_window(GString *o, const struct hf_web_params *p)
{
    qs_add(o, "source", p->source);
    qs_add(o, "from", p->from_text);
    qs_add(o, "to", p->to_text);
    qs_add(o, "tz", p->utc ? "utc" : NULL);
}

/* <a href="URL">, URL escaped as an attribute */
static void
href(GString *o, const char *url)
{
    g_string_append(o, "<a href=\"");
    esc(o, url);
    g_string_append(o, "\">");
}

/* graphs: the page has graphs that graphs.js enhances with dygraphs
 * (zoom, range selection); without JavaScript their images stay */
static void
head(GString *o, const char *title, const struct hf_web_params *p, bool graphs)
{
    GString *u = g_string_new(NULL);

    g_string_append(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width\">"
                       "<link rel=\"stylesheet\" href=\"/static/style.css\">");
    if (graphs)
        g_string_append(o, "<link rel=\"stylesheet\" href=\"/js/dygraphs/dygraph.min.css\">"
                           "<script src=\"/js/dygraphs/dygraph.min.js\" defer></script>"
                           "<script src=\"/static/graphs.js\" defer></script>");
    g_string_append(o, "<title>");
    esc(o, title);
    g_string_append(o, " - hostflow</title></head><body><nav><b>hostflow</b> ");
    g_string_append(o, "<a href=\"/\">Overview</a> ");
    g_string_assign(u, "/details");
    if (p)
        qs_window(u, p);
    href(o, u->str);
    g_string_append(o, "Details</a> ");
    g_string_assign(u, "/flows");
    if (p)
        qs_window(u, p);
    href(o, u->str);
    g_string_append(o, "Flows</a></nav><main><h1>");
    esc(o, title);
    g_string_append(o, "</h1>\n");
    g_string_free(u, TRUE);
}

static void
foot(GString *o)
{
    g_string_append(o, "</main></body></html>\n");
}

static void
time_text(GString *o, uint64_t ms, bool utc)
{
    struct hf_render_opts ro = { HF_RENDER_TEXT, utc };
    char *t = hf_render_time(ms, &ro, false);

    esc(o, t);
    if (utc && ms)
        g_string_append(o, " UTC");
    g_free(t);
}

static void
human_cell(GString *o, uint64_t v, const char *unit)
{
    char *h = hf_render_human(v, unit);

    g_string_append_printf(o, "<td class=\"n\" title=\"%" G_GUINT64_FORMAT "\">", v);
    esc(o, h);
    g_string_append(o, "</td>");
    g_free(h);
}

/* The window as the page shows it. */
static void
window_line(GString *o, const struct hf_web_params *p, uint64_t to_shown)
{
    g_string_append(o, "<p class=\"window\">From ");
    if (p->from_ms)
        time_text(o, p->from_ms, p->utc);
    else
        g_string_append(o, "the start");   /* 1970: times of 0 print empty */
    g_string_append(o, " to ");
    time_text(o, to_shown, p->utc);
    if (p->source) {
        g_string_append(o, ", source ");
        esc(o, p->source);
    }
    if (p->filter_text && *p->filter_text) {
        g_string_append(o, ", filter <code>");
        esc(o, p->filter_text);
        g_string_append(o, "</code>");
    }
    g_string_append(o, "</p>\n");
}

/* A form to change the window and filter, GET to action. */
static void
form(GString *o, const char *action, const struct hf_web_params *p, bool order)
{
    g_string_append_printf(o, "<form method=\"get\" action=\"%s\">", action);
    g_string_append(o, "<label>Source <input name=\"source\" value=\"");
    esc(o, p->source);
    g_string_append(o, "\" placeholder=\"all\"></label> <label>From <input name=\"from\" value=\"");
    esc(o, p->from_text ? p->from_text : "-24h");
    g_string_append(o, "\"></label> <label>To <input name=\"to\" value=\"");
    esc(o, p->to_text ? p->to_text : "now");
    g_string_append(o, "\"></label> <label>Filter <input name=\"filter\" size=\"40\" value=\"");
    esc(o, p->filter_text);
    g_string_append(o, "\"></label> ");
    if (order) {
        g_string_append(o, "<label>Order <select name=\"order\">");
        for (int i = HF_ORDER_BYTES; i <= HF_ORDER_FLOWS; i++) {
            static const char *const n[] = { "bytes", "packets", "flows" };
            g_string_append_printf(o, "<option%s>%s</option>",
                                   (int)p->order == i ? " selected" : "", n[i]);
        }
        g_string_append(o, "</select></label> ");
    }
    g_string_append_printf(o, "<label>Rows <input name=\"n\" size=\"4\" value=\"%u\"></label> ",
                           p->n);
    if (p->utc)
        g_string_append(o, "<input type=\"hidden\" name=\"tz\" value=\"utc\">");
    g_string_append(o, "<button>Show</button></form>\n");
}

/* ---- running a query ------------------------------------------------------------ */

static bool
source_exists(struct hf_web *w, const char *source)
{
    char *path = g_build_filename(w->store, source, NULL);
    bool ok = g_file_test(path, G_FILE_TEST_IS_DIR);

    g_free(path);
    return ok;
}

/* Runs q for p's window, filter and source; false with r filled (400 for an
 * unknown source, 503 when too much to read, busy, or stopped by the time
 * or group limit, 500). */
bool
hf_web_run(struct hf_web *w, const struct hf_web_params *p, struct hf_query *q,
           const struct hf_filter *filter, struct hf_query_result *res, struct hf_web_reply *r)
{
    const char *src[2] = { p->source, NULL };
    GPtrArray *files;
    uint64_t bytes = 0;
    GError *err = NULL;
    const char *why;
    bool ok;

    memset(res, 0, sizeof(*res));
    /* ClickHouse: any source name is only a value to match */
    if (p->source && !w->clickhouse && !source_exists(w, p->source)) {
        hf_web_error(r, 400, "Bad request: unknown source");
        return false;
    }
    q->store = w->store;
    q->clickhouse = w->clickhouse;
    q->sources = p->source ? src : NULL;
    q->from_ms = p->from_ms;
    q->to_ms = p->to_ms;
    q->filter = filter;
    q->names = w->names;
    q->threads = w->threads;
    q->input = HF_INPUT_AUTO;
    q->max_groups = w->max_groups;
    /* the bound: file bytes the query would read */
    files = w->clickhouse ? NULL : hf_scan_files(q->store, q->sources, q->from_ms, q->to_ms,
                                                 hf_query_summaries_fit(q, &why));
    for (guint i = 0; files && i < files->len; i++)
        bytes += ((struct hf_scan_file *)g_ptr_array_index(files, i))->size;
    if (files)
        g_ptr_array_unref(files);
    if (bytes > w->max_scan_bytes) {
        char *m = g_strdup_printf("Query too large: %" G_GUINT64_FORMAT " MB of flows in the "
                                  "window, the limit is %" G_GUINT64_FORMAT " MB; narrow "
                                  "the window or the source", bytes >> 20,
                                  w->max_scan_bytes >> 20);
        hf_web_error(r, 503, m);
        g_free(m);
        return false;
    }
    g_mutex_lock(&w->lock);
    ok = w->running < w->max_queries;
    if (ok)
        w->running++;
    g_mutex_unlock(&w->lock);
    if (!ok) {
        hf_web_error(r, 503, "Busy: too many queries running; try again shortly");
        return false;
    }
    q->deadline_us = g_get_monotonic_time() + w->max_query_us;
    ok = hf_query_run(q, res, &err);
    g_mutex_lock(&w->lock);
    w->running--;
    g_mutex_unlock(&w->lock);
    if (!ok) {
        /* the reason (paths, format) goes to the log, not to the browser */
        g_printerr("hostflow-web: %s\n", err ? err->message : "query failed");
        hf_web_error(r, 500, err && err->domain == HF_STORE_FORMAT_ERROR
                     ? "The store cannot be read: its format is not one this hostflow "
                       "reads (see the server's log)"
                     : "The store cannot be read");
        g_clear_error(&err);
        hf_query_result_clear(res);
        return false;
    }
    if (res->stopped) {
        char *m = res->stopped == HF_QUERY_TIMED_OUT
            ? g_strdup_printf("Query stopped: it ran longer than the limit of %.3g s; "
                              "narrow the window, the source or the filter",
                              (double)w->max_query_us / G_USEC_PER_SEC)
            : g_strdup_printf("Query stopped: more than %" G_GUINT64_FORMAT " rows to "
                              "hold; narrow the window, the source or the filter",
                              w->max_groups);
        hf_web_error(r, 503, m);
        g_free(m);
        hf_query_result_clear(res);
        return false;
    }
    return true;
}

/* ---- filters for a row ---------------------------------------------------------- */

static void
quoted(GString *o, const char *s)
{
    g_string_append_c(o, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(o, '\\');
        g_string_append_c(o, *s);
    }
    g_string_append_c(o, '"');
}

static bool
is_mac(const char *v)
{
    unsigned b[6];
    char end;

    return strlen(v) == 17 && sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                                     &b[4], &b[5], &end) == 6;
}

static bool
is_ip(const char *v)
{
    return g_hostname_is_ip_address(v);
}

/* the filter term selecting a device (a configured name, MAC or address) */
void
hf_web_device_term(GString *o, const char *side, const char *v)
{
    g_string_append(o, side);
    if (is_mac(v))
        g_string_append_printf(o, "mac %s", v);
    else if (is_ip(v))
        g_string_append_printf(o, "host %s", v);
    else {
        g_string_append(o, "device ");
        quoted(o, v);
    }
}

/* The filter term for a key value; false when there is none (an empty value). */
static bool
row_term(GString *o, enum hf_key_kind k, const char *v)
{
    if (!*v)
        return false;
    switch (k) {
    case HF_KEY_HOSTNAME: g_string_append(o, "hostname "); quoted(o, v); return true;
    case HF_KEY_DOMAIN: g_string_append(o, "domain "); quoted(o, v); return true;
    case HF_KEY_APP: g_string_append(o, "app "); quoted(o, v); return true;
    case HF_KEY_DEVICE: hf_web_device_term(o, "", v); return true;
    case HF_KEY_DSTIP: if (!is_ip(v)) return false;
        g_string_append_printf(o, "dst host %s", v); return true;
    case HF_KEY_DSTPORT: g_string_append_printf(o, "dst port %s", v); return true;
    default: return false;
    }
}

/* ---- overview ------------------------------------------------------------------ */

static GPtrArray *
list_dir(const char *path, bool dirs, const char *suffix)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d)
        return out;
    while ((e = readdir(d))) {
        char *full;
        bool isdir;
        if (e->d_name[0] == '.' && strcmp(e->d_name, "_total") != 0)
            continue;
        full = g_build_filename(path, e->d_name, NULL);
        isdir = g_file_test(full, G_FILE_TEST_IS_DIR);
        g_free(full);
        if (dirs != isdir)
            continue;
        if (suffix) {
            if (!g_str_has_suffix(e->d_name, suffix))
                continue;
            char *n = g_strndup(e->d_name, strlen(e->d_name) - strlen(suffix));
            if (hf_web_name_ok(n))
                g_ptr_array_add(out, n);
            else
                g_free(n);
        } else if (hf_web_name_ok(e->d_name)) {
            g_ptr_array_add(out, g_strdup(e->d_name));
        }
    }
    closedir(d);
    return out;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void
hf_page_overview(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    GString *o = r->body;
    char *rrd_root = g_build_filename(w->store, ".rrd", NULL);
    GPtrArray *sources = list_dir(w->store, true, NULL);
    GPtrArray *profiles = list_dir(rrd_root, true, NULL);
    static const char *const what[] = { "bytes", "packets", "flows" };

    g_ptr_array_sort(sources, cmp_str);
    g_ptr_array_sort(profiles, cmp_str);
    head(o, "Overview", NULL, true);
    g_string_append(o, "<p class=\"spans\">");
    for (int s = HF_SPAN_DAY; s <= HF_SPAN_YEAR; s++)
        g_string_append_printf(o, s == (int)p->span ? "<b>%s</b> " :
                               "<a href=\"/?span=%s\">%s</a> ", hf_web_span_name(s),
                               hf_web_span_name(s));
    g_string_append(o, "</p>\n");
    if (!profiles->len)
        g_string_append(o, "<p class=\"note\">No RRD graphs yet: the collector has not "
                           "written any to the store's <code>.rrd</code> directory.</p>\n");
    for (guint i = 0; i < profiles->len; i++) {
        const char *prof = g_ptr_array_index(profiles, i);
        char *dir = g_build_filename(rrd_root, prof, NULL);
        GPtrArray *rrds = list_dir(dir, false, ".rrd");
        g_ptr_array_sort(rrds, cmp_str);
        g_string_append(o, "<h2>Profile ");
        esc(o, prof);
        g_string_append(o, "</h2>\n");
        if (!rrds->len)
            g_string_append(o, "<p class=\"note\">No RRD yet for this profile.</p>\n");
        for (guint j = 0; j < rrds->len; j++) {
            const char *src = g_ptr_array_index(rrds, j);
            GString *u = g_string_new(NULL);
            g_string_append(o, "<section class=\"source\"><h3>");
            if (strcmp(src, "_total")) {
                g_string_assign(u, "/details");
                qs_add(u, "source", src);
                href(o, u->str);
                esc(o, src);
                g_string_append(o, "</a>");
            } else {
                g_string_append(o, "All sources");
            }
            g_string_append(o, "</h3><div class=\"graphs\">");
            for (int k = 0; k < 3; k++) {
                /* the PNG, and for graphs.js the same series as JSON and the
                 * details of a range chosen on it */
                for (int json = 0; json < 2; json++) {
                    g_string_assign(u, json ? "/api/series.json" : "/graph.png");
                    qs_add(u, "profile", prof);
                    qs_add(u, "source", src);
                    qs_add(u, "what", what[k]);
                    qs_add(u, "span", hf_web_span_name(p->span));
                    g_string_append(o, json ? "\" data-series=\"" : "<img src=\"");
                    esc(o, u->str);
                }
                g_string_append(o, "\" data-details=\"");
                g_string_assign(u, "/details");
                if (strcmp(src, "_total"))
                    qs_add(u, "source", src);
                qs_add(u, "tz", p->utc ? "utc" : NULL);
                esc(o, u->str);
                g_string_append_printf(o, "\" alt=\"%s per second\" width=\"697\" "
                                       "height=\"253\">", k == 0 ? "bits" : what[k]);
            }
            g_string_append(o, "</div></section>\n");
            g_string_free(u, TRUE);
        }
        g_ptr_array_unref(rrds);
        g_free(dir);
    }
    g_string_append(o, "<h2>Sources in the store</h2>\n<ul>");
    for (guint i = 0; i < sources->len; i++) {
        const char *src = g_ptr_array_index(sources, i);
        GString *u = g_string_new("/details");
        char *path = hf_graph_rrd_path(w, "live", src);
        qs_add(u, "source", src);
        g_string_append(o, "<li>");
        href(o, u->str);
        esc(o, src);
        g_string_append(o, "</a>");
        if (!g_file_test(path, G_FILE_TEST_EXISTS))
            g_string_append(o, " <span class=\"note\">(no RRD yet)</span>");
        g_string_append(o, "</li>");
        g_free(path);
        g_string_free(u, TRUE);
    }
    if (!sources->len)
        g_string_append(o, "<li class=\"note\">none yet</li>");
    g_string_append(o, "</ul>\n");
    foot(o);
    g_ptr_array_unref(sources);
    g_ptr_array_unref(profiles);
    g_free(rrd_root);
}

/* ---- details ------------------------------------------------------------------- */

static const enum hf_key_kind detail_keys[] = {
    HF_KEY_DEVICE, HF_KEY_HOSTNAME, HF_KEY_DOMAIN, HF_KEY_DSTIP, HF_KEY_DSTPORT, HF_KEY_APP,
};

static char *
and_filter(const char *base, const char *term)
{
    if (!base || !*base)
        return g_strdup(term);
    return g_strdup_printf("(%s) and %s", base, term);
}

static void
top_table(GString *o, const struct hf_web_params *p, const struct hf_query *q,
          const struct hf_query_result *res)
{
    struct hf_sums other;
    GArray *rows = hf_agg_top(res->agg, p->order, p->n, &other);
    char kname[32];
    GString *v = g_string_new(NULL), *t = g_string_new(NULL), *u = g_string_new(NULL);

    hf_key_name(&q->keys[0], kname, sizeof(kname));
    g_string_append_printf(o, "<section class=\"top\" id=\"top-%s\"><h2>Top %u by %s</h2>",
                           kname, p->n, kname);
    g_string_assign(u, "/api/top.csv");
    qs_window(u, p);
    qs_add(u, "filter", p->filter_text);
    qs_add(u, "by", kname);
    qs_add(u, "order", p->order == HF_ORDER_PACKETS ? "packets"
                       : p->order == HF_ORDER_FLOWS ? "flows" : NULL);
    g_string_append_printf(u, "&n=%u", p->n);
    g_string_append(o, "<p class=\"export\">");
    href(o, u->str);
    g_string_append(o, "CSV</a> ");
    g_string_erase(u, 0, strlen("/api/top.csv"));
    g_string_prepend(u, "/api/top.json");
    href(o, u->str);
    g_string_append(o, "JSON</a></p>");
    g_string_append_printf(o, "<table><thead><tr><th>#</th><th>%s</th><th>flows</th>"
                           "<th>packets</th><th>bytes</th></tr></thead><tbody>\n", kname);
    for (guint i = 0; i < rows->len; i++) {
        const struct hf_agg_row *a = &g_array_index(rows, struct hf_agg_row, i);
        g_string_truncate(v, 0);
        hf_keys_value_text(q->keys, 1, a->key, a->len, 0, p->utc, v);
        g_string_append_printf(o, "<tr><td class=\"n\">%u</td><td>", i + 1);
        g_string_truncate(t, 0);
        if (row_term(t, q->keys[0].kind, v->str)) {
            char *f = and_filter(p->filter_text, t->str);
            g_string_assign(u, "/flows");
            qs_window(u, p);
            qs_add(u, "filter", f);
            href(o, u->str);
            esc(o, v->str);
            g_string_append(o, "</a>");
            g_free(f);
        } else {
            esc(o, v->len ? v->str : "(none)");
        }
        if (q->keys[0].kind == HF_KEY_DEVICE && v->len) {
            g_string_assign(u, "/device");
            qs_add(u, "name", v->str);
            qs_window(u, p);
            g_string_append(o, " <small>");
            href(o, u->str);
            g_string_append(o, "names</a></small>");
        }
        g_string_append(o, "</td>");
        human_cell(o, a->sums.flows, "");
        human_cell(o, a->sums.packets, "");
        human_cell(o, a->sums.bytes, "B");
        g_string_append(o, "</tr>\n");
    }
    if (other.flows) {
        g_string_append(o, "<tr class=\"other\"><td></td><td>(other)</td>");
        human_cell(o, other.flows, "");
        human_cell(o, other.packets, "");
        human_cell(o, other.bytes, "B");
        g_string_append(o, "</tr>\n");
    }
    if (!rows->len)
        g_string_append(o, "<tr><td colspan=\"5\" class=\"note\">nothing in this window</td></tr>");
    g_string_append(o, "</tbody></table></section>\n");
    g_array_unref(rows);
    g_string_free(v, TRUE);
    g_string_free(t, TRUE);
    g_string_free(u, TRUE);
}

void
hf_page_details(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    GString *o = g_string_new(NULL);
    bool totals = false;

    head(o, "Details", p, false);
    form(o, "/details", p, true);
    window_line(o, p, p->to_ms == UINT64_MAX ? hf_wall_ms() : p->to_ms);
    /* every table from one reading of the files */
    struct hf_query q = { 0 };
    struct hf_query_result all;
    G_STATIC_ASSERT(G_N_ELEMENTS(detail_keys) <= 1 + HF_QUERY_MORE_MAX);
    q.keys[0].kind = detail_keys[0];
    q.nkeys = 1;
    for (size_t i = 1; i < G_N_ELEMENTS(detail_keys); i++) {
        q.more[i - 1].keys[0].kind = detail_keys[i];
        q.more[i - 1].nkeys = 1;
    }
    q.nmore = G_N_ELEMENTS(detail_keys) - 1;
    if (!hf_web_run(w, p, &q, p->filter, &all, r)) {
        g_string_free(o, TRUE);
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(detail_keys); i++) {
        /* table i as a query of its own, as top_table() reads it */
        struct hf_query qt = q;
        struct hf_query_result res = all;
        qt.keys[0].kind = detail_keys[i];
        qt.nmore = 0;
        res.agg = i ? all.more[i - 1] : all.agg;
        if (!totals) {
            const struct hf_sums *t = hf_agg_total(res.agg);
            char *b = hf_render_human(t->bytes, "B"), *pk = hf_render_human(t->packets, "");
            char *f = hf_render_human(t->flows, "");
            g_string_append_printf(o, "<table class=\"totals\"><tr><th>flows</th><th>packets"
                                   "</th><th>bytes</th></tr><tr><td class=\"n\" id=\"total-flows\" "
                                   "title=\"%" G_GUINT64_FORMAT "\">%s</td><td class=\"n\" "
                                   "title=\"%" G_GUINT64_FORMAT "\">%s</td><td class=\"n\" "
                                   "title=\"%" G_GUINT64_FORMAT "\">%s</td></tr></table>\n",
                                   t->flows, f, t->packets, pk, t->bytes, b);
            g_free(b), g_free(pk), g_free(f);
            totals = true;
        }
        top_table(o, p, &qt, &res);
    }
    hf_query_result_clear(&all);
    foot(o);
    g_string_assign(r->body, o->str);
    g_string_free(o, TRUE);
}

/* ---- exports of the top tables ---------------------------------------------------- */

/* JSON lines (render.c) into one JSON document: {"rows": [...]} */
static void
lines_to_json(GString *o, const char *lines)
{
    bool first = true;

    g_string_append(o, "{\"rows\": [");
    for (const char *l = lines; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (len) {
            if (!first)
                g_string_append(o, ",\n");
            g_string_append_len(o, l, (gssize)len);
            first = false;
        }
        l += len + (nl ? 1 : 0);
    }
    g_string_append(o, "]}\n");
}

static void
memstream_done(FILE *f, char **bufp, bool json, struct hf_web_reply *r, const char *name)
{
    char *buf;

    fclose(f);
    buf = *bufp ? *bufp : strdup("");
    g_string_truncate(r->body, 0);
    if (json) {
        lines_to_json(r->body, buf);
        r->type = "application/json";
    } else {
        g_string_append(r->body, buf);
        r->type = "text/csv; charset=utf-8";
        r->disposition = g_strdup_printf("attachment; filename=\"%s.csv\"", name);
    }
    free(buf);
}

void
hf_export_top(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r, bool json)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_render_opts ro = { json ? HF_RENDER_JSON : HF_RENDER_CSV, true };
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    memcpy(q.keys, p->keys, sizeof(q.keys));
    q.nkeys = p->nkeys;
    if (!hf_web_run(w, p, &q, p->filter, &res, r))
        return;
    f = open_memstream(&buf, &len);
    hf_render_top(f, &q, &res, p->order, p->n, &ro);
    memstream_done(f, &buf, json, r, "top");
    hf_query_result_clear(&res);
}

/* ---- conversations ---------------------------------------------------------------- */

#define FLOWS_PAGE_DEFAULT 100

/* the conversations of page p->page, newest first */
static GPtrArray *
page_of(GPtrArray *sorted, const struct hf_web_params *p, unsigned *per, bool *more)
{
    GPtrArray *out = g_ptr_array_new();
    unsigned n = (p->given & HF_WP_N) ? p->n : FLOWS_PAGE_DEFAULT;
    guint64 skip = (guint64)(p->page - 1) * n;

    *per = n;
    for (guint64 i = skip; i < sorted->len && out->len < n; i++)
        g_ptr_array_add(out, g_ptr_array_index(sorted, sorted->len - 1 - i));
    *more = skip + n < sorted->len;
    return out;
}

void
hf_export_flows(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
                bool json)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_render_opts ro = { json ? HF_RENDER_JSON : HF_RENDER_CSV, true };
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    GPtrArray *sorted, *part;
    unsigned per;
    bool more;

    if (!hf_web_run(w, p, &q, p->filter, &res, r))
        return;
    sorted = hf_convs_sorted(res.convs);
    part = page_of(sorted, p, &per, &more);
    f = open_memstream(&buf, &len);
    hf_render_convs(f, &q, part, &ro);
    memstream_done(f, &buf, json, r, "flows");
    g_ptr_array_unref(part);
    g_ptr_array_unref(sorted);
    hf_query_result_clear(&res);
}

void
hf_page_flows(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    GString *o = g_string_new(NULL), *u = g_string_new(NULL), *t = g_string_new(NULL);
    GPtrArray *sorted, *part;
    unsigned per;
    bool more;
    char buf[32];

    if (!hf_web_run(w, p, &q, p->filter, &res, r)) {
        g_string_free(o, TRUE), g_string_free(u, TRUE), g_string_free(t, TRUE);
        return;
    }
    sorted = hf_convs_sorted(res.convs);
    part = page_of(sorted, p, &per, &more);
    head(o, "Flows", p, false);
    {
        struct hf_web_params f = *p;
        f.n = per;
        form(o, "/flows", &f, false);
    }
    window_line(o, p, p->to_ms == UINT64_MAX ? hf_wall_ms() : p->to_ms);
    g_string_append_printf(o, "<p>%u conversations, page %u, newest first. ", sorted->len,
                           p->page);
    g_string_assign(u, "/api/flows.csv");
    qs_window(u, p);
    qs_add(u, "filter", p->filter_text);
    g_string_append_printf(u, "%cpage=%u&n=%u", strchr(u->str, '?') ? '&' : '?', p->page, per);
    href(o, u->str);
    g_string_append(o, "CSV</a> ");
    g_string_assign(u, "/api/flows.json");
    qs_window(u, p);
    qs_add(u, "filter", p->filter_text);
    g_string_append_printf(u, "%cpage=%u&n=%u", strchr(u->str, '?') ? '&' : '?', p->page, per);
    href(o, u->str);
    g_string_append(o, "JSON</a></p>\n<table class=\"flows\"><thead><tr><th>start</th>"
                       "<th>duration</th><th>device</th><th>hostname</th><th>service</th>"
                       "<th>app</th><th>sent</th><th>received</th></tr></thead><tbody>\n");
    for (guint i = 0; i < part->len; i++) {
        const struct hf_conv *c = g_ptr_array_index(part, i);
        char *dev = hf_render_device(c, w->names);
        char *dur = hf_render_duration(c->end_ms > c->start_ms ? c->end_ms - c->start_ms : 0);
        g_string_append(o, "<tr><td>");
        time_text(o, c->start_ms, p->utc);
        g_string_append(o, "</td><td class=\"n\">");
        esc(o, dur);
        g_string_append(o, "</td><td>");
        g_string_assign(u, "/device");
        qs_add(u, "name", dev);
        qs_window(u, p);
        href(o, u->str);
        esc(o, dev);
        g_string_append(o, "</a></td><td>");
        esc(o, c->hostname);
        g_string_append(o, "</td><td>");
        esc(o, hf_service_name(c->proto, c->server_port, buf, sizeof(buf)));
        g_string_append(o, "</td><td>");
        esc(o, c->app);
        g_string_append(o, "</td>");
        human_cell(o, c->sent.bytes, "B");
        human_cell(o, c->received.bytes, "B");
        g_string_append(o, "</tr>\n");
        g_free(dev);
        g_free(dur);
    }
    if (!part->len)
        g_string_append(o, "<tr><td colspan=\"8\" class=\"note\">no conversations</td></tr>");
    g_string_append(o, "</tbody></table>\n<p class=\"pages\">");
    for (int d = -1; d <= 1; d += 2) {
        if ((d < 0 && p->page > 1) || (d > 0 && more)) {
            g_string_assign(u, "/flows");
            qs_window(u, p);
            qs_add(u, "filter", p->filter_text);
            g_string_append_printf(u, "%cpage=%u&n=%u", strchr(u->str, '?') ? '&' : '?',
                                   p->page + d, per);
            href(o, u->str);
            g_string_append(o, d < 0 ? "&larr; newer</a> " : "older &rarr;</a>");
        }
    }
    g_string_append(o, "</p>\n");
    foot(o);
    g_string_assign(r->body, o->str);
    g_ptr_array_unref(part);
    g_ptr_array_unref(sorted);
    hf_query_result_clear(&res);
    g_string_free(o, TRUE), g_string_free(u, TRUE), g_string_free(t, TRUE);
}

/* ---- a device ------------------------------------------------------------------- */

struct name_sums {
    uint64_t sent, received, conversations;
};

static gint
by_total(gconstpointer a, gconstpointer b, gpointer h)
{
    const struct name_sums *x = g_hash_table_lookup(h, *(char *const *)a);
    const struct name_sums *y = g_hash_table_lookup(h, *(char *const *)b);
    uint64_t tx = x->sent + x->received, ty = y->sent + y->received;

    if (tx != ty)
        return tx > ty ? -1 : 1;
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* hostnames (domains: false) of the device's conversations, by bytes */
static GPtrArray *
device_names(struct hf_web *w, GPtrArray *convs, bool domains, GHashTable **table)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *keys;
    char dom[256];

    for (guint i = 0; i < convs->len; i++) {
        const struct hf_conv *c = g_ptr_array_index(convs, i);
        const char *n = c->hostname ? c->hostname : "";
        struct name_sums *s;
        if (domains && *n)
            n = hf_names_domain(w->names, n, strlen(n), dom, sizeof(dom));
        if (!n)
            n = "";
        s = g_hash_table_lookup(h, n);
        if (!s) {
            s = g_new0(struct name_sums, 1);
            g_hash_table_insert(h, g_strdup(n), s);
        }
        s->sent += c->sent.bytes;
        s->received += c->received.bytes;
        s->conversations++;
    }
    keys = g_ptr_array_new();
    {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, h);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(keys, k);
    }
    g_ptr_array_sort_with_data(keys, by_total, h);
    *table = h;
    return keys;
}

static bool
device_query(struct hf_web *w, const struct hf_web_params *p, struct hf_query *q,
             struct hf_query_result *res, struct hf_filter **f, struct hf_web_reply *r)
{
    GString *t = g_string_new(NULL);
    GError *err = NULL;

    if (!p->name) {
        hf_web_error(r, 400, "Bad request: name is missing");
        g_string_free(t, TRUE);
        return false;
    }
    hf_web_device_term(t, "", p->name);
    *f = hf_filter_parse(t->str, &err);
    g_string_free(t, TRUE);
    if (!*f) {
        hf_web_error(r, 400, "Bad request: not a device name");
        g_clear_error(&err);
        return false;
    }
    if (!hf_web_run(w, p, q, *f, res, r)) {
        hf_filter_free(*f);
        *f = NULL;
        return false;
    }
    return true;
}

void
hf_page_device(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_filter *f = NULL;
    GString *o, *u;
    GPtrArray *convs;

    if (!device_query(w, p, &q, &res, &f, r))
        return;
    o = g_string_new(NULL);
    u = g_string_new(NULL);
    convs = hf_convs_sorted(res.convs);
    {
        GString *title = g_string_new("Device ");
        g_string_append(title, p->name);
        head(o, title->str, p, true);
        g_string_free(title, TRUE);
    }
    window_line(o, p, p->to_ms == UINT64_MAX ? hf_wall_ms() : p->to_ms);
    g_string_append_printf(o, "<p>%u conversations. ", convs->len);
    for (int dom = 0; dom < 2; dom++) {
        for (int j = 0; j < 2; j++) {
            g_string_assign(u, j ? "/api/device.json" : "/api/device.csv");
            qs_add(u, "name", p->name);
            qs_window(u, p);
            qs_add(u, "by", dom ? "domain" : "hostname");
            href(o, u->str);
            g_string_append_printf(o, "%s %s</a> ", dom ? "domains" : "hostnames",
                                   j ? "JSON" : "CSV");
        }
    }
    g_string_append(o, "</p>\n");
    /* its own traffic graph: an SVG, and its JSON for graphs.js, whose range
     * selection opens this page for the range */
    g_string_append(o, "<section id=\"traffic\"><h2>Traffic</h2><div class=\"graphs\">");
    for (int json = 0; json < 2; json++) {
        g_string_assign(u, json ? "/api/device-series.json" : "/device.svg");
        qs_add(u, "name", p->name);
        qs_window(u, p);
        g_string_append(o, json ? "\" data-series=\"" : "<img src=\"");
        esc(o, u->str);
    }
    g_string_assign(u, "/device");
    qs_add(u, "name", p->name);
    qs_add(u, "source", p->source);
    qs_add(u, "tz", p->utc ? "utc" : NULL);
    g_string_append(o, "\" data-details=\"");
    esc(o, u->str);
    g_string_append(o, "\" alt=\"sent and received, bits per second\" width=\"697\" "
                       "height=\"253\"></div></section>\n");
    for (int dom = 0; dom < 2; dom++) {
        GHashTable *h;
        GPtrArray *keys = device_names(w, convs, dom, &h);
        g_string_append_printf(o, "<section id=\"%s\"><h2>%s</h2><table><thead><tr><th>%s</th>"
                               "<th>conversations</th><th>sent</th><th>received</th></tr>"
                               "</thead><tbody>\n", dom ? "domains" : "hostnames",
                               dom ? "Domains" : "Hostnames", dom ? "domain" : "hostname");
        for (guint i = 0; i < keys->len; i++) {
            const char *k = g_ptr_array_index(keys, i);
            const struct name_sums *s = g_hash_table_lookup(h, k);
            GString *t = g_string_new(NULL);
            g_string_append(o, "<tr><td>");
            if (*k) {
                hf_web_device_term(t, "", p->name);
                g_string_append(t, dom ? " and domain " : " and hostname ");
                quoted(t, k);
                g_string_assign(u, "/flows");
                qs_window(u, p);
                qs_add(u, "filter", t->str);
                href(o, u->str);
                esc(o, k);
                g_string_append(o, "</a>");
            } else {
                g_string_append(o, "(no name)");
            }
            g_string_append_printf(o, "</td><td class=\"n\">%" G_GUINT64_FORMAT "</td>",
                                   s->conversations);
            human_cell(o, s->sent, "B");
            human_cell(o, s->received, "B");
            g_string_append(o, "</tr>\n");
            g_string_free(t, TRUE);
        }
        g_string_append(o, "</tbody></table></section>\n");
        g_ptr_array_unref(keys);
        g_hash_table_unref(h);
    }
    foot(o);
    g_string_assign(r->body, o->str);
    g_ptr_array_unref(convs);
    hf_query_result_clear(&res);
    hf_filter_free(f);
    g_string_free(o, TRUE);
    g_string_free(u, TRUE);
}

void
hf_export_device(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
                 bool json)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_filter *f = NULL;
    GPtrArray *convs, *keys;
    GHashTable *h;
    bool dom;

    if (!(p->given & HF_WP_BY))
        dom = false;
    else if (p->nkeys == 1 && p->keys[0].kind == HF_KEY_HOSTNAME)
        dom = false;
    else if (p->nkeys == 1 && p->keys[0].kind == HF_KEY_DOMAIN)
        dom = true;
    else {
        hf_web_error(r, 400, "Bad request: by wants hostname or domain");
        return;
    }
    if (!device_query(w, p, &q, &res, &f, r))
        return;
    convs = hf_convs_sorted(res.convs);
    keys = device_names(w, convs, dom, &h);
    g_string_truncate(r->body, 0);
    if (json) {
        r->type = "application/json";
        g_string_append(r->body, "{\"device\": ");
        hf_escape_json_string(r->body, p->name, strlen(p->name));
        g_string_append(r->body, ", \"rows\": [");
    } else {
        r->type = "text/csv; charset=utf-8";
        r->disposition = g_strdup("attachment; filename=\"device.csv\"");
        g_string_append_printf(r->body, "%s,conversations,sent_bytes,received_bytes\n",
                               dom ? "domain" : "hostname");
    }
    for (guint i = 0; i < keys->len; i++) {
        const char *k = g_ptr_array_index(keys, i);
        const struct name_sums *s = g_hash_table_lookup(h, k);
        if (json) {
            g_string_append(r->body, i ? ",\n{" : "\n{");
            g_string_append_printf(r->body, "\"%s\": ", dom ? "domain" : "hostname");
            hf_escape_json_string(r->body, k, strlen(k));
            g_string_append_printf(r->body, ", \"conversations\": %" G_GUINT64_FORMAT
                                   ", \"sent_bytes\": %" G_GUINT64_FORMAT
                                   ", \"received_bytes\": %" G_GUINT64_FORMAT "}",
                                   s->conversations, s->sent, s->received);
        } else {
            hf_escape_csv_cell(r->body, k, strlen(k));
            g_string_append_printf(r->body, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                                   ",%" G_GUINT64_FORMAT "\n", s->conversations, s->sent,
                                   s->received);
        }
    }
    if (json)
        g_string_append(r->body, "]}\n");
    g_ptr_array_unref(keys);
    g_hash_table_unref(h);
    g_ptr_array_unref(convs);
    hf_query_result_clear(&res);
    hf_filter_free(f);
}
