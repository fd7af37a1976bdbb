/* A device's own traffic graph: the bytes it sent (records from it, "src
 * device NAME") and received (records to it, "dst device NAME") in time
 * steps over the window, asked of the query engine with the time key
 * (keys.h), drawn as an SVG we write (no librrd state, no temporary RRD,
 * works without JavaScript) and given as JSON for graphs.js.
 *
 * The window is the page's, from the store's first slot file in it (a
 * window from 1970 draws from the first day that has flows) and up to now
 * at most; the step is the shortest of 5 minutes, an hour, a day (then
 * whole days) that keeps it to POINTS_MAX points.  A record counts in
 * the step of its start; one that started before the window (it overlaps
 * it) in the first. */
#include <math.h>
#include <string.h>

#include "clock.h"
#include "extract.h"
#include "render.h"
#include "safe_text.h"
#include "web_int.h"

#define POINTS_MAX 600
#define DAY_S 86400

/* the SVG's geometry: the overview's PNG size, a plot area inside */
#define SVG_W 697
#define SVG_H 253
#define PLOT_X 72
#define PLOT_Y 30
#define PLOT_W (SVG_W - PLOT_X - 20)
#define PLOT_H (SVG_H - PLOT_Y - 45)

struct dev_series {
    uint64_t start_s, step_s;
    unsigned n;
    uint64_t *bytes[2];             /* [0] sent, [1] received, per step */
    uint64_t total[2];
};

static void
series_clear(struct dev_series *s)
{
    g_free(s->bytes[0]);
    g_free(s->bytes[1]);
}

/* The window drawn [lo, hi) in seconds, and its step. */
static void
window_of(struct hf_web *w, const struct hf_web_params *p, struct dev_series *s)
{
    const char *src[2] = { p->source, NULL };
    uint64_t from = p->from_ms, to = p->to_ms == UINT64_MAX ? hf_wall_ms() : p->to_ms;
    uint64_t first = UINT64_MAX, lo, hi;
    GPtrArray *files = hf_scan_files(w->store, p->source ? src : NULL, from, to, false);

    for (guint i = 0; files && i < files->len; i++)
        first = MIN(first, ((struct hf_scan_file *)g_ptr_array_index(files, i))->start_ms);
    if (files)
        g_ptr_array_unref(files);
    lo = MAX(from, first == UINT64_MAX ? from : first) / 1000;
    hi = (MIN(to, hf_wall_ms()) + 999) / 1000;
    if (hi <= lo)
        hi = lo + 1;
    s->step_s = 300;
    if ((hi - lo) / s->step_s > POINTS_MAX)
        s->step_s = 3600;
    if ((hi - lo) / s->step_s > POINTS_MAX)
        s->step_s = DAY_S * ((hi - lo) / DAY_S / POINTS_MAX + 1);
    s->start_s = lo - lo % s->step_s;
    s->n = (unsigned)((hi - s->start_s + s->step_s - 1) / s->step_s);
}

/* One side's bytes per step into s->bytes[side]; false with r filled. */
static bool
query_side(struct hf_web *w, const struct hf_web_params *p, struct dev_series *s, int side,
           struct hf_web_reply *r)
{
    struct hf_query q = { 0 };
    struct hf_query_result res;
    struct hf_filter *f;
    GString *t = g_string_new(NULL);
    GError *err = NULL;
    struct hf_sums other;
    GArray *rows;

    hf_web_device_term(t, side ? "dst " : "src ", p->name);
    f = hf_filter_parse(t->str, &err);
    g_string_free(t, TRUE);
    if (!f) {
        hf_web_error(r, 400, "Bad request: not a device name");
        g_clear_error(&err);
        return false;
    }
    q.keys[0].kind = HF_KEY_TIME;
    q.keys[0].step_s = (uint32_t)s->step_s;
    q.nkeys = 1;
    if (!hf_web_run(w, p, &q, f, &res, r)) {
        hf_filter_free(f);
        return false;
    }
    rows = hf_agg_top(res.agg, HF_ORDER_KEY, 0, &other);
    for (guint i = 0; i < rows->len; i++) {
        const struct hf_agg_row *row = &g_array_index(rows, struct hf_agg_row, i);
        uint64_t at = row->len >= 8 ? hf_be_uint(row->key, 8) : 0;
        uint64_t k = at < s->start_s ? 0 : (at - s->start_s) / s->step_s;
        s->bytes[side][MIN(k, (uint64_t)s->n - 1)] += row->sums.bytes;
        s->total[side] += row->sums.bytes;
    }
    g_array_unref(rows);
    hf_query_result_clear(&res);
    hf_filter_free(f);
    return true;
}

static bool
device_series(struct hf_web *w, const struct hf_web_params *p, struct dev_series *s,
              struct hf_web_reply *r)
{
    memset(s, 0, sizeof(*s));
    if (!p->name) {
        hf_web_error(r, 400, "Bad request: name is missing");
        return false;
    }
    window_of(w, p, s);
    s->bytes[0] = g_new0(uint64_t, s->n);
    s->bytes[1] = g_new0(uint64_t, s->n);
    if (!query_side(w, p, s, 0, r) || !query_side(w, p, s, 1, r)) {
        series_clear(s);
        return false;
    }
    return true;
}

static double
bits_per_s(const struct dev_series *s, int side, unsigned i)
{
    return (double)s->bytes[side][i] * 8.0 / (double)s->step_s;
}

void
hf_device_graph_json(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    struct dev_series s;
    GString *o = r->body;

    if (!device_series(w, p, &s, r))
        return;
    r->type = "application/json";
    g_string_truncate(o, 0);
    g_string_append(o, "{\"device\": ");
    hf_escape_json_string(o, p->name, strlen(p->name));
    g_string_append_printf(o, ", \"unit\": \"bits/s\", \"stacked\": false, \"start\": %"
                           G_GUINT64_FORMAT ", \"end\": %" G_GUINT64_FORMAT ", \"step\": %"
                           G_GUINT64_FORMAT ", \"sent_bytes\": %" G_GUINT64_FORMAT
                           ", \"received_bytes\": %" G_GUINT64_FORMAT
                           ", \"columns\": [\"sent\", \"received\"], \"rows\": [",
                           s.start_s, s.start_s + (uint64_t)s.n * s.step_s, s.step_s,
                           s.total[0], s.total[1]);
    for (unsigned i = 0; i < s.n; i++)
        g_string_append_printf(o, "%s[%" G_GUINT64_FORMAT ", %.10g, %.10g]", i ? ",\n" : "\n",
                               s.start_s + i * s.step_s, bits_per_s(&s, 0, i),
                               bits_per_s(&s, 1, i));
    g_string_append(o, "]}\n");
    series_clear(&s);
}

/* ---- the SVG ------------------------------------------------------------------ */

/* 1, 2 or 5 times a power of ten, at least v */
static double
nice_ceiling(double v)
{
    double e, m;

    if (v <= 0)
        return 1;
    e = pow(10, floor(log10(v)));
    m = v / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

static void
time_label(GString *o, uint64_t t, uint64_t span_s, bool utc)
{
    char buf[32];

    g_string_append(o, hf_time_text(buf, sizeof(buf), span_s <= 2 * DAY_S ? "%H:%M" : "%m-%d",
                                    t, utc));
}

static void
series_path(GString *o, const struct dev_series *s, int side, double ymax, const char *colour)
{
    double dx = (double)PLOT_W / s->n;

    g_string_append_printf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" d=\"",
                           colour);
    for (unsigned i = 0; i < s->n; i++) {      /* a step line: level, then across */
        double y = PLOT_Y + PLOT_H - bits_per_s(s, side, i) / ymax * PLOT_H;
        if (i)
            g_string_append_printf(o, " V%.1f", y);
        else
            g_string_append_printf(o, "M%d %.1f", PLOT_X, y);
        g_string_append_printf(o, " H%.1f", PLOT_X + (i + 1) * dx);
    }
    g_string_append(o, "\"/>\n");
}

void
hf_device_graph_svg(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    static const char *const colours[] = { "#3465a4", "#73d216" };
    static const char *const labels[] = { "sent", "received" };
    struct dev_series s;
    GString *o = r->body;
    double peak = 0, ymax;
    uint64_t span;

    if (!device_series(w, p, &s, r))
        return;
    for (int side = 0; side < 2; side++)
        for (unsigned i = 0; i < s.n; i++)
            peak = MAX(peak, bits_per_s(&s, side, i));
    ymax = nice_ceiling(peak);
    span = (uint64_t)s.n * s.step_s;
    r->type = "image/svg+xml";
    g_string_truncate(o, 0);
    g_string_append_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                           "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
                           "font-size=\"11\">\n<rect width=\"%d\" height=\"%d\" "
                           "fill=\"#f3f3f3\"/>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                           "height=\"%d\" fill=\"#fff\" stroke=\"#888\"/>\n",
                           SVG_W, SVG_H, SVG_W, SVG_H, SVG_W, SVG_H, PLOT_X, PLOT_Y, PLOT_W,
                           PLOT_H);
    g_string_append(o, "<text x=\"348\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">"
                       "Sent and received, bits/s</text>\n");
    for (int k = 0; k <= 4; k++) {      /* the value grid */
        double y = PLOT_Y + PLOT_H - k * PLOT_H / 4.0;
        char *v = hf_render_human((uint64_t)(ymax * k / 4), "");
        g_string_append_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
                               "text-anchor=\"end\">", PLOT_X, PLOT_X + PLOT_W, y, y,
                               PLOT_X - 6, y + 4);
        hf_escape_html(o, v, strlen(v));
        g_string_append(o, "</text>\n");
        g_free(v);
    }
    for (int k = 0; k <= 5; k++) {      /* the time axis */
        double x = PLOT_X + k * PLOT_W / 5.0;
        g_string_append_printf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
                               PLOT_Y + PLOT_H + 16);
        time_label(o, s.start_s + span * (uint64_t)k / 5, span, p->utc);
        g_string_append(o, "</text>\n");
    }
    for (int side = 0; side < 2; side++) {
        series_path(o, &s, side, ymax, colours[side]);
        g_string_append_printf(o, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
                               "fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
                               PLOT_X + side * 110, SVG_H - 14, colours[side],
                               PLOT_X + 14 + side * 110, SVG_H - 5, labels[side]);
    }
    if (!s.total[0] && !s.total[1])
        g_string_append_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
                               "fill=\"#888\">no traffic in the window</text>\n",
                               PLOT_X + PLOT_W / 2, PLOT_Y + PLOT_H / 2);
    g_string_append(o, "</svg>\n");
    series_clear(&s);
}
