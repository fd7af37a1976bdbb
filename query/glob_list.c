/* Merge and ignore lists of hostname globs (see glob_list.h). */
#include "glob_list.h"

#include <string.h>

struct glob_entry {
    char *glob;
    const char *domain;
};

struct hf_glob_list {
    GStringChunk *strings;      /* every glob and domain */
    GHashTable *exact;          /* name -> domain (or "" for ignore lists) */
    GHashTable *suffix;         /* SUFFIX of "*.SUFFIX" -> domain (or "") */
    GArray *globs;              /* struct glob_entry, file order */
    unsigned entries, malformed;
};

bool
hf_glob_match(const char *g, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*g == '*') {
            star = ++g;         /* try '*' as empty first */
            resume = s;
        } else if (*g == '?' || *g == *s) {
            g++;
            s++;
        } else if (star) {
            g = star;           /* let the last '*' take one more byte */
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

static bool
has_wildcard(const char *s)
{
    return strpbrk(s, "*?") != NULL;
}

/* The next blank-separated word of [*p, end): NUL-terminated in place. */
static char *
next_word(char **p, char *end)
{
    char *w = *p, *e;

    while (w < end && (*w == ' ' || *w == '\t' || *w == '\r'))
        w++;
    if (w == end)
        return NULL;
    for (e = w; e < end && *e != ' ' && *e != '\t' && *e != '\r'; e++)
        *e = g_ascii_tolower(*e);
    *p = e < end ? e + 1 : end;
    *e = '\0';
    return w;
}

static void
add_line(struct hf_glob_list *l, char *line, char *end, bool with_domain)
{
    char *glob = next_word(&line, end), *domain = NULL, *extra;
    const char *d;
    size_t glen;

    if (!glob)
        return;
    if (with_domain)
        domain = next_word(&line, end);
    extra = next_word(&line, end);
    if ((with_domain && (!domain || has_wildcard(domain))) || extra) {
        l->malformed++;
        return;
    }
    glen = strlen(glob);
    if (glen > 1 && glob[glen - 1] == '.')
        glob[--glen] = '\0';    /* "example.com." is example.com */
    if (domain && strlen(domain) > 1 && domain[strlen(domain) - 1] == '.')
        domain[strlen(domain) - 1] = '\0';
    d = domain ? g_string_chunk_insert_const(l->strings, domain) : "";
    if (!has_wildcard(glob)) {
        g_hash_table_replace(l->exact, g_string_chunk_insert_const(l->strings, glob),
                             (gpointer)d);
    } else if (glen > 2 && glob[0] == '*' && glob[1] == '.'
               && !has_wildcard(glob + 2)) {
        g_hash_table_replace(l->suffix,
                             g_string_chunk_insert_const(l->strings, glob + 2),
                             (gpointer)d);
    } else {
        struct glob_entry e = {
            g_string_chunk_insert_const(l->strings, glob), domain ? d : NULL,
        };
        guint i;

        for (i = 0; i < l->globs->len; i++)     /* listed twice: later wins */
            if (!strcmp(g_array_index(l->globs, struct glob_entry, i).glob, e.glob))
                break;
        if (i < l->globs->len)
            g_array_index(l->globs, struct glob_entry, i) = e;
        else
            g_array_append_val(l->globs, e);
    }
    l->entries++;
}

struct hf_glob_list *
hf_glob_list_parse(const char *text, size_t len, bool with_domain)
{
    struct hf_glob_list *l = g_new0(struct hf_glob_list, 1);
    char *copy = g_strndup(text, len), *p = copy, *end = copy + len;

    l->strings = g_string_chunk_new(4096);
    l->exact = g_hash_table_new(g_str_hash, g_str_equal);
    l->suffix = g_hash_table_new(g_str_hash, g_str_equal);
    l->globs = g_array_new(FALSE, FALSE, sizeof(struct glob_entry));
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end, *hash = memchr(p, '#', (size_t)(eol - p));

        add_line(l, p, hash ? hash : eol, with_domain);
        p = nl ? nl + 1 : end;
    }
    g_free(copy);
    return l;
}

struct hf_glob_list *
hf_glob_list_load(const char *path, bool with_domain, GError **err)
{
    char *text;
    gsize len;
    struct hf_glob_list *l;

    if (!g_file_get_contents(path, &text, &len, err))
        return NULL;
    l = hf_glob_list_parse(text, len, with_domain);
    g_free(text);
    return l;
}

void
hf_glob_list_free(struct hf_glob_list *l)
{
    if (!l)
        return;
    g_hash_table_destroy(l->exact);
    g_hash_table_destroy(l->suffix);
    g_array_free(l->globs, TRUE);
    g_string_chunk_free(l->strings);
    g_free(l);
}

unsigned
hf_glob_list_entries(const struct hf_glob_list *l)
{
    return l ? l->entries : 0;
}

unsigned
hf_glob_list_malformed(const struct hf_glob_list *l)
{
    return l ? l->malformed : 0;
}

static bool
found(const char *value, const char **domain)
{
    if (domain)
        *domain = *value ? value : NULL;
    return true;
}

bool
hf_glob_list_match(const struct hf_glob_list *l, const char *host,
                   const char **domain)
{
    const char *v;

    if (domain)
        *domain = NULL;
    if (!l || !*host)
        return false;
    if ((v = g_hash_table_lookup(l->exact, host)))
        return found(v, domain);
    if (g_hash_table_size(l->suffix) > 0)
        for (const char *dot = strchr(host, '.'); dot; dot = strchr(dot + 1, '.'))
            if ((v = g_hash_table_lookup(l->suffix, dot + 1)))
                return found(v, domain);
    for (guint i = 0; i < l->globs->len; i++) {
        const struct glob_entry *e = &g_array_index(l->globs, struct glob_entry, i);

        if (hf_glob_match(e->glob, host)) {
            if (domain)
                *domain = e->domain;
            return true;
        }
    }
    return false;
}
