/* Untrusted names as inert text, CSV cells, JSON strings and HTML (the
 * rules are in safe_text.h). */
#include "safe_text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define INVALID 0xffffffffu

/* One step of strict UTF-8 decoding at s (n > 0 bytes left): the length of
 * the character, or of the maximal subpart of an invalid sequence (*cp =
 * INVALID).  The second byte's range rules out overlong forms (E0, F0),
 * surrogates (ED) and code points past U+10FFFF (F4). */
static size_t
utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xbf;
    size_t more;
    uint32_t v;

    *cp = INVALID;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xc2 || c > 0xf4)
        return 1;
    if (c < 0xe0) {
        more = 1;
        v = c & 0x1f;
    } else if (c < 0xf0) {
        more = 2;
        v = c & 0x0f;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else {
        more = 3;
        v = c & 0x07;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    }
    for (size_t i = 1; i <= more; i++) {
        if (i >= n || s[i] < lo || s[i] > hi)
            return i;
        v = v << 6 | (s[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return more + 1;
}

/* C0, DEL and C1: what terminals act on */
static bool
is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Bidi controls reorder the text after them; the separators break lines
 * in some viewers and end JavaScript strings in older engines. */
static bool
is_layout_control(uint32_t cp)
{
    return cp == 0x061c || cp == 0x200e || cp == 0x200f
        || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)
        || cp == 0x2028 || cp == 0x2029;
}

static void
put_byte_escape(GString *out, uint8_t b)
{
    static const char hex[] = "0123456789abcdef";
    const char e[4] = { '\\', 'x', hex[b >> 4], hex[b & 15] };

    g_string_append_len(out, e, 4);
}

void
hf_escape_text(GString *out, const void *s, size_t len)
{
    const uint8_t *p = s;
    size_t i = 0, run = 0;        /* run: start of bytes to copy as they are */

    if (len == 0)
        return;                   /* s may be NULL */
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        bool bytes = cp == INVALID || is_control(cp);

        if (bytes || cp == '\\' || is_layout_control(cp)) {
            g_string_append_len(out, (const char *)p + run, (gssize)(i - run));
            if (bytes)
                for (size_t k = 0; k < n; k++)
                    put_byte_escape(out, p[i + k]);
            else if (cp == '\\')
                g_string_append(out, "\\\\");
            else
                g_string_append_printf(out, "\\u{%04x}", (unsigned)cp);
            run = i + n;
        }
        i += n;
    }
    g_string_append_len(out, (const char *)p + run, (gssize)(len - run));
}

/* Leads that make a spreadsheet read a cell as a formula (OWASP), the
 * fullwidth forms some of them also accept, and ' (so that a leading '
 * always means one was added). */
static bool
starts_like_formula(const char *s, size_t len)
{
    static const char *const wide[] = { "\xef\xbc\x9d", "\xef\xbc\x8b",
                                        "\xef\xbc\x8d", "\xef\xbc\xa0" };

    if (len == 0)
        return false;
    if (strchr("=+-@\t\r\n'", s[0]) && s[0] != '\0')
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(wide); i++)
        if (len >= 3 && memcmp(s, wide[i], 3) == 0)
            return true;
    return false;
}

void
hf_escape_csv_cell(GString *out, const void *s, size_t len)
{
    GString *text = g_string_sized_new(len + 16);

    hf_escape_text(text, s, len);
    bool formula = starts_like_formula(text->str, text->len);
    if (!formula && !strpbrk(text->str, ",\"\r\n")) {
        g_string_append_len(out, text->str, (gssize)text->len);
    } else {
        g_string_append_c(out, '"');
        if (formula)
            g_string_append_c(out, '\'');
        for (size_t i = 0; i < text->len; i++) {
            if (text->str[i] == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, text->str[i]);
        }
        g_string_append_c(out, '"');
    }
    g_string_free(text, TRUE);
}

void
hf_escape_json_string(GString *out, const void *s, size_t len)
{
    const uint8_t *p = s;

    g_string_append_c(out, '"');
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);

        if (cp == INVALID)
            g_string_append(out, "\xef\xbf\xbd");          /* U+FFFD */
        else if (cp == '"' || cp == '\\')
            g_string_append_c(g_string_append_c(out, '\\'), (char)cp);
        else if (is_control(cp) || is_layout_control(cp))
            g_string_append_printf(out, "\\u%04x", (unsigned)cp);
        else if (cp == '/' && i > 0 && p[i - 1] == '<')
            g_string_append(out, "\\/");                    /* no </script> */
        else if (cp == '<' && len - i >= 4 && memcmp(p + i, "<!--", 4) == 0)
            g_string_append(out, "\\u003c");                /* no <!-- either */
        else
            g_string_append_len(out, (const char *)p + i, (gssize)n);
        i += n;
    }
    g_string_append_c(out, '"');
}

void
hf_escape_html(GString *out, const void *s, size_t len)
{
    GString *text = g_string_sized_new(len + 16);

    hf_escape_text(text, s, len);
    for (size_t i = 0; i < text->len; i++) {
        switch (text->str[i]) {
        case '&':  g_string_append(out, "&amp;"); break;
        case '<':  g_string_append(out, "&lt;"); break;
        case '>':  g_string_append(out, "&gt;"); break;
        case '"':  g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&#39;"); break;
        default:   g_string_append_c(out, text->str[i]);
        }
    }
    g_string_free(text, TRUE);
}
