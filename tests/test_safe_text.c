/* Unit tests of common/safe_text.c: byte-exact outputs of the text, CSV,
 * JSON and HTML forms of hostile names (terminal escapes, NUL, DEL, C1,
 * invalid UTF-8, bidi overrides, spreadsheet formulas, quotes, markup) and
 * of a 30,000-byte name. */
#include <stdbool.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "safe_text.h"

typedef void (*escape_fn)(GString *, const void *, size_t);

/* bytes for the check line, with anything unprintable as \xNN (not via the
 * code under test) */
static char *
shown(const char *s, size_t len)
{
    GString *g = g_string_new(NULL);

    for (size_t i = 0; i < len && i < 200; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            g_string_append_c(g, (char)c);
        else
            g_string_append_printf(g, "\\x%02x", c);
    }
    if (len > 200)
        g_string_append(g, "...");
    return g_string_free(g, FALSE);
}

static void
expect_len(escape_fn fn, const char *fname, const char *in, size_t in_len,
           const char *want, size_t want_len, int line)
{
    GString *got = g_string_new(NULL);

    fn(got, in, in_len);
    char *a = shown(in, in_len), *b = shown(got->str, got->len),
         *c = shown(want, want_len);
    CHECK(got->len == want_len && memcmp(got->str, want, want_len) == 0,
          "(from line %d) %s(%s) = %s (%zu bytes), want %s (%zu bytes)", line,
          fname, a, b, got->len, c, want_len);
    g_free(a);
    g_free(b);
    g_free(c);
    g_string_free(got, TRUE);
}

/* literals, so embedded NUL bytes count */
#define EXPECT(fn, in, want) \
    expect_len(fn, #fn, in, sizeof(in) - 1, want, sizeof(want) - 1, __LINE__)

static void
text_form(void)
{
    EXPECT(hf_escape_text, "", "");
    EXPECT(hf_escape_text, "www.example.org", "www.example.org");
    /* terminal title + clear screen */
    EXPECT(hf_escape_text, "\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J");
    EXPECT(hf_escape_text, "a\0b", "a\\x00b");
    EXPECT(hf_escape_text, "\0", "\\x00");
    EXPECT(hf_escape_text, "del\x7f", "del\\x7f");
    EXPECT(hf_escape_text, "a\tb\r\nc", "a\\x09b\\x0d\\x0ac");
    /* C1 controls as UTF-8 (CSI U+009B, first and last), raw C1 bytes */
    EXPECT(hf_escape_text, "\xc2\x9b" "2J", "\\xc2\\x9b2J");
    EXPECT(hf_escape_text, "\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
    EXPECT(hf_escape_text, "\x9b" "2J", "\\x9b2J");
    EXPECT(hf_escape_text, "nb\xc2\xa0sp", "nb\xc2\xa0sp");   /* U+00A0 printable */
    /* invalid UTF-8: overlong, surrogates, past U+10FFFF, truncated, FF/FE */
    EXPECT(hf_escape_text, "\xc0\xaf", "\\xc0\\xaf");
    EXPECT(hf_escape_text, "\xc1\xbf", "\\xc1\\xbf");
    EXPECT(hf_escape_text, "\xe0\x80\xaf", "\\xe0\\x80\\xaf");
    EXPECT(hf_escape_text, "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
    EXPECT(hf_escape_text, "\xed\xa0\x80", "\\xed\\xa0\\x80");
    EXPECT(hf_escape_text, "\xed\xbf\xbf", "\\xed\\xbf\\xbf");
    EXPECT(hf_escape_text, "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
    EXPECT(hf_escape_text, "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
    EXPECT(hf_escape_text, "a\xe2\x82", "a\\xe2\\x82");
    EXPECT(hf_escape_text, "\xe2\x82z", "\\xe2\\x82z");
    EXPECT(hf_escape_text, "\xf0\x9f\x98", "\\xf0\\x9f\\x98");
    EXPECT(hf_escape_text, "\xff\xfe", "\\xff\\xfe");
    EXPECT(hf_escape_text, "\x80", "\\x80");
    /* valid multi-byte UTF-8 kept, the edges of the ranges too */
    EXPECT(hf_escape_text, "b\xc3\xbc" "cher.de", "b\xc3\xbc" "cher.de");
    EXPECT(hf_escape_text, "\xe4\xbe\x8b\xe3\x81\x88.jp", "\xe4\xbe\x8b\xe3\x81\x88.jp");
    EXPECT(hf_escape_text, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
    EXPECT(hf_escape_text, "\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80");
    EXPECT(hf_escape_text, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
    EXPECT(hf_escape_text, "\xe0\xa0\x80\xf0\x90\x80\x80", "\xe0\xa0\x80\xf0\x90\x80\x80");
    /* backslash doubled: every escape is unambiguous */
    EXPECT(hf_escape_text, "a\\x41", "a\\\\x41");
    /* bidi controls and separators */
    EXPECT(hf_escape_text, "abc\xe2\x80\xaegro.elgoog", "abc\\u{202e}gro.elgoog");
    EXPECT(hf_escape_text, "\xe2\x80\xaa\xe2\x80\xad", "\\u{202a}\\u{202d}");
    EXPECT(hf_escape_text, "\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}");
    EXPECT(hf_escape_text, "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u{200e}\\u{200f}\\u{061c}");
    EXPECT(hf_escape_text, "\xe2\x80\xa8\xe2\x80\xa9", "\\u{2028}\\u{2029}");
    /* neighbours of the bidi controls are plain text */
    EXPECT(hf_escape_text, "\xe2\x80\xa9\xe2\x80\xaf", "\\u{2029}\xe2\x80\xaf");
    /* markup and SQL are text: inert on a terminal */
    EXPECT(hf_escape_text, "<script>alert(1)</script>", "<script>alert(1)</script>");
    EXPECT(hf_escape_text, "'; DROP TABLE flows;--", "'; DROP TABLE flows;--");
}

static void
csv_form(void)
{
    EXPECT(hf_escape_csv_cell, "", "");
    EXPECT(hf_escape_csv_cell, "www.example.org", "www.example.org");
    EXPECT(hf_escape_csv_cell, "a=b", "a=b");
    /* each formula lead */
    EXPECT(hf_escape_csv_cell, "=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\"");
    EXPECT(hf_escape_csv_cell, "+1", "\"'+1\"");
    EXPECT(hf_escape_csv_cell, "-1+2", "\"'-1+2\"");
    EXPECT(hf_escape_csv_cell, "@SUM(1)", "\"'@SUM(1)\"");
    EXPECT(hf_escape_csv_cell, "=", "\"'=\"");
    /* tab, CR, LF leads are escaped as text, so the cell starts with \ */
    EXPECT(hf_escape_csv_cell, "\t=1", "\\x09=1");
    EXPECT(hf_escape_csv_cell, "\r=1", "\\x0d=1");
    EXPECT(hf_escape_csv_cell, "\n=1", "\\x0a=1");
    /* fullwidth = + - @ */
    EXPECT(hf_escape_csv_cell, "\xef\xbc\x9d" "1+1", "\"'\xef\xbc\x9d" "1+1\"");
    EXPECT(hf_escape_csv_cell, "\xef\xbc\x8b" "1", "\"'\xef\xbc\x8b" "1\"");
    EXPECT(hf_escape_csv_cell, "\xef\xbc\x8d" "1", "\"'\xef\xbc\x8d" "1\"");
    EXPECT(hf_escape_csv_cell, "\xef\xbc\xa0" "x", "\"'\xef\xbc\xa0" "x\"");
    /* a leading ' always gets another, so one ' less is the name */
    EXPECT(hf_escape_csv_cell, "'=x", "\"''=x\"");
    EXPECT(hf_escape_csv_cell, "'; DROP TABLE flows;--", "\"''; DROP TABLE flows;--\"");
    /* RFC 4180 quoting */
    EXPECT(hf_escape_csv_cell, "a,b", "\"a,b\"");
    EXPECT(hf_escape_csv_cell, "say \"hi\"", "\"say \"\"hi\"\"\"");
    EXPECT(hf_escape_csv_cell, "\"", "\"\"\"\"");
    EXPECT(hf_escape_csv_cell, "=a,\"b\"", "\"'=a,\"\"b\"\"\"");
    EXPECT(hf_escape_csv_cell, "a\r\nb", "a\\x0d\\x0ab");     /* no raw line break */
    /* the text escapes apply */
    EXPECT(hf_escape_csv_cell, "\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J");
    EXPECT(hf_escape_csv_cell, "a\0b\xff", "a\\x00b\\xff");
    EXPECT(hf_escape_csv_cell, "\xe2\x80\xae" "fdp.exe", "\\u{202e}fdp.exe");
    EXPECT(hf_escape_csv_cell, "-\xc2\x9b", "\"'-\\xc2\\x9b\"");
}

static void
json_form(void)
{
    EXPECT(hf_escape_json_string, "", "\"\"");
    EXPECT(hf_escape_json_string, "www.example.org", "\"www.example.org\"");
    EXPECT(hf_escape_json_string, "\x1b]0;pwned\x07\x1b[2J",
           "\"\\u001b]0;pwned\\u0007\\u001b[2J\"");
    EXPECT(hf_escape_json_string, "a\0b", "\"a\\u0000b\"");
    EXPECT(hf_escape_json_string, "\n\t\r\x1f", "\"\\u000a\\u0009\\u000d\\u001f\"");
    EXPECT(hf_escape_json_string, "\x7f", "\"\\u007f\"");
    EXPECT(hf_escape_json_string, "\xc2\x80\xc2\x9b\xc2\x9f", "\"\\u0080\\u009b\\u009f\"");
    EXPECT(hf_escape_json_string, "q\"b\\s", "\"q\\\"b\\\\s\"");
    EXPECT(hf_escape_json_string, "/a/</script>", "\"/a/<\\/script>\"");
    EXPECT(hf_escape_json_string, "<!--<script>", "\"\\u003c!--<script>\"");
    EXPECT(hf_escape_json_string, "<!-", "\"<!-\"");
    /* invalid UTF-8: one U+FFFD per maximal subpart */
    EXPECT(hf_escape_json_string, "\xff\xfe", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    EXPECT(hf_escape_json_string, "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    EXPECT(hf_escape_json_string, "\xed\xa0\x80",
           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    EXPECT(hf_escape_json_string, "a\xe2\x82", "\"a\xef\xbf\xbd\"");
    EXPECT(hf_escape_json_string, "\xf0\x9f\x98z", "\"\xef\xbf\xbdz\"");
    EXPECT(hf_escape_json_string, "\xf4\x90\x80\x80",
           "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    /* valid UTF-8 as is; bidi controls and separators escaped */
    EXPECT(hf_escape_json_string, "b\xc3\xbc" "cher\xf0\x9f\x98\x80",
           "\"b\xc3\xbc" "cher\xf0\x9f\x98\x80\"");
    EXPECT(hf_escape_json_string, "abc\xe2\x80\xaegro", "\"abc\\u202egro\"");
    EXPECT(hf_escape_json_string, "\xe2\x81\xa6\xd8\x9c", "\"\\u2066\\u061c\"");
    EXPECT(hf_escape_json_string, "\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
    /* formulas and SQL are data in JSON */
    EXPECT(hf_escape_json_string, "=cmd|' /C calc'!A0", "\"=cmd|' /C calc'!A0\"");
}

static void
html_form(void)
{
    EXPECT(hf_escape_html, "", "");
    EXPECT(hf_escape_html, "www.example.org", "www.example.org");
    EXPECT(hf_escape_html, "<script>alert(1)</script>",
           "&lt;script&gt;alert(1)&lt;/script&gt;");
    EXPECT(hf_escape_html, "a&b\"c'd", "a&amp;b&quot;c&#39;d");
    EXPECT(hf_escape_html, "&lt;", "&amp;lt;");
    EXPECT(hf_escape_html, "\x1b<\xff\0", "\\x1b&lt;\\xff\\x00");
    EXPECT(hf_escape_html, "\xe2\x80\xae" "x", "\\u{202e}x");
}

/* 30,000 bytes: no truncation, no fixed buffer */
static void
long_name(void)
{
    enum { N = 30000 };
    char *name = g_malloc(N);
    GString *want = g_string_new(NULL);

    /* plain: every form keeps it whole */
    memset(name, 'a', N);
    g_string_append_len(want, name, N);
    expect_len(hf_escape_text, "hf_escape_text", name, N, want->str, want->len, __LINE__);
    expect_len(hf_escape_csv_cell, "hf_escape_csv_cell", name, N, want->str, want->len,
               __LINE__);
    expect_len(hf_escape_html, "hf_escape_html", name, N, want->str, want->len, __LINE__);
    g_string_printf(want, "\"%.*s\"", N, name);
    expect_len(hf_escape_json_string, "hf_escape_json_string", name, N, want->str,
               want->len, __LINE__);

    /* every byte escaped: four or six times the size */
    memset(name, 0x1b, N);
    g_string_truncate(want, 0);
    for (int i = 0; i < N; i++)
        g_string_append(want, "\\x1b");
    expect_len(hf_escape_text, "hf_escape_text", name, N, want->str, want->len, __LINE__);
    g_string_truncate(want, 0);
    g_string_append_c(want, '"');
    for (int i = 0; i < N; i++)
        g_string_append(want, "\\u001b");
    g_string_append_c(want, '"');
    expect_len(hf_escape_json_string, "hf_escape_json_string", name, N, want->str,
               want->len, __LINE__);

    /* a formula lead, a quote, invalid bytes at the very end */
    memset(name, 'b', N);
    name[0] = '=';
    name[100] = '"';
    name[N - 2] = (char)0xe2;
    name[N - 1] = (char)0x82;
    g_string_assign(want, "\"'=");
    g_string_append_len(want, name + 1, 99);
    g_string_append(want, "\"\"");
    g_string_append_len(want, name + 101, N - 103);
    g_string_append(want, "\\xe2\\x82\"");
    expect_len(hf_escape_csv_cell, "hf_escape_csv_cell", name, N, want->str, want->len,
               __LINE__);

    /* two-byte characters across the whole length */
    for (int i = 0; i < N; i += 2)
        memcpy(name + i, "\xc3\xa9", 2);
    expect_len(hf_escape_text, "hf_escape_text", name, N, name, N, __LINE__);

    g_string_free(want, TRUE);
    g_free(name);
}

int
main(void)
{
    text_form();
    csv_form();
    json_form();
    html_form();
    long_name();
    return check_summary();
}
