/* Interned, reference-counted hostnames: a name seen in a thousand flows
 * and cache entries is stored once.  Single-threaded (the probe's loop). */
#ifndef HOSTFLOW_NAME_POOL_H
#define HOSTFLOW_NAME_POOL_H

#include <stddef.h>
#include <stdint.h>

struct hf_name {
    uint32_t refs;
    uint16_t len;
    char     str[];            /* NUL-terminated, lower case */
};

/* The pooled name for str[0..len) (lower-cased); its reference count is
 * raised by one.  NULL if len is 0 or > 255. */
struct hf_name *hf_name_get(const char *str, size_t len);
struct hf_name *hf_name_ref(struct hf_name *n);
void hf_name_unref(struct hf_name *n);      /* NULL is fine */

/* Names alive and their bytes, for the memory caps and tests. */
size_t hf_name_pool_count(void);
size_t hf_name_pool_bytes(void);

#endif
