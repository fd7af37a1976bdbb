/* The overview's graphs: librrd's rrd_graph (PNG) and rrd_xport (JSON)
 * over the collector's STORE/.rrd/PROFILE/SOURCE.rrd (DS flows_, packets_,
 * bytes_ x tcp udp icmp other, per-second GAUGEs, one step a slot),
 * stacked by protocol.  librrd keeps global state: one call at a time.
 * A PNG is kept until the next slot (300 s) begins. */
#include <math.h>
#include <string.h>
#include <rrd.h>

#include "clock.h"
#include "safe_text.h"
#include "web_int.h"

#define SLOT_S 300

static GMutex rrd_lock;

static const char *const protos[] = { "tcp", "udp", "icmp", "other" };
static const char *const colours[] = { "#3465a4", "#73d216", "#f57900", "#888a85" };
static const char *const spans[] = { "-1d", "-1w", "-1m", "-1y" };

struct graph {
    GBytes *png;
    uint64_t until_ms;
};

void
hf_graph_cache_free(gpointer g)
{
    struct graph *x = g;

    g_bytes_unref(x->png);
    g_free(x);
}

char *
hf_graph_rrd_path(struct hf_web *w, const char *profile, const char *source)
{
    char *name = g_strconcat(source, ".rrd", NULL);
    char *p = g_build_filename(w->store, ".rrd", profile, name, NULL);

    g_free(name);
    return p;
}

/* a path in an rrd DEF: its colons escaped */
static char *
def_path(const char *path)
{
    GString *s = g_string_new(NULL);

    for (; *path; path++) {
        if (*path == ':' || *path == '\\')
            g_string_append_c(s, '\\');
        g_string_append_c(s, *path);
    }
    return g_string_free(s, FALSE);
}

/* DEF and CDEF for what, into args: per-second values v_tcp... (bits for bytes) */
static void
defs(GPtrArray *args, const char *rrd, enum hf_web_what what)
{
    char *dp = def_path(rrd);
    const char *w = hf_web_what_name(what);

    for (int i = 0; i < 4; i++) {
        g_ptr_array_add(args, g_strdup_printf("DEF:r_%s=%s:%s_%s:AVERAGE", protos[i], dp, w,
                                              protos[i]));
        g_ptr_array_add(args, g_strdup_printf("CDEF:v_%s=r_%s,%s", protos[i], protos[i],
                                              what == HF_WHAT_BYTES ? "8,*" : "1,*"));
    }
    g_free(dp);
}

static bool
rrd_source(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r,
           char **path)
{
    const char *src = p->source ? p->source : "_total";

    *path = hf_graph_rrd_path(w, p->profile, src);
    if (!g_file_test(*path, G_FILE_TEST_IS_REGULAR)) {
        hf_web_error(r, 404, "No RRD for this profile and source yet");
        g_free(*path);
        return false;
    }
    return true;
}

static const char *
unit(enum hf_web_what w)
{
    return w == HF_WHAT_BYTES ? "bits/s" : w == HF_WHAT_PACKETS ? "packets/s" : "flows/s";
}

void
hf_graph_png(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    char *path, *key;
    struct graph *g;
    uint64_t now = hf_wall_ms();
    GPtrArray *args;
    rrd_info_t *info;
    GBytes *png = NULL;

    if (!rrd_source(w, p, r, &path))
        return;
    key = g_strdup_printf("%s/%s/%s/%s", p->profile, p->source ? p->source : "_total",
                          hf_web_what_name(p->what), hf_web_span_name(p->span));
    g_mutex_lock(&w->lock);
    g = g_hash_table_lookup(w->graphs, key);
    if (g && g->until_ms > now)
        png = g_bytes_ref(g->png);
    g_mutex_unlock(&w->lock);
    if (!png) {
        args = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(args, g_strdup("graph"));
        g_ptr_array_add(args, g_strdup("-"));
        g_ptr_array_add(args, g_strdup("--imgformat=PNG"));
        g_ptr_array_add(args, g_strdup_printf("--start=%s", spans[p->span]));
        g_ptr_array_add(args, g_strdup("--end=now"));
        g_ptr_array_add(args, g_strdup("--width=600"));
        g_ptr_array_add(args, g_strdup("--height=150"));
        g_ptr_array_add(args, g_strdup("--lower-limit=0"));
        g_ptr_array_add(args, g_strdup_printf("--title=%s %s, %s, last %s", p->profile,
                                              p->source ? p->source : "_total", unit(p->what),
                                              hf_web_span_name(p->span)));
        g_ptr_array_add(args, g_strdup_printf("--vertical-label=%s", unit(p->what)));
        defs(args, path, p->what);
        for (int i = 0; i < 4; i++)
            g_ptr_array_add(args, g_strdup_printf("AREA:v_%s%s:%s%s", protos[i], colours[i],
                                                  protos[i], i ? ":STACK" : ""));
        g_ptr_array_add(args, NULL);
        g_mutex_lock(&rrd_lock);
        rrd_clear_error();
        info = rrd_graph_v((int)args->len - 1, (char **)args->pdata);
        for (rrd_info_t *i = info; i; i = i->next)
            if (i->type == RD_I_BLO && !strcmp(i->key, "image"))
                png = g_bytes_new(i->value.u_blo.ptr, i->value.u_blo.size);
        if (!png)
            g_warning("rrd_graph %s: %s", path, rrd_get_error());
        rrd_info_free(info);
        rrd_clear_error();
        g_mutex_unlock(&rrd_lock);
        g_ptr_array_unref(args);
        if (png) {
            g = g_new0(struct graph, 1);
            g->png = g_bytes_ref(png);
            g->until_ms = (now / 1000 / SLOT_S + 1) * SLOT_S * 1000;
            g_mutex_lock(&w->lock);
            if (g_hash_table_size(w->graphs) > 4096)
                g_hash_table_remove_all(w->graphs);
            g_hash_table_replace(w->graphs, g_strdup(key), g);
            g_mutex_unlock(&w->lock);
        }
    }
    if (png) {
        gsize len;
        const void *d = g_bytes_get_data(png, &len);
        r->type = "image/png";
        g_string_truncate(r->body, 0);
        g_string_append_len(r->body, d, (gssize)len);
        r->max_age = (unsigned)(SLOT_S - (now / 1000) % SLOT_S);
        g_bytes_unref(png);
    } else {
        hf_web_error(r, 500, "The graph cannot be drawn");
    }
    g_free(key);
    g_free(path);
}

void
hf_graph_series(struct hf_web *w, const struct hf_web_params *p, struct hf_web_reply *r)
{
    char *path;
    GPtrArray *args;
    int xsize = 0, ok;
    time_t start = 0, end = 0;
    unsigned long step = 0, cols = 0;
    char **legend = NULL;
    rrd_value_t *data = NULL;

    if (!rrd_source(w, p, r, &path))
        return;
    args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(args, g_strdup("xport"));
    g_ptr_array_add(args, g_strdup_printf("--start=%s", spans[p->span]));
    g_ptr_array_add(args, g_strdup("--end=now"));
    defs(args, path, p->what);
    for (int i = 0; i < 4; i++)
        g_ptr_array_add(args, g_strdup_printf("XPORT:v_%s:%s", protos[i], protos[i]));
    g_ptr_array_add(args, NULL);
    g_mutex_lock(&rrd_lock);
    rrd_clear_error();
    ok = rrd_xport((int)args->len - 1, (char **)args->pdata, &xsize, &start, &end, &step, &cols,
                   &legend, &data);
    if (ok != 0)
        g_warning("rrd_xport %s: %s", path, rrd_get_error());
    rrd_clear_error();
    g_mutex_unlock(&rrd_lock);
    g_ptr_array_unref(args);
    if (ok != 0) {
        hf_web_error(r, 500, "The series cannot be read");
        g_free(path);
        return;
    }
    g_string_truncate(r->body, 0);
    r->type = "application/json";
    g_string_append_printf(r->body, "{\"profile\": ");
    hf_escape_json_string(r->body, p->profile, strlen(p->profile));
    g_string_append(r->body, ", \"source\": ");
    hf_escape_json_string(r->body, p->source ? p->source : "_total",
                          strlen(p->source ? p->source : "_total"));
    g_string_append_printf(r->body, ", \"what\": \"%s\", \"unit\": \"%s\", \"span\": \"%s\", "
                           "\"start\": %lld, \"end\": %lld, \"step\": %lu, \"columns\": [",
                           hf_web_what_name(p->what), unit(p->what), hf_web_span_name(p->span),
                           (long long)start, (long long)end, step);
    for (unsigned long c = 0; c < cols; c++) {
        if (c)
            g_string_append(r->body, ", ");
        hf_escape_json_string(r->body, legend[c], strlen(legend[c]));
    }
    g_string_append(r->body, "], \"rows\": [");
    {
        unsigned long rows = step ? (unsigned long)(end - start) / step : 0;
        for (unsigned long i = 0; i < rows; i++) {
            g_string_append_printf(r->body, "%s[%lld", i ? ",\n" : "\n",
                                   (long long)(start + (time_t)((i + 1) * step)));
            for (unsigned long c = 0; c < cols; c++) {
                double v = data[i * cols + c];
                if (isnan(v) || isinf(v))
                    g_string_append(r->body, ", null");
                else
                    g_string_append_printf(r->body, ", %.6g", v);
            }
            g_string_append_c(r->body, ']');
        }
    }
    g_string_append(r->body, "]}\n");
    for (unsigned long c = 0; c < cols; c++)
        rrd_freemem(legend[c]);
    rrd_freemem(legend);
    rrd_freemem(data);
    g_free(path);
}
