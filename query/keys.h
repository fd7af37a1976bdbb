/* The keys a query groups records by (--by KEY[,KEY...]): their names,
 * how each is read from a record, and how it is shown.
 *
 * A key value is encoded into a short byte string (so that a tuple of
 * keys is one hashable string): addresses as 17 bytes (version, 16 bytes),
 * numbers big-endian, names as a length byte and up to 255 bytes. */
#ifndef HOSTFLOW_QUERY_KEYS_H
#define HOSTFLOW_QUERY_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <string.h>
#include "flow_record.h"
#include "names.h"

enum hf_key_kind {
    HF_KEY_SRCIP, HF_KEY_DSTIP,
    HF_KEY_IP,          /* either side: a record counts once for each (nfdump -s ip) */
    HF_KEY_SRCPORT, HF_KEY_DSTPORT,
    HF_KEY_PORT,        /* either side */
    HF_KEY_PROTO,
    HF_KEY_CLIENT,      /* the client's address (flow_rules.h) */
    HF_KEY_SERVER,      /* the service's address */
    HF_KEY_SERVICE,     /* the service's port and protocol */
    HF_KEY_HOSTNAME,    /* the name the flow went to (hf_flow_name) */
    HF_KEY_DOMAIN,      /* its domain (names.h) */
    HF_KEY_DEVICE,      /* the client's device name, else its MAC, else address */
    HF_KEY_APP,
    HF_KEY_EXPORTER,    /* the store source */
    HF_KEY_IN_IF, HF_KEY_OUT_IF,
    HF_KEY_SRCMAC, HF_KEY_DSTMAC,
    HF_KEY_TIME,        /* flow start, in steps of step_s: the time series */
    HF_KEY_COLLECTOR,   /* the collector that received it (hf_key_env.collector) */
    HF_KEY_COUNT
};

struct hf_key {
    enum hf_key_kind kind;
    uint32_t step_s;           /* HF_KEY_TIME: 300, 3600, 86400 */
};

#define HF_KEYS_MAX 4
#define HF_KEY_BYTES_MAX (HF_KEYS_MAX * 256 + 16)

/* "client,hostname", "dstip", "time/hour,proto" into keys; false with a
 * message naming the unknown key. */
bool hf_keys_parse(const char *text, struct hf_key *keys, unsigned *n, GError **err);

/* The key's name as --by takes it ("srcip", "time/hour"). */
const char *hf_key_name(const struct hf_key *k, char *buf, size_t size);

/* True for keys an hourly summary keeps (see collector/rollup.h). */
bool hf_key_in_summaries(enum hf_key_kind k);

/* What a key reads besides the record. */
struct hf_key_env {
    const char *source;
    const struct hf_names *names;
    const char *collector;      /* ClickHouse: the row's; the files: hf_query.collector */
};

/* An address key's encoding: the family, then the address in 16 bytes
 * (IPv4 in the first 4, network order).  Stored as two 8-byte words and a
 * byte: the aggregation reads the key back as words at once, and a word
 * read over narrower stores stalls until they reach the cache.  Inline:
 * tables by address encode one per record in their loop. */
/* The first 8 bytes of an IPv4 address's key (the family, the address in
 * network order, zeros) as one little-endian word. */
static inline uint64_t
hf_key_addr4_word(uint32_t addr)
{
    return GUINT64_TO_LE((uint64_t)GUINT32_FROM_LE(GUINT32_TO_BE(addr)) << 8 | 4);
}

static inline uint8_t *
hf_key_put_addr(uint8_t *o, const hf_flow_record_t *r, bool src)
{
    uint64_t w0, w1 = 0;
    uint8_t last = 0;

    if (r->ipVersion == 6) {
        const uint8_t *a = src ? r->sourceIPv6Address : r->destinationIPv6Address;
        memcpy(&w0, a, 8);
        memcpy(&w1, a + 7, 8);
        last = a[15];
        w0 = GUINT64_TO_LE(GUINT64_FROM_LE(w0) << 8 | 6);
    } else {
        w0 = hf_key_addr4_word(src ? r->sourceIPv4Address : r->destinationIPv4Address);
    }
    memcpy(o, &w0, 8);
    memcpy(o + 8, &w1, 8);
    o[16] = last;
    return o + 17;
}

/* For a tuple of one address key (srcip, dstip, ip): 1 when its side
 * 'side' is the record's source, 0 its destination; else -1. */
static inline int
hf_keys_addr_src(const struct hf_key *keys, unsigned n, int side)
{
    if (n != 1)
        return -1;
    switch (keys[0].kind) {
    case HF_KEY_SRCIP: return 1;
    case HF_KEY_DSTIP: return 0;
    case HF_KEY_IP:    return side == 0;
    default:           return -1;
    }
}

/* Encodes the keys of one record into out (HF_KEY_BYTES_MAX bytes);
 * side: for the either-side keys (ip, port), 0 the source, 1 the
 * destination.  Returns the length. */
size_t hf_keys_encode(const struct hf_key *keys, unsigned n, const hf_flow_record_t *r,
                      const struct hf_key_env *env, int side, uint8_t *out);

/* The length of every encoded tuple of these keys when none varies
 * (addresses, ports, interfaces, times...), else 0. */
size_t hf_keys_fixed_width(const struct hf_key *keys, unsigned n);

/* True when one of the keys counts a record once per side. */
bool hf_keys_either_side(const struct hf_key *keys, unsigned n);

/* Appends key i of an encoded tuple to out as text (addresses, numbers,
 * protocol and service names, MACs, times in UTC or local time); the
 * names are as received: the caller escapes them for its output. */
void hf_keys_value_text(const struct hf_key *keys, unsigned n, const uint8_t *enc,
                        size_t len, unsigned i, bool utc, GString *out);

/* True when key i's value is a number (for CSV: never a formula). */
bool hf_key_is_number(const struct hf_key *k);

#endif
