/* The templates an IPFIX stream defined, by observation domain and
 * template id, with RFC 7011's withdrawals (8.1): what the readers that
 * learn templates from bytes keep (common/ipfix_scan.c,
 * query/store_decode.c).  The values are theirs, freed with the function
 * given.  Bounded: a hostile file could define a template per id and
 * domain. */
#ifndef HOSTFLOW_IPFIX_TMPL_TABLE_H
#define HOSTFLOW_IPFIX_TMPL_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define HF_TMPL_TABLE_MAX 65536

struct hf_tmpl_table;

struct hf_tmpl_table *hf_tmpl_table_new(GDestroyNotify free_value);
void hf_tmpl_table_free(struct hf_tmpl_table *t);
void hf_tmpl_table_clear(struct hf_tmpl_table *t);

void *hf_tmpl_table_find(const struct hf_tmpl_table *t, uint32_t domain, unsigned tid);

/* Keeps value for (domain, tid), replacing what was there; false (value
 * freed) when the table is full of others. */
bool hf_tmpl_table_put(struct hf_tmpl_table *t, uint32_t domain, unsigned tid,
                       void *value);

/* tid 256 and up: that template; 2 or 3: every template of the domain. */
void hf_tmpl_table_withdraw(struct hf_tmpl_table *t, uint32_t domain, unsigned tid);

#endif
