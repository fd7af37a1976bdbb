#include "clickhouse_rowbinary.h"

#include <string.h>
#include "extract.h"
#include "flow_rules.h"
#include "record_fields.h"

/* The store's record fields, one column each (names as hostflow-dump's
 * columns where they exist), plus the two names that say where a record
 * came from.  Addresses are IPv6, IPv4 as ::ffff:a.b.c.d, so that one
 * column and one index serve both families (IPv6NumToString prints the
 * IPv4 form).  Times: the flow's end decides the day partition. */
const struct hf_ch_column hf_ch_columns[] = {
    {"date", "Date", false, "day of the flow's end (UTC): the partition"},
    {"time_end", "DateTime", false, "flow end, seconds"},
    {"start_ms", "UInt64", false, "flowStartMilliseconds"},
    {"end_ms", "UInt64", false, "flowEndMilliseconds"},
    {"collector", "String", true, "the collector that received it"},
    {"source", "String", true, "the exporter's source name ([source] or exp-ADDR)"},
    {"ip_version", "UInt8", false, "4 or 6"},
    {"src_addr", "FixedString(16)", false, "IPv6; IPv4 as ::ffff:a.b.c.d"},
    {"dst_addr", "FixedString(16)", false, "IPv6; IPv4 as ::ffff:a.b.c.d"},
    {"src_port", "UInt16", false, NULL},
    {"dst_port", "UInt16", false, NULL},
    {"proto", "UInt8", false, "protocolIdentifier"},
    {"tcp_flags", "UInt16", false, "tcpControlBits"},
    {"tos", "UInt8", false, "ipClassOfService"},
    {"icmp_type_code", "UInt16", false, "IPv4 or IPv6 type * 256 + code"},
    {"end_reason", "UInt8", false, "flowEndReason"},
    {"packets", "UInt64", false, "as exported (unscaled)"},
    {"bytes", "UInt64", false, "as exported (unscaled)"},
    {"flows", "UInt64", false, "flows summed into the record: 1 for a flow"},
    {"sampling", "UInt32", false, "1 in N sampled; readers scale packets and bytes by it"},
    {"in_if", "UInt32", false, "ingressInterface"},
    {"out_if", "UInt32", false, "egressInterface"},
    {"src_mac", "UInt64", false, "MACNumToString prints it"},
    {"dst_mac", "UInt64", false, "MACNumToString prints it"},
    {"vlan", "UInt16", false, NULL},
    {"hostname", "String", true, "the name the client perceived"},
    {"name_source", "UInt8", false, "0 none, 1 dns, 2 tls, 3 http, 4 quic, 5 dns-stale"},
    {"dns_name", "String", true, "DNS-paired name of the peer"},
    {"http_host", "String", true, "HTTP Host (other probes)"},
    {"sni", "String", true, "TLS/QUIC server name (other probes)"},
    {"dns_query", "String", true, "DNS flows' query (other probes)"},
    {"app", "String", true, "applicationName"},
};
const unsigned hf_ch_ncolumns = G_N_ELEMENTS(hf_ch_columns);

char *
hf_ch_column_list(void)
{
    GString *s = g_string_new("(");

    for (unsigned i = 0; i < hf_ch_ncolumns; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", hf_ch_columns[i].name);
    g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

void
hf_ch_put_le(GByteArray *out, uint64_t v, unsigned size)
{
    uint8_t b[8];

    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    g_byte_array_append(out, b, size);
}

void
hf_ch_put_string(GByteArray *out, const void *s, size_t len)
{
    uint8_t b[10];
    unsigned n = 0;
    uint64_t v = len;

    do {                        /* unsigned LEB128 */
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    g_byte_array_append(out, b, n);
    if (len)
        g_byte_array_append(out, s, (guint)len);
}

static void
put_cstring(GByteArray *out, const char *s)
{
    hf_ch_put_string(out, s, s ? strlen(s) : 0);
}

static void
put_varfield(GByteArray *out, const fbVarfield_t *v)
{
    hf_ch_put_string(out, v->buf, v->len);
}

static void
put_addr(GByteArray *out, bool v4, uint32_t a4, const uint8_t a6[16])
{
    if (!v4) {
        g_byte_array_append(out, a6, 16);
        return;
    }
    uint8_t m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                     (uint8_t)(a4 >> 24), (uint8_t)(a4 >> 16), (uint8_t)(a4 >> 8),
                     (uint8_t)a4};
    g_byte_array_append(out, m, 16);
}

/* The family as the store's readers decide it: ipVersion, else whichever
 * address is set (v5 and some v9 exports leave ipVersion out). */
static bool
is_v4(const hf_flow_record_t *r)
{
    static const uint8_t zero[16];

    if (r->ipVersion == 4)
        return true;
    if (r->ipVersion == 6)
        return false;
    return memcmp(r->sourceIPv6Address, zero, 16) == 0
        && memcmp(r->destinationIPv6Address, zero, 16) == 0;
}

void
hf_ch_encode_row(GByteArray *out, const hf_flow_record_t *r, const char *source,
                 const char *collector)
{
    bool v4 = is_v4(r);
    uint64_t end_s = r->flowEndMilliseconds / 1000;

    hf_ch_put_le(out, end_s / 86400 > UINT16_MAX ? UINT16_MAX : end_s / 86400, 2);
    hf_ch_put_le(out, end_s > UINT32_MAX ? UINT32_MAX : end_s, 4);
    hf_ch_put_le(out, r->flowStartMilliseconds, 8);
    hf_ch_put_le(out, r->flowEndMilliseconds, 8);
    put_cstring(out, collector);
    put_cstring(out, source);
    hf_ch_put_le(out, v4 ? 4 : 6, 1);
    put_addr(out, v4, r->sourceIPv4Address, r->sourceIPv6Address);
    put_addr(out, v4, r->destinationIPv4Address, r->destinationIPv6Address);
    hf_ch_put_le(out, r->sourceTransportPort, 2);
    hf_ch_put_le(out, r->destinationTransportPort, 2);
    hf_ch_put_le(out, r->protocolIdentifier, 1);
    hf_ch_put_le(out, r->tcpControlBits, 2);
    hf_ch_put_le(out, r->ipClassOfService, 1);
    hf_ch_put_le(out, hf_record_icmp_type_code(r), 2);
    hf_ch_put_le(out, r->flowEndReason, 1);
    hf_ch_put_le(out, r->packetDeltaCount, 8);
    hf_ch_put_le(out, r->octetDeltaCount, 8);
    hf_ch_put_le(out, hf_flow_count(r), 8);
    hf_ch_put_le(out, hf_flow_scale(r), 4);
    hf_ch_put_le(out, r->ingressInterface, 4);
    hf_ch_put_le(out, r->egressInterface, 4);
    hf_ch_put_le(out, hf_be_uint(r->sourceMacAddress, 6), 8);   /* MACNumToString */
    hf_ch_put_le(out, hf_be_uint(r->destinationMacAddress, 6), 8);
    hf_ch_put_le(out, r->vlanId, 2);
    put_varfield(out, &r->hostflowHostname);
    hf_ch_put_le(out, r->hostflowNameSource, 1);
    put_varfield(out, &r->hostflowDnsName);
    put_varfield(out, &r->httpRequestHost);
    put_varfield(out, &r->sslServerNameNtop);
    put_varfield(out, &r->dnsQueryNtop);
    put_varfield(out, &r->applicationName);
}
