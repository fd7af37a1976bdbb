/* libFuzzer target for the filter language (query/filter_*.c).  Input: a
 * filter expression, any bytes (cut at the first NUL).  Invariants:
 * - parsing either fails with a message or gives a filter;
 * - a filter evaluates on a few fixed records (IPv4 with names, IPv6,
 *   a sampled hourly summary) through test callbacks;
 * - its canonical text re-parses, to the same canonical text, the same
 *   fields and the same results on those records. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hf_flow_record_t recs[3];

static fbVarfield_t
vf(const char *s)
{
    return (fbVarfield_t){ .buf = (uint8_t *)s, .len = strlen(s) };
}

static void
init_records(void)
{
    hf_flow_record_t *a = &recs[0], *b = &recs[1], *c = &recs[2];

    a->ipVersion = 4;
    a->sourceIPv4Address = 0xc0a8010a;          /* 192.168.1.10 */
    a->destinationIPv4Address = 0x5db8d822;     /* 93.184.216.34 */
    a->protocolIdentifier = 6;
    a->sourceTransportPort = 50000;
    a->destinationTransportPort = 443;
    a->tcpControlBits = 0x1b;
    a->packetDeltaCount = 12;
    a->octetDeltaCount = 4000;
    a->flowStartMilliseconds = 1000;
    a->flowEndMilliseconds = 1800;
    a->ingressInterface = 3;
    a->vlanId = 10;
    memcpy(a->sourceMacAddress, "\x00\x11\x22\x33\x44\x55", 6);
    a->hostflowHostname = vf("www.example.com");
    a->sslServerNameNtop = vf("www.example.com");
    a->applicationName = vf("tls");

    b->ipVersion = 6;
    inet_pton(AF_INET6, "2001:db8::1", b->sourceIPv6Address);
    inet_pton(AF_INET6, "fe80::2", b->destinationIPv6Address);
    b->protocolIdentifier = 17;
    b->sourceTransportPort = 5353;
    b->destinationTransportPort = 53;
    b->dnsQueryNtop = vf("printer.local");
    b->applicationName = vf("dns");

    *c = *a;
    c->samplingPacketInterval = 1000;
    c->deltaFlowCount = 500;
    c->packetDeltaCount = UINT64_MAX / 3;
    c->ipClassOfService = 0x2e;
    c->hostflowHostname = vf("");
    c->httpRequestHost = vf("Mail.Example.COM");
}

static const char *
domain(void *ctx, const hf_flow_record_t *r, char *buf, size_t size)
{
    (void)ctx;
    if (r->ipVersion != 4)
        return NULL;
    g_strlcpy(buf, "example.com", size);
    return buf;
}

static const char *
device(void *ctx, const hf_flow_record_t *r, bool src)
{
    (void)ctx;
    return src && r->ipVersion == 4 ? "laptop" : NULL;
}

static const struct hf_filter_env env = {
    .source = "exp-10.0.0.1", .domain = domain, .device = device,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        init_records();
        ready = true;
    }
    if (size > 1u << 16)
        return 0;
    char *expr = g_strndup((const char *)data, size);
    GError *err = NULL;
    struct hf_filter *f = hf_filter_parse(expr, &err);
    g_free(expr);
    if (!f) {
        if (!err || !err->message[0] || !strstr(err->message, "column"))
            abort();
        g_error_free(err);
        return 0;
    }
    if (err || !hf_filter_root(f))
        abort();
    bool m[3];
    for (int i = 0; i < 3; i++)
        m[i] = hf_filter_match(f, &recs[i], &env);
    (void)hf_filter_match(f, &recs[0], NULL);

    char *s1 = hf_filter_to_string(f);
    struct hf_filter *g = hf_filter_parse(s1, &err);
    if (!g) {
        fprintf(stderr, "canonical '%s' does not re-parse: %s\n", s1, err->message);
        abort();
    }
    char *s2 = hf_filter_to_string(g);
    if (strcmp(s1, s2) != 0) {
        fprintf(stderr, "canonical '%s' re-prints as '%s'\n", s1, s2);
        abort();
    }
    if (hf_filter_fields(f) != hf_filter_fields(g))
        abort();
    for (int i = 0; i < 3; i++)
        if (hf_filter_match(g, &recs[i], &env) != m[i]) {
            fprintf(stderr, "'%s' evaluates differently on record %d\n", s1, i);
            abort();
        }
    g_free(s1);
    g_free(s2);
    hf_filter_free(g);
    hf_filter_free(f);
    return 0;
}
