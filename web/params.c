#include "params.h"

#include <string.h>

#include "when.h"

#define PAIRS_MAX 64

static GQuark
quark(void)
{
    return g_quark_from_static_string("hf-web-params");
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *
decode(const char *s, size_t len, size_t *out_len, GError **err)
{
    char *o = g_malloc(len + 1);
    size_t j = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            o[j++] = ' ';
        } else if (s[i] == '%') {
            int a = i + 1 < len ? hexval(s[i + 1]) : -1;
            int b = i + 2 < len ? hexval(s[i + 2]) : -1;
            int h = a < 0 || b < 0 ? -1 : a * 16 + b;
            if (h < 0) {
                g_set_error(err, quark(), 1, "malformed %%-escape in the query string");
                g_free(o);
                return NULL;
            }
            o[j++] = (char)h;
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = 0;
    *out_len = j;
    return o;
}

bool
hf_web_query_split(const char *qs, size_t len, GArray *pairs, GPtrArray *store, GError **err)
{
    size_t i = 0;

    while (i < len) {
        size_t end = i, eq = (size_t)-1;
        while (end < len && qs[end] != '&') {
            if (qs[end] == '=' && eq == (size_t)-1)
                eq = end;
            end++;
        }
        if (end > i) {
            struct hf_web_pair p = { 0 };
            size_t kend = eq == (size_t)-1 ? end : eq;
            char *k, *v = NULL;
            if (pairs->len >= PAIRS_MAX) {
                g_set_error(err, quark(), 1, "too many parameters (at most %d)", PAIRS_MAX);
                return false;
            }
            k = decode(qs + i, kend - i, &p.klen, err);
            if (!k)
                return false;
            g_ptr_array_add(store, k);
            if (eq != (size_t)-1) {
                v = decode(qs + eq + 1, end - eq - 1, &p.vlen, err);
                if (!v)
                    return false;
                g_ptr_array_add(store, v);
            }
            p.key = k;
            p.val = v;
            g_array_append_val(pairs, p);
        }
        i = end + 1;
    }
    return true;
}

/* ---- checking ----------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned bit;
} known[] = {
    { "source", HF_WP_SOURCE }, { "from", HF_WP_FROM }, { "to", HF_WP_TO },
    { "filter", HF_WP_FILTER }, { "order", HF_WP_ORDER }, { "n", HF_WP_N },
    { "page", HF_WP_PAGE }, { "by", HF_WP_BY }, { "name", HF_WP_NAME },
    { "profile", HF_WP_PROFILE }, { "what", HF_WP_WHAT }, { "span", HF_WP_SPAN },
    { "tz", HF_WP_TZ },
};

bool
hf_web_name_ok(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 128 || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(s[i]) && !strchr("._:@+-", s[i]))
            return false;
    return true;
}

static bool
number(const char *v, unsigned min, unsigned max, unsigned *out)
{
    guint64 x;

    if (!*v || strlen(v) > 10)
        return false;
    for (const char *c = v; *c; c++)
        if (!g_ascii_isdigit(*c))
            return false;
    x = g_ascii_strtoull(v, NULL, 10);
    if (x < min || x > max)
        return false;
    *out = (unsigned)x;
    return true;
}

const char *
hf_web_span_name(enum hf_web_span s)
{
    static const char *const n[] = { "day", "week", "month", "year" };
    return n[s];
}

const char *
hf_web_what_name(enum hf_web_what w)
{
    static const char *const n[] = { "bytes", "packets", "flows" };
    return n[w];
}

static bool
one(const char *key, const char *v, unsigned bit, uint64_t now_ms, struct hf_web_params *p,
    GError **err)
{
    GError *e = NULL;

    switch (bit) {
    case HF_WP_SOURCE:
        /* the form's empty field (placeholder "all"): every source */
        if (!*v)
            return true;
        if (!hf_web_name_ok(v))
            goto bad;
        p->source = g_strdup(v);
        return true;
    case HF_WP_PROFILE:
        if (!hf_web_name_ok(v))
            goto bad;
        g_free(p->profile);
        p->profile = g_strdup(v);
        return true;
    case HF_WP_NAME:
        if (!*v || strlen(v) > 255)
            goto bad;
        p->name = g_strdup(v);
        return true;
    case HF_WP_FILTER:
        g_free(p->filter_text);
        p->filter_text = g_strdup(v);
        return true;
    case HF_WP_FROM:
    case HF_WP_TO: {
        uint64_t t;
        if (!*v || strlen(v) > 64 || !hf_when_parse(v, now_ms, true, &t, &e)) {
            g_set_error(err, quark(), 1, "bad time for %s: %s", key,
                        e ? e->message : "empty or too long");
            g_clear_error(&e);
            return false;
        }
        if (bit == HF_WP_FROM) {
            p->from_ms = t;
            p->from_text = g_strdup(v);
        } else {
            p->to_ms = t;
            p->to_text = g_strdup(v);
        }
        return true;
    }
    case HF_WP_ORDER:
        if (!hf_order_parse(v, &p->order) || p->order == HF_ORDER_KEY)
            goto bad;
        return true;
    case HF_WP_N:
        return number(v, 1, HF_WEB_N_MAX, &p->n) || (g_set_error(err, quark(), 1,
               "n wants a number from 1 to %d", HF_WEB_N_MAX), false);
    case HF_WP_PAGE:
        return number(v, 1, HF_WEB_PAGE_MAX, &p->page) || (g_set_error(err, quark(), 1,
               "page wants a number from 1 to %d", HF_WEB_PAGE_MAX), false);
    case HF_WP_BY:
        if (strlen(v) > 128 || !hf_keys_parse(v, p->keys, &p->nkeys, &e)) {
            g_set_error(err, quark(), 1, "bad by: %s", e ? e->message : "too long");
            g_clear_error(&e);
            return false;
        }
        return true;
    case HF_WP_WHAT:
        if (!strcmp(v, "bytes") || !strcmp(v, "bits"))
            p->what = HF_WHAT_BYTES;
        else if (!strcmp(v, "packets"))
            p->what = HF_WHAT_PACKETS;
        else if (!strcmp(v, "flows"))
            p->what = HF_WHAT_FLOWS;
        else
            goto bad;
        return true;
    case HF_WP_SPAN:
        for (int s = HF_SPAN_DAY; s <= HF_SPAN_YEAR; s++)
            if (!strcmp(v, hf_web_span_name(s))) {
                p->span = s;
                return true;
            }
        goto bad;
    case HF_WP_TZ:
        if (!strcmp(v, "utc"))
            p->utc = true;
        else if (!strcmp(v, "local"))
            p->utc = false;
        else
            goto bad;
        return true;
    }
bad:
    g_set_error(err, quark(), 1, "bad value for %s", key);
    return false;
}

bool
hf_web_params_parse(const struct hf_web_pair *pairs, size_t n, unsigned allowed,
                    uint64_t now_ms, struct hf_web_params *p, GError **err)
{
    memset(p, 0, sizeof(*p));
    p->profile = g_strdup("live");
    p->from_ms = now_ms > 86400000 ? now_ms - 86400000 : 0;
    p->to_ms = UINT64_MAX;
    p->order = HF_ORDER_BYTES;
    p->n = 10;
    p->page = 1;
    p->keys[0].kind = HF_KEY_HOSTNAME;
    p->nkeys = 1;
    if (n > PAIRS_MAX) {
        g_set_error(err, quark(), 1, "too many parameters");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const struct hf_web_pair *x = &pairs[i];
        unsigned bit = 0;
        for (size_t k = 0; k < G_N_ELEMENTS(known); k++)
            if (x->klen == strlen(known[k].name) && !memcmp(x->key, known[k].name, x->klen))
                bit = known[k].bit;
        if (!bit || !(allowed & bit)) {
            g_set_error(err, quark(), 1, "unknown parameter");
            return false;
        }
        if (p->given & bit) {
            g_set_error(err, quark(), 1, "parameter given twice");
            return false;
        }
        p->given |= bit;
        if (!x->val) {
            g_set_error(err, quark(), 1, "parameter without a value");
            return false;
        }
        if (x->vlen > HF_WEB_VALUE_MAX) {
            g_set_error(err, quark(), 1, "parameter value too long (at most %d bytes)",
                        HF_WEB_VALUE_MAX);
            return false;
        }
        for (size_t c = 0; c < x->vlen; c++)
            if ((unsigned char)x->val[c] < 0x20 || x->val[c] == 0x7f) {
                g_set_error(err, quark(), 1, "control byte in a parameter value");
                return false;
            }
        if (!g_utf8_validate(x->val, (gssize)x->vlen, NULL)) {
            g_set_error(err, quark(), 1, "parameter value is not UTF-8");
            return false;
        }
        {
            char *v = g_strndup(x->val, x->vlen);
            const char *kn = NULL;
            for (size_t k = 0; k < G_N_ELEMENTS(known); k++)
                if (known[k].bit == bit)
                    kn = known[k].name;
            bool ok = one(kn, v, bit, now_ms, p, err);
            g_free(v);
            if (!ok)
                return false;
        }
    }
    if (p->from_ms >= p->to_ms) {
        g_set_error(err, quark(), 1, "from is not before to");
        return false;
    }
    {
        GError *e = NULL;
        p->filter = hf_filter_parse(p->filter_text ? p->filter_text : "", &e);
        if (!p->filter) {
            g_set_error(err, quark(), 2, "filter: %s", e->message);
            g_clear_error(&e);
            return false;
        }
    }
    if (!p->filter_text)
        p->filter_text = g_strdup("");
    return true;
}

void
hf_web_params_clear(struct hf_web_params *p)
{
    g_free(p->source);
    g_free(p->filter_text);
    hf_filter_free(p->filter);
    g_free(p->name);
    g_free(p->profile);
    g_free(p->from_text);
    g_free(p->to_text);
    memset(p, 0, sizeof(*p));
}
