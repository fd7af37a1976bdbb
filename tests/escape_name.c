/* escape_name MODE: standard input (any bytes) written as one name in the
 * form safe_text.h gives it, MODE text, csv, json or html; for the
 * end-to-end tests to check forms hostflow-dump does not print (html). */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "safe_text.h"

int
main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(GString *, const void *, size_t); }
    modes[] = { { "text", hf_escape_text }, { "csv", hf_escape_csv_cell },
                { "json", hf_escape_json_string }, { "html", hf_escape_html } };
    GString *in = g_string_new(NULL), *out = g_string_new(NULL);
    char buf[65536];
    size_t n;

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
        g_string_append_len(in, buf, (gssize)n);
    for (size_t i = 0; argc == 2 && i < G_N_ELEMENTS(modes); i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            modes[i].fn(out, in->str, in->len);
            fwrite(out->str, 1, out->len, stdout);
            return 0;
        }
    }
    fprintf(stderr, "usage: escape_name text|csv|json|html < NAME\n");
    return 2;
}
