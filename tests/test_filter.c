/* Unit tests of the filter language (query/filter.h): every keyword and
 * operator on records that must and must not match (IPv4 and IPv6), every
 * error message exactly, precedence, multipliers, sampling, hostname globs
 * on each name element, domain/device through callbacks, the fields a
 * filter reads, and the canonical text re-parsing to the same filter. */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "filter.h"

/* ---- records ---- */

static uint32_t
v4(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        abort();
    return ntohl(a.s_addr);
}

static void
v6(uint8_t out[16], const char *s)
{
    if (inet_pton(AF_INET6, s, out) != 1)
        abort();
}

static fbVarfield_t
vf(const char *s)
{
    return (fbVarfield_t){ .buf = (uint8_t *)s, .len = strlen(s) };
}

static hf_flow_record_t
rec4(const char *src, const char *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
    hf_flow_record_t r = { 0 };
    r.ipVersion = 4;
    r.sourceIPv4Address = v4(src);
    r.destinationIPv4Address = v4(dst);
    r.protocolIdentifier = proto;
    r.sourceTransportPort = sport;
    r.destinationTransportPort = dport;
    r.packetDeltaCount = 10;
    r.octetDeltaCount = 1500;
    r.flowStartMilliseconds = 1700000000000;
    r.flowEndMilliseconds = 1700000000250;
    return r;
}

static hf_flow_record_t
rec6(const char *src, const char *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
    hf_flow_record_t r = rec4("0.0.0.0", "0.0.0.0", proto, sport, dport);
    r.ipVersion = 6;
    v6(r.sourceIPv6Address, src);
    v6(r.destinationIPv6Address, dst);
    return r;
}

/* ---- the test environment ---- */

static int domain_calls;

static const char *
test_domain(void *ctx, const hf_flow_record_t *r, char *buf, size_t size)
{
    (void)ctx;
    domain_calls++;
    if (r->ipVersion == 4 && r->destinationIPv4Address == v4("93.184.216.34")) {
        g_strlcpy(buf, "Example.COM", size);
        return buf;
    }
    return NULL;
}

static const char *
test_device(void *ctx, const hf_flow_record_t *r, bool src)
{
    (void)ctx;
    if (r->ipVersion != 4)
        return NULL;
    if (src && r->sourceIPv4Address == v4("192.168.1.10"))
        return "laptop";
    if (!src && r->destinationIPv4Address == v4("192.168.1.20"))
        return "NAS";
    return NULL;
}

static struct hf_filter_env env = {
    .source = "exp-10.0.0.254", .domain = test_domain, .device = test_device,
};

/* ---- helpers ---- */

static bool
match_env(const char *expr, const hf_flow_record_t *r, const struct hf_filter_env *e)
{
    GError *err = NULL;
    struct hf_filter *f = hf_filter_parse(expr, &err);
    if (!f) {
        CHECK(false, "'%s' parses: %s", expr, err->message);
        g_error_free(err);
        return false;
    }
    bool m = hf_filter_match(f, r, e);
    hf_filter_free(f);
    return m;
}

#define MATCH(expr, r)   CHECK(match_env(expr, &(r), &env), "'%s' matches %s", expr, #r)
#define NOMATCH(expr, r) CHECK(!match_env(expr, &(r), &env), "'%s' does not match %s", expr, #r)

static void
error_is(int line, const char *expr, const char *msg)
{
    GError *err = NULL;
    struct hf_filter *f = hf_filter_parse(expr, &err);
    if (f) {
        check_line(false, line, "'%s' is an error", expr);
        hf_filter_free(f);
        return;
    }
    check_line(err && g_error_matches(err, HF_FILTER_ERROR, HF_FILTER_ERROR_SYNTAX)
               && strcmp(err->message, msg) == 0,
               line, "'%s': '%s' (got '%s')", expr, msg, err ? err->message : "(none)");
    g_clear_error(&err);
}
#define ERROR_IS(expr, msg) error_is(__LINE__, expr, msg)

static char *
canon(const char *expr)
{
    struct hf_filter *f = hf_filter_parse(expr, NULL);
    if (!f)
        return g_strdup("(error)");
    char *s = hf_filter_to_string(f);
    hf_filter_free(f);
    return s;
}

#define CANON(expr, want) do { \
        char *c_ = canon(expr); \
        CHECK(strcmp(c_, want) == 0, "canonical '%s' = '%s' (got '%s')", expr, want, c_); \
        g_free(c_); \
    } while (0)

static uint64_t
fields(const char *expr)
{
    struct hf_filter *f = hf_filter_parse(expr, NULL);
    uint64_t v = f ? hf_filter_fields(f) : UINT64_MAX;
    hf_filter_free(f);
    return v;
}

/* ---- tests ---- */

static void
test_empty_any(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    MATCH("", a);
    MATCH("   ", a);
    MATCH("# only a comment", a);
    MATCH("any", a);
    MATCH("ANY", a);
    NOMATCH("not any", a);
    CANON("", "any");
    struct hf_filter *f = hf_filter_parse("", NULL);
    CHECK(f && hf_filter_root(f)->kind == HF_FK_ANY && hf_filter_fields(f) == 0,
          "empty filter: root ANY, no fields");
    hf_filter_free(f);
}

static void
test_proto(void)
{
    hf_flow_record_t tcp = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    hf_flow_record_t udp = rec4("10.0.0.1", "10.0.0.2", 17, 1234, 53);
    hf_flow_record_t icmp = rec4("10.0.0.1", "10.0.0.2", 1, 0, 0);
    hf_flow_record_t icmp6 = rec6("2001:db8::1", "2001:db8::2", 58, 0, 0);
    hf_flow_record_t gre = rec4("10.0.0.1", "10.0.0.2", 47, 0, 0);
    hf_flow_record_t esp = rec6("2001:db8::1", "2001:db8::2", 50, 0, 0);

    MATCH("proto tcp", tcp);
    NOMATCH("proto tcp", udp);
    MATCH("proto TCP", tcp);
    MATCH("proto udp", udp);
    NOMATCH("proto udp", tcp);
    MATCH("proto icmp", icmp);
    NOMATCH("proto icmp", icmp6);
    MATCH("proto icmp6", icmp6);
    NOMATCH("proto icmp6", icmp);
    MATCH("proto gre", gre);
    NOMATCH("proto gre", esp);
    MATCH("proto esp", esp);
    NOMATCH("proto esp", gre);
    MATCH("proto 47", gre);
    NOMATCH("proto 6", gre);
    MATCH("PROTO 17", udp);
    CANON("proto 6", "proto tcp");
    CANON("proto 200", "proto 200");
}

static void
test_ipversion(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    hf_flow_record_t b = rec6("2001:db8::1", "2001:db8::2", 6, 1234, 80);
    const char *four[] = { "ipv4", "inet", "ip", "IPv4" };
    const char *six[] = { "ipv6", "inet6", "INET6" };
    for (size_t i = 0; i < G_N_ELEMENTS(four); i++) {
        MATCH(four[i], a);
        NOMATCH(four[i], b);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(six); i++) {
        MATCH(six[i], b);
        NOMATCH(six[i], a);
    }
    MATCH("ip and proto tcp", a);
    MATCH("(ip)", a);
    CANON("inet", "ipv4");
    CANON("ip", "ipv4");
    CANON("inet6", "ipv6");
}

static void
test_host(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "192.0.2.7", 6, 1234, 80);
    hf_flow_record_t b = rec6("2001:db8::1", "2001:db8:1::7", 6, 1234, 80);

    MATCH("host 10.0.0.1", a);
    MATCH("host 192.0.2.7", a);
    NOMATCH("host 10.0.0.2", a);
    MATCH("src host 10.0.0.1", a);
    NOMATCH("dst host 10.0.0.1", a);
    MATCH("dst host 192.0.2.7", a);
    NOMATCH("src host 192.0.2.7", a);
    MATCH("ip 10.0.0.1", a);
    MATCH("src ip 10.0.0.1", a);
    NOMATCH("dst ip 10.0.0.1", a);
    MATCH("dst ip 192.0.2.7", a);
    NOMATCH("host 10.0.0.1", b);            /* an IPv4 term never matches IPv6 */
    MATCH("host 2001:db8::1", b);
    MATCH("host 2001:DB8:0:0::1", b);
    MATCH("src host 2001:db8::1", b);
    NOMATCH("dst host 2001:db8::1", b);
    MATCH("dst ip 2001:db8:1::7", b);
    NOMATCH("host 2001:db8::2", b);
    NOMATCH("host 2001:db8::1", a);
    /* lists */
    MATCH("host in [10.9.9.9 10.0.0.1]", a);
    MATCH("ip in [172.16.0.0/12, 192.0.2.0/24]", a);
    NOMATCH("src ip in [192.0.2.0/24]", a);
    MATCH("dst host in [192.0.2.0/24]", a);
    MATCH("host in [2001:db8:1::/48]", b);
    NOMATCH("host in [2001:db8:2::/48 10.0.0.1]", b);
    CANON("ip 10.0.0.1", "host 10.0.0.1");
    CANON("src ip 2001:DB8::0:1", "src host 2001:db8::1");
    CANON("ip in [10.0.0.1, 192.0.2.1/24]", "host in [10.0.0.1/32 192.0.2.0/24]");
}

static void
test_net(void)
{
    hf_flow_record_t a = rec4("10.1.2.3", "192.0.2.7", 6, 1234, 80);
    hf_flow_record_t b = rec6("2001:db8:aaaa::1", "fe80::7", 6, 1234, 80);

    MATCH("net 10.0.0.0/8", a);
    MATCH("net 10.1.0.0/16", a);
    NOMATCH("net 10.2.0.0/16", a);
    MATCH("src net 10.0.0.0/8", a);
    NOMATCH("dst net 10.0.0.0/8", a);
    MATCH("dst net 192.0.2.0/24", a);
    MATCH("net 10.0.0.0 255.0.0.0", a);
    MATCH("src net 10.1.0.0 255.255.0.0", a);
    NOMATCH("net 10.2.0.0 255.255.0.0", a);
    MATCH("net 10.1/16", a);                /* nfdump's short form */
    MATCH("net 10/8", a);
    MATCH("net 10.1.2.99/24", a);           /* host bits are ignored */
    MATCH("net 0.0.0.0/0", a);
    NOMATCH("net 0.0.0.0/0", b);
    MATCH("net 2001:db8::/32", b);
    MATCH("src net 2001:db8:aaaa::/48", b);
    NOMATCH("dst net 2001:db8::/32", b);
    MATCH("dst net fe80::/10", b);
    NOMATCH("net 2001:db9::/32", b);
    MATCH("net ::/0", b);
    NOMATCH("net 10.0.0.0/8", b);
    NOMATCH("net 2001:db8::/32", a);
    CANON("net 10.1.2.99/24", "net 10.1.2.0/24");
    CANON("net 10.0.0.0 255.0.0.0", "net 10.0.0.0/8");
    CANON("net 10.1/16", "net 10.1.0.0/16");
    CANON("net 10.0.0.1/32", "host 10.0.0.1");
    CANON("dst net 2001:db8:ffff::/32", "dst net 2001:db8::/32");
}

static void
test_port(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 51000, 443);
    hf_flow_record_t b = rec6("2001:db8::1", "2001:db8::2", 17, 53, 1024);

    MATCH("port 443", a);
    MATCH("port 51000", a);
    NOMATCH("port 80", a);
    MATCH("dst port 443", a);
    NOMATCH("src port 443", a);
    MATCH("src port 51000", a);
    MATCH("port = 443", a);
    MATCH("port == 443", a);
    MATCH("port eq 443", a);
    MATCH("port > 1023", a);                /* either side */
    NOMATCH("dst port > 1023", a);
    MATCH("src port > 1023", a);
    MATCH("dst port < 1024", a);
    NOMATCH("src port < 1024", a);
    MATCH("dst port <= 443", a);
    NOMATCH("dst port < 443", a);
    MATCH("dst port >= 443", a);
    NOMATCH("dst port >= 444", a);
    MATCH("dst port gt 442", a);
    MATCH("dst port lt 444", a);
    MATCH("dst port le 443", a);
    MATCH("dst port ge 443", a);
    MATCH("port>1023", a);
    MATCH("port 53", b);
    MATCH("dst port 1024", b);
    NOMATCH("port 1023", b);
    MATCH("port in [80 443]", a);
    MATCH("port in [80,443]", a);
    MATCH("port in [ 80 , 443 ]", a);
    NOMATCH("port in [80 8080]", a);
    MATCH("dst port in [443]", a);
    NOMATCH("src port in [443]", a);
    MATCH("src port in [53 123]", b);
    NOMATCH("dst port in [53 123]", b);
    MATCH("port in [0 65535 1024]", b);
    CANON("port in [443, 80 443]", "port in [80 443]");
    CANON("dst port gt 1023", "dst port > 1023");
    CANON("port == 80", "port 80");
    CANON("port le 80", "port <= 80");
    CANON("port ge 80", "port >= 80");
    CANON("port lt 80", "port < 80");
}

static void
test_interfaces_vlan_tos(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    a.ingressInterface = 3;
    a.egressInterface = 7;
    a.vlanId = 42;
    a.ipClassOfService = 0xb8;

    MATCH("in if 3", a);
    NOMATCH("in if 7", a);
    MATCH("out if 7", a);
    NOMATCH("out if 3", a);
    MATCH("if 3", a);
    MATCH("if 7", a);
    NOMATCH("if 4", a);
    MATCH("IN IF 3", a);
    MATCH("vlan 42", a);
    NOMATCH("vlan 43", a);
    MATCH("vlan > 41", a);
    NOMATCH("vlan < 42", a);
    MATCH("tos 184", a);
    NOMATCH("tos 0", a);
    MATCH("tos > 100", a);
    NOMATCH("tos >= 185", a);
    CANON("in if 3", "in if 3");
    CANON("out if 7", "out if 7");
    CANON("if 7", "if 7");
}

static void
test_flags(void)
{
    hf_flow_record_t syn = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    syn.tcpControlBits = 0x02;
    hf_flow_record_t synack = syn;
    synack.tcpControlBits = 0x12;
    hf_flow_record_t all = syn;
    all.tcpControlBits = 0x3f;
    hf_flow_record_t udp = rec4("10.0.0.1", "10.0.0.2", 17, 1234, 53);
    udp.tcpControlBits = 0x12;             /* not TCP: flags never match */
    hf_flow_record_t ece = syn;
    ece.tcpControlBits = 0x42;

    MATCH("flags S", syn);
    MATCH("flags S", synack);
    NOMATCH("flags SA", syn);
    MATCH("flags SA", synack);
    MATCH("flags AS", synack);
    MATCH("flags sa", synack);
    NOMATCH("flags SA", udp);
    MATCH("flags S and not flags AFRPU", syn);
    NOMATCH("flags S and not flags AFRPU", synack);
    MATCH("flags X", all);
    NOMATCH("flags X", synack);
    MATCH("flags UAPRSF", all);
    MATCH("flags F", all);
    MATCH("flags R", all);
    MATCH("flags P", all);
    MATCH("flags U", all);
    NOMATCH("flags F", synack);
    MATCH("flags 0x12", synack);
    MATCH("flags 18", synack);
    NOMATCH("flags 0x12", syn);
    MATCH("flags 0x40", ece);
    /* nfdump: a flags term under an odd number of nots tests "any of" */
    NOMATCH("not flags AFRPU", synack);
    MATCH("not flags AFRPU", syn);
    MATCH("not flags AFRPU", udp);          /* not TCP: never "has flags" */
    NOMATCH("not (flags FA and port 80)", synack);
    NOMATCH("not not flags SF", synack);    /* even: all of S F again */
    MATCH("not not flags SA", synack);
    MATCH("not flags R", synack);
    NOMATCH("not flags S", synack);
    struct hf_filter *f = hf_filter_parse("not flags AF", NULL);
    CHECK(f && hf_filter_root(f)->child->kind == HF_FK_FLAGS_ANY
          && hf_filter_root(f)->child->num == 0x11, "not flags AF: NOT(FLAGS_ANY 0x11)");
    hf_filter_free(f);
    CANON("not flags AF", "not flags AF");
    CANON("not (port 1 and flags 0x41)", "not (port 1 and flags 0x41)");
    CANON("flags AS", "flags AS");
    CANON("flags sfx", "flags UAPRSF");
    CANON("flags 0x12", "flags AS");
    CANON("flags 0x42", "flags 0x42");
}

static void
test_counters(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    a.packetDeltaCount = 1500;
    a.octetDeltaCount = 2000000;
    hf_flow_record_t s = a;                 /* sampled 1 in 100 */
    s.packetDeltaCount = 15;
    s.octetDeltaCount = 20000;
    s.samplingPacketInterval = 100;
    hf_flow_record_t one = a;               /* interval 1: not scaled */
    one.samplingPacketInterval = 1;

    MATCH("packets 1500", a);
    MATCH("packets = 1500", a);
    MATCH("packets > 1k", a);
    NOMATCH("packets > 2k", a);
    MATCH("packets < 2K", a);
    MATCH("packets >= 1500", a);
    NOMATCH("packets <= 1499", a);
    MATCH("in packets 1500", a);
    MATCH("bytes 2M", a);
    MATCH("bytes > 1m", a);
    NOMATCH("bytes > 2M", a);
    MATCH("bytes >= 2000k", a);
    MATCH("bytes < 1G", a);
    MATCH("in bytes > 1999999", a);
    MATCH("bytes gt 1999999", a);
    /* scaled by the sampling interval */
    MATCH("packets 1500", s);
    MATCH("packets > 1k", s);
    MATCH("bytes 2M", s);
    NOMATCH("bytes < 1M", s);
    MATCH("packets 1500", one);
    MATCH("sampled", s);
    NOMATCH("sampled", a);
    NOMATCH("sampled", one);
    /* saturating, not wrapping */
    hf_flow_record_t big = a;
    big.octetDeltaCount = UINT64_MAX / 2;
    big.samplingPacketInterval = 1000;
    MATCH("bytes > 1000000000000", big);
    MATCH("bytes 18446744073709551615", big);
    /* durations in milliseconds */
    MATCH("duration 250", a);
    MATCH("duration > 200", a);
    NOMATCH("duration > 250", a);
    MATCH("duration < 1k", a);
    hf_flow_record_t back = a;
    back.flowEndMilliseconds = back.flowStartMilliseconds - 5;
    MATCH("duration 0", back);
    /* summaries are filtered like flows; flows reads their count */
    hf_flow_record_t sum = a;
    sum.deltaFlowCount = 120;
    MATCH("packets 1500 and port 80", sum);
    MATCH("flows > 100", sum);
    NOMATCH("flows > 100", a);
    MATCH("flows 1", a);
    CANON("bytes > 1M", "bytes > 1000000");
    CANON("packets 5k", "packets 5000");
    CANON("in bytes 5g", "bytes 5000000000");
    CANON("duration gt 1k", "duration > 1000");
}

static void
test_mac(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);
    memcpy(a.sourceMacAddress, "\x00\x11\x22\x33\x44\x55", 6);
    memcpy(a.destinationMacAddress, "\xaa\xbb\xcc\xdd\xee\xff", 6);

    MATCH("mac 00:11:22:33:44:55", a);
    MATCH("mac AA:BB:CC:DD:EE:FF", a);
    NOMATCH("mac 00:11:22:33:44:56", a);
    MATCH("src mac 00:11:22:33:44:55", a);
    NOMATCH("dst mac 00:11:22:33:44:55", a);
    MATCH("dst mac aa:bb:cc:dd:ee:ff", a);
    MATCH("in src mac 00:11:22:33:44:55", a);
    MATCH("in dst mac aa:bb:cc:dd:ee:ff", a);
    NOMATCH("in dst mac 00:11:22:33:44:55", a);
    MATCH("in mac aa:bb:cc:dd:ee:ff", a);
    MATCH("mac 0:11:22:33:44:55", a);
    CANON("in src mac 0:11:22:33:44:55", "src mac 00:11:22:33:44:55");
    CANON("MAC AA:BB:CC:DD:EE:FF", "mac aa:bb:cc:dd:ee:ff");
}

static void
test_hostname(void)
{
    hf_flow_record_t none = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 443);
    hf_flow_record_t h = none, http = none, sni = none, dnsq = none, dnsn = none;
    h.hostflowHostname = vf("www.Google.com");
    http.httpRequestHost = vf("mail.google.com");
    sni.sslServerNameNtop = vf("maps.google.com");
    dnsq.dnsQueryNtop = vf("news.google.com");
    dnsn.hostflowDnsName = vf("photos.google.com");
    hf_flow_record_t *each[] = { &h, &http, &sni, &dnsq, &dnsn };
    const char *names[] = { "hostflowHostname", "httpRequestHost", "sslServerNameNtop",
                            "dnsQueryNtop", "hostflowDnsName" };

    for (size_t i = 0; i < G_N_ELEMENTS(each); i++) {
        CHECK(match_env("hostname \"*.google.com\"", each[i], &env),
              "hostname glob matches %s", names[i]);
        CHECK(match_env("hostname *.GOOGLE.COM", each[i], &env),
              "bare, case-insensitive glob matches %s", names[i]);
        CHECK(!match_env("hostname *.google.org", each[i], &env),
              "other glob does not match %s", names[i]);
    }
    NOMATCH("hostname *", none);            /* no name at all */
    MATCH("hostname www.google.com", h);
    MATCH("hostname 'WWW.GOOGLE.COM'", h);
    NOMATCH("hostname google.com", h);
    MATCH("hostname ???.google.com", h);
    NOMATCH("hostname ??.google.com", h);
    MATCH("hostname w*e.c?m", h);
    MATCH("hostname *google*", h);
    MATCH("hostname *", h);
    NOMATCH("hostname www", h);
    MATCH("hostname w*w*w*.*", h);
    hf_flow_record_t two = none;              /* any of the elements */
    two.hostflowHostname = vf("a.example");
    two.sslServerNameNtop = vf("b.example");
    MATCH("hostname b.*", two);
    MATCH("hostname a.*", two);
    CANON("hostname *.Google.COM", "hostname \"*.google.com\"");
    CANON("hostname 'a\"b'", "hostname \"a\\\"b\"");
}

/* dns: the DNS question only, not the other name elements */
static void
test_dns(void)
{
    hf_flow_record_t none = rec4("10.0.0.1", "10.0.0.2", 17, 40000, 53);
    hf_flow_record_t q = none, other = none;
    q.dnsQueryNtop = vf("Mail.Example.com");
    other.hostflowHostname = vf("mail.example.com");
    other.sslServerNameNtop = vf("mail.example.com");
    other.hostflowDnsName = vf("mail.example.com");

    MATCH("dns \"*.example.com\"", q);
    MATCH("dns mail.example.COM", q);
    NOMATCH("dns example.com", q);
    NOMATCH("dns \"*.example.org\"", q);
    NOMATCH("dns *", none);
    NOMATCH("dns \"*.example.com\"", other);   /* names that are not a DNS question */
    MATCH("hostname \"*.example.com\"", other);
    MATCH("not dns x.example.com and dns m*", q);
    CANON("dns *.Example.COM", "dns \"*.example.com\"");
    CHECK(fields("dns x") == HF_FIELD_DNSQUERY, "dns reads the DNS question");
    ERROR_IS("dns", "expected a name after 'dns' at column 4");
}

static void
test_app_domain_device_exporter(void)
{
    hf_flow_record_t a = rec4("192.168.1.10", "93.184.216.34", 6, 50000, 443);
    a.applicationName = vf("tls");
    hf_flow_record_t b = rec4("192.168.1.11", "192.168.1.20", 17, 50000, 53);
    b.applicationName = vf("DNS");
    hf_flow_record_t c = rec6("2001:db8::1", "2001:db8::2", 6, 1, 2);

    MATCH("app tls", a);
    MATCH("app TLS", a);
    NOMATCH("app tl", a);
    NOMATCH("app tlsx", a);
    MATCH("app dns", b);
    NOMATCH("app tls", c);
    MATCH("domain example.com", a);
    MATCH("domain EXAMPLE.com", a);
    NOMATCH("domain example.org", a);
    NOMATCH("domain example.com", b);
    MATCH("device laptop", a);
    MATCH("src device laptop", a);
    NOMATCH("dst device laptop", a);
    MATCH("device nas", b);
    MATCH("dst device NAS", b);
    NOMATCH("src device nas", b);
    NOMATCH("device laptop", b);
    NOMATCH("device laptop", c);
    MATCH("exporter 10.0.0.254", a);
    MATCH("exporter exp-10.0.0.254", a);
    NOMATCH("exporter 10.0.0.253", a);
    MATCH("router ip 10.0.0.254", a);

    /* named sources, IPv6 automatic names */
    struct hf_filter_env named = env;
    named.source = "core-router";
    CHECK(match_env("exporter core-router", &a, &named), "exporter by source name");
    CHECK(!match_env("exporter 10.0.0.254", &a, &named), "named source is not its address");
    named.source = "exp-2001_db8__1";
    CHECK(match_env("exporter 2001:db8::1", &a, &named), "exporter by IPv6 automatic name");
    CHECK(match_env("exporter 2001:DB8:0::1", &a, &named), "IPv6 written another way");
    named.source = "exp-192.0.2.1";
    CHECK(match_env("exporter ::ffff:192.0.2.1", &a, &named), "v4-mapped address");

    /* without callbacks those terms match nothing, and no crash */
    struct hf_filter_env bare = { 0 };
    CHECK(!match_env("domain example.com", &a, &bare), "no domain callback");
    CHECK(!match_env("device laptop", &a, &bare), "no device callback");
    CHECK(!match_env("exporter 10.0.0.254", &a, &bare), "no source");
    CHECK(!match_env("domain example.com", &a, NULL), "NULL env");
    CHECK(match_env("not device laptop", &a, NULL), "NULL env, negated");
    CHECK(match_env("port 443", &a, NULL), "NULL env, record terms");
    CANON("app TLS", "app \"tls\"");
    CANON("src device Laptop", "src device \"laptop\"");
    CANON("router ip 10.0.0.1", "exporter \"10.0.0.1\"");
}

static void
test_logic(void)
{
    hf_flow_record_t a = rec4("10.0.0.1", "10.0.0.2", 6, 1234, 80);

    MATCH("port 80 and proto tcp", a);
    NOMATCH("port 80 and proto udp", a);
    MATCH("port 81 or proto tcp", a);
    NOMATCH("port 81 or proto udp", a);
    MATCH("port 80 && proto tcp", a);
    MATCH("port 81 || proto tcp", a);
    MATCH("not port 81", a);
    NOMATCH("not port 80", a);
    MATCH("! port 81", a);
    MATCH("!port 81", a);
    MATCH("not not port 80", a);
    MATCH("NOT port 81 AND Proto TCP", a);
    /* not > and > or */
    MATCH("port 81 and proto udp or port 80", a);      /* (81 and udp) or 80 */
    NOMATCH("port 81 and (proto udp or port 80)", a);
    MATCH("port 80 or port 81 and proto udp", a);      /* 80 or (81 and udp) */
    NOMATCH("(port 80 or port 81) and proto udp", a);
    NOMATCH("not port 80 and proto tcp", a);           /* (not 80) and tcp */
    MATCH("not (port 81 and proto tcp)", a);
    NOMATCH("not port 81 and not proto tcp", a);
    MATCH("not port 80 or proto tcp", a);              /* (not 80) or tcp */
    NOMATCH("not (port 80 or proto tcp)", a);
    MATCH("((port 80))", a);
    MATCH("port 80 and (proto tcp or (host 1.2.3.4 and not any))", a);
    CANON("port 80 and (proto tcp and host 10.0.0.1)", "port 80 and proto tcp and host 10.0.0.1");
    CANON("(port 80 or port 81) and proto udp", "(port 80 or port 81) and proto udp");
    CANON("port 80 or (port 81 and proto udp)", "port 80 or port 81 and proto udp");
    CANON("not (port 80 or port 81)", "not (port 80 or port 81)");
    CANON("!!port 80", "not not port 80");
    CANON("port 1 || (port 2 || port 3)", "port 1 or port 2 or port 3");
    CANON("not (port 1 and port 2) and not any", "not (port 1 and port 2) and not any");
    CANON("port 80 # comment\n and proto tcp", "port 80 and proto tcp");

    /* the AST */
    struct hf_filter *f = hf_filter_parse("port 1 and (port 2 and port 3) or not sampled", NULL);
    const struct hf_filter_node *r = hf_filter_root(f);
    CHECK(r->kind == HF_FK_OR && r->n_children == 2, "root is OR of 2");
    CHECK(r->child->kind == HF_FK_AND && r->child->n_children == 3, "AND flattened to 3");
    CHECK(r->child->child->kind == HF_FK_PORT && r->child->child->num == 1
          && r->child->child->next->num == 2 && r->child->child->next->next->num == 3
          && !r->child->child->next->next->next, "AND's children in order");
    CHECK(r->child->next->kind == HF_FK_NOT && r->child->next->child->kind == HF_FK_SAMPLED
          && !r->child->next->next, "NOT sampled");
    hf_filter_free(f);
}

static void
test_fields(void)
{
    CHECK(fields("src port 80") == HF_FIELD_SRCPORT, "src port");
    CHECK(fields("port 80") == (HF_FIELD_SRCPORT | HF_FIELD_DSTPORT), "port");
    CHECK(fields("dst net 10.0.0.0/8") == (HF_FIELD_DSTADDR | HF_FIELD_IPVERSION), "dst net");
    CHECK(fields("hostname x and not domain y") == (HF_FIELD_HOSTNAME | HF_FIELD_DOMAIN),
          "names");
    CHECK(fields("device a") == (HF_FIELD_SRCDEVICE | HF_FIELD_DSTDEVICE), "device");
    CHECK(fields("exporter a or app b") == (HF_FIELD_EXPORTER | HF_FIELD_APP), "exporter, app");
    CHECK(fields("bytes > 1") == (HF_FIELD_BYTES | HF_FIELD_SAMPLING), "bytes scale");
    CHECK(fields("flags S") == (HF_FIELD_TCPFLAGS | HF_FIELD_PROTO), "flags");
    CHECK(fields("in if 1 or duration > 3 or flows > 2") ==
          (HF_FIELD_IN_IF | HF_FIELD_TIME | HF_FIELD_FLOWS), "if, time, flows");
    CHECK(fields("mac 00:00:00:00:00:01 and vlan 3 and tos 1 and proto tcp and ipv6") ==
          (HF_FIELD_SRCMAC | HF_FIELD_DSTMAC | HF_FIELD_VLAN | HF_FIELD_TOS | HF_FIELD_PROTO
           | HF_FIELD_IPVERSION), "mac vlan tos proto ipv6");
}

static void
test_errors(void)
{
    ERROR_IS("prot tcp", "unknown keyword 'prot' at column 1; did you mean 'proto'?");
    ERROR_IS("port 80 and hostnme x",
             "unknown keyword 'hostnme' at column 13; did you mean 'hostname'?");
    ERROR_IS("frobnicate", "unknown keyword 'frobnicate' at column 1");
    ERROR_IS("port", "expected a port number after 'port' at column 5");
    ERROR_IS("port http", "expected a port number after 'port' at column 6");
    ERROR_IS("port > x", "expected a port number after 'port' at column 8");
    ERROR_IS("port 70000", "number '70000' out of range 0..65535 at column 6");
    ERROR_IS("port 80k", "expected a port number after 'port' at column 6");
    ERROR_IS("(port 80", "unbalanced parenthesis at column 1");
    ERROR_IS("port 80)", "unbalanced parenthesis at column 8");
    ERROR_IS(")", "unbalanced parenthesis at column 1");
    ERROR_IS("((port 80) or (port 81)", "unbalanced parenthesis at column 1");
    ERROR_IS("()", "expected a filter term before ')' at column 2");
    ERROR_IS("host 10.0.0.300", "bad address '10.0.0.300' at column 6");
    ERROR_IS("host 10.1", "bad address '10.1' at column 6");
    ERROR_IS("host 10.0.0.1/32", "bad address '10.0.0.1/32' at column 6");
    ERROR_IS("src host 2001:db8::g", "bad address '2001:db8::g' at column 10");
    ERROR_IS("net 10.0.0.0/33", "bad prefix length '33' at column 14");
    ERROR_IS("net 2001:db8::/129", "bad prefix length '129' at column 16");
    ERROR_IS("net 10.0.0.0/", "bad prefix length '' at column 14");
    ERROR_IS("net 10.0.0.0/8x", "bad prefix length '8x' at column 14");
    ERROR_IS("net 1.2.3.4.5/8", "bad address '1.2.3.4.5' at column 5");
    ERROR_IS("net 10.0.0.0 255.0.255.0", "bad netmask '255.0.255.0' at column 14");
    ERROR_IS("net 10.0.0.0",
             "expected a prefix length ('10.0.0.0/N') or a netmask after '10.0.0.0' at column 13");
    ERROR_IS("net", "expected a network after 'net' at column 4");
    ERROR_IS("hostname \"*.google.com", "unterminated quote at column 10");
    ERROR_IS("app 'tls", "unterminated quote at column 5");
    ERROR_IS("port 80 port 81",
             "unexpected 'port' at column 9; expected 'and', 'or' or the end of the filter");
    ERROR_IS("port 80 and", "expected a filter term after 'and' at column 12");
    ERROR_IS("not", "expected a filter term after 'not' at column 4");
    ERROR_IS("port 80 or or port 81", "unexpected 'or' at column 12; expected a filter term");
    ERROR_IS("and port 80", "unexpected 'and' at column 1; expected a filter term");
    ERROR_IS("(port 80 port 81)", "unexpected 'port' at column 10; expected 'and', 'or' or ')'");
    ERROR_IS("port 80 & proto tcp", "unexpected character '&' at column 9; did you mean '&&'?");
    ERROR_IS("port 80 | proto tcp", "unexpected character '|' at column 9; did you mean '||'?");
    ERROR_IS("10.0.0.1", "unexpected '10.0.0.1' at column 1; expected a filter term "
             "(an address needs 'host' or 'net' before it)");
    ERROR_IS("proto foo", "unknown protocol 'foo' at column 7");
    ERROR_IS("proto 256", "number '256' out of range 0..255 at column 7");
    ERROR_IS("proto", "expected a protocol after 'proto' at column 6");
    ERROR_IS("port in 80", "expected '[' after 'in' at column 9");
    ERROR_IS("port in [80 443", "unterminated list at column 9");
    ERROR_IS("port in []", "empty list at column 9");
    ERROR_IS("port in [80 http]", "bad port 'http' at column 13");
    ERROR_IS("port in [80 (]", "unexpected '(' in list at column 13");
    ERROR_IS("host in [10.0.0.0/40]", "bad prefix length '40' at column 19");
    ERROR_IS("flags SQ", "bad TCP flag 'Q' in 'SQ' at column 8; flags are U A P R S F X");
    ERROR_IS("flags", "expected TCP flags after 'flags' at column 6");
    ERROR_IS("flags 0x10000", "number '0x10000' out of range 0..65535 at column 7");
    ERROR_IS("bytes > 1x", "expected a number after 'bytes' at column 9");
    ERROR_IS("bytes > 1 k", "unexpected 'k' at column 11; expected 'and', 'or' or the end "
             "of the filter");
    ERROR_IS("packets > 20000000000g", "number '20000000000g' out of range "
             "0..18446744073709551615 at column 11");
    ERROR_IS("packets > 18446744073709551616", "number '18446744073709551616' out of range "
             "0..18446744073709551615 at column 11");
    ERROR_IS("duration > soon", "expected a duration in milliseconds after 'duration' at column 12");
    ERROR_IS("tos 256", "number '256' out of range 0..255 at column 5");
    ERROR_IS("vlan 4096", "number '4096' out of range 0..4095 at column 6");
    ERROR_IS("in if x", "expected an interface number after 'if' at column 7");
    ERROR_IS("if > 3", "expected an interface number after 'if' at column 4");
    ERROR_IS("in foo", "expected 'if', 'mac', 'src mac', 'dst mac', 'packets' or 'bytes' "
             "after 'in' at column 4");
    ERROR_IS("out foo", "expected 'if' after 'out' at column 5");
    ERROR_IS("out mac 00:11:22:33:44:55", "'out mac' at column 1 is not supported: hostflow "
             "records are unidirectional and carry no egress MACs or reverse counters");
    ERROR_IS("out packets > 3", "'out packets' at column 1 is not supported: hostflow "
             "records are unidirectional and carry no egress MACs or reverse counters");
    ERROR_IS("mac 00:11:22:33:44", "bad MAC address '00:11:22:33:44' at column 5");
    ERROR_IS("mac 00-11-22-33-44-55", "bad MAC address '00-11-22-33-44-55' at column 5");
    ERROR_IS("mac 00:11:22:33:44:55:66", "bad MAC address '00:11:22:33:44:55:66' at column 5");
    ERROR_IS("src vlan 3", "expected host, ip, net, port, mac or device after 'src' at column 5");
    ERROR_IS("dst", "expected host, ip, net, port, mac or device after 'dst' at column 4");
    ERROR_IS("hostname", "expected a name after 'hostname' at column 9");
    ERROR_IS("hostname ''", "empty name after 'hostname' at column 10");
    ERROR_IS("domain (", "expected a name after 'domain' at column 8");
    ERROR_IS("router 1.2.3.4", "expected 'ip' after 'router' at column 8");
    ERROR_IS("src ip", "expected an address after 'ip' at column 7");
    ERROR_IS("port = = 80", "expected a port number after 'port' at column 8");
    ERROR_IS("port 80 and [", "unexpected '[' at column 13; expected a filter term");

    /* nesting is bounded, not a stack overflow */
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 1000; i++)
        g_string_append_c(deep, '(');
    g_string_append(deep, "any");
    for (int i = 0; i < 1000; i++)
        g_string_append_c(deep, ')');
    ERROR_IS(deep->str, "filter nested too deeply at column 201");
    g_string_free(deep, TRUE);
    GString *nots = g_string_new(NULL);
    for (int i = 0; i < 150; i++)
        g_string_append(nots, "not (");
    g_string_append(nots, "any");
    for (int i = 0; i < 150; i++)
        g_string_append_c(nots, ')');
    ERROR_IS(nots->str, "filter nested too deeply at column 501");
    g_string_free(nots, TRUE);
    struct hf_filter *ok = hf_filter_parse("((((((((((any))))))))))", NULL);
    CHECK(ok != NULL, "moderate nesting parses");
    hf_filter_free(ok);
    /* a NULL error pointer is fine */
    CHECK(hf_filter_parse("prot", NULL) == NULL, "error without GError");
}

/* canonical text: re-parses to itself and to a filter with the same
 * results on every test record */
static void
test_canonical_table(void)
{
    static const char *const exprs[] = {
        "", "any", "proto tcp and port 443", "src host 10.0.0.1 or dst net 2001:db8::/32",
        "not (port 53 or port 5353) and proto udp", "port in [80 443 8080]",
        "src port in [53]", "dst port > 1023 and src port < 1024", "in if 3 or out if 7",
        "if 9", "flags SA and not flags R", "packets > 1k and bytes < 10M", "duration >= 100",
        "tos 4", "vlan 10", "mac 00:11:22:33:44:55", "dst mac aa:bb:cc:dd:ee:ff",
        "hostname \"*.google.com\" or hostname 'a?b'", "dns \"*.example.com\"", "domain example.com",
        "app tls and not sampled", "device laptop and dst device nas",
        "exporter 10.0.0.254 or exporter \"core\"", "ipv4 and not ipv6", "inet6",
        "ip in [10.0.0.0/8 192.0.2.1]", "net 10.1/16", "net 10.0.0.0 255.255.255.0",
        "((port 1 or port 2) and (port 3 or port 4)) or not (port 5 and not port 6)",
        "not not not any", "flows > 3", "hostname 'quote\"inside'",
        "hostname \"back\\\\slash\"", "proto 99 || proto 6 && ! port 22",
    };
    hf_flow_record_t recs[4];
    recs[0] = rec4("10.0.0.1", "93.184.216.34", 6, 1234, 443);
    recs[0].hostflowHostname = vf("www.google.com");
    recs[0].applicationName = vf("tls");
    recs[0].packetDeltaCount = 2000;
    recs[1] = rec6("2001:db8::1", "2001:db8::2", 17, 53, 5353);
    recs[2] = rec4("192.168.1.10", "192.168.1.20", 6, 22, 8080);
    recs[2].tcpControlBits = 0x12;
    recs[2].ingressInterface = 3;
    recs[3] = rec4("10.1.2.3", "192.0.2.1", 99, 0, 0);
    recs[3].samplingPacketInterval = 10;
    recs[3].deltaFlowCount = 5;

    for (size_t i = 0; i < G_N_ELEMENTS(exprs); i++) {
        GError *err = NULL;
        struct hf_filter *f = hf_filter_parse(exprs[i], &err);
        if (!f) {
            CHECK(false, "'%s' parses: %s", exprs[i], err->message);
            g_error_free(err);
            continue;
        }
        char *s1 = hf_filter_to_string(f);
        struct hf_filter *g = hf_filter_parse(s1, &err);
        if (!g) {
            CHECK(false, "canonical '%s' of '%s' re-parses: %s", s1, exprs[i], err->message);
            g_error_free(err);
            g_free(s1);
            hf_filter_free(f);
            continue;
        }
        char *s2 = hf_filter_to_string(g);
        CHECK(strcmp(s1, s2) == 0, "'%s' -> '%s' -> '%s'", exprs[i], s1, s2);
        CHECK(hf_filter_fields(f) == hf_filter_fields(g), "'%s': same fields", exprs[i]);
        bool same = true;
        for (size_t k = 0; k < G_N_ELEMENTS(recs); k++)
            same &= hf_filter_match(f, &recs[k], &env) == hf_filter_match(g, &recs[k], &env);
        CHECK(same, "'%s' and '%s' agree on every record", exprs[i], s1);
        g_free(s1);
        g_free(s2);
        hf_filter_free(f);
        hf_filter_free(g);
    }
}

int
main(void)
{
    test_empty_any();
    test_proto();
    test_ipversion();
    test_host();
    test_net();
    test_port();
    test_interfaces_vlan_tos();
    test_flags();
    test_counters();
    test_mac();
    test_hostname();
    test_dns();
    test_app_domain_device_exporter();
    test_logic();
    test_fields();
    test_errors();
    test_canonical_table();
    return check_summary();
}
