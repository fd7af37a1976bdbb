/* Ports for non-first IP fragments.
 *
 * Only the first fragment carries the transport header.  The table
 * remembers its ports by (ip version, src, dst, proto, fragment id) so the
 * later pieces join the same flow.  Memory is fixed at creation
 * (max_entries); entries expire by packet time, never wall clock, so
 * offline files behave as live capture did. */
#ifndef HOSTFLOW_IP_FRAG_H
#define HOSTFLOW_IP_FRAG_H

#include <stdint.h>

#include "packet.h"

struct hf_frag_table;

struct hf_frag_stats {
    uint64_t first_seen;  /* first fragments recorded */
    uint64_t resolved;    /* later fragments given their first's ports */
    uint64_t unresolved;  /* later fragments whose first was not seen */
    uint64_t evicted;     /* entries dropped because the table was full */
    uint64_t expired;     /* entries dropped after timeout_us */
};

/* NULL if memory for max_entries (at least 1) cannot be had. */
struct hf_frag_table *hf_frag_new(uint32_t max_entries, uint64_t timeout_us);
void hf_frag_free(struct hf_frag_table *t);

/* Call for every decoded packet in capture order (non-fragments return at
 * once).  A first fragment records its ports; a later one gets sport,
 * dport, has_ports and icmp_type_code from it when known; the last
 * fragment frees the entry. */
void hf_frag_update(struct hf_frag_table *t, struct hf_packet *pkt);

struct hf_frag_stats hf_frag_stats(const struct hf_frag_table *t);

/* Entries currently held (for tests and gauges). */
uint32_t hf_frag_count(const struct hf_frag_table *t);

#endif
