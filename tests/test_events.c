/* Unit tests of the live events' parts: UUIDv7 ids (layout, order), the
 * bounded queue (overflow dropped and counted, order kept, a producer and a
 * consumer thread lose nothing but what they count), the reverse flow key
 * (conversation ids) and an event line with a hostile name. */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "digits.h"
#include "event_json.h"
#include "event_queue.h"
#include "flow_table.h"
#include "ip_text.h"
#include "proto.h"
#include "uuid7.h"

static void
test_uuid7(void)
{
    struct hf_uuid7_gen g;
    uint8_t a[16], b[16];
    char s[37];

    hf_uuid7_init(&g);
    hf_uuid7_next(&g, 0x0123456789abULL, a);
    CHECK(memcmp(a, "\x01\x23\x45\x67\x89\xab", 6) == 0, "48-bit milliseconds first");
    CHECK((a[6] >> 4) == 7, "version 7");
    CHECK((a[8] >> 6) == 2, "variant 10");
    hf_uuid_format(a, s);
    CHECK(strlen(s) == 36 && s[8] == '-' && s[13] == '-' && s[14] == '7' && s[18] == '-'
          && s[23] == '-' && strncmp(s, "01234567-89ab-7", 15) == 0, "text form %s", s);

    /* many in one millisecond, then a time that goes back: still ascending */
    bool ascending = true;
    memcpy(b, a, 16);
    for (int i = 0; i < 10000; i++) {
        uint8_t c[16];
        hf_uuid7_next(&g, i == 5000 ? 0x012345678900ULL : 0x0123456789abULL, c);
        if (memcmp(c, b, 16) <= 0)
            ascending = false;
        memcpy(b, c, 16);
    }
    CHECK(ascending, "10000 ids in one ms (and one earlier time) ascend");
    hf_uuid7_next(&g, 0x0123456789ffULL, b);
    CHECK(memcmp(b, "\x01\x23\x45\x67\x89\xff", 6) == 0, "a later ms is used as is");

    struct hf_uuid7_gen g2;
    hf_uuid7_init(&g2);
    hf_uuid7_next(&g2, 0x0123456789abULL, b);
    hf_uuid7_init(&g);
    hf_uuid7_next(&g, 0x0123456789abULL, a);
    CHECK(memcmp(a + 8, b + 8, 8) != 0, "two generators: different random bits");
}

/* The producer's side: the item replaces the spare block it is given. */
static bool
push(struct hf_event_queue *q, char *item)
{
    void **slot = hf_event_queue_reserve(q);

    if (!slot) {
        g_free(item);
        return false;
    }
    g_free(*slot);
    *slot = item;
    hf_event_queue_commit(q);
    return true;
}

static void
test_queue_bounds(void)
{
    struct hf_event_queue *q = hf_event_queue_new(3);
    void *out[8];
    bool empty;

    for (int i = 0; i < 5; i++)
        CHECK(push(q, g_strdup_printf("%d\n", i)) == (i < 3),
              "push %d %s", i, i < 3 ? "fits" : "is dropped");
    CHECK(hf_event_queue_dropped(q) == 2, "2 dropped");
    size_t n = hf_event_queue_take(q, out, 2, &empty);
    CHECK(n == 2 && !empty && !strcmp(out[0], "0\n") && !strcmp(out[1], "1\n"),
          "take 2 of 3 in order");
    CHECK(hf_event_queue_reserve(q) == NULL, "taken but not released: still full");
    hf_event_queue_release(q, n);
    void **slot = hf_event_queue_reserve(q);
    CHECK(slot && *slot == out[0], "released: the oldest block comes back as a spare");
    CHECK(push(q, g_strdup("5\n")), "room again after a release");
    n = hf_event_queue_take(q, out, 8, &empty);
    CHECK(n == 2 && empty && !strcmp(out[0], "2\n") && !strcmp(out[1], "5\n"),
          "the rest in order, across the ring's end");
    hf_event_queue_release(q, n);
    CHECK(push(q, g_strdup("6\n")), "push before close");
    hf_event_queue_close(q);
    CHECK(!push(q, g_strdup("7\n")), "no push after close");
    n = hf_event_queue_take(q, out, 8, &empty);
    CHECK(n == 1 && !strcmp(out[0], "6\n"), "closed: what is left still comes out");
    hf_event_queue_release(q, n);
    CHECK(hf_event_queue_take(q, out, 8, &empty) == 0, "closed and empty: 0");
    CHECK(hf_event_queue_dropped(q) == 4, "4 dropped in all (3 full, 1 closed)");
    hf_event_queue_free(q);    /* frees every block once, leaks none (ASan) */
}

#define THREAD_LINES 200000

struct consumer {
    struct hf_event_queue *q;
    uint64_t got, out_of_order;
};

static void *
consume(void *arg)
{
    struct consumer *c = arg;
    void *out[64];
    bool empty;
    size_t n;
    long last = -1;

    while ((n = hf_event_queue_take(c->q, out, 64, &empty)) > 0) {
        for (size_t i = 0; i < n; i++) {
            long v = strtol(out[i], NULL, 10);
            if (v <= last)
                c->out_of_order++;
            last = v;
            c->got++;
        }
        hf_event_queue_release(c->q, n);
    }
    return NULL;
}

static void
test_queue_threads(void)
{
    struct consumer c = { .q = hf_event_queue_new(256) };
    pthread_t t;
    uint64_t accepted = 0;

    pthread_create(&t, NULL, consume, &c);
    for (long i = 0; i < THREAD_LINES; i++) {
        char *s = g_strdup_printf("%ld\n", i);
        accepted += push(c.q, s);
    }
    hf_event_queue_close(c.q);
    pthread_join(t, NULL);
    uint64_t dropped = hf_event_queue_dropped(c.q);
    CHECK(c.got == accepted, "consumer got every accepted line (%" G_GUINT64_FORMAT ")", c.got);
    CHECK(accepted + dropped == THREAD_LINES, "accepted %" G_GUINT64_FORMAT " + dropped %"
          G_GUINT64_FORMAT " = pushed", accepted, dropped);
    CHECK(c.out_of_order == 0, "in order");
    hf_event_queue_free(c.q);
}

static void
test_reverse_key(void)
{
    struct hf_flow_key k, r;

    memset(&k, 0, sizeof(k));
    k.ip_version = 4;
    memcpy(k.src_addr, "\x0a\x00\x00\x01", 4);
    memcpy(k.dst_addr, "\x0a\x00\x00\x02", 4);
    k.proto = HF_PROTO_TCP;
    k.sport = 40000;
    k.dport = 443;
    CHECK(hf_flow_key_reverse(&k, &r) && r.sport == 443 && r.dport == 40000
          && !memcmp(r.src_addr, k.dst_addr, 16) && !memcmp(r.dst_addr, k.src_addr, 16),
          "TCP: addresses and ports swapped");
    k.proto = HF_PROTO_ICMP;
    k.sport = 0;
    k.dport = 8 << 8;
    CHECK(hf_flow_key_reverse(&k, &r) && r.dport == 0 && r.sport == 0, "echo request -> reply");
    k.dport = 3 << 8 | 1;
    CHECK(!hf_flow_key_reverse(&k, &r), "unreachable: no answering direction");
    k.proto = HF_PROTO_ICMPV6;
    k.dport = 129 << 8;
    CHECK(hf_flow_key_reverse(&k, &r) && r.dport == 128 << 8, "ICMPv6 echo reply -> request");
}

static void
test_json_line(void)
{
    hf_flow_record_t r;
    uint8_t id[16] = { 1 }, conv[16] = { 2 };
    static const char host[] = "evil\"\n\x01\xff.example";
    GString *out = g_string_new(NULL);

    memset(&r, 0, sizeof(r));
    r.ipVersion = 4;
    r.sourceIPv4Address = 0x0a000001;
    r.destinationIPv4Address = 0x0a000002;
    r.protocolIdentifier = HF_PROTO_TCP;
    r.tcpControlBits = 0x14;
    r.flowEndReason = HF_END_EOF;
    r.hostflowHostname.buf = (uint8_t *)host;
    r.hostflowHostname.len = sizeof(host) - 1;
    r.hostflowNameSource = HF_NAME_TLS;
    struct hf_event ev = { .type = HF_EVENT_END, .seq = 7, .time_ms = 1000, .rec = &r,
                           .flow_id = id, .conversation_id = conv, .src_device = "lap\"top" };
    hf_event_json(out, &ev);
    CHECK(out->str[out->len - 1] == '\n' && !memchr(out->str, '\n', out->len - 1),
          "one line: %s", out->str);
    CHECK(strstr(out->str, "\"reason\":\"tcp-rst\"") != NULL, "FIN/RST end with RST: tcp-rst");
    CHECK(strstr(out->str, "\"hostname\":\"evil\\\"\\u000a\\u0001\xef\xbf\xbd.example\"") != NULL,
          "hostile name escaped, invalid byte as U+FFFD");
    CHECK(strstr(out->str, "\"src_device\":\"lap\\\"top\"") != NULL, "device escaped");
    CHECK(strstr(out->str, "\"time\":\"1970-01-01T00:00:01.000Z\"") != NULL, "RFC 3339 UTC");
    CHECK(strstr(out->str, "\"seq\":7") != NULL && strstr(out->str, "\"src_port\":0") != NULL,
          "seq and ports");
    g_string_free(out, TRUE);
}

/* The writer's own address text is inet_ntop's, zero runs and IPv4 tails
 * included: special addresses, then random ones with many zero words. */
static void
test_ip_text(void)
{
    static const char *const special[] = {
        "::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::ffff:0:1.2.3.4",
        "1:0:0:1:0:0:0:1", "1:0:0:0:1:0:0:1", "0:0:1::1", "fe80::1:0:0:1",
        "2001:db8::ff00:42:8329", "1:2:3:4:5:6:7:8", "0:1:2:3:4:5:6:7", "1:2:3:4:5:6:7:0",
        "::2:0:0:0:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::fffe:1.2.3.4",
    };
    uint8_t a[16];
    char want[INET6_ADDRSTRLEN], got[HF_IP_TEXT_MAX + 1];
    unsigned bad = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(special); i++) {
        inet_pton(AF_INET6, special[i], a);
        inet_ntop(AF_INET6, a, want, sizeof(want));
        got[hf_ipv6_text(a, got)] = 0;
        CHECK(!strcmp(got, want), "%s: %s, inet_ntop %s", special[i], got, want);
    }
    GRand *rng = g_rand_new_with_seed(18);
    for (int n = 0; n < 200000; n++) {
        for (int w = 0; w < 8; w++) {
            /* each word zero half the time, else 1 to 4 hex digits */
            uint32_t v = g_rand_boolean(rng) ? 0 : g_rand_int(rng) >> (4 * g_rand_int_range(rng, 0, 4) + 16);
            a[2 * w] = (uint8_t)(v >> 8);
            a[2 * w + 1] = (uint8_t)v;
        }
        inet_ntop(AF_INET6, a, want, sizeof(want));
        got[hf_ipv6_text(a, got)] = 0;
        bad += strcmp(got, want) != 0;
        uint32_t v4 = g_rand_int(rng) >> g_rand_int_range(rng, 0, 32), n4 = htonl(v4);
        inet_ntop(AF_INET, &n4, want, sizeof(want));
        got[hf_ipv4_text(v4, got)] = 0;
        bad += strcmp(got, want) != 0;
    }
    g_rand_free(rng);
    CHECK(bad == 0, "200000 random IPv6 and IPv4 addresses as inet_ntop writes them (%u differ)", bad);
}

/* Numbers two digits at a time are printf's: every power of ten and its
 * neighbours, up to the largest. */
static void
test_u64_text(void)
{
    unsigned bad = 0;
    char want[32], got[32];

    for (uint64_t p = 1;; p *= 10) {
        for (int d = -1; d <= 1; d++) {
            uint64_t v = p + (uint64_t)(int64_t)d;
            g_snprintf(want, sizeof(want), "%" G_GUINT64_FORMAT, v);
            got[hf_u64_text(v, got)] = 0;
            bad += strcmp(got, want) != 0;
        }
        if (p > UINT64_MAX / 10)
            break;
    }
    g_snprintf(want, sizeof(want), "%" G_GUINT64_FORMAT, UINT64_MAX);
    got[hf_u64_text(UINT64_MAX, got)] = 0;
    CHECK(!strcmp(got, want), "UINT64_MAX: %s", got);
    got[hf_u64_text(0, got)] = 0;
    CHECK(!strcmp(got, "0"), "0: %s", got);
    CHECK(bad == 0, "powers of ten and neighbours as printf writes them (%u differ)", bad);
}

/* Times by arithmetic are strftime's: month and year ends, leap days. */
static void
test_json_times(void)
{
    static const uint64_t times_s[] = {
        0, 951782400, 951868799, 951868800, 1709164800, 1709251199, 4107542399,
        4102444799, 4102444800, 1735689599, 1767225600, 253402300799,
    };
    hf_flow_record_t r;
    uint8_t id[16] = { 0 };
    GString *out = g_string_new(NULL);

    memset(&r, 0, sizeof(r));
    r.ipVersion = 4;
    for (size_t i = 0; i < G_N_ELEMENTS(times_s); i++) {
        uint64_t ms = times_s[i] * 1000 + 987;
        time_t t = (time_t)times_s[i];
        struct tm tm;
        char want[64], key[80];
        gmtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
        g_snprintf(key, sizeof(key), "\"time\":\"%s.987Z\"", want);
        struct hf_event ev = { .type = HF_EVENT_START, .seq = 1, .time_ms = ms, .rec = &r,
                               .flow_id = id, .conversation_id = id };
        g_string_truncate(out, 0);
        hf_event_json(out, &ev);
        CHECK(strstr(out->str, key) != NULL, "%s in %s", key, out->str);
    }
    g_string_free(out, TRUE);
}

/* Names far longer than the room made for a line, plain and to escape,
 * appended to a buffer that already holds lines. */
static void
test_json_long_names(void)
{
    hf_flow_record_t r;
    uint8_t id[16] = { 3 };
    GString *out = g_string_new("{\"earlier\":1}\n");
    char *plain = g_strnfill(3000, 'a'), *ctl = g_strnfill(2000, '\x01');

    memset(&r, 0, sizeof(r));
    r.ipVersion = 6;
    r.hostflowHostname.buf = (uint8_t *)plain;
    r.hostflowHostname.len = 3000;
    r.hostflowNameSource = HF_NAME_HTTP;
    r.dnsQueryNtop.buf = (uint8_t *)ctl;
    r.dnsQueryNtop.len = 2000;
    struct hf_event ev = { .type = HF_EVENT_NAME, .seq = 2, .rec = &r, .flow_id = id,
                           .conversation_id = id, .dst_device = plain };
    hf_event_json(out, &ev);
    CHECK(g_str_has_prefix(out->str, "{\"earlier\":1}\n{\"event\":\"name\""), "appended after the earlier line");
    CHECK(out->len == strlen(out->str) && out->str[out->len - 1] == '\n'
          && !memchr(out->str + 14, '\n', out->len - 15), "one whole line");
    char *want = g_strdup_printf("\"hostname\":\"%s\",\"name_source\":\"http\"", plain);
    CHECK(strstr(out->str, want) != NULL, "a 3000-byte name whole");
    g_free(want);
    GString *esc = g_string_new(NULL);
    for (int i = 0; i < 2000; i++)
        g_string_append(esc, "\\u0001");
    want = g_strdup_printf("\"dns_query\":\"%s\"", esc->str);
    CHECK(strstr(out->str, want) != NULL, "2000 control bytes, each escaped to 6");
    CHECK(strstr(out->str, "\"src_addr\":\"::\"") != NULL, "IPv6 unspecified address");
    g_free(want);
    want = g_strdup_printf("\"dst_device\":\"%s\"}\n", plain);
    CHECK(g_str_has_suffix(out->str, want), "device last, the line closed");
    g_free(want);
    g_string_free(esc, TRUE);
    g_free(plain);
    g_free(ctl);
    g_string_free(out, TRUE);
}

int
main(void)
{
    test_uuid7();
    test_queue_bounds();
    test_queue_threads();
    test_reverse_key();
    test_json_line();
    test_ip_text();
    test_u64_text();
    test_json_times();
    test_json_long_names();
    return check_summary();
}
