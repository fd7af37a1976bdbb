/* Conversations: the two unidirectional records of a connection joined,
 * so that "sent" is what the client sent the service and "received" what
 * came back (the client as flow_rules.h says).  Records of one 5-tuple in
 * the query's window are one conversation: first start to last end. */
#ifndef HOSTFLOW_QUERY_CONVERSATION_H
#define HOSTFLOW_QUERY_CONVERSATION_H

#include <glib.h>
#include "aggregate.h"
#include "flow_record.h"

struct hf_conv {
    uint8_t  ip_version, proto;
    uint8_t  client[16], server[16];   /* IPv4 in the first 4 bytes, network order */
    uint16_t client_port, server_port;
    uint8_t  client_mac[6];            /* from the client's earliest record, else the service's */
    struct hf_sums sent, received;
    uint64_t start_ms, end_ms;
    char    *hostname;                 /* the earliest record's name, as received; may be NULL */
    char    *app;
    const char *source;                /* the store source of its earliest record */
};

struct hf_convs;

struct hf_convs *hf_convs_new(void);
void hf_convs_free(struct hf_convs *c);

/* Adds a raw flow record (summaries have no ports: skip them). */
void hf_convs_add(struct hf_convs *c, const hf_flow_record_t *r, const char *source);

/* Moves everything of from into into. */
void hf_convs_merge(struct hf_convs *into, struct hf_convs *from);

/* The conversations by start time (then client, service); owned by c. */
GPtrArray *hf_convs_sorted(struct hf_convs *c);

guint hf_convs_size(const struct hf_convs *c);

#endif
