/* libfixbuf_reencode IN OUT: the flow records of the IPFIX file IN,
 * written to OUT through libfixbuf (fBufAppend with the probe's session of
 * templates), as the probe wrote them before it framed its own messages.
 * tests/probe_encode.py compares the two files' records. */
#include <stdio.h>
#include "ipfix_reader.h"
#include "ipfix_writer.h"
#include "infomodel.h"

int
main(int argc, char **argv)
{
    GError *err = NULL;
    uint64_t n = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
        return 2;
    }
    fbInfoModel_t *model = hf_infomodel_new(&err);
    struct hf_ipfix_reader *r = model ? hf_ipfix_reader_open(argv[1], &err) : NULL;
    fbSession_t *s = r ? hf_ipfix_flow_session(model, 0, 0, &err) : NULL;
    fBuf_t *b = s ? fBufAllocForExport(s, fbExporterAllocFile(argv[2])) : NULL;
    bool ok = b && fbSessionExportTemplates(s, &err) && fBufEmit(b, &err);
    hf_flow_record_t rec;
    int rc = 0;

    while (ok && (rc = hf_ipfix_reader_next(r, &rec, &err)) == 1) {
        ok = hf_ipfix_append_flow(b, &rec, &err);
        n++;
    }
    ok = ok && rc == 0 && fBufEmit(b, &err);
    if (!ok)
        fprintf(stderr, "libfixbuf_reencode: %s\n", err ? err->message : "failed");
    else
        printf("records %" G_GUINT64_FORMAT "\n", n);
    g_clear_error(&err);
    if (b)
        fBufFree(b);
    else if (s)
        fbSessionFree(s);
    if (r)
        hf_ipfix_reader_close(r);
    if (model)
        hf_infomodel_free(model);
    return ok ? 0 : 1;
}
