/* Rules about flow records that every part of hostflow must apply the
 * same way: which protocols carry ports, which side of a unidirectional
 * record is the client, which name a record's flow went to, and how a
 * service is called. */
#ifndef HOSTFLOW_FLOW_RULES_H
#define HOSTFLOW_FLOW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow_record.h"
#include "proto.h"


/* True when a record goes from the service to its client.  The client is
 * the side with the higher port (the service's port is the lower one);
 * with equal ports, or none, the side with the lower address, so that both
 * directions of a connection agree.  An hourly summary keeps only the
 * service's port and the client's address (see collector/rollup.h): it
 * comes from the service when its destination port is zero (without
 * ports: when its source address is zero and its destination's not, or,
 * for a client of address zero, by which MAC is kept). */
bool hf_flow_from_service(const hf_flow_record_t *r);

/* The name a record's flow went to: hostflow's hostname, else what other
 * probes export (HTTP Host, TLS SNI, DNS query); *source says which
 * (enum hf_name_source).  Never NULL: an empty field when it has none. */
const fbVarfield_t *hf_flow_name(const hf_flow_record_t *r, uint8_t *source);

/* "https", "dns", ... for well-known services, else "PORT/tcp",
 * "PORT/udp", or the protocol ("icmp", "proto 47") without ports; into buf
 * (24 bytes are enough), returned. */
const char *hf_service_name(uint8_t proto, uint16_t port, char *buf, size_t size);

/* "tcp", "udp", "icmp", ... or the number; into buf (12 bytes), returned. */
const char *hf_proto_name(uint8_t proto, char *buf, size_t size);

/* Bytes and packets as people read them: scaled up by the sampling
 * interval when the record was sampled. */
static inline uint64_t
hf_flow_scale(const hf_flow_record_t *r)
{
    return r->samplingPacketInterval > 1 ? r->samplingPacketInterval : 1;
}

#endif
