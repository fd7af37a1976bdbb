/* Decoder internals.  The files call one way only, each to the ones below
 * it, never back to a caller:
 *
 *   decoder.c          front: a message to its version's decoder
 *   v5.c  ipfix_v9.c  sflow.c   message parsers (all through extract.h)
 *   held_data.c        data held for a template that has not come yet
 *   data_records.c     a data set's records through their template
 *   templates.c        template storage, withdrawal, persistence
 *   record_plan.c      a fixed-length template's plan (record_plan.h)
 *   exporters.c        sessions, per-address quotas, eviction
 *   sequence.c  counters.c      sequence numbers; counter and log helpers
 */
#ifndef HOSTFLOW_DECODER_INT_H
#define HOSTFLOW_DECODER_INT_H

#include "decoder.h"
#include "extract.h"
#include "ie_map.h"
#include "rate_log.h"

#include <string.h>

#define HF_VARLEN 0xffff

struct hf_tmpl_field {
    uint32_t pen;
    uint16_t id;
    uint16_t len;            /* HF_VARLEN: variable length (IPFIX) */
    uint8_t  action;         /* enum hf_ie_action */
};

/* One step of a fixed-length template's plan (record_plan.h): the field at
 * src of the record, len bytes, decoded by kind into dst of the flow record
 * or of the side state. */
struct hf_step {
    uint16_t src, dst, len;
    uint8_t  kind;           /* enum step_kind */
    uint8_t  pad;            /* 0: templates are compared whole */
};

struct hf_template {
    uint16_t tid;
    uint16_t nfields;
    uint16_t scope_count;    /* > 0: options template */
    uint8_t  version;
    uint32_t min_len;        /* shortest possible record */
    bool     varlen;
    uint16_t side_has;       /* what every record's fields give (record_plan.h) */
    struct hf_tmpl_field f[];
    /* then nfields + 1 struct hf_step: the plan (hf_template_steps) */
};

/* The plan of a template without variable-length fields, ended by a step
 * of kind 0; hf_template_layout builds it. */
static inline struct hf_step *
hf_template_steps(const struct hf_template *t)
{
    return (struct hf_step *)(void *)&t->f[t->nfields];
}

/* Bytes of a template with nfields fields and its plan. */
static inline size_t
hf_template_size(uint16_t nfields)
{
    return sizeof(struct hf_template) + nfields * sizeof(struct hf_tmpl_field)
           + (nfields + 1u) * sizeof(struct hf_step);
}

/* Scope of a template: a transport session (port != 0) or, for the
 * fallback, the whole exporter (port 0). */
struct hf_tmpl_key {
    uint8_t  addr[16];
    uint32_t domain;
    uint16_t port;
    uint16_t tid;
    uint8_t  version;
    uint8_t  pad[3];
};

/* Per (exporter address, domain): what options records announced. */
struct hf_exporter_opts {
    uint64_t sysinit_ms;       /* systemInitTimeMilliseconds, 0 = unknown */
    uint32_t default_interval; /* sampling without a sampler id */
    uint32_t n_samplers;
    struct { uint32_t id, interval; } samplers[16];
};

/* Per exporter address (exporters.c): what it holds, against its quotas,
 * and when it was last seen, for eviction. */
struct hf_source_addr {
    uint8_t  addr[16];
    bool     named;            /* a configured source: never evicted */
    uint32_t sessions;
    uint32_t templates;        /* its entries in d->templates */
    uint64_t held_bytes;       /* its data held for templates */
    uint64_t last_seen_ms;
    GList    with_sessions;    /* in d->sess_lru while it has sessions */
    GList    with_templates;   /* in d->tmpl_lru while it has templates */
    GQueue   sess_lru;         /* its sessions, least recently seen first */
    GPtrArray *tmpl_keys;      /* keys it put in d->templates (some may be gone) */
    GPtrArray *opts_keys;      /* keys it put in d->opts */
};

/* Per exporter session: counters and sequence tracking. */
struct hf_session {
    struct hf_exporter_stats st;
    bool     seq_valid;
    uint32_t seq_next;         /* expected sequence number of the next message */
    struct hf_exporter_opts *opts;
    struct hf_source_addr *src;
    GList    lru;              /* in src->sess_lru */
};

/* A data set that came before its template. */
struct hf_pending {
    struct hf_exporter_id id;
    uint16_t tid;
    uint32_t export_s;
    uint32_t uptime_ms;        /* v9 header */
    uint64_t received_ms;
    uint32_t len;
    uint8_t  data[];
};

/* What a message header says, needed to turn relative times absolute. */
struct hf_msg_ctx {
    struct hf_session *sess;
    const struct hf_exporter_id *id;
    uint32_t export_s;
    uint32_t uptime_ms;        /* v9 sysUptime; 0 for IPFIX */
    uint64_t now_ms;
    uint32_t data_records;     /* decoded in this message */
    bool     held;             /* a set was held for its template */
};

struct hf_decoder {
    struct hf_decoder_config cfg;
    hf_record_fn fn;
    hf_record_slot_fn slot;    /* may be NULL */
    void *ctx;
    GHashTable *templates;     /* hf_tmpl_key → hf_template */
    GHashTable *sessions;      /* hf_exporter_id → hf_session */
    GHashTable *opts;          /* hf_tmpl_key (port 0, tid 0) → hf_exporter_opts */
    GHashTable *addrs;         /* addr[16] → hf_source_addr */
    GQueue sess_lru;           /* addresses with sessions, least recently seen first */
    GQueue tmpl_lru;           /* addresses with templates, likewise */
    uint32_t holders;          /* addresses holding data for templates */
    GQueue pending;            /* hf_pending, oldest first */
    uint64_t pending_bytes;
    bool templates_dirty;
    bool opts_dirty;           /* an options record changed d->opts */
    struct hf_decoder_counters c;
    /* faults an exporter causes, logged rate-limited */
    struct hf_rate_log log_quota;     /* over an exporter's own quota */
    struct hf_rate_log log_full;      /* a table full: eviction or refusal */
    struct hf_rate_log log_conflict;  /* template redefined differently */
};

/* ---- counters.c: counter names and sums, exporters in log lines ---- */

/* "192.0.2.1 port 2055 domain 0" into buf, for log lines. */
void hf_session_str(const struct hf_exporter_id *id, char *buf, size_t len);

/* ---- sequence.c ---- */

/* Message sequence number seq, the next one expected seq + advance: counts
 * what was lost or came out of order. */
void hf_sequence_check(struct hf_session *s, uint32_t seq, uint32_t advance);

/* ---- exporters.c ---- */
void hf_exporters_init(struct hf_decoder *d);
void hf_exporters_free(struct hf_decoder *d);
/* The session of id, made if new; NULL when the table is full of exporters
 * that cannot be evicted (the caller counts the refusal). */
struct hf_session *hf_session_get(struct hf_decoder *d,
                                  const struct hf_exporter_id *id,
                                  uint64_t now_ms);
/* The session of id if it exists (nothing is made or evicted). */
struct hf_session *hf_session_find(struct hf_decoder *d,
                                   const struct hf_exporter_id *id);
/* The bookkeeping of an address, made if new (templates and options loaded
 * from the state directory have one before any session). */
struct hf_source_addr *hf_source_addr_get(struct hf_decoder *d,
                                          const uint8_t addr[16]);
/* Room for one more template entry of s's address: true, after evicting
 * another exporter's templates if the table is full; false (counted under
 * s) when over its quota or nothing can be evicted. */
bool hf_template_room(struct hf_decoder *d, struct hf_session *s);
/* A template entry was added to / n were removed from d->templates. */
void hf_source_templates_added(struct hf_decoder *d, struct hf_source_addr *a,
                               const struct hf_tmpl_key *k);
void hf_source_templates_removed(struct hf_decoder *d, struct hf_source_addr *a,
                                 guint n);
/* Frees the address's bookkeeping (and its options knowledge) once it has
 * no session, template or held data left. */
void hf_source_addr_release(struct hf_decoder *d, struct hf_source_addr *a);

/* ---- templates.c ---- */

/* The key of template tid in id's session (session true) or in the
 * exporter-wide fallback scope. */
static inline void
hf_tmpl_key_make(struct hf_tmpl_key *k, const struct hf_exporter_id *id,
                 bool session, uint16_t tid)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->addr, id->addr, 16);
    k->domain = id->domain;
    k->port = session ? id->port : 0;
    k->tid = tid;
    k->version = id->version;
}

GHashTable *hf_templates_table(void);
const struct hf_template *hf_templates_find(struct hf_decoder *d,
                                            const struct hf_exporter_id *id,
                                            uint16_t tid);
/* Stores a compiled template under the session and the exporter key (and
 * frees t); false if refused: over the exporter's quota, or the table is
 * full of other exporters' templates that cannot be evicted. */
bool hf_templates_add(struct hf_decoder *d, struct hf_session *s,
                      struct hf_template *t);
/* tid 2 / 3 withdraw all data / options templates (RFC 7011 8.1). */
void hf_templates_withdraw(struct hf_decoder *d, const struct hf_exporter_id *id,
                           uint16_t tid);
struct hf_template *hf_template_new(uint16_t tid, uint16_t nfields,
                                    uint16_t scope_count, uint8_t version);
/* The record length and the plan of its fields (record_plan.h): once all
 * fields are set, and for a template loaded from the state directory. */
void hf_template_layout(struct hf_template *t);
/* Sets field i and its action; false if the length is impossible. */
bool hf_template_set_field(struct hf_decoder *d, struct hf_template *t,
                           uint16_t i, uint32_t pen, uint16_t id, uint16_t len);
/* STATE/templates.v1 and STATE/options.v1: exporter-level templates and
 * options knowledge, loaded at start, saved when changed. */
void hf_templates_load(struct hf_decoder *d);
void hf_templates_save(struct hf_decoder *d);

/* ---- data_records.c ---- */

/* Decodes the records of a data set (its body, after the set header) with
 * template t; a record cut short or padding that is not zeros is counted. */
void hf_decode_data_set(struct hf_decoder *d, struct hf_msg_ctx *m,
                        const struct hf_template *t, struct hf_cursor set);

/* ---- held_data.c ---- */

/* Holds a data set whose template tid has not come (bounded: over the
 * exporter's quota or its share of a full buffer it is refused, counted). */
void hf_pending_hold(struct hf_decoder *d, struct hf_msg_ctx *m, uint16_t tid,
                     struct hf_cursor set);
/* Template tid of id's exporter arrived: decodes what waited for it. */
void hf_pending_release(struct hf_decoder *d, const struct hf_exporter_id *id,
                        uint16_t tid);
/* Drops (and counts) held data older than the age bound. */
void hf_pending_expire(struct hf_decoder *d, uint64_t now_ms);
/* Drops (and counts) all held data. */
void hf_pending_drop_all(struct hf_decoder *d);

/* ---- the message parsers: msg is the whole datagram / message ---- */

/* v5.c; the domain of a v5 message: its engine type and id. */
void hf_decode_v5(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg);
uint32_t hf_v5_domain(struct hf_cursor msg);

/* ipfix_v9.c; the observation domain / v9 source id of a message (0 when
 * the header is cut before it). */
void hf_decode_ipfix(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg);
void hf_decode_v9(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg);
uint32_t hf_ipfix_domain(struct hf_cursor msg);
uint32_t hf_v9_domain(struct hf_cursor msg);

/* sflow.c */
void hf_decode_sflow(struct hf_decoder *d, struct hf_msg_ctx *m, struct hf_cursor msg);
/* The sub-agent id of an sFlow datagram (its exporter domain); 0 if the
 * header is cut before it or its agent address type is unknown. */
uint32_t hf_sflow_sub_agent(struct hf_cursor msg);

/* A malformation of the message being decoded, counted under its session. */
static inline void
hf_bad(struct hf_msg_ctx *m, enum hf_malformed why)
{
    m->sess->st.malformed[why]++;
}

#endif
