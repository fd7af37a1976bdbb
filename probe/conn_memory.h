/* Names of connections that left the flow table: a long TCP connection
 * that pauses past the idle timeout comes back as a new flow with no
 * handshake in it; the same 5-tuple soon after is the same conversation,
 * so it gets the name the connection had.  Bounded LRU, packet time. */
#ifndef HOSTFLOW_CONN_MEMORY_H
#define HOSTFLOW_CONN_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include "flow_table.h"
#include "name_pool.h"

struct hf_conn_memory;

struct hf_conn_memory *hf_conn_memory_new(uint32_t max_entries, uint64_t keep_us);
void hf_conn_memory_free(struct hf_conn_memory *m);

/* Remember the application name of the flow with key k (last packet at
 * now_us). */
void hf_conn_memory_put(struct hf_conn_memory *m, const struct hf_flow_key *k,
                        struct hf_name *app, uint8_t source, uint8_t label,
                        uint64_t now_us);

/* The name remembered for k, borrowed; NULL if none or too old. */
struct hf_name *hf_conn_memory_get(struct hf_conn_memory *m,
                                   const struct hf_flow_key *k, uint64_t now_us,
                                   uint8_t *source, uint8_t *label);

uint32_t hf_conn_memory_count(const struct hf_conn_memory *m);

#endif
