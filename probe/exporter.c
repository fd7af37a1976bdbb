#include "exporter.h"

#include <string.h>
#include "export_out.h"
#include "flow_encode.h"
#include "flow_messages.h"
#include "infomodel.h"
#include "ipfix_writer.h"

/* libfixbuf builds the templates from the information model; the records
 * and the messages are framed here (common/flow_encode.c,
 * common/flow_messages.c): a per-record fBufAppend() cost a tenth of the
 * probe's time. */
struct hf_exporter {
    fbInfoModel_t *model;
    struct hf_flow_encoder *enc;
    struct hf_flow_messages *msgs;
    struct hf_export_out *out;
    uint32_t domain;
    uint8_t *templates;         /* the template records, end to end */
    size_t templates_len;
    size_t ntemplates;
    struct { uint16_t set_id, len; } tmpl[HF_FLOW_VARIANTS + 1];
};

/* The statistics options record: the observation domain (scope), then
 * these counters, in this order (stats_spec[] without its padding). */
static fbInfoElementSpec_t stats_spec[] = {
    {"observationDomainId",               4, 0},
    {"paddingOctets",                     4, 1},   /* internal only */
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
#define STATS_COUNTERS 8
#define STATS_LEN (4 + 8 * STATS_COUNTERS)

/* Appends template t as record tid to x->templates. */
static bool
keep_template(struct hf_exporter *x, fbTemplate_t *t, uint16_t tid, GError **err)
{
    uint8_t rec[2048];
    size_t n = t ? hf_ipfix_template_record(t, tid, rec, sizeof(rec)) : 0;

    if (!n) {
        if (t)
            g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_TMPL,
                        "template %#x does not fit a message", tid);
        return false;
    }
    x->templates = g_realloc(x->templates, x->templates_len + n);
    memcpy(x->templates + x->templates_len, rec, n);
    x->templates_len += n;
    x->tmpl[x->ntemplates].set_id = fbTemplateGetOptionsScope(t)
        ? HF_IPFIX_SET_OPTIONS_TEMPLATE : HF_IPFIX_SET_TEMPLATE;
    x->tmpl[x->ntemplates].len = (uint16_t)n;
    x->ntemplates++;
    return true;
}

/* The flow variants of hf_ipfix_flow_session() and the statistics options
 * template, as template records. */
static bool
build_templates(struct hf_exporter *x, GError **err)
{
    fbSession_t *s = hf_ipfix_flow_session(x->model, x->domain, 0, err);
    bool ok = s != NULL;

    for (size_t i = 0; ok && i < HF_FLOW_VARIANTS; i++) {
        uint16_t tid = hf_flow_template_id(hf_flow_variants[i]);
        ok = keep_template(x, fbSessionGetTemplate(s, FALSE, tid, err), tid, err);
    }
    if (s)
        fbSessionFree(s);
    if (!ok)
        return false;
    fbTemplate_t *t = fbTemplateAlloc(x->model);
    if (!fbTemplateAppendSpecArray(t, stats_spec, 0, err)) {
        fbTemplateFreeUnused(t);
        return false;
    }
    fbTemplateSetOptionsScope(t, 1);
    ok = keep_template(x, t, HF_TID_STATS, err);
    fbTemplateFreeUnused(t);
    return ok;
}

struct hf_exporter *
hf_exporter_open(const struct hf_export_config *cfg, GError **err)
{
    struct hf_exporter *x = g_new0(struct hf_exporter, 1);

    x->domain = cfg->domain;
    x->model = hf_infomodel_new(err);
    if (!x->model || !build_templates(x, err))
        goto fail;
    x->enc = hf_flow_encoder_new(x->model, 0, err);
    if (!x->enc)
        goto fail;
    x->out = hf_export_out_open(cfg, err);
    if (!x->out)
        goto fail;
    x->msgs = hf_flow_messages_new_to(x->enc, hf_export_out_max_msg(x->out),
                                      hf_export_out_write, x->out, 0, x->domain);
    /* the templates first, which also tells a TCP collector that went away
     * at once */
    if (!hf_exporter_send_templates(x, err))
        goto fail;
    return x;

fail:
    hf_exporter_close(x, NULL);
    return NULL;
}

bool
hf_exporter_add(struct hf_exporter *x, const hf_flow_record_t *rec,
                GError **err)
{
    return hf_flow_messages_add(x->msgs, rec, err);
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
    return p + 8;
}

bool
hf_exporter_add_stats(struct hf_exporter *x, const struct hf_export_stats *st,
                      GError **err)
{
    const uint64_t counters[STATS_COUNTERS] = {
        st->start_ms, st->packets_seen, st->kernel_drops, st->ignored,
        st->malformed, st->flows_exported, st->flows_evicted, st->event_drops,
    };
    uint8_t rec[STATS_LEN], *p = rec;

    p[0] = (uint8_t)(x->domain >> 24), p[1] = (uint8_t)(x->domain >> 16);
    p[2] = (uint8_t)(x->domain >> 8), p[3] = (uint8_t)x->domain;
    p += 4;
    for (size_t i = 0; i < STATS_COUNTERS; i++)
        p = put64(p, counters[i]);
    return hf_flow_messages_add_encoded(x->msgs, HF_TID_STATS, rec, sizeof(rec), true,
                                        err);
}

bool
hf_exporter_send_templates(struct hf_exporter *x, GError **err)
{
    const uint8_t *p = x->templates;
    bool ok = true;

    for (size_t i = 0; ok && i < x->ntemplates; i++) {
        ok = hf_flow_messages_add_encoded(x->msgs, x->tmpl[i].set_id, p, x->tmpl[i].len,
                                          false, err);
        p += x->tmpl[i].len;
    }
    return ok && hf_exporter_flush(x, err);
}

bool
hf_exporter_flush(struct hf_exporter *x, GError **err)
{
    return hf_flow_messages_end(x->msgs, err) && hf_export_out_flush(x->out, err);
}

void
hf_exporter_set_time(struct hf_exporter *x, uint32_t epoch_s)
{
    hf_flow_messages_set_time(x->msgs, epoch_s);
}

bool
hf_exporter_close(struct hf_exporter *x, GError **err)
{
    bool ok = true;

    if (!x)
        return true;
    if (x->msgs)
        ok = hf_flow_messages_end(x->msgs, err);
    if (x->out && !hf_export_out_close(x->out, ok ? err : NULL))
        ok = false;
    hf_flow_messages_free(x->msgs);
    hf_flow_encoder_free(x->enc);
    if (x->model)
        hf_infomodel_free(x->model);
    g_free(x->templates);
    g_free(x);
    return ok;
}
