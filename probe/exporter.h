/* IPFIX export: UDP, TCP or an IPFIX file (RFC 5655); templates built by
 * libfixbuf, records and messages framed here (common/flow_encode.c,
 * common/flow_messages.c), sent by probe/export_out.c. */
#ifndef HOSTFLOW_EXPORTER_H
#define HOSTFLOW_EXPORTER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

enum hf_export_kind { HF_EXPORT_UDP, HF_EXPORT_TCP, HF_EXPORT_FILE };

struct hf_export_config {
    enum hf_export_kind kind;
    const char *host;        /* UDP/TCP */
    const char *port;
    const char *path;        /* file; "-" for standard output */
    uint32_t domain;         /* observation domain id */
};

/* Exporter statistics, sent as an options record (scope: domain). */
struct hf_export_stats {
    uint64_t start_ms;       /* systemInitTimeMilliseconds */
    uint64_t packets_seen;   /* packetTotalCount */
    uint64_t kernel_drops;   /* droppedPacketTotalCount */
    uint64_t ignored;        /* ignoredPacketTotalCount: not in any flow */
    uint64_t malformed;      /* hostflowMalformedPacketTotalCount */
    uint64_t flows_exported; /* exportedFlowRecordTotalCount */
    uint64_t flows_evicted;  /* hostflowEvictedFlowTotalCount */
    uint64_t event_drops;    /* hostflowEventDropTotalCount: live events lost */
};

struct hf_exporter;

/* Opens the output and sends the templates, so an unreachable TCP
 * collector or an unwritable file fails here, not later. */
struct hf_exporter *hf_exporter_open(const struct hf_export_config *cfg,
                                     GError **err);

bool hf_exporter_add(struct hf_exporter *x, const hf_flow_record_t *rec,
                     GError **err);
bool hf_exporter_add_stats(struct hf_exporter *x,
                           const struct hf_export_stats *st, GError **err);
/* Templates again: UDP collectors that started late learn them. */
bool hf_exporter_send_templates(struct hf_exporter *x, GError **err);
/* Send what is buffered now (low-rate live traffic must not wait). */
bool hf_exporter_flush(struct hf_exporter *x, GError **err);
/* Export time of the following messages; 0 = the clock (live capture). */
void hf_exporter_set_time(struct hf_exporter *x, uint32_t epoch_s);
/* Flushes and frees; false and err if the last send failed. */
bool hf_exporter_close(struct hf_exporter *x, GError **err);

#endif
