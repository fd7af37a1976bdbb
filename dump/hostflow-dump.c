/* hostflow-dump: print the flow records of IPFIX files (the probe's -o
 * output, the collector's slot files) as text, CSV or JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "hf_config.h"
#include "ipfix_reader.h"
#include "record_format.h"

static char *format_arg;
static gboolean count_arg, version_arg;

static GOptionEntry entries[] = {
    {"format", 'F', 0, G_OPTION_ARG_STRING, &format_arg,
     "text (default), csv or json (one object per line)", "FMT"},
    {"count", 'n', 0, G_OPTION_ARG_NONE, &count_arg,
     "Print only totals: records, packets, bytes", NULL},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &version_arg, "Print the version", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

int
main(int argc, char **argv)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("FILE...");
    enum hf_format fmt = HF_FMT_TEXT;
    int rc = 0;

    g_option_context_set_summary(ctx,
        "Print the flow records of IPFIX files (RFC 5655), '-' = stdin.");
    g_option_context_set_description(ctx, "See hostflow-dump(1).\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "hostflow-dump: %s\nTry 'hostflow-dump --help'.\n", err->message);
        return 2;
    }
    g_option_context_free(ctx);
    if (version_arg) {
        printf("hostflow-dump %s\n", HF_VERSION);
        return 0;
    }
    if (format_arg && !hf_format_parse(format_arg, &fmt)) {
        fprintf(stderr, "hostflow-dump: unknown format '%s' (text, csv, json)\n", format_arg);
        return 2;
    }
    if (argc < 2) {
        fprintf(stderr, "hostflow-dump: no input file\nTry 'hostflow-dump --help'.\n");
        return 2;
    }

    uint64_t records = 0, packets = 0, bytes = 0;
    if (!count_arg)
        hf_format_header(stdout, fmt);
    for (int i = 1; i < argc; i++) {
        struct hf_ipfix_reader *r = hf_ipfix_reader_open(argv[i], &err);
        if (!r) {
            fprintf(stderr, "hostflow-dump: %s: %s\n", argv[i], err->message);
            g_clear_error(&err);
            rc = 1;
            continue;
        }
        hf_flow_record_t rec;
        int n;
        while ((n = hf_ipfix_reader_next(r, &rec, &err)) > 0) {
            records++;
            packets += rec.packetDeltaCount;
            bytes += rec.octetDeltaCount;
            if (!count_arg)
                hf_format_record(stdout, fmt, &rec);
        }
        if (n < 0) {
            fprintf(stderr, "hostflow-dump: %s: %s (records before this point were printed)\n",
                    argv[i], err->message);
            g_clear_error(&err);
            rc = 1;
        }
        hf_ipfix_reader_close(r);
    }
    if (count_arg)
        printf("records %" G_GUINT64_FORMAT " packets %" G_GUINT64_FORMAT
               " bytes %" G_GUINT64_FORMAT "\n", records, packets, bytes);
    return rc;
}
