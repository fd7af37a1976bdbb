/* Unit tests of the live events' parts: UUIDv7 ids (layout, order), the
 * bounded queue (overflow dropped and counted, order kept, a producer and a
 * consumer thread lose nothing but what they count), the reverse flow key
 * (conversation ids) and an event line with a hostile name. */
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>
#include <string.h>
#include <glib.h>

#include "app_label.h"
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

/* Queue items in these tests: a number, and whether the block is new. */
struct item {
    long v;
    bool used;               /* false: a block the queue just made (zeroed) */
};

static unsigned made, done_calls;

static bool
push(struct hf_event_queue *q, long v)
{
    struct item *it = hf_event_queue_reserve(q);

    if (!it)
        return false;
    made += !it->used;
    it->used = true;
    it->v = v;
    hf_event_queue_commit(q);
    return true;
}

static void
item_done(void *item)
{
    done_calls += ((struct item *)item)->used;
}

static long
value(void *item)
{
    return ((struct item *)item)->v;
}

static void
test_queue_bounds(void)
{
    struct hf_event_queue *q = hf_event_queue_new(3, sizeof(struct item));
    void *out[8];
    bool empty;

    made = done_calls = 0;
    for (int i = 0; i < 5; i++)
        CHECK(push(q, i) == (i < 3), "push %d %s", i, i < 3 ? "fits" : "is dropped");
    CHECK(hf_event_queue_dropped(q) == 2, "2 dropped");
    hf_event_queue_publish(q);
    size_t n = hf_event_queue_take(q, out, 2, &empty);
    CHECK(n == 2 && !empty && value(out[0]) == 0 && value(out[1]) == 1,
          "take 2 of 3 in order");
    CHECK(hf_event_queue_reserve(q) == NULL, "taken but not released: still full");
    hf_event_queue_release(q, n);
    struct item *spare = hf_event_queue_reserve(q);
    CHECK(spare == out[0] && spare->used && spare->v == 0,
          "released: the oldest block comes back as a spare, as it was left");
    CHECK(push(q, 5), "room again after a release");
    hf_event_queue_publish(q);
    n = hf_event_queue_take(q, out, 8, &empty);
    CHECK(n == 2 && empty && value(out[0]) == 2 && value(out[1]) == 5,
          "the rest in order, across the ring's end");
    hf_event_queue_release(q, n);
    CHECK(push(q, 6), "push before close");
    hf_event_queue_close(q);
    CHECK(!push(q, 7), "no push after close");
    n = hf_event_queue_take(q, out, 8, &empty);
    CHECK(n == 1 && value(out[0]) == 6, "closed: what was committed is published and comes out");
    hf_event_queue_release(q, n);
    CHECK(hf_event_queue_take(q, out, 8, &empty) == 0, "closed and empty: 0");
    CHECK(hf_event_queue_dropped(q) == 4, "4 dropped in all (3 full, 1 closed)");
    CHECK(made == 3, "3 blocks made for 5 items (%u)", made);
    hf_event_queue_free(q, item_done);    /* frees every block once, leaks none (ASan) */
    CHECK(done_calls == made, "every block handed to done once (%u of %u)", done_calls, made);
}

/* A small queue publishes in batches smaller than itself (a batch larger
 * than the ring would hold events back while capture drops): 3 items of an
 * 8-place queue reach the consumer without a publish. */
static void *
take_once(void *arg)
{
    void *out[8];
    bool empty;
    struct hf_event_queue *q = arg;
    size_t n = hf_event_queue_take(q, out, 8, &empty);

    hf_event_queue_release(q, n);
    return (void *)(uintptr_t)n;
}

static void
test_queue_small_batches(void)
{
    struct hf_event_queue *q = hf_event_queue_new(8, sizeof(struct item));
    struct timespec until;
    pthread_t t;
    void *got = NULL;

    for (int i = 0; i < 3; i++)
        push(q, i);
    pthread_create(&t, NULL, take_once, q);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    bool in_time = pthread_timedjoin_np(t, &got, &until) == 0;
    CHECK(in_time && (uintptr_t)got == 3, "8 places: 3 items published by themselves (%s)",
          in_time ? "taken" : "not within 5 s");
    if (!in_time) {
        hf_event_queue_close(q);     /* lets the consumer go */
        pthread_join(t, NULL);
    }
    hf_event_queue_free(q, NULL);
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
            long v = value(out[i]);
            if (v <= last)
                c->out_of_order++;
            last = v;
            c->got++;
        }
        hf_event_queue_release(c->q, n);
    }
    return NULL;
}

/* Items are published in batches of their own and when asked (here every
 * 1000 items, as capture does after a batch of packets). */
static void
test_queue_threads(void)
{
    struct consumer c = { .q = hf_event_queue_new(256, sizeof(struct item)) };
    pthread_t t;
    uint64_t accepted = 0;

    pthread_create(&t, NULL, consume, &c);
    for (long i = 0; i < THREAD_LINES; i++) {
        accepted += push(c.q, i);
        if (i % 1000 == 999)
            hf_event_queue_publish(c.q);
    }
    hf_event_queue_close(c.q);
    pthread_join(t, NULL);
    uint64_t dropped = hf_event_queue_dropped(c.q);
    CHECK(c.got == accepted, "consumer got every accepted item (%" G_GUINT64_FORMAT ")", c.got);
    CHECK(accepted + dropped == THREAD_LINES, "accepted %" G_GUINT64_FORMAT " + dropped %"
          G_GUINT64_FORMAT " = pushed", accepted, dropped);
    CHECK(c.out_of_order == 0, "in order");
    hf_event_queue_free(c.q, NULL);
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

/* A name as the pool holds one, made here so it may be anything (the pool
 * lower-cases and stops at 255 bytes). */
static struct hf_name *
test_name(const char *str, size_t len)
{
    struct hf_name *n = g_malloc(sizeof(*n) + len + 1);

    n->refs = 1;
    n->len = (uint16_t)len;
    memcpy(n->str, str, len);
    n->str[len] = 0;
    return n;
}

static void
test_json_line(void)
{
    static const char host[] = "evil\"\n\x01\xff.example";
    GString *out = g_string_new(NULL);
    struct hf_event ev = {
        .type = HF_EVENT_END, .seq = 7, .time_ms = 1000, .ip_version = 4,
        .src_addr = { 10, 0, 0, 1 }, .dst_addr = { 10, 0, 0, 2 }, .protocol = HF_PROTO_TCP,
        .tcp_flags = 0x14, .end_reason = HF_END_EOF, .flow_id = { 1 }, .conversation_id = { 2 },
        .app = test_name(host, sizeof(host) - 1), .name_source = HF_NAME_TLS,
        .app_label = HF_APP_TLS,
    };

    hf_event_json(out, &ev, "lap\"top", NULL, NULL);
    CHECK(out->str[out->len - 1] == '\n' && !memchr(out->str, '\n', out->len - 1),
          "one line: %s", out->str);
    CHECK(strstr(out->str, "\"reason\":\"tcp-rst\"") != NULL, "FIN/RST end with RST: tcp-rst");
    CHECK(strstr(out->str, "\"hostname\":\"evil\\\"\\u000a\\u0001\xef\xbf\xbd.example\"") != NULL,
          "hostile name escaped, invalid byte as U+FFFD");
    CHECK(strstr(out->str, "\"name_source\":\"tls\"") && strstr(out->str, "\"app\":\"tls\""),
          "name source and application label");
    CHECK(strstr(out->str, "\"src_device\":\"lap\\\"top\"") != NULL
          && !strstr(out->str, "dst_device"), "device escaped, an unknown one left out");
    CHECK(strstr(out->str, "\"time\":\"1970-01-01T00:00:01.000Z\"") != NULL, "RFC 3339 UTC");
    CHECK(strstr(out->str, "\"seq\":7") != NULL && strstr(out->str, "\"src_port\":0") != NULL,
          "seq and ports");
    CHECK(strstr(out->str, "\"src_addr\":\"10.0.0.1\",\"dst_addr\":\"10.0.0.2\"") != NULL,
          "IPv4 addresses from the first 4 bytes");
    g_free(ev.app);

    /* a state event: its state by name; ICMP: type and code, no ports */
    struct hf_event st = { .type = HF_EVENT_STATE, .state = HF_STATE_ESTABLISHED, .seq = 8,
                           .ip_version = 4, .protocol = HF_PROTO_TCP };
    g_string_truncate(out, 0);
    hf_event_json(out, &st, NULL, NULL, NULL);
    CHECK(strstr(out->str, "\"state\":\"established\"") && !strstr(out->str, "\"app\""),
          "state established, no app without a label: %s", out->str);
    struct hf_event icmp = { .type = HF_EVENT_START, .ip_version = 4, .protocol = HF_PROTO_ICMP,
                             .icmp_type_code = 3 << 8 | 1, .src_port = 9 };
    g_string_truncate(out, 0);
    hf_event_json(out, &icmp, NULL, NULL, NULL);
    CHECK(strstr(out->str, "\"icmp_type\":3,\"icmp_code\":1") && !strstr(out->str, "src_port")
          && !strstr(out->str, "tcp_flags"), "ICMP type and code: %s", out->str);
    g_string_free(out, TRUE);
}

/* Lines made with the text cache are the lines made without it: events of
 * 700 flows (IPv4 and IPv6, TCP, UDP and ICMP, with and without MACs) in
 * random order, more flows than the cache has slots, and ids that pick
 * the same slot. */
static void
test_json_cache(void)
{
    enum { FLOWS = 700, EVENTS = 20000 };
    static struct hf_event flows[FLOWS];
    static const uint8_t protos[] = { HF_PROTO_TCP, HF_PROTO_UDP, HF_PROTO_ICMP, HF_PROTO_ICMPV6 };
    GRand *rng = g_rand_new_with_seed(1812);
    struct hf_event_text_cache *cache = hf_event_text_cache_new();
    GString *plain = g_string_new(NULL), *cached = g_string_new(NULL);
    unsigned differ = 0;

    for (int i = 0; i < FLOWS; i++) {
        struct hf_event *f = &flows[i];
        for (int b = 0; b < 16; b++) {
            f->flow_id[b] = (uint8_t)g_rand_int(rng);
            f->conversation_id[b] = (uint8_t)g_rand_int(rng);
            f->src_addr[b] = (uint8_t)g_rand_int_range(rng, 0, 3);   /* zero runs */
            f->dst_addr[b] = (uint8_t)g_rand_int(rng);
        }
        if (i % 7 == 1)      /* the same slot as the flow before it */
            memcpy(f->flow_id + 12, flows[i - 1].flow_id + 12, 4);
        f->ip_version = g_rand_boolean(rng) ? 4 : 6;
        f->protocol = protos[g_rand_int_range(rng, 0, 4)];
        f->src_port = (uint16_t)g_rand_int(rng);
        f->dst_port = (uint16_t)g_rand_int_range(rng, 0, 1024);
        f->icmp_type_code = (uint16_t)g_rand_int(rng);
        f->vlan = (uint16_t)g_rand_int_range(rng, 0, 4096);
        f->interface = g_rand_int(rng);
        if (g_rand_boolean(rng)) {
            for (int b = 0; b < 6; b++) {
                f->src_mac[b] = (uint8_t)g_rand_int(rng);
                f->dst_mac[b] = (uint8_t)g_rand_int(rng);
            }
        }
    }
    for (int n = 0; n < EVENTS; n++) {
        struct hf_event ev = flows[g_rand_int_range(rng, 0, n < EVENTS / 2 ? 40 : FLOWS)];
        ev.type = (uint8_t)g_rand_int_range(rng, 0, 4);
        ev.state = (uint8_t)g_rand_int_range(rng, 0, 5);
        ev.end_reason = HF_END_IDLE;
        ev.seq = (uint64_t)n + 1;
        ev.time_ms = 1700000000000ULL + (uint64_t)g_rand_int(rng);
        ev.first_ms = ev.last_ms = ev.time_ms;
        ev.tcp_flags = (uint8_t)g_rand_int(rng);
        ev.packets = g_rand_int(rng);
        g_string_truncate(plain, 0);
        g_string_truncate(cached, 0);
        hf_event_json(plain, &ev, NULL, NULL, NULL);
        hf_event_json(cached, &ev, NULL, NULL, cache);
        differ += !g_string_equal(plain, cached);
    }
    CHECK(differ == 0, "20000 lines of 700 flows the same with and without the text cache "
          "(%u differ)", differ);
    hf_event_text_cache_free(cache);
    g_string_free(plain, TRUE);
    g_string_free(cached, TRUE);
    g_rand_free(rng);
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
    CHECK(bad == 0, "powers of ten and neighbours as printf writes them (%u differ)", bad);
    /* the digit count comes from the bit length: every bit length's ends,
     * then random numbers of every length */
    bad = 0;
    for (int k = 1; k < 64; k++) {
        for (int d = -1; d <= 1; d++) {
            uint64_t v = (1ULL << k) + (uint64_t)(int64_t)d;
            g_snprintf(want, sizeof(want), "%" G_GUINT64_FORMAT, v);
            got[hf_u64_text(v, got)] = 0;
            bad += strcmp(got, want) != 0;
        }
    }
    GRand *rng = g_rand_new_with_seed(64);
    for (int i = 0; i < 200000; i++) {
        uint64_t v = ((uint64_t)g_rand_int(rng) << 32 | g_rand_int(rng)) >> g_rand_int_range(rng, 0, 64);
        g_snprintf(want, sizeof(want), "%" G_GUINT64_FORMAT, v);
        got[hf_u64_text(v, got)] = 0;
        bad += strcmp(got, want) != 0;
    }
    g_rand_free(rng);
    CHECK(bad == 0, "powers of two and neighbours, 200000 random numbers (%u differ)", bad);
    g_snprintf(want, sizeof(want), "%" G_GUINT64_FORMAT, UINT64_MAX);
    got[hf_u64_text(UINT64_MAX, got)] = 0;
    CHECK(!strcmp(got, want), "UINT64_MAX: %s", got);
    got[hf_u64_text(0, got)] = 0;
    CHECK(!strcmp(got, "0"), "0: %s", got);
}

/* Times by arithmetic are strftime's: month and year ends, leap days. */
static void
test_json_times(void)
{
    static const uint64_t times_s[] = {
        0, 951782400, 951868799, 951868800, 1709164800, 1709251199, 4107542399,
        4102444799, 4102444800, 1735689599, 1767225600, 253402300799,
    };
    GString *out = g_string_new(NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(times_s); i++) {
        uint64_t ms = times_s[i] * 1000 + 987;
        time_t t = (time_t)times_s[i];
        struct tm tm;
        char want[64], key[80];
        gmtime_r(&t, &tm);
        strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
        g_snprintf(key, sizeof(key), "\"time\":\"%s.987Z\"", want);
        struct hf_event ev = { .type = HF_EVENT_START, .seq = 1, .time_ms = ms, .ip_version = 4 };
        g_string_truncate(out, 0);
        hf_event_json(out, &ev, NULL, NULL, NULL);
        CHECK(strstr(out->str, key) != NULL, "%s in %s", key, out->str);
    }
    g_string_free(out, TRUE);
}

/* Names far longer than the room made for a line, plain and to escape,
 * appended to a buffer that already holds lines. */
static void
test_json_long_names(void)
{
    GString *out = g_string_new("{\"earlier\":1}\n");
    char *plain = g_strnfill(3000, 'a'), *ctl = g_strnfill(2000, '\x01');
    struct hf_event ev = { .type = HF_EVENT_NAME, .seq = 2, .flow_id = { 3 },
                           .conversation_id = { 3 }, .ip_version = 6,
                           .app = test_name(plain, 3000), .name_source = HF_NAME_HTTP,
                           .query = test_name(ctl, 2000) };

    hf_event_json(out, &ev, NULL, plain, NULL);
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
    g_free(ev.app);
    g_free(ev.query);
    g_free(plain);
    g_free(ctl);
    g_string_free(out, TRUE);
}

int
main(void)
{
    test_uuid7();
    test_queue_bounds();
    test_queue_small_batches();
    test_queue_threads();
    test_reverse_key();
    test_json_line();
    test_json_cache();
    test_ip_text();
    test_u64_text();
    test_json_times();
    test_json_long_names();
    return check_summary();
}
