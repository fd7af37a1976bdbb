#include "event_json.h"

#include <stdbool.h>
#include <string.h>

#include "proto.h"
#include "record_format.h"
#include "safe_text.h"
#include "digits.h"
#include "ip_text.h"
#include "uuid7.h"

#define TCP_RST 0x04

const char *
hf_event_end_reason(const hf_flow_record_t *r)
{
    switch (r->flowEndReason) {
    case HF_END_IDLE: return "idle";
    case HF_END_ACTIVE: return "active";
    case HF_END_EOF: return r->tcpControlBits & TCP_RST ? "tcp-rst" : "tcp-fin";
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
static void
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
    char f[6] = { '.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                  (char)('0' + frac % 10), 'Z', '"' };
    put_bytes(j, f, 6);
}

#define TIME(j, key, ms) do { KEY(j, key); put_time(j, ms); } while (0)

static void
put_uuid(struct jw *j, const uint8_t *u)
{
    char s[37];
    hf_uuid_format(u, s);
    put_quoted(j, s, 36);
}

/* Nothing in it that hf_escape_json_string would change. */
static bool
plain_text(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\' || s[i] == '<')
            return false;
    return true;
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
#define NAME(j, key, v) do { if ((v)->len) \
        put_escaped(j, KEY_TEXT(key), sizeof(KEY_TEXT(key)) - 1, (v)->buf, (v)->len); \
    } while (0)
#define DEVICE(j, key, name) do { if (name) \
        put_escaped(j, KEY_TEXT(key), sizeof(KEY_TEXT(key)) - 1, name, strlen(name)); \
    } while (0)

static void
put_mac(struct jw *j, const uint8_t m[6])
{
    static const char hex[] = "0123456789abcdef";

    *j->p++ = '"';
    for (int i = 0; i < 6; i++) {
        j->p[0] = hex[m[i] >> 4];
        j->p[1] = hex[m[i] & 15];
        j->p[2] = ':';
        j->p += 3;
    }
    j->p[-1] = '"';
}

static bool
mac_set(const uint8_t m[6])
{
    static const uint8_t zero[6];
    return memcmp(m, zero, 6) != 0;
}

#define MAC(j, key, m) do { if (mac_set(m)) { KEY(j, key); put_mac(j, m); } } while (0)

static void
put_addr(struct jw *j, const hf_flow_record_t *r, bool src)
{
    *j->p++ = '"';
    if (r->ipVersion == 6)
        j->p += hf_ipv6_text(src ? r->sourceIPv6Address : r->destinationIPv6Address, j->p);
    else
        j->p += hf_ipv4_text(src ? r->sourceIPv4Address : r->destinationIPv4Address, j->p);
    *j->p++ = '"';
}

void
hf_event_json(GString *out, const struct hf_event *ev)
{
    static const char *const types[] = { "start", "state", "name", "end" };
    static const size_t type_len[] = { 5, 5, 4, 3 };
    const hf_flow_record_t *r = ev->rec;
    struct jw jw, *j = &jw;

    jw_start(j, out);
    LIT(j, "{\"event\":");
    put_quoted(j, types[ev->type], type_len[ev->type]);
    UINT(j, "seq", ev->seq);
    TIME(j, "time", ev->time_ms);
    KEY(j, "flow_id");
    put_uuid(j, ev->flow_id);
    KEY(j, "conversation_id");
    put_uuid(j, ev->conversation_id);
    if (ev->type == HF_EVENT_STATE)
        STR(j, "state", ev->state, strlen(ev->state));
    if (ev->type == HF_EVENT_END) {
        const char *reason = hf_event_end_reason(r);
        STR(j, "reason", reason, strlen(reason));
    }
    TIME(j, "first", r->flowStartMilliseconds);
    TIME(j, "last", r->flowEndMilliseconds);
    UINT(j, "ip_version", r->ipVersion);
    UINT(j, "protocol", r->protocolIdentifier);
    KEY(j, "src_addr");
    put_addr(j, r, true);
    KEY(j, "dst_addr");
    put_addr(j, r, false);
    if (hf_proto_is_icmp(r->protocolIdentifier)) {
        uint16_t tc = r->icmpTypeCodeIPv4 | r->icmpTypeCodeIPv6;
        UINT(j, "icmp_type", tc >> 8);
        UINT(j, "icmp_code", tc & 0xff);
    } else {
        UINT(j, "src_port", r->sourceTransportPort);
        UINT(j, "dst_port", r->destinationTransportPort);
    }
    if (r->protocolIdentifier == HF_PROTO_TCP)
        UINT(j, "tcp_flags", r->tcpControlBits);
    UINT(j, "vlan", r->vlanId);
    UINT(j, "interface", r->ingressInterface);
    MAC(j, "src_mac", r->sourceMacAddress);
    MAC(j, "dst_mac", r->destinationMacAddress);
    UINT(j, "packets", r->packetDeltaCount);
    UINT(j, "bytes", r->octetDeltaCount);
    UINT(j, "rev_packets", ev->rev_packets);
    UINT(j, "rev_bytes", ev->rev_bytes);
    if (r->hostflowHostname.len) {
        NAME(j, "hostname", &r->hostflowHostname);
        const char *src = hf_name_source_name(r->hostflowNameSource);
        STR(j, "name_source", src, strlen(src));
    }
    NAME(j, "dns_name", &r->hostflowDnsName);
    NAME(j, "dns_query", &r->dnsQueryNtop);
    NAME(j, "app", &r->applicationName);
    DEVICE(j, "src_device", ev->src_device);
    DEVICE(j, "dst_device", ev->dst_device);
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
