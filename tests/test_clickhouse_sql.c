/* The ClickHouse back end's SELECT (query/clickhouse_sql.c) for filters and
 * sources holding hostile strings: the SQL text carries none of their
 * bytes (no quote, backslash, semicolon, comment, NUL: no quote character
 * at all), each value arrives intact in the external table _p, and the
 * terms only hostflow can answer (domain, device) stay out of the SQL.
 * report_clickhouse.py runs the same SELECTs against real servers. */
#include <glib.h>
#include <string.h>

#include "check.h"
#include "clickhouse_sql.h"
#include "filter_int.h"

static const char *const hostile[] = {
    "'); DROP TABLE flows; --.example",
    "a'b",
    "back\\slash",
    "quote\"d",
    "semi;colon",
    "x' OR 1=1 --",
    "*/ SELECT 1 /*",
    "%_\\%",
};

/* The values of _p as RowBinary (i UInt32, v String) gives them. */
static GPtrArray *
param_values(const GByteArray *b)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const uint8_t *p = b->data, *end = b->data + b->len;

    while (p + 4 < end) {
        p += 4;
        uint64_t len = 0;
        unsigned shift = 0;
        while (p < end) {
            uint8_t c = *p++;
            len |= (uint64_t)(c & 0x7f) << shift;
            shift += 7;
            if (!(c & 0x80))
                break;
        }
        if ((uint64_t)(end - p) < len)
            break;
        g_ptr_array_add(out, g_strndup((const char *)p, len));
        p += len;
    }
    return out;
}

static bool
has_value(GPtrArray *v, const char *s)
{
    for (guint i = 0; i < v->len; i++)
        if (strcmp(g_ptr_array_index(v, i), s) == 0)
            return true;
    return false;
}

/* None of the bytes that could end a literal, a statement or start a
 * comment; no NUL inside; none of the hostile words. */
static void
check_text(const struct hf_ch_sql *s, const char *what)
{
    const char *t = s->text->str;

    CHECK(strlen(t) == s->text->len, "%s: no NUL in the SQL text", what);
    const char *bad = strpbrk(t, "'\"\\;`#");
    CHECK(bad == NULL, "%s: no quote, backslash, semicolon (first at %ld)", what,
          bad ? (long)(bad - t) : -1L);
    CHECK(strstr(t, "--") == NULL && strstr(t, "/*") == NULL, "%s: no comment", what);
    CHECK(strstr(t, "DROP") == NULL && strstr(t, "example") == NULL,
          "%s: no word of the values", what);
}

static struct hf_filter *
parse(const char *expr)
{
    GError *err = NULL;
    struct hf_filter *f = hf_filter_parse(expr, &err);

    CHECK(f != NULL, "parse %s: %s", expr, f ? "" : err->message);
    g_clear_error(&err);
    return f;
}

/* The filter term TERM "VALUE" for each hostile value, quoted as the
 * filter language quotes (its escapes undone by the lexer). */
static void
hostile_terms(const char *term, bool lowercased, const char *like_of)
{
    for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
        GString *expr = g_string_new(term);
        g_string_append(expr, " \"");
        for (const char *c = hostile[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                g_string_append_c(expr, '\\');
            g_string_append_c(expr, *c);
        }
        g_string_append(expr, "\" and proto tcp");
        struct hf_filter *f = parse(expr->str);
        if (!f) {
            g_string_free(expr, TRUE);
            continue;
        }
        struct hf_query q = { .filter = f, .from_ms = 1000, .to_ms = UINT64_MAX };
        q.keys[0].kind = HF_KEY_HOSTNAME;
        q.nkeys = 1;
        struct hf_ch_sql s;
        hf_ch_sql_build(&q, "hostflow", "flows", &s);
        check_text(&s, expr->str);
        GPtrArray *v = param_values(s.params);
        char *want = lowercased ? g_ascii_strdown(hostile[i], -1) : g_strdup(hostile[i]);
        if (like_of) {          /* a glob: LIKE's own characters escaped */
            GString *l = g_string_new(NULL);
            for (const char *c = want; *c; c++) {
                if (*c == '%' || *c == '_' || *c == '\\')
                    g_string_append_c(l, '\\');
                g_string_append_c(l, *c == '*' ? '%' : *c);
            }
            g_free(want);
            want = g_string_free(l, FALSE);
        }
        CHECK(s.nparams == 1 && has_value(v, want), "%s: _p holds the value as given (%u)",
              expr->str, s.nparams);
        CHECK(strstr(s.text->str, "(SELECT v FROM _p WHERE i = 0)") != NULL,
              "%s: the SQL refers to it by number", expr->str);
        g_ptr_array_unref(v);
        g_free(want);
        hf_ch_sql_clear(&s);
        hf_filter_free(f);
        g_string_free(expr, TRUE);
    }
}

static void
hostile_sources(void)
{
    struct hf_filter *f = parse("app \"x'y\" or exporter \"e;--\"");
    const char *sources[G_N_ELEMENTS(hostile) + 1] = { NULL };
    memcpy(sources, hostile, sizeof(hostile));
    struct hf_query q = { .filter = f, .sources = sources, .to_ms = 5000 };
    struct hf_ch_sql s;

    hf_ch_sql_build(&q, "hostflow", "flows", &s);
    check_text(&s, "sources");
    GPtrArray *v = param_values(s.params);
    for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++)
        CHECK(has_value(v, hostile[i]), "source %s in _p", hostile[i]);
    CHECK(has_value(v, "x'y") && has_value(v, "e;--"), "app and exporter values in _p");
    CHECK(!s.grouped, "conversations: one row per record");
    g_ptr_array_unref(v);
    hf_ch_sql_clear(&s);
    hf_filter_free(f);
}

/* domain and device stay here; the rest of an AND goes to SQL */
static void
residual(void)
{
    struct hf_filter *f = parse("proto tcp and domain \"evil'.com\" and (device x or port 53)");
    struct hf_query q = { .filter = f, .to_ms = UINT64_MAX };
    struct hf_ch_sql s;

    q.keys[0].kind = HF_KEY_PROTO;
    q.nkeys = 1;
    hf_ch_sql_build(&q, "hostflow", "flows", &s);
    check_text(&s, "residual");
    CHECK(s.residual->len == 2, "two conjuncts evaluated here (%u)", s.residual->len);
    char *where = g_strdup(strstr(s.text->str, " WHERE "));
    *strstr(where, " GROUP BY ") = '\0';
    CHECK(strstr(where, "proto = 6") && !strstr(where, "port"),
          "proto pushed, the OR with a device term not: %s", where);
    g_free(where);
    CHECK(s.grouped && (s.cols & (1u << HF_CHC_NAMES)) && (s.cols & (1u << HF_CHC_SRCMAC)),
          "grouped by the names and MACs the residual terms read");
    hf_ch_sql_clear(&s);
    hf_filter_free(f);

    /* by client and service: grouped client first, not by the 5-tuple */
    struct hf_query qc = { .to_ms = UINT64_MAX };
    qc.keys[0].kind = HF_KEY_CLIENT;
    qc.keys[1].kind = HF_KEY_SERVICE;
    qc.nkeys = 2;
    hf_ch_sql_build(&qc, "hostflow", "flows", &s);
    CHECK(s.oriented && !(s.cols & (1u << HF_CHC_SRCPORT)) && !(s.cols & (1u << HF_CHC_DSTADDR)),
          "client,service: oriented, no source port, no server: %s", s.text->str);
    hf_ch_sql_clear(&s);
    qc.keys[1].kind = HF_KEY_SRCPORT;
    hf_ch_sql_build(&qc, "hostflow", "flows", &s);
    CHECK(!s.oriented, "client,srcport: the sides as they are");
    hf_ch_sql_clear(&s);

    f = parse("domain example.com or bytes > 100");
    q.filter = f;
    hf_ch_sql_build(&q, "hostflow", "flows", &s);
    CHECK(!s.grouped, "a residual term on counters: one row per record");
    hf_ch_sql_clear(&s);
    hf_filter_free(f);
}

int
main(void)
{
    hostile_terms("hostname", true, "glob");
    hostile_terms("dns", true, "glob");
    hostile_terms("app", true, NULL);
    hostile_terms("exporter", false, NULL);
    hostile_sources();
    residual();
    return check_summary();
}
