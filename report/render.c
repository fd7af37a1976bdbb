#include "render.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow_rules.h"
#include "record_format.h"
#include "safe_text.h"

/* ---- cells ------------------------------------------------------------------ */

/* A table being built: rows of cells, printed at the end so text columns
 * can be aligned; CSV and JSON print the same cells. */
struct table {
    GPtrArray *names;           /* column names (char *) */
    GArray *numeric;            /* bool per column: right-aligned, never a formula */
    GPtrArray *rows;            /* GPtrArray of char * (raw, unescaped) */
};

static struct table *
table_new(void)
{
    struct table *t = g_new0(struct table, 1);

    t->names = g_ptr_array_new_with_free_func(g_free);
    t->numeric = g_array_new(FALSE, FALSE, sizeof(gboolean));
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    return t;
}

static void
table_free(struct table *t)
{
    g_ptr_array_unref(t->names);
    g_array_unref(t->numeric);
    g_ptr_array_unref(t->rows);
    g_free(t);
}

static void
column(struct table *t, const char *name, gboolean numeric)
{
    g_ptr_array_add(t->names, g_strdup(name));
    g_array_append_val(t->numeric, numeric);
}

static GPtrArray *
row(struct table *t)
{
    GPtrArray *r = g_ptr_array_new_with_free_func(g_free);

    g_ptr_array_add(t->rows, r);
    return r;
}

static void
cell(GPtrArray *r, char *text)
{
    g_ptr_array_add(r, text);
}

static void
cellf_u64(GPtrArray *r, uint64_t v)
{
    cell(r, g_strdup_printf("%" PRIu64, v));
}

/* 1234567 -> "1.2 M": nfdump's units (1000s), for people */
char *
hf_render_human(uint64_t v, const char *unit)
{
    static const char *const prefix[] = { "", "k", "M", "G", "T", "P" };
    double d = (double)v;
    int i = 0;

    if (v < 1000)
        return g_strdup_printf("%" PRIu64 "%s%s", v, *unit ? " " : "", unit);
    while (d >= 1000 && i < 5) {
        d /= 1000;
        i++;
    }
    return g_strdup_printf("%.1f %s%s", d, prefix[i], unit);
}

char *
hf_render_time(uint64_t ms, const struct hf_render_opts *o, bool machine)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[40];

    if (!ms)
        return g_strdup("");
    if (machine || o->utc) {
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        return g_strdup_printf("%s.%03uZ", buf, (unsigned)(ms % 1000));
    }
    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return g_strdup(buf);
}

char *
hf_render_duration(uint64_t ms)
{
    if (ms < 60000)
        return g_strdup_printf("%.1fs", ms / 1000.0);
    if (ms < 3600000)
        return g_strdup_printf("%um%02us", (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60));
    return g_strdup_printf("%uh%02um", (unsigned)(ms / 3600000), (unsigned)(ms / 60000 % 60));
}

/* ---- printing ------------------------------------------------------------------ */

static void
print_text(FILE *out, const struct table *t)
{
    guint ncol = t->names->len;
    guint *width = g_new0(guint, ncol);
    GString *s = g_string_new(NULL);
    GPtrArray *shown = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);

    /* escape first: widths are of what is shown */
    for (guint c = 0; c < ncol; c++)
        width[c] = (guint)strlen(g_ptr_array_index(t->names, c));
    for (guint i = 0; i < t->rows->len; i++) {
        GPtrArray *r = g_ptr_array_index(t->rows, i);
        GPtrArray *e = g_ptr_array_new_with_free_func(g_free);
        for (guint c = 0; c < ncol; c++) {
            const char *v = c < r->len ? g_ptr_array_index(r, c) : "";
            g_string_truncate(s, 0);
            hf_escape_text(s, v, strlen(v));
            guint w = (guint)g_utf8_strlen(s->str, -1);
            if (w > width[c])
                width[c] = w;
            g_ptr_array_add(e, g_strdup(s->str));
        }
        g_ptr_array_add(shown, e);
    }
    for (guint i = 0; i <= shown->len; i++) {
        GPtrArray *e = i ? g_ptr_array_index(shown, i - 1) : t->names;
        g_string_truncate(s, 0);
        for (guint c = 0; c < ncol; c++) {
            const char *v = g_ptr_array_index(e, c);
            guint pad = width[c] - (guint)g_utf8_strlen(v, -1);
            bool right = g_array_index(t->numeric, gboolean, c);
            if (c)
                g_string_append(s, "  ");
            if (right)
                for (guint k = 0; k < pad; k++)
                    g_string_append_c(s, ' ');
            g_string_append(s, v);
            if (!right && c + 1 < ncol)
                for (guint k = 0; k < pad; k++)
                    g_string_append_c(s, ' ');
        }
        while (s->len && s->str[s->len - 1] == ' ')
            g_string_truncate(s, s->len - 1);
        fprintf(out, "%s\n", s->str);
    }
    g_ptr_array_unref(shown);
    g_string_free(s, TRUE);
    g_free(width);
}

static void
print_csv(FILE *out, const struct table *t)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i <= t->rows->len; i++) {
        GPtrArray *r = i ? g_ptr_array_index(t->rows, i - 1) : t->names;
        g_string_truncate(s, 0);
        for (guint c = 0; c < t->names->len; c++) {
            const char *v = c < r->len ? g_ptr_array_index(r, c) : "";
            if (c)
                g_string_append_c(s, ',');
            if (i && g_array_index(t->numeric, gboolean, c))
                g_string_append(s, v);              /* a number: as it is */
            else
                hf_escape_csv_cell(s, v, strlen(v));
        }
        fprintf(out, "%s\n", s->str);
    }
    g_string_free(s, TRUE);
}

static void
print_json(FILE *out, const struct table *t)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < t->rows->len; i++) {
        GPtrArray *r = g_ptr_array_index(t->rows, i);
        g_string_assign(s, "{");
        for (guint c = 0; c < t->names->len; c++) {
            const char *name = g_ptr_array_index(t->names, c);
            const char *v = c < r->len ? g_ptr_array_index(r, c) : "";
            if (c)
                g_string_append(s, ", ");
            hf_escape_json_string(s, name, strlen(name));
            g_string_append(s, ": ");
            if (g_array_index(t->numeric, gboolean, c) && *v && g_ascii_isdigit(*v))
                g_string_append(s, v);
            else
                hf_escape_json_string(s, v, strlen(v));
        }
        g_string_append_c(s, '}');
        fprintf(out, "%s\n", s->str);
    }
    g_string_free(s, TRUE);
}

static void
print_table(FILE *out, const struct table *t, const struct hf_render_opts *o)
{
    switch (o->format) {
    case HF_RENDER_TEXT: print_text(out, t); break;
    case HF_RENDER_CSV:  print_csv(out, t); break;
    case HF_RENDER_JSON: print_json(out, t); break;
    }
}

/* ---- top-N tables ------------------------------------------------------------- */

static void
sums_cells(GPtrArray *r, const struct hf_sums *s, const struct hf_sums *total,
           enum hf_order order, const struct hf_render_opts *o)
{
    /* the share of what the table is ordered by (bytes for a time series) */
    uint64_t v = order == HF_ORDER_PACKETS ? s->packets : order == HF_ORDER_FLOWS
               ? s->flows : s->bytes;
    uint64_t all = order == HF_ORDER_PACKETS ? total->packets : order == HF_ORDER_FLOWS
                 ? total->flows : total->bytes;

    if (o->format == HF_RENDER_TEXT) {
        cell(r, hf_render_human(s->flows, ""));
        cell(r, hf_render_human(s->packets, ""));
        cell(r, hf_render_human(s->bytes, "B"));
        cell(r, g_strdup_printf("%.1f%%", all ? 100.0 * (double)v / (double)all : 0.0));
    } else {
        cellf_u64(r, s->flows);
        cellf_u64(r, s->packets);
        cellf_u64(r, s->bytes);
    }
}

void
hf_render_top(FILE *out, const struct hf_query *q, const struct hf_query_result *res,
              enum hf_order order, unsigned n, const struct hf_render_opts *o)
{
    struct table *t = table_new();
    struct hf_sums other;
    const struct hf_sums *total = hf_agg_total(res->agg);
    GArray *rows = hf_agg_top(res->agg, order, n, &other);
    GString *v = g_string_new(NULL);
    char name[32];
    bool text = o->format == HF_RENDER_TEXT;

    if (!text)
        column(t, "rank", TRUE);
    for (unsigned k = 0; k < q->nkeys; k++)
        column(t, hf_key_name(&q->keys[k], name, sizeof(name)), hf_key_is_number(&q->keys[k]));
    column(t, "flows", TRUE);
    column(t, "packets", TRUE);
    column(t, "bytes", TRUE);
    if (text)
        column(t, "share", TRUE);
    for (guint i = 0; i < rows->len; i++) {
        const struct hf_agg_row *a = &g_array_index(rows, struct hf_agg_row, i);
        GPtrArray *r = row(t);
        if (!text)
            cellf_u64(r, i + 1);
        for (unsigned k = 0; k < q->nkeys; k++) {
            g_string_truncate(v, 0);
            hf_keys_value_text(q->keys, q->nkeys, a->key, a->len, k, o->utc, v);
            cell(r, g_strdup(v->str));
        }
        sums_cells(r, &a->sums, total, order, o);
    }
    if (other.flows) {
        GPtrArray *r = row(t);
        cell(r, g_strdup(text ? "(other)" : "other"));
        for (unsigned k = text ? 1 : 0; k < q->nkeys; k++)
            cell(r, g_strdup(""));
        sums_cells(r, &other, total, order, o);
    }
    {
        GPtrArray *r = row(t);
        cell(r, g_strdup(text ? "(total)" : "total"));
        for (unsigned k = text ? 1 : 0; k < q->nkeys; k++)
            cell(r, g_strdup(""));
        /* the records themselves: with ip or port, groups count each twice */
        sums_cells(r, total, total, order, o);
    }
    print_table(out, t, o);
    g_string_free(v, TRUE);
    g_array_unref(rows);
    table_free(t);
}

/* ---- the timeline ------------------------------------------------------------- */

static char *
addr_text(const uint8_t a[16], uint8_t version)
{
    char buf[64];

    inet_ntop(version == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
    return g_strdup(buf);
}

char *
hf_render_device(const struct hf_conv *c, const struct hf_names *names)
{
    hf_flow_record_t r;
    const char *name;
    static const uint8_t zero[6];

    /* the names layer reads records: one made of the client's side */
    memset(&r, 0, sizeof(r));
    r.ipVersion = c->ip_version;
    if (c->ip_version == 6) {
        memcpy(r.sourceIPv6Address, c->client, 16);
    } else {
        uint32_t a;
        memcpy(&a, c->client, 4);
        r.sourceIPv4Address = ntohl(a);
    }
    memcpy(r.sourceMacAddress, c->client_mac, 6);
    name = hf_names_device(names, &r, true);
    if (name)
        return g_strdup(name);
    if (memcmp(c->client_mac, zero, 6) != 0) {
        char mac[18];
        return g_strndup(mac, hf_mac_text(c->client_mac, mac));
    }
    return addr_text(c->client, c->ip_version);
}

void
hf_render_timeline(FILE *out, const struct hf_query *q, const struct hf_query_result *res,
                   unsigned n, const struct hf_render_opts *o)
{
    GPtrArray *convs = hf_convs_sorted(res->convs);
    guint first = n && convs->len > n ? convs->len - n : 0;   /* the last n */
    GPtrArray *part = g_ptr_array_new();

    for (guint i = first; i < convs->len; i++)
        g_ptr_array_add(part, g_ptr_array_index(convs, i));
    hf_render_convs(out, q, part, o);
    g_ptr_array_unref(part);
    g_ptr_array_unref(convs);
}

void
hf_render_convs(FILE *out, const struct hf_query *q, GPtrArray *convs,
                const struct hf_render_opts *o)
{
    struct table *t = table_new();
    bool text = o->format == HF_RENDER_TEXT;
    char buf[32];
    guint first = 0;

    if (text) {
        column(t, "start", FALSE);
        column(t, "duration", TRUE);
        column(t, "device", FALSE);
        column(t, "hostname", FALSE);
        column(t, "service", FALSE);
        column(t, "app", FALSE);
        column(t, "sent", TRUE);
        column(t, "received", TRUE);
    } else {
        static const char *const cols[] = { "start", "end", "duration_ms", "source",
            "device", "client", "client_port", "server", "server_port", "proto",
            "service", "hostname", "app", "sent_bytes", "sent_packets", "received_bytes",
            "received_packets", "flows" };
        for (size_t i = 0; i < G_N_ELEMENTS(cols); i++)
            column(t, cols[i], strstr(cols[i], "_bytes") || strstr(cols[i], "_packets")
                               || strstr(cols[i], "port") || !strcmp(cols[i], "flows")
                               || !strcmp(cols[i], "duration_ms"));
    }
    for (guint i = first; i < convs->len; i++) {
        const struct hf_conv *c = g_ptr_array_index(convs, i);
        GPtrArray *r = row(t);
        uint64_t dur = c->end_ms > c->start_ms ? c->end_ms - c->start_ms : 0;
        if (text) {
            cell(r, hf_render_time(c->start_ms, o, false));
            cell(r, hf_render_duration(dur));
            cell(r, hf_render_device(c, q->names));
            cell(r, g_strdup(c->hostname ? c->hostname : ""));
            cell(r, g_strdup(hf_service_name(c->proto, c->server_port, buf, sizeof(buf))));
            cell(r, g_strdup(c->app ? c->app : ""));
            cell(r, hf_render_human(c->sent.bytes, "B"));
            cell(r, hf_render_human(c->received.bytes, "B"));
            continue;
        }
        cell(r, hf_render_time(c->start_ms, o, true));
        cell(r, hf_render_time(c->end_ms, o, true));
        cellf_u64(r, dur);
        cell(r, g_strdup(c->source ? c->source : ""));
        cell(r, hf_render_device(c, q->names));
        cell(r, addr_text(c->client, c->ip_version));
        cellf_u64(r, c->client_port);
        cell(r, addr_text(c->server, c->ip_version));
        cellf_u64(r, c->server_port);
        cell(r, g_strdup(hf_proto_name(c->proto, buf, sizeof(buf))));
        cell(r, g_strdup(hf_service_name(c->proto, c->server_port, buf, sizeof(buf))));
        cell(r, g_strdup(c->hostname ? c->hostname : ""));
        cell(r, g_strdup(c->app ? c->app : ""));
        cellf_u64(r, c->sent.bytes);
        cellf_u64(r, c->sent.packets);
        cellf_u64(r, c->received.bytes);
        cellf_u64(r, c->received.packets);
        cellf_u64(r, c->sent.flows + c->received.flows);
    }
    print_table(out, t, o);
    table_free(t);
}
