#include "event_json.h"

#include <stdbool.h>
#include <string.h>

#include "proto.h"
#include "record_format.h"
#include "safe_text.h"
#include "app_label.h"
#include "digits.h"
#include "ip_text.h"
#include "uuid7.h"

#define TCP_RST 0x04

const char *
hf_event_end_reason(uint8_t flow_end_reason, uint8_t tcp_flags)
{
    switch (flow_end_reason) {
    case HF_END_IDLE: return "idle";
    case HF_END_ACTIVE: return "active";
    case HF_END_EOF: return tcp_flags & TCP_RST ? "tcp-rst" : "tcp-fin";
    case HF_END_RESOURCES: return "evicted";
    default: return "shutdown";
    }
}

/* The writer formats every event: no printf (it costs more than all the
 * rest of an event), no strlen, plain stores through a pointer into room
 * made in the line's buffer beforehand. */
struct jw {
    GString *out;
    char *p, *end;
};

/* Room for every field but the names (each below 60 bytes). */
#define FIXED_ROOM 1024

static void
grow(struct jw *j, size_t n)
{
    size_t at = (size_t)(j->p - j->out->str);

    g_string_set_size(j->out, at + n + FIXED_ROOM);
    j->p = j->out->str + at;
    j->end = j->out->str + j->out->len;
}

static inline void
room(struct jw *j, size_t n)
{
    if ((size_t)(j->end - j->p) < n)
        grow(j, n);
}

static void
jw_start(struct jw *j, GString *out)
{
    size_t at = out->len;

    j->out = out;
    g_string_set_size(out, at + FIXED_ROOM);
    j->p = out->str + at;
    j->end = out->str + out->len;
}

static void
jw_end(struct jw *j)
{
    g_string_truncate(j->out, (gsize)(j->p - j->out->str));
}

static inline void
put_bytes(struct jw *j, const char *s, size_t len)
{
    memcpy(j->p, s, len);
    j->p += len;
}

/* a string literal: its length known when compiled */
#define LIT(j, s) put_bytes(j, s, sizeof(s) - 1)
/* ,"key": */
#define KEY(j, key) LIT(j, ",\"" key "\":")

static inline void
put_u64(struct jw *j, uint64_t v)
{
    j->p += hf_u64_text(v, j->p);
}

#define UINT(j, key, v) do { KEY(j, key); put_u64(j, v); } while (0)

static inline void
put_quoted(struct jw *j, const char *s, size_t len)
{
    *j->p++ = '"';
    put_bytes(j, s, len);
    *j->p++ = '"';
}

#define STR(j, key, s, len) do { KEY(j, key); put_quoted(j, s, len); } while (0)

/* "YYYY-MM-DDTHH:MM:SS" (UTC) by arithmetic: days to the civil date as
 * in H. Hinnant's civil_from_days, no gmtime or strftime. */
static size_t
second_text(uint64_t sec, char *out)
{
    uint64_t days = sec / 86400;
    unsigned s = (unsigned)(sec % 86400);
    uint64_t z = days + 719468, era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    uint64_t y = yoe + era * 400 + (m <= 2);   /* >= 1970: four digits, as %Y */
    unsigned f[5] = { m, d, s / 3600, s / 60 % 60, s % 60 };
    static const char after[5] = { '-', 'T', ':', ':', 0 };
    size_t n = hf_u64_text(y, out);

    out[n++] = '-';
    for (int k = 0; k < 5; k++) {
        memcpy(out + n, hf_digit_pairs + 2 * f[k], 2);
        n += 2;
        if (after[k])
            out[n++] = after[k];
    }
    return n;
}

/* "...T...Z": the text of the last few seconds kept (a line's three times
 * and the lines around it mostly fall in them). */
static inline __attribute__((always_inline)) void
put_time(struct jw *j, uint64_t ms)
{
    static __thread struct { uint64_t sec_1; uint8_t len; char text[40]; } seen[4];
    uint64_t sec = ms / 1000;
    unsigned frac = (unsigned)(ms % 1000);
    __typeof__(seen[0]) *c = &seen[sec & 3];

    if (c->sec_1 != sec + 1) {           /* sec + 1: 0 is an empty entry */
        c->len = (uint8_t)second_text(sec, c->text);
        c->sec_1 = sec + 1;
    }
    *j->p++ = '"';
    /* a fixed length copies without a call; the room is there (FIXED_ROOM)
     * and what goes past the text is written over next */
    memcpy(j->p, c->text, sizeof(c->text));
    j->p += c->len;
    j->p[0] = '.';
    j->p[1] = (char)('0' + frac / 100);
    memcpy(j->p + 2, hf_digit_pairs + 2 * (frac % 100), 2);
    j->p[4] = 'Z';
    j->p[5] = '"';
    j->p += 6;
}

#define TIME(j, key, ms) do { KEY(j, key); put_time(j, ms); } while (0)

static void
put_uuid(struct jw *j, const uint8_t *u)
{
    /* in place: the room is there, the NUL is written over by the quote */
    *j->p = '"';
    hf_uuid_format(u, j->p + 1);
    j->p[37] = '"';
    j->p += 38;
}

/* Nothing in it that hf_escape_json_string would change: printable ASCII
 * but the quote, the backslash and '<'.  A table: one load a byte. */
static bool
plain_text(const uint8_t *s, size_t len)
{
    static const bool escaped[256] = {
        [0 ... 0x1f] = true, ['"'] = true, ['\\'] = true, ['<'] = true, [0x7f ... 0xff] = true,
    };
    bool any = false;

    for (size_t i = 0; i < len; i++)
        any |= escaped[s[i]];
    return !any;
}

/* Untrusted bytes: as they are when plain, else through safe_text's JSON
 * form (held in scratch, then copied in).  Makes room for the key too. */
static void
put_escaped(struct jw *j, const char *key, size_t key_len, const void *v, size_t len)
{
    static __thread GString *scratch;

    room(j, key_len + len + 2 + 64);    /* what follows up to the next name */
    put_bytes(j, key, key_len);
    if (plain_text(v, len)) {
        put_quoted(j, v, len);
        return;
    }
    if (!scratch)
        scratch = g_string_sized_new(256);
    g_string_truncate(scratch, 0);
    hf_escape_json_string(scratch, v, len);
    room(j, scratch->len + 64);
    put_bytes(j, scratch->str, scratch->len);
}

#define KEY_TEXT(key) ",\"" key "\":"
#define NAME(j, key, s, len) \
    put_escaped(j, KEY_TEXT(key), sizeof(KEY_TEXT(key)) - 1, s, len)
#define POOLED(j, key, n) do { if (n) NAME(j, key, (n)->str, (n)->len); } while (0)
#define DEVICE(j, key, name) do { if (name) NAME(j, key, name, strlen(name)); } while (0)

static void
put_mac(struct jw *j, const uint8_t m[6])
{
    *j->p = '"';
    hf_mac_text(m, j->p + 1);
    j->p[18] = '"';                       /* over the NUL */
    j->p += 19;
}

static bool
mac_set(const uint8_t m[6])
{
    static const uint8_t zero[6];
    return memcmp(m, zero, 6) != 0;
}

#define MAC(j, key, m) do { if (mac_set(m)) { KEY(j, key); put_mac(j, m); } } while (0)

static void
put_addr(struct jw *j, uint8_t ip_version, const uint8_t a[16])
{
    *j->p++ = '"';
    if (ip_version == 6)
        j->p += hf_ipv6_text(a, j->p);
    else
        j->p += hf_ipv4_text(hf_ipv4_of_bytes(a), j->p);
    *j->p++ = '"';
}

/* The parts of a line that are the same for every event of a flow record
 * (its id picks them: ids, key and link layer are set when the record
 * starts) and the room each is given (their longest text, IPv6 addresses
 * and 5-digit numbers, fits). */
static void
put_ids(struct jw *j, const struct hf_event *ev)
{
    KEY(j, "flow_id");
    put_uuid(j, ev->flow_id);
    KEY(j, "conversation_id");
    put_uuid(j, ev->conversation_id);
}

static void
put_key(struct jw *j, const struct hf_event *ev)
{
    UINT(j, "ip_version", ev->ip_version);
    UINT(j, "protocol", ev->protocol);
    KEY(j, "src_addr");
    put_addr(j, ev->ip_version, ev->src_addr);
    KEY(j, "dst_addr");
    put_addr(j, ev->ip_version, ev->dst_addr);
    if (hf_proto_is_icmp(ev->protocol)) {
        UINT(j, "icmp_type", ev->icmp_type_code >> 8);
        UINT(j, "icmp_code", ev->icmp_type_code & 0xff);
    } else {
        UINT(j, "src_port", ev->src_port);
        UINT(j, "dst_port", ev->dst_port);
    }
}

static void
put_link(struct jw *j, const struct hf_event *ev)
{
    UINT(j, "vlan", ev->vlan);
    UINT(j, "interface", ev->interface);
    MAC(j, "src_mac", ev->src_mac);
    MAC(j, "dst_mac", ev->dst_mac);
}

#define CACHE_SLOTS 512      /* flows whose text is kept; a power of two */

struct flow_text {
    uint8_t flow_id[16];
    uint16_t ids_len, key_len, link_len;   /* ids_len 0: an empty slot */
    char ids[112];           /* 106 */
    char key[192];           /* 170, and an address's few bytes past it */
    char link[112];          /* 95 */
};

struct hf_event_text_cache {
    struct flow_text slot[CACHE_SLOTS];
};

struct hf_event_text_cache *
hf_event_text_cache_new(void)
{
    return g_new0(struct hf_event_text_cache, 1);
}

void
hf_event_text_cache_free(struct hf_event_text_cache *c)
{
    g_free(c);
}

/* A part from the slot (hit: copied at its room's fixed size, the line's
 * room is there, what goes past it is written over next) or made, and
 * kept when there is a slot. */
#define PART(j, t, hit, part, put, ev) do { \
        if (hit) { \
            memcpy((j)->p, (t)->part, sizeof((t)->part)); \
            (j)->p += (t)->part##_len; \
        } else { \
            char *from_ = (j)->p; \
            put(j, ev); \
            if (t) { \
                (t)->part##_len = (uint16_t)((j)->p - from_); \
                memcpy((t)->part, from_, (t)->part##_len); \
            } \
        } \
    } while (0)

void
hf_event_json(GString *out, const struct hf_event *ev, const char *src_device,
              const char *dst_device, struct hf_event_text_cache *cache)
{
    static const char *const types[] = { "start", "state", "name", "end" };
    static const size_t type_len[] = { 5, 5, 4, 3 };
    static const char *const states[] = { "syn", "syn-ack", "established", "fin", "rst" };
    struct jw jw, *j = &jw;
    struct flow_text *t = NULL;
    bool hit = false;

    if (cache) {
        /* the id's last bytes are random */
        uint32_t h;
        memcpy(&h, ev->flow_id + 12, 4);
        t = &cache->slot[h & (CACHE_SLOTS - 1)];
        hit = t->ids_len && !memcmp(t->flow_id, ev->flow_id, 16);
    }
    jw_start(j, out);
    LIT(j, "{\"event\":");
    put_quoted(j, types[ev->type], type_len[ev->type]);
    UINT(j, "seq", ev->seq);
    TIME(j, "time", ev->time_ms);
    PART(j, t, hit, ids, put_ids, ev);
    if (ev->type == HF_EVENT_STATE)
        STR(j, "state", states[ev->state], strlen(states[ev->state]));
    if (ev->type == HF_EVENT_END) {
        const char *reason = hf_event_end_reason(ev->end_reason, ev->tcp_flags);
        STR(j, "reason", reason, strlen(reason));
    }
    TIME(j, "first", ev->first_ms);
    TIME(j, "last", ev->last_ms);
    PART(j, t, hit, key, put_key, ev);
    if (ev->protocol == HF_PROTO_TCP)
        UINT(j, "tcp_flags", ev->tcp_flags);
    PART(j, t, hit, link, put_link, ev);
    if (t && !hit)
        memcpy(t->flow_id, ev->flow_id, 16);
    UINT(j, "packets", ev->packets);
    UINT(j, "bytes", ev->bytes);
    UINT(j, "rev_packets", ev->rev_packets);
    UINT(j, "rev_bytes", ev->rev_bytes);
    const struct hf_name *hostname = ev->app ? ev->app : ev->dns;
    if (hostname) {
        POOLED(j, "hostname", hostname);
        const char *src = hf_name_source_name(ev->name_source);
        STR(j, "name_source", src, strlen(src));
    }
    POOLED(j, "dns_name", ev->dns);
    POOLED(j, "dns_query", ev->query);
    const char *label = hf_app_label_name(ev->app_label);
    if (*label) {
        /* ours: short and plain */
        KEY(j, "app");
        put_quoted(j, label, strlen(label));
    }
    DEVICE(j, "src_device", src_device);
    DEVICE(j, "dst_device", dst_device);
    LIT(j, "}\n");
    jw_end(j);
}

void
hf_event_json_drops(GString *out, uint64_t time_ms, uint64_t dropped, uint64_t total)
{
    struct jw jw, *j = &jw;

    jw_start(j, out);
    LIT(j, "{\"event\":\"drops\"");
    TIME(j, "time", time_ms);
    UINT(j, "dropped", dropped);
    UINT(j, "dropped_total", total);
    LIT(j, "}\n");
    jw_end(j);
}
