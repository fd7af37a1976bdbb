/* The probe's flow table: unidirectional flows keyed by
 * (addresses, ports or ICMP type/code, protocol, VLAN, interface).
 *
 * Flows sit in a hash table and on one of two queues ordered by last packet
 * (YAF's layout): "open" flows expire after the idle timeout, "closing"
 * flows (a TCP FIN or RST was seen) after the short TCP linger, so the final
 * ACK still lands in the flow it ends.  Long flows are cut every active
 * timeout.  All times are packet times, so a file always yields the same
 * records.  Memory is bounded by max_flows: when full, the flow idle the
 * longest is exported early (lackOfResources). */
#ifndef HOSTFLOW_FLOW_TABLE_H
#define HOSTFLOW_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "packet.h"

struct hf_name;
struct hf_inspect;

/* What flow_names.c learned about a flow (the table only carries it). */
struct hf_flow_names {
    struct hf_name *dns;       /* DNS-paired name of the remote host */
    struct hf_name *app;       /* TLS/QUIC server_name or HTTP Host */
    struct hf_name *query;     /* DNS flows: the question */
    struct hf_inspect *inspect;/* payload reassembly while inspecting */
    uint8_t app_source;        /* enum hf_name_source of app */
    bool dns_stale;            /* dns came from an answer past its TTL */
    uint8_t label;             /* enum hf_app_label */
    uint8_t inspect_left;      /* payload packets still worth a look */
};

/* What live events (events.c) told about a flow so far. */
struct hf_flow_events {
    uint8_t id[16];            /* UUIDv7 of the flow's current record */
    uint8_t conversation[16];  /* shared with the reverse direction */
    uint8_t told;              /* HF_TOLD_* bits */
    uint8_t name_source;       /* enum hf_name_source last told */
};

struct hf_flow_key {
    uint8_t  src_addr[16];
    uint8_t  dst_addr[16];
    uint32_t ifindex;
    uint16_t sport;          /* 0 for ICMP */
    uint16_t dport;          /* ICMP: type << 8 | code, as NetFlow does */
    uint16_t vlan_id;
    uint8_t  proto;
    uint8_t  ip_version;
};

struct hf_flow {
    struct hf_flow_key key;
    uint64_t first_us, last_us;
    uint64_t packets, octets;
    uint16_t icmp_type_code;
    uint8_t  tcp_flags;      /* OR of all packets' flags */
    uint8_t  tos;            /* of the first packet */
    uint8_t  src_mac[6];
    uint8_t  dst_mac[6];
    uint8_t  closing;        /* on the closing queue */
    struct hf_flow_names names;
    struct hf_flow_events events;
    /* table links: indexes into the entry array, UINT32_MAX = none */
    uint32_t hash_next;
    uint32_t q_prev, q_next;
};

struct hf_flow_config {
    uint64_t idle_us;        /* default 15 s */
    uint64_t active_us;      /* default 60 s */
    uint64_t linger_us;      /* after FIN/RST; default 2 s */
    uint32_t max_flows;
};

struct hf_flow_stats {
    uint64_t created;
    uint64_t exported;
    uint64_t evicted;        /* exported early: table full */
    uint64_t active;         /* flows in the table now */
    uint64_t peak;
};

/* Called for every finished flow (or active slice); the flow is valid only
 * during the call. */
typedef void (*hf_flow_emit_fn)(const struct hf_flow *flow, uint8_t end_reason,
                                void *ctx);
/* Called when a flow leaves the table for good (after its last emit). */
typedef void (*hf_flow_release_fn)(struct hf_flow *flow, void *ctx);

struct hf_flow_table;

struct hf_flow_table *hf_flow_table_new(const struct hf_flow_config *cfg,
                                        hf_flow_emit_fn emit,
                                        hf_flow_release_fn release, void *ctx);
void hf_flow_table_free(struct hf_flow_table *t);

/* Account one decoded packet; expires flows idle as of its timestamp first.
 * Returns its flow (valid until the next call that may end flows) and sets
 * *created when the packet started it. */
struct hf_flow *hf_flow_table_add(struct hf_flow_table *t,
                                  const struct hf_packet *pkt, uint32_t ifindex,
                                  bool *created);

/* The flow with this key, or NULL. */
struct hf_flow *hf_flow_table_find(struct hf_flow_table *t,
                                   const struct hf_flow_key *key);

/* The key a packet maps to (zeroed padding, ICMP type/code as dport). */
void hf_flow_key_from_packet(struct hf_flow_key *k, const struct hf_packet *pkt,
                             uint32_t ifindex);

/* The key of the other direction: addresses and ports swapped; ICMP echo
 * requests and replies map to each other.  False for ICMP messages that
 * have no answering direction. */
bool hf_flow_key_reverse(const struct hf_flow_key *k, struct hf_flow_key *rev);

/* Export flows idle (or lingering) as of now_us; live capture calls this on
 * its timer when no packets arrive. */
void hf_flow_table_expire(struct hf_flow_table *t, uint64_t now_us);

/* Export every flow (end of input, shutdown) with the given reason. */
void hf_flow_table_flush(struct hf_flow_table *t, uint8_t end_reason);

struct hf_flow_stats hf_flow_table_stats(const struct hf_flow_table *t);

#endif
