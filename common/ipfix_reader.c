#include "ipfix_reader.h"

#include "infomodel.h"

struct hf_ipfix_reader {
    fbInfoModel_t *model;
    fBuf_t *fbuf;
    uint64_t options_records;
};

/* A reader of the flow records of what alloc makes a collector of. */
static struct hf_ipfix_reader *
reader_new(fbCollector_t *(*alloc)(const void *src, GError **err),
           const void *src, GError **err)
{
    struct hf_ipfix_reader *r = g_new0(struct hf_ipfix_reader, 1);
    fbSession_t *session;
    fbCollector_t *collector;
    fbTemplate_t *tmpl;

    r->model = hf_infomodel_new(err);
    if (!r->model)
        goto fail;
    session = fbSessionAlloc(r->model);
    tmpl = hf_flow_template(r->model, UINT32_MAX, err);
    if (!tmpl || !fbSessionAddTemplate(session, TRUE, HF_TID_INTERNAL, tmpl, err)) {
        if (tmpl)
            fbTemplateFreeUnused(tmpl);
        fbSessionFree(session);
        goto fail;
    }
    collector = alloc(src, err);
    if (!collector) {
        fbSessionFree(session);
        goto fail;
    }
    r->fbuf = fBufAllocForCollection(session, collector);
    /* one record at a time: a truncated file still yields what precedes it */
    fBufSetAutomaticMode(r->fbuf, TRUE);
    return r;

fail:
    if (r->model)
        hf_infomodel_free(r->model);
    g_free(r);
    return NULL;
}

static fbCollector_t *
alloc_file(const void *path, GError **err)
{
    return fbCollectorAllocFile(NULL, path, err);
}

static fbCollector_t *
alloc_fp(const void *fp, GError **err)
{
    (void)err;
    return fbCollectorAllocFP(NULL, (FILE *)fp);
}

struct hf_ipfix_reader *
hf_ipfix_reader_open(const char *path, GError **err)
{
    return reader_new(alloc_file, path, err);
}

struct hf_ipfix_reader *
hf_ipfix_reader_open_fp(FILE *fp, GError **err)
{
    return reader_new(alloc_fp, fp, err);
}

int
hf_ipfix_reader_next(struct hf_ipfix_reader *r, hf_flow_record_t *rec,
                     GError **err)
{
    for (;;) {
        uint16_t tid;
        GError *e = NULL;
        fbTemplate_t *tmpl = fBufNextCollectionTemplate(r->fbuf, &tid, &e);

        if (!tmpl) {
            if (g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
                g_clear_error(&e);
                return 0;
            }
            g_propagate_error(err, e);
            return -1;
        }
        if (fbTemplateGetOptionsScope(tmpl)) {
            /* exporter statistics and the like: not a flow */
            hf_flow_record_t skip;
            size_t len = sizeof(skip);
            if (!fBufSetInternalTemplate(r->fbuf, HF_TID_INTERNAL, err))
                return -1;
            if (!fBufNext(r->fbuf, (uint8_t *)&skip, &len, &e)) {
                g_propagate_error(err, e);
                return -1;
            }
            r->options_records++;
            continue;
        }
        size_t len = sizeof(*rec);
        if (!fBufSetInternalTemplate(r->fbuf, HF_TID_INTERNAL, err))
            return -1;
        if (!fBufNext(r->fbuf, (uint8_t *)rec, &len, &e)) {
            if (g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
                g_clear_error(&e);
                return 0;
            }
            g_propagate_error(err, e);
            return -1;
        }
        return 1;
    }
}

uint64_t
hf_ipfix_reader_options_records(const struct hf_ipfix_reader *r)
{
    return r->options_records;
}

void
hf_ipfix_reader_close(struct hf_ipfix_reader *r)
{
    if (!r)
        return;
    fBufFree(r->fbuf);
    hf_infomodel_free(r->model);
    g_free(r);
}
