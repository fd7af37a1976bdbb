/* The Public Suffix List: parsing and lookup (see psl.h). */
#include "psl.h"

#include <string.h>

enum {
    PSL_NORMAL    = 1,  /* "co.uk" */
    PSL_WILDCARD  = 2,  /* "*.ck": any one label under the key */
    PSL_EXCEPTION = 4,  /* "!www.ck": not a public suffix after all */
};

struct hf_psl {
    GHashTable *rules;  /* rule labels (owned) -> flags */
    unsigned count;
};

static void
add_key(struct hf_psl *p, const char *key, unsigned flag)
{
    gpointer old;

    if (g_hash_table_lookup_extended(p->rules, key, NULL, &old))
        g_hash_table_insert(p->rules, g_strdup(key),
                            GUINT_TO_POINTER(GPOINTER_TO_UINT(old) | flag));
    else
        g_hash_table_insert(p->rules, g_strdup(key), GUINT_TO_POINTER(flag));
}

static bool
is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* One rule (a line's first word). */
static void
add_rule(struct hf_psl *p, char *rule)
{
    unsigned flag = PSL_NORMAL;

    if (rule[0] == '!') {
        flag = PSL_EXCEPTION;
        rule++;
    } else if (rule[0] == '*' && rule[1] == '.') {
        flag = PSL_WILDCARD;
        rule += 2;
    }
    /* a wildcard elsewhere is not in the format: skip the rule */
    if (!*rule || strchr(rule, '*') || strchr(rule, '!'))
        return;
    for (char *c = rule; *c; c++)
        *c = g_ascii_tolower(*c);
    add_key(p, rule, flag);
    if (!is_ascii(rule)) {
        char *ace = g_hostname_to_ascii(rule);

        if (ace) {
            for (char *c = ace; *c; c++)
                *c = g_ascii_tolower(*c);
            add_key(p, ace, flag);
            g_free(ace);
        }
    }
    p->count++;
}

struct hf_psl *
hf_psl_parse(const char *text, size_t len, bool private_rules)
{
    struct hf_psl *p = g_new0(struct hf_psl, 1);
    const char *end = text + len;
    bool private_section = false;

    p->rules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *eol = nl ? nl : end;
        const char *w = text, *we;

        text = nl ? nl + 1 : end;
        while (w < eol && (*w == ' ' || *w == '\t' || *w == '\r'))
            w++;
        if (w == eol)
            continue;
        if (eol - w >= 2 && w[0] == '/' && w[1] == '/') {
            /* section markers are comments */
            if (g_strstr_len(w, eol - w, "===BEGIN PRIVATE DOMAINS==="))
                private_section = true;
            else if (g_strstr_len(w, eol - w, "===END PRIVATE DOMAINS==="))
                private_section = false;
            continue;
        }
        if (private_section && !private_rules)
            continue;
        /* a rule is the line's first word */
        for (we = w; we < eol && *we != ' ' && *we != '\t' && *we != '\r'; we++)
            ;
        char *rule = g_strndup(w, (gsize)(we - w));
        add_rule(p, rule);
        g_free(rule);
    }
    return p;
}

struct hf_psl *
hf_psl_load(const char *path, bool private_rules, GError **err)
{
    char *text;
    gsize len;
    struct hf_psl *p;

    if (!path)
        path = HF_PSL_DEFAULT_PATH;
    if (!g_file_get_contents(path, &text, &len, err))
        return NULL;
    p = hf_psl_parse(text, len, private_rules);
    g_free(text);
    if (p->count == 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: no public suffix rules", path);
        hf_psl_free(p);
        return NULL;
    }
    return p;
}

void
hf_psl_free(struct hf_psl *p)
{
    if (!p)
        return;
    g_hash_table_destroy(p->rules);
    g_free(p);
}

unsigned
hf_psl_rules(const struct hf_psl *p)
{
    return p ? p->count : 0;
}

/* The PSL algorithm: exception rules win; else the matching rule with the
 * most labels; else "*".  Suffixes are visited longest first (label j is
 * where the suffix starts), so the first match of each kind is the longest.
 * A wildcard at the suffix of label j matches the suffix of label j-1. */
ptrdiff_t
hf_psl_registrable(const struct hf_psl *p, const char *host)
{
    size_t starts[128];         /* label offsets: 127 labels fill 253 bytes */
    size_t n = 0, len = strlen(host);
    ptrdiff_t exception = -1, best = -1, ps;

    if (!p || len == 0)
        return -1;
    for (size_t i = 0; i <= len; i++) {
        if (i == 0 || host[i - 1] == '.') {
            if (i == len || host[i] == '.')
                return -1;              /* an empty label */
            if (n == G_N_ELEMENTS(starts))
                return -1;              /* not a DNS name */
            starts[n++] = i;
        }
    }
    for (size_t j = 0; j < n; j++) {
        unsigned f = GPOINTER_TO_UINT(g_hash_table_lookup(p->rules, host + starts[j]));

        if ((f & PSL_EXCEPTION) && exception < 0)
            exception = (ptrdiff_t)j;
        /* the wildcard first: it matches one label more than the key */
        if ((f & PSL_WILDCARD) && j >= 1 && best < 0)
            best = (ptrdiff_t)j - 1;
        if ((f & PSL_NORMAL) && best < 0)
            best = (ptrdiff_t)j;
    }
    if (exception >= 0)
        ps = exception + 1;     /* the exception's parent is the suffix */
    else if (best >= 0)
        ps = best;
    else
        ps = (ptrdiff_t)n - 1;  /* the default rule "*" */
    if (ps <= 0)
        return -1;              /* host is a public suffix */
    return (ptrdiff_t)starts[ps - 1];
}
