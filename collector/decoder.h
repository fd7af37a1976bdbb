/* Flow-export message decoding: NetFlow v5, NetFlow v9, IPFIX and sFlow v5,
 * from many exporters at once, into hf_flow_record_t.
 *
 * Templates are scoped as RFC 7011 says (exporter address + source port +
 * observation domain) with a fallback to the exporter (address + domain) for
 * routers that send templates and data from different ports.  Data that
 * arrives before its template is held (bounded) and decoded when the
 * template comes.  Templates are persisted so a restart decodes at once.
 * Every oddity is counted per exporter; nothing is fatal.
 *
 * sFlow v5 (usually sent to port 6343; accepted on any listening port):
 * each flow sample becomes one record of one packet, octets the sampled
 * frame's length, the sample's rate as samplingPacketInterval, times the
 * datagram's arrival.  Counter samples are counted as options records. */
#ifndef HOSTFLOW_DECODER_H
#define HOSTFLOW_DECODER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>
#include "flow_record.h"
#include "hash.h"

/* An exporter's transport session. */
struct hf_exporter_id {
    uint8_t  addr[16];        /* IPv4 as ::ffff:a.b.c.d */
    uint16_t port;            /* source port */
    uint16_t local_port;      /* our listening port it was sent to */
    uint32_t domain;          /* observation domain / v9 source id / v5 engine
                                 / sFlow sub-agent id */
    uint8_t  version;         /* 5, 9, 10 or HF_VERSION_SFLOW */
};

/* The exporter version of sFlow v5 sessions (0x80 | 5): apart from
 * NetFlow v5 from the same address and port. */
#define HF_VERSION_SFLOW 0x85

/* h with the exporter's address folded in: the address part of the hashes
 * over struct hf_exporter_id (each adds the fields its equality compares).
 * Seeded: anyone can spoof a source, and addresses aimed at one bucket
 * would make every datagram's lookup walk them all. */
static inline guint
hf_exporter_addr_hash(const struct hf_exporter_id *id, guint h)
{
    return hf_addr16_hash(id->addr, h);
}

enum hf_malformed {
    HF_BAD_SHORT = 0,         /* shorter than its header */
    HF_BAD_VERSION,           /* not 5, 9, 10 or sFlow 5 */
    HF_BAD_LENGTH,            /* header length / count disagrees with datagram */
    HF_BAD_SET,               /* set header short, or set runs past message */
    HF_BAD_TEMPLATE,          /* template record malformed or absurd */
    HF_BAD_RECORD,            /* data record runs past its set */
    HF_BAD_TMPL_MISMATCH,     /* set length not a whole number of records */
    HF_BAD_FIELD,             /* field length impossible for its element */
    HF_BAD_COUNT
};

struct hf_exporter_stats {
    struct hf_exporter_id id;
    uint64_t messages;
    uint64_t records;          /* flow records decoded */
    uint64_t options_records;  /* and sFlow counter / unknown samples */
    uint64_t templates;        /* template records received */
    uint64_t template_withdrawals;
    uint64_t sequence_lost;    /* IPFIX: records, v9: packets, v5: flows,
                                  sFlow: datagrams */
    uint64_t sequence_reorder; /* sequence went backwards (restart, reorder) */
    uint64_t pending_decoded;  /* data sets held for a template, then decoded */
    uint64_t pending_dropped;  /* ...and never decoded (bound or age) */
    uint64_t pending_refused;  /* data sets not held: over its held-data quota */
    uint64_t templates_refused;/* templates not kept: over its template quota
                                  or the table full of others' live ones */
    uint64_t malformed[HF_BAD_COUNT];
    uint32_t sampling_interval;/* last announced, 0 = none */
    uint64_t last_seen_ms;
};

/* arrival_ms: when the datagram carrying the record arrived (for data held
 * for its template, the data's arrival, not the template's). */
typedef void (*hf_record_fn)(void *ctx, const struct hf_exporter_id *exp,
                             const hf_flow_record_t *rec, uint64_t arrival_ms);

/* Bounds on what exporters may make the decoder hold, so that forged
 * sources cannot grow memory or take room from real exporters.  An
 * "exporter" here is a source address; a session is (address, source port,
 * listening port, observation domain, protocol version).  0 = default. */
struct hf_decoder_limits {
    uint32_t max_sessions;             /* all exporters (default 65536) */
    uint32_t max_sessions_per_exporter;/* default 1024 */
    uint32_t max_templates;            /* template entries (default 65536) */
    uint32_t max_templates_per_exporter;/* default 4096 */
    uint32_t max_held_per_exporter;    /* bytes of held data (default 4 MiB) */
};

struct hf_decoder_config {
    const char *state_dir;     /* templates persisted here; NULL = not */
    uint32_t pending_max_bytes;/* data held for templates (default 16 MiB) */
    uint32_t pending_max_age_s;/* default 1800: routers re-send within that */
    uint32_t enterprise_number;/* hostflow's PEN */
    struct hf_decoder_limits limits;
    /* true for an exporter address that a configured source names: its
     * state is never evicted to make room for others (may be NULL) */
    bool (*is_named)(void *ctx, const uint8_t addr[16]);
    void *named_ctx;
};

/* What the decoder refused or evicted to stay within its limits, and the
 * summed counters of the sessions it evicted (so totals stay whole). */
struct hf_decoder_counters {
    uint64_t datagrams_refused;  /* exporter table full of live exporters */
    uint64_t sessions_evicted;   /* least recently seen, without templates */
    uint64_t templates_evicted;  /* another exporter's, table full */
    uint64_t sessions;           /* now */
    uint64_t templates;          /* now */
    uint64_t held_bytes;         /* now */
    struct hf_exporter_stats evicted;  /* evicted sessions' counters */
};

struct hf_decoder;

struct hf_decoder *hf_decoder_new(const struct hf_decoder_config *cfg,
                                  hf_record_fn fn, void *ctx);

/* Where the next IPFIX or v9 data record is decoded (the consumer's batch
 * memory, so that it is not copied there): a record the decoder zeroes
 * and fills, then hands to fn at that address (or drops, an options
 * record); slot returning NULL: into the decoder's own.  Each pointer is
 * used for one record. */
typedef hf_flow_record_t *(*hf_record_slot_fn)(void *ctx);
void hf_decoder_set_slot(struct hf_decoder *d, hf_record_slot_fn slot);
void hf_decoder_free(struct hf_decoder *d);

/* One datagram (or one IPFIX message from a TCP stream) from exp's address
 * and port; exp->domain and version are filled from the message. now_ms:
 * arrival time. */
void hf_decoder_feed(struct hf_decoder *d, const struct hf_exporter_id *from,
                     const uint8_t *msg, size_t len, uint64_t now_ms);

/* Drops held data older than the age bound; saves templates if changed. */
void hf_decoder_tick(struct hf_decoder *d, uint64_t now_ms);

/* At exit: data still held for a template is counted as pending_dropped
 * (it is not kept across a restart), so the last status accounts for it. */
void hf_decoder_drop_pending(struct hf_decoder *d);

/* Calls fn for each exporter session's counters. */
void hf_decoder_foreach_stats(struct hf_decoder *d,
                              void (*fn)(const struct hf_exporter_stats *st, void *ctx),
                              void *ctx);

/* Totals over all exporters, evicted ones included (for tests and --stats). */
struct hf_exporter_stats hf_decoder_totals(struct hf_decoder *d);

struct hf_decoder_counters hf_decoder_counters(struct hf_decoder *d);

/* Adds every counter of b to a (the id is left alone). */
void hf_exporter_stats_add(struct hf_exporter_stats *a,
                           const struct hf_exporter_stats *b);

const char *hf_malformed_name(enum hf_malformed m);

/* "192.0.2.1" or "2001:db8::1" for an exporter address. */
void hf_exporter_addr_str(const uint8_t addr[16], char *buf, size_t len);

#endif
