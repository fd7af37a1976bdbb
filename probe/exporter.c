#include "exporter.h"

#include <string.h>
#include "infomodel.h"
#include "ipfix_writer.h"

struct hf_exporter {
    fbInfoModel_t *model;
    fbSession_t *session;
    fBuf_t *fbuf;
    uint32_t domain;
    bool is_file;
};

/* Options record layout; mirrors stats_spec[]. */
struct stats_record {
    uint32_t observationDomainId;
    uint8_t  paddingOctets[4];
    uint64_t systemInitTimeMilliseconds;
    uint64_t packetTotalCount;
    uint64_t droppedPacketTotalCount;
    uint64_t ignoredPacketTotalCount;
    uint64_t hostflowMalformedPacketTotalCount;
    uint64_t exportedFlowRecordTotalCount;
    uint64_t hostflowEvictedFlowTotalCount;
    uint64_t hostflowEventDropTotalCount;
};

static fbInfoElementSpec_t stats_spec[] = {
    {"observationDomainId",               4, 0},
    {"paddingOctets",                     4, 1},
    {"systemInitTimeMilliseconds",        8, 0},
    {"packetTotalCount",                  8, 0},
    {"droppedPacketTotalCount",           8, 0},
    {"ignoredPacketTotalCount",           8, 0},
    {"hostflowMalformedPacketTotalCount", 8, 0},
    {"exportedFlowRecordTotalCount",      8, 0},
    {"hostflowEvictedFlowTotalCount",     8, 0},
    {"hostflowEventDropTotalCount",       8, 0},
    FB_IESPEC_NULL
};

static bool
add_stats_template(fbSession_t *s, fbInfoModel_t *m, gboolean internal,
                   GError **err)
{
    fbTemplate_t *t = fbTemplateAlloc(m);

    if (!fbTemplateAppendSpecArray(t, stats_spec, internal ? 1 : 0, err)) {
        fbTemplateFreeUnused(t);
        return false;
    }
    fbTemplateSetOptionsScope(t, 1);
    return hf_ipfix_add_template(s, internal,
                                 internal ? HF_TID_STATS_INT : HF_TID_STATS, t, err);
}

static bool
build_session(struct hf_exporter *x, GError **err)
{
    x->session = hf_ipfix_flow_session(x->model, x->domain, 0, err);
    return x->session
        && add_stats_template(x->session, x->model, TRUE, err)
        && add_stats_template(x->session, x->model, FALSE, err);
}

struct hf_exporter *
hf_exporter_open(const struct hf_export_config *cfg, GError **err)
{
    struct hf_exporter *x = g_new0(struct hf_exporter, 1);
    fbExporter_t *exp;

    x->domain = cfg->domain;
    x->is_file = cfg->kind == HF_EXPORT_FILE;
    x->model = hf_infomodel_new(err);
    if (!x->model || !build_session(x, err))
        goto fail;

    if (x->is_file) {
        exp = fbExporterAllocFile(cfg->path);
    } else {
        fbConnSpec_t spec;
        memset(&spec, 0, sizeof(spec));
        spec.transport = cfg->kind == HF_EXPORT_TCP ? FB_TCP : FB_UDP;
        spec.host = (char *)cfg->host;
        spec.svc = (char *)cfg->port;
        exp = fbExporterAllocNet(&spec);
    }
    x->fbuf = fBufAllocForExport(x->session, exp);
    /* the session was built before the buffer; announce its templates now,
     * which also opens the socket or file */
    if (!hf_exporter_send_templates(x, err))
        goto fail;
    return x;

fail:
    if (x->fbuf)
        fBufFree(x->fbuf);
    else if (x->session)
        fbSessionFree(x->session);
    if (x->model)
        fbInfoModelFree(x->model);
    g_free(x);
    return NULL;
}

bool
hf_exporter_add(struct hf_exporter *x, const hf_flow_record_t *rec,
                GError **err)
{
    return hf_ipfix_append_flow(x->fbuf, rec, err);
}

bool
hf_exporter_add_stats(struct hf_exporter *x, const struct hf_export_stats *st,
                      GError **err)
{
    struct stats_record r;

    memset(&r, 0, sizeof(r));
    r.observationDomainId = x->domain;
    r.systemInitTimeMilliseconds = st->start_ms;
    r.packetTotalCount = st->packets_seen;
    r.droppedPacketTotalCount = st->kernel_drops;
    r.ignoredPacketTotalCount = st->ignored;
    r.hostflowMalformedPacketTotalCount = st->malformed;
    r.exportedFlowRecordTotalCount = st->flows_exported;
    r.hostflowEvictedFlowTotalCount = st->flows_evicted;
    r.hostflowEventDropTotalCount = st->event_drops;
    return fBufSetInternalTemplate(x->fbuf, HF_TID_STATS_INT, err)
        && fBufSetExportTemplate(x->fbuf, HF_TID_STATS, err)
        && fBufAppend(x->fbuf, (uint8_t *)&r, sizeof(r), err);
}

bool
hf_exporter_send_templates(struct hf_exporter *x, GError **err)
{
    return fbSessionExportTemplates(x->session, err) && fBufEmit(x->fbuf, err);
}

bool
hf_exporter_flush(struct hf_exporter *x, GError **err)
{
    return fBufEmit(x->fbuf, err);
}

void
hf_exporter_set_time(struct hf_exporter *x, uint32_t epoch_s)
{
    fBufSetExportTime(x->fbuf, epoch_s);
}

bool
hf_exporter_close(struct hf_exporter *x, GError **err)
{
    bool ok;

    if (!x)
        return true;
    ok = fBufEmit(x->fbuf, err);
    fBufFree(x->fbuf);
    fbInfoModelFree(x->model);
    g_free(x);
    return ok;
}
