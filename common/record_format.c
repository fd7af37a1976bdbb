#include "record_format.h"

#include "digits.h"
#include "proto.h"
#include "safe_text.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

bool
hf_format_parse(const char *name, enum hf_format *out)
{
    static const char *names[] = { "text", "csv", "json" };

    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum hf_format)i;
            return true;
        }
    }
    return false;
}

static void
addr_str(const hf_flow_record_t *r, uint32_t v4, const uint8_t *v6, char *buf,
         size_t len)
{
    if (r->ipVersion == 6) {
        inet_ntop(AF_INET6, v6, buf, len);
    } else {
        uint32_t n = htonl(v4);
        inet_ntop(AF_INET, &n, buf, len);
    }
}

void
hf_record_src(const hf_flow_record_t *r, char *buf, size_t len)
{
    addr_str(r, r->sourceIPv4Address, r->sourceIPv6Address, buf, len);
}

void
hf_record_dst(const hf_flow_record_t *r, char *buf, size_t len)
{
    addr_str(r, r->destinationIPv4Address, r->destinationIPv6Address, buf, len);
}

void
hf_format_time_ms(uint64_t ms, char *buf, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    char day[24];

    gmtime_r(&s, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

const char *
hf_name_source_name(uint8_t src)
{
    static const char *names[] = { "", "dns", "tls", "http", "quic", "dns-stale" };
    return src < G_N_ELEMENTS(names) ? names[src] : "other";
}

const char *
hf_end_reason_name(uint8_t reason)
{
    static const char *names[] = { "", "idle", "active", "end", "forced", "resources" };
    return reason < G_N_ELEMENTS(names) ? names[reason] : "other";
}

void
hf_tcp_flags_str(uint16_t flags, char buf[9])
{
    static const char letters[] = "FSRPAUEC";

    for (int i = 0; i < 8; i++)
        buf[7 - i] = flags & (1u << i) ? letters[i] : '.';
    buf[8] = 0;
}

/* A name from a record, escaped by esc (safe_text.h) into the scratch
 * string tmp and written out whole: names are untrusted bytes of any
 * length. */
static void
put_name(FILE *out, GString *tmp, void (*esc)(GString *, const void *, size_t),
         const fbVarfield_t *v)
{
    g_string_truncate(tmp, 0);
    esc(tmp, v->buf, v->len);
    fwrite(tmp->str, 1, tmp->len, out);
}

void
hf_format_header(FILE *out, enum hf_format fmt)
{
    if (fmt == HF_FMT_CSV)
        fputs("start,end,proto,src,sport,dst,dport,packets,bytes,flags,tos,"
              "vlan,in_if,out_if,end_reason,src_mac,dst_mac,hostname,name_source,"
              "dns_name,app,sampling,flows,http_host,sni,dns_query\n", out);
    else if (fmt == HF_FMT_TEXT)
        fprintf(out, "%-24s %-9s %-5s %-39s %-5s %-39s %-5s %10s %12s %-8s %s\n",
                "start", "duration", "proto", "src", "sport", "dst", "dport",
                "packets", "bytes", "flags", "hostname");
}

size_t
hf_mac_text(const uint8_t m[6], char out[18])
{
    /* each byte's digits in one copy, its colon after it (the last one
     * becomes the NUL); unrolled, no loop counter */
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
        memcpy(out + 3 * i, hf_hex_pairs + 2 * m[i], 2);
        out[3 * i + 2] = ':';
    }
    out[17] = '\0';
    return 17;
}

void
hf_format_record(FILE *out, enum hf_format fmt, const hf_flow_record_t *r)
{
    char src[46], dst[46], t0[32], t1[32], flags[9], smac[18], dmac[18];
    GString *tmp = g_string_sized_new(256);

    hf_record_src(r, src, sizeof(src));
    hf_record_dst(r, dst, sizeof(dst));
    hf_format_time_ms(r->flowStartMilliseconds, t0, sizeof(t0));
    hf_format_time_ms(r->flowEndMilliseconds, t1, sizeof(t1));
    hf_tcp_flags_str(r->tcpControlBits, flags);
    hf_mac_text(r->sourceMacAddress, smac);
    hf_mac_text(r->destinationMacAddress, dmac);

    switch (fmt) {
    case HF_FMT_TEXT: {
        uint64_t d = r->flowEndMilliseconds - r->flowStartMilliseconds;
        fprintf(out, "%-24s %5" PRIu64 ".%03u %-5u %-39s %-5u %-39s %-5u %10" PRIu64
                " %12" PRIu64 " %-8s ", t0, d / 1000, (unsigned)(d % 1000),
                r->protocolIdentifier, src, r->sourceTransportPort, dst,
                r->destinationTransportPort, r->packetDeltaCount,
                r->octetDeltaCount, r->protocolIdentifier == HF_PROTO_TCP ? flags : "");
        put_name(out, tmp, hf_escape_text, &r->hostflowHostname);
        fputc('\n', out);
        break;
    }
    case HF_FMT_CSV:
        fprintf(out, "%s,%s,%u,%s,%u,%s,%u,%" PRIu64 ",%" PRIu64 ",%u,%u,%u,%u,%u,%s,%s,%s,",
                t0, t1, r->protocolIdentifier, src, r->sourceTransportPort, dst,
                r->destinationTransportPort, r->packetDeltaCount, r->octetDeltaCount,
                r->tcpControlBits, r->ipClassOfService, r->vlanId,
                r->ingressInterface, r->egressInterface,
                hf_end_reason_name(r->flowEndReason), smac, dmac);
        put_name(out, tmp, hf_escape_csv_cell, &r->hostflowHostname);
        fprintf(out, ",%s,", hf_name_source_name(r->hostflowNameSource));
        put_name(out, tmp, hf_escape_csv_cell, &r->hostflowDnsName);
        fputc(',', out);
        put_name(out, tmp, hf_escape_csv_cell, &r->applicationName);
        fprintf(out, ",%u,%" PRIu64 ",", r->samplingPacketInterval, hf_flow_count(r));
        put_name(out, tmp, hf_escape_csv_cell, &r->httpRequestHost);
        fputc(',', out);
        put_name(out, tmp, hf_escape_csv_cell, &r->sslServerNameNtop);
        fputc(',', out);
        put_name(out, tmp, hf_escape_csv_cell, &r->dnsQueryNtop);
        fputc('\n', out);
        break;
    case HF_FMT_JSON:
        fprintf(out, "{\"start\":\"%s\",\"end\":\"%s\",\"proto\":%u,\"src\":\"%s\","
                "\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,\"packets\":%" PRIu64
                ",\"bytes\":%" PRIu64 ",\"flags\":%u,\"tos\":%u,\"vlan\":%u,"
                "\"in_if\":%u,\"out_if\":%u,\"end_reason\":\"%s\",\"src_mac\":\"%s\",\"dst_mac\":\"%s\","
                "\"hostname\":", t0, t1, r->protocolIdentifier, src,
                r->sourceTransportPort, dst, r->destinationTransportPort,
                r->packetDeltaCount, r->octetDeltaCount, r->tcpControlBits,
                r->ipClassOfService, r->vlanId, r->ingressInterface, r->egressInterface,
                hf_end_reason_name(r->flowEndReason), smac, dmac);
        put_name(out, tmp, hf_escape_json_string, &r->hostflowHostname);
        fprintf(out, ",\"name_source\":\"%s\",\"dns_name\":",
                hf_name_source_name(r->hostflowNameSource));
        put_name(out, tmp, hf_escape_json_string, &r->hostflowDnsName);
        fputs(",\"app\":", out);
        put_name(out, tmp, hf_escape_json_string, &r->applicationName);
        fprintf(out, ",\"sampling\":%u,\"flows\":%" PRIu64 ",\"http_host\":",
                r->samplingPacketInterval, hf_flow_count(r));
        put_name(out, tmp, hf_escape_json_string, &r->httpRequestHost);
        fputs(",\"sni\":", out);
        put_name(out, tmp, hf_escape_json_string, &r->sslServerNameNtop);
        fputs(",\"dns_query\":", out);
        put_name(out, tmp, hf_escape_json_string, &r->dnsQueryNtop);
        fputs("}\n", out);
        break;
    }
    g_string_free(tmp, TRUE);
}
