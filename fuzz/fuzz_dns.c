/* libFuzzer target for the DNS parser and the name cache.
 * Input: one DNS message.  Whatever parses goes into a small long-lived
 * cache (so eviction, refresh and expiry run across inputs) and is looked
 * up again; the parser's output and the cache's caps are checked too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_parse.h"
#include "name_cache.h"
#include "name_pool.h"

#define CACHE_ENTRIES 64
#define CACHE_BYTES   (16u << 10)
#define ENTRY_BOUND   128      /* bytes an entry costs besides its name */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_msg(const struct hf_dns_msg *d)
{
    if (d->qname_len > 253 || strlen(d->qname) != d->qname_len ||
        d->n_addrs > HF_DNS_MAX_ADDRS || (!d->is_response && d->n_addrs))
        abort();
    for (uint16_t i = 0; i < d->qname_len; i++) {
        char ch = d->qname[i];
        /* printable ASCII, spaces included (DNS-SD instance names) */
        if (ch < 0x20 || ch >= 0x7f || (ch >= 'A' && ch <= 'Z'))
            abort();
    }
    for (uint32_t i = 0; i < d->n_addrs; i++)
        if (d->addrs[i].family != 4 && d->addrs[i].family != 6)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hf_name_cache *cache;
    static uint64_t clock_us;
    static const uint8_t client[16] = { 192, 0, 2, 1 };
    struct hf_dns_msg d;

    if (size > 65535)
        return 0;
    if (!cache) {
        struct hf_name_cache_config cfg = { CACHE_ENTRIES, CACHE_BYTES, 1, 30 };
        cache = hf_name_cache_new(&cfg);
    }
    if (!hf_dns_parse(data, (uint32_t)size, &d))
        return 0;
    check_msg(&d);
    clock_us += 1000000;   /* one second per input: 30 s TTLs expire */

    struct hf_name *name = hf_name_get(d.qname, d.qname_len);
    if (!name)
        return 0;          /* the root: nothing to name a flow with */
    for (uint32_t i = 0; i < d.n_addrs; i++)
        hf_name_cache_put(cache, d.addrs[i].family, client, d.addrs[i].addr,
                          name, d.addrs[i].ttl, clock_us);
    hf_name_unref(name);

    /* Each address made two entries of at most ENTRY_BOUND + name bytes;
     * when all of them fit, all must be found, for this client. */
    bool all_fit = 2 * d.n_addrs <= CACHE_ENTRIES &&
                   2 * d.n_addrs * (ENTRY_BOUND + d.qname_len) <= CACHE_BYTES;
    for (uint32_t i = 0; i < d.n_addrs; i++) {
        bool by_client;
        struct hf_name *got = hf_name_cache_get(cache, d.addrs[i].family,
                                                client, d.addrs[i].addr,
                                                clock_us, &by_client, NULL);
        if (got && got->len != strnlen(got->str, 256))
            abort();
        if (all_fit && (!got || !by_client || strcmp(got->str, d.qname) != 0))
            abort();
    }
    struct hf_name_cache_stats st = hf_name_cache_stats(cache);
    if (st.entries > CACHE_ENTRIES || st.bytes > CACHE_BYTES ||
        hf_name_pool_count() > st.entries)
        abort();
    return 0;
}
