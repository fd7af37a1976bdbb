#include "event_json.h"

#include <inttypes.h>
#include <string.h>

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

static void
put_time(GString *out, const char *key, uint64_t ms)
{
    char t[32];
    hf_format_time_ms(ms, t, sizeof(t));
    g_string_append_printf(out, ",\"%s\":\"%s\"", key, t);
}

static void
put_uuid(GString *out, const char *key, const uint8_t *u)
{
    char s[37];
    hf_uuid_format(u, s);
    g_string_append_printf(out, ",\"%s\":\"%s\"", key, s);
}

static void
put_name(GString *out, const char *key, const fbVarfield_t *v)
{
    if (!v->len)
        return;
    g_string_append_printf(out, ",\"%s\":", key);
    hf_escape_json_string(out, v->buf, v->len);
}

static void
put_device(GString *out, const char *key, const char *name)
{
    if (!name)
        return;
    g_string_append_printf(out, ",\"%s\":", key);
    hf_escape_json_string(out, name, strlen(name));
}

static void
put_mac(GString *out, const char *key, const uint8_t m[6])
{
    static const uint8_t zero[6];
    if (!memcmp(m, zero, 6))
        return;
    g_string_append_printf(out, ",\"%s\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", key,
                           m[0], m[1], m[2], m[3], m[4], m[5]);
}

void
hf_event_json(GString *out, const struct hf_event *ev)
{
    static const char *const types[] = { "start", "state", "name", "end" };
    const hf_flow_record_t *r = ev->rec;
    char src[46], dst[46];

    g_string_append_printf(out, "{\"event\":\"%s\",\"seq\":%" PRIu64, types[ev->type], ev->seq);
    put_time(out, "time", ev->time_ms);
    put_uuid(out, "flow_id", ev->flow_id);
    put_uuid(out, "conversation_id", ev->conversation_id);
    if (ev->type == HF_EVENT_STATE)
        g_string_append_printf(out, ",\"state\":\"%s\"", ev->state);
    if (ev->type == HF_EVENT_END)
        g_string_append_printf(out, ",\"reason\":\"%s\"", hf_event_end_reason(r));
    put_time(out, "first", r->flowStartMilliseconds);
    put_time(out, "last", r->flowEndMilliseconds);
    hf_record_src(r, src, sizeof(src));
    hf_record_dst(r, dst, sizeof(dst));
    g_string_append_printf(out, ",\"ip_version\":%u,\"protocol\":%u,\"src_addr\":\"%s\","
                           "\"dst_addr\":\"%s\"", r->ipVersion, r->protocolIdentifier, src, dst);
    if (hf_proto_is_icmp(r->protocolIdentifier)) {
        uint16_t tc = r->icmpTypeCodeIPv4 | r->icmpTypeCodeIPv6;
        g_string_append_printf(out, ",\"icmp_type\":%u,\"icmp_code\":%u", tc >> 8, tc & 0xff);
    } else {
        g_string_append_printf(out, ",\"src_port\":%u,\"dst_port\":%u", r->sourceTransportPort,
                               r->destinationTransportPort);
    }
    if (r->protocolIdentifier == HF_PROTO_TCP)
        g_string_append_printf(out, ",\"tcp_flags\":%u", r->tcpControlBits);
    g_string_append_printf(out, ",\"vlan\":%u,\"interface\":%u", r->vlanId, r->ingressInterface);
    put_mac(out, "src_mac", r->sourceMacAddress);
    put_mac(out, "dst_mac", r->destinationMacAddress);
    g_string_append_printf(out, ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
                           ",\"rev_packets\":%" PRIu64 ",\"rev_bytes\":%" PRIu64,
                           r->packetDeltaCount, r->octetDeltaCount, ev->rev_packets,
                           ev->rev_bytes);
    if (r->hostflowHostname.len) {
        put_name(out, "hostname", &r->hostflowHostname);
        g_string_append_printf(out, ",\"name_source\":\"%s\"",
                               hf_name_source_name(r->hostflowNameSource));
    }
    put_name(out, "dns_name", &r->hostflowDnsName);
    put_name(out, "dns_query", &r->dnsQueryNtop);
    put_name(out, "app", &r->applicationName);
    put_device(out, "src_device", ev->src_device);
    put_device(out, "dst_device", ev->dst_device);
    g_string_append(out, "}\n");
}

void
hf_event_json_drops(GString *out, uint64_t time_ms, uint64_t dropped, uint64_t total)
{
    g_string_append(out, "{\"event\":\"drops\"");
    put_time(out, "time", time_ms);
    g_string_append_printf(out, ",\"dropped\":%" PRIu64 ",\"dropped_total\":%" PRIu64 "}\n",
                           dropped, total);
}
