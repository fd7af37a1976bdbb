/* libFuzzer target for common/safe_text.c.  Input: one name, any bytes.
 * Invariants, checked without the code under test:
 * - text: no byte below 0x20 nor 0x7f, valid UTF-8, and undoing its
 *   escapes (\\ \xNN \u{N}) gives the input back;
 * - JSON: one JSON string by the grammar, valid UTF-8, no "</"; for a
 *   valid UTF-8 input it decodes to the input;
 * - CSV: one RFC 4180 cell (quoted, or free of , " CR LF) whose value is
 *   the text form, with a ' in front when that would start with a formula
 *   lead or ', so the value never starts with = + - @ tab CR LF;
 * - HTML: no < > " ' and every & starts an entity. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "safe_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
append_utf8(GString *g, uint32_t cp)
{
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        abort();
    g_string_append_unichar(g, (gunichar)cp);
}

static bool
valid_utf8(const char *s, size_t len)
{
    return g_utf8_validate_len(s, len, NULL);   /* also false on NUL */
}

static int
hex(char c)
{
    return g_ascii_xdigit_value(c);
}

/* the bytes a text form stands for */
static GString *
unescape_text(const GString *t)
{
    GString *g = g_string_new(NULL);

    for (size_t i = 0; i < t->len; i++) {
        if (t->str[i] != '\\') {
            g_string_append_c(g, t->str[i]);
            continue;
        }
        if (i + 1 < t->len && t->str[i + 1] == '\\') {
            g_string_append_c(g, '\\');
            i++;
        } else if (i + 3 < t->len && t->str[i + 1] == 'x' && hex(t->str[i + 2]) >= 0
                   && hex(t->str[i + 3]) >= 0) {
            g_string_append_c(g, (char)(hex(t->str[i + 2]) << 4 | hex(t->str[i + 3])));
            i += 3;
        } else if (i + 2 < t->len && t->str[i + 1] == 'u' && t->str[i + 2] == '{') {
            uint32_t cp = 0;
            size_t j = i + 3;
            for (; j < t->len && hex(t->str[j]) >= 0 && j < i + 9; j++)
                cp = cp << 4 | (uint32_t)hex(t->str[j]);
            if (j == i + 3 || j >= t->len || t->str[j] != '}')
                abort();
            append_utf8(g, cp);
            i = j;
        } else {
            abort();                    /* a lone backslash */
        }
    }
    return g;
}

static void
check_text(const uint8_t *data, size_t size)
{
    GString *t = g_string_new(NULL);

    hf_escape_text(t, data, size);
    for (size_t i = 0; i < t->len; i++)
        if ((uint8_t)t->str[i] < 0x20 || (uint8_t)t->str[i] == 0x7f)
            abort();
    if (!valid_utf8(t->str, t->len))
        abort();
    /* no C1 control survives as a character either */
    for (const char *p = t->str; p < t->str + t->len; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c >= 0x80 && c <= 0x9f)
            abort();
    }
    GString *back = unescape_text(t);
    if (back->len != size || (size && memcmp(back->str, data, size)))
        abort();
    g_string_free(back, TRUE);
    g_string_free(t, TRUE);
}

/* The value of a JSON string spanning all of s, or NULL if it is not one
 * (surrogate escapes count as invalid: none should be written). */
static GString *
json_string_value(const char *s, size_t len)
{
    GString *g = g_string_new(NULL);

    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        goto bad;
    for (size_t i = 1; i < len - 1; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c < 0x20 || c == '"')
            goto bad;
        if (c != '\\') {
            g_string_append_c(g, (char)c);
            continue;
        }
        if (++i >= len - 1)
            goto bad;
        switch (s[i]) {
        case '"': case '\\': case '/': g_string_append_c(g, s[i]); break;
        case 'b': g_string_append_c(g, '\b'); break;
        case 'f': g_string_append_c(g, '\f'); break;
        case 'n': g_string_append_c(g, '\n'); break;
        case 'r': g_string_append_c(g, '\r'); break;
        case 't': g_string_append_c(g, '\t'); break;
        case 'u': {
            uint32_t cp = 0;
            if (i + 4 > len - 2)          /* four digits before the quote */
                goto bad;
            for (int k = 1; k <= 4; k++) {
                if (hex(s[i + k]) < 0)
                    goto bad;
                cp = cp << 4 | (uint32_t)hex(s[i + k]);
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                goto bad;
            g_string_append_unichar(g, cp);
            i += 4;
            break;
        }
        default:
            goto bad;
        }
    }
    return g;
bad:
    g_string_free(g, TRUE);
    return NULL;
}

static void
check_json(const uint8_t *data, size_t size)
{
    GString *j = g_string_new(NULL);

    hf_escape_json_string(j, data, size);
    if (!valid_utf8(j->str, j->len) || memmem(j->str, j->len, "</", 2)
        || memmem(j->str, j->len, "<!--", 4))
        abort();
    GString *v = json_string_value(j->str, j->len);
    if (!v)
        abort();
    if (valid_utf8((const char *)data, size)
        && (v->len != size || (size && memcmp(v->str, data, size))))
        abort();
    g_string_free(v, TRUE);
    g_string_free(j, TRUE);
}

static bool
formula_lead(const char *s, size_t len)
{
    if (len && strchr("=+-@\t\r\n'", s[0]) && s[0])
        return true;
    return len >= 3 && (!memcmp(s, "\xef\xbc\x9d", 3) || !memcmp(s, "\xef\xbc\x8b", 3)
                        || !memcmp(s, "\xef\xbc\x8d", 3) || !memcmp(s, "\xef\xbc\xa0", 3));
}

static void
check_csv(const uint8_t *data, size_t size)
{
    GString *c = g_string_new(NULL), *v = g_string_new(NULL), *t = g_string_new(NULL);

    hf_escape_csv_cell(c, data, size);
    if (c->len && c->str[0] == '"') {
        size_t i = 1;
        for (; i < c->len; i++) {
            if (c->str[i] != '"') {
                g_string_append_c(v, c->str[i]);
            } else if (i + 1 < c->len && c->str[i + 1] == '"') {
                g_string_append_c(v, '"');
                i++;
            } else {
                break;
            }
        }
        if (i != c->len - 1)             /* the closing quote ends the cell */
            abort();
    } else {
        if (memchr(c->str, ',', c->len) || memchr(c->str, '"', c->len)
            || memchr(c->str, '\r', c->len) || memchr(c->str, '\n', c->len))
            abort();
        g_string_append_len(v, c->str, (gssize)c->len);
    }
    hf_escape_text(t, data, size);
    bool prefixed = formula_lead(t->str, t->len);
    if (prefixed)
        g_string_prepend_c(t, '\'');
    if (!g_string_equal(v, t))
        abort();
    /* what a spreadsheet sees never starts a formula */
    if (v->len && strchr("=+-@\t\r\n", v->str[0]) && v->str[0])
        abort();
    if (prefixed && c->str[0] != '"')
        abort();
    g_string_free(c, TRUE);
    g_string_free(v, TRUE);
    g_string_free(t, TRUE);
}

static void
check_html(const uint8_t *data, size_t size)
{
    GString *h = g_string_new(NULL);

    hf_escape_html(h, data, size);
    for (size_t i = 0; i < h->len; i++) {
        if (strchr("<>\"'", h->str[i]) && h->str[i])
            abort();
        if (h->str[i] == '&' && !memchr(h->str + i, ';', MIN(h->len - i, 6)))
            abort();
    }
    if (!valid_utf8(h->str, h->len))
        abort();
    g_string_free(h, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    check_text(data, size);
    check_json(data, size);
    check_csv(data, size);
    check_html(data, size);
    return 0;
}
