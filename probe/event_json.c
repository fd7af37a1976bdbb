#include "event_json.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "record_format.h"
#include "safe_text.h"
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
 * rest of an event), plain stores into a buffer that goes to the line in
 * one append, the date of the last second kept. */
struct jbuf {
    GString *out;
    size_t n;
    char b[512];
};

static void
flush(struct jbuf *j)
{
    g_string_append_len(j->out, j->b, (gssize)j->n);
    j->n = 0;
}

static void
put_bytes(struct jbuf *j, const char *s, size_t len)
{
    if (j->n + len > sizeof(j->b)) {
        flush(j);
        if (len > sizeof(j->b)) {
            g_string_append_len(j->out, s, (gssize)len);
            return;
        }
    }
    memcpy(j->b + j->n, s, len);
    j->n += len;
}

#define LIT(j, s) put_bytes(j, s, sizeof(s) - 1)

static void
put_u64(struct jbuf *j, uint64_t v)
{
    char buf[20];
    int i = sizeof(buf);

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_bytes(j, buf + i, sizeof(buf) - (size_t)i);
}

/* ,"key": */
static void
put_key(struct jbuf *j, const char *key)
{
    LIT(j, ",\"");
    put_bytes(j, key, strlen(key));
    LIT(j, "\":");
}

static void
put_uint(struct jbuf *j, const char *key, uint64_t v)
{
    put_key(j, key);
    put_u64(j, v);
}

static void
put_str(struct jbuf *j, const char *key, const char *v)
{
    put_key(j, key);
    LIT(j, "\"");
    put_bytes(j, v, strlen(v));
    LIT(j, "\"");
}

static void
put_time(struct jbuf *j, const char *key, uint64_t ms)
{
    static __thread uint64_t cached_s = UINT64_MAX;
    static __thread char day[24];
    static __thread size_t day_len;
    uint64_t sec = ms / 1000;
    unsigned frac = (unsigned)(ms % 1000);

    if (sec != cached_s) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        day_len = strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_s = sec;
    }
    put_key(j, key);
    LIT(j, "\"");
    put_bytes(j, day, day_len);
    char f[6] = { '.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                  (char)('0' + frac % 10), 'Z', '"' };
    put_bytes(j, f, 6);
}

static void
put_uuid(struct jbuf *j, const char *key, const uint8_t *u)
{
    char s[37];
    hf_uuid_format(u, s);
    put_str(j, key, s);
}

/* Untrusted bytes: through safe_text's JSON form. */
static void
put_escaped(struct jbuf *j, const char *key, const void *v, size_t len)
{
    put_key(j, key);
    flush(j);
    hf_escape_json_string(j->out, v, len);
}

static void
put_name(struct jbuf *j, const char *key, const fbVarfield_t *v)
{
    if (v->len)
        put_escaped(j, key, v->buf, v->len);
}

static void
put_device(struct jbuf *j, const char *key, const char *name)
{
    if (name)
        put_escaped(j, key, name, strlen(name));
}

static void
put_mac(struct jbuf *j, const char *key, const uint8_t m[6])
{
    static const uint8_t zero[6];
    static const char hex[] = "0123456789abcdef";
    char s[18];

    if (!memcmp(m, zero, 6))
        return;
    for (int i = 0; i < 6; i++) {
        s[3 * i] = hex[m[i] >> 4];
        s[3 * i + 1] = hex[m[i] & 15];
        s[3 * i + 2] = ':';
    }
    s[17] = 0;
    put_str(j, key, s);
}

/* inet_ntop's IPv4 form goes through printf */
static void
put_addr(struct jbuf *j, const char *key, const hf_flow_record_t *r, bool src)
{
    char buf[46];

    if (r->ipVersion == 6) {
        (src ? hf_record_src : hf_record_dst)(r, buf, sizeof(buf));
        put_str(j, key, buf);
        return;
    }
    uint32_t a = src ? r->sourceIPv4Address : r->destinationIPv4Address;
    put_key(j, key);
    LIT(j, "\"");
    for (int i = 3; i >= 0; i--) {
        put_u64(j, a >> (8 * i) & 0xff);
        if (i)
            LIT(j, ".");
    }
    LIT(j, "\"");
}

void
hf_event_json(GString *out, const struct hf_event *ev)
{
    static const char *const types[] = { "start", "state", "name", "end" };
    const hf_flow_record_t *r = ev->rec;
    struct jbuf jb = { .out = out }, *j = &jb;

    LIT(j, "{\"event\":\"");
    put_bytes(j, types[ev->type], strlen(types[ev->type]));
    LIT(j, "\"");
    put_uint(j, "seq", ev->seq);
    put_time(j, "time", ev->time_ms);
    put_uuid(j, "flow_id", ev->flow_id);
    put_uuid(j, "conversation_id", ev->conversation_id);
    if (ev->type == HF_EVENT_STATE)
        put_str(j, "state", ev->state);
    if (ev->type == HF_EVENT_END)
        put_str(j, "reason", hf_event_end_reason(r));
    put_time(j, "first", r->flowStartMilliseconds);
    put_time(j, "last", r->flowEndMilliseconds);
    put_uint(j, "ip_version", r->ipVersion);
    put_uint(j, "protocol", r->protocolIdentifier);
    put_addr(j, "src_addr", r, true);
    put_addr(j, "dst_addr", r, false);
    if (hf_proto_is_icmp(r->protocolIdentifier)) {
        uint16_t tc = r->icmpTypeCodeIPv4 | r->icmpTypeCodeIPv6;
        put_uint(j, "icmp_type", tc >> 8);
        put_uint(j, "icmp_code", tc & 0xff);
    } else {
        put_uint(j, "src_port", r->sourceTransportPort);
        put_uint(j, "dst_port", r->destinationTransportPort);
    }
    if (r->protocolIdentifier == HF_PROTO_TCP)
        put_uint(j, "tcp_flags", r->tcpControlBits);
    put_uint(j, "vlan", r->vlanId);
    put_uint(j, "interface", r->ingressInterface);
    put_mac(j, "src_mac", r->sourceMacAddress);
    put_mac(j, "dst_mac", r->destinationMacAddress);
    put_uint(j, "packets", r->packetDeltaCount);
    put_uint(j, "bytes", r->octetDeltaCount);
    put_uint(j, "rev_packets", ev->rev_packets);
    put_uint(j, "rev_bytes", ev->rev_bytes);
    if (r->hostflowHostname.len) {
        put_name(j, "hostname", &r->hostflowHostname);
        put_str(j, "name_source", hf_name_source_name(r->hostflowNameSource));
    }
    put_name(j, "dns_name", &r->hostflowDnsName);
    put_name(j, "dns_query", &r->dnsQueryNtop);
    put_name(j, "app", &r->applicationName);
    put_device(j, "src_device", ev->src_device);
    put_device(j, "dst_device", ev->dst_device);
    LIT(j, "}\n");
    flush(j);
}

void
hf_event_json_drops(GString *out, uint64_t time_ms, uint64_t dropped, uint64_t total)
{
    struct jbuf jb = { .out = out }, *j = &jb;

    LIT(j, "{\"event\":\"drops\"");
    put_time(j, "time", time_ms);
    put_uint(j, "dropped", dropped);
    put_uint(j, "dropped_total", total);
    LIT(j, "}\n");
    flush(j);
}
