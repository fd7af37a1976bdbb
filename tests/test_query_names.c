/* Unit tests of query/ (names.h): the Public Suffix List against the PSL
 * project's own test vectors, the merge and ignore lists (shipped and a
 * user's), device names from a [devices] group, an ethers file, dnsmasq
 * and odhcpd lease files written here (malformed lines included), their
 * precedence, and the record helpers.  Needs Debian's publicsuffix package
 * (exit 77 without it). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "check.h"
#include "devices.h"
#include "glob_list.h"
#include "names.h"
#include "psl.h"

static char *tmpdir;

static char *
write_file(const char *name, const char *text, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);

    if (!g_file_set_contents(path, text, (gssize)len, NULL)) {
        printf("cannot write %s\n", path);
        exit(1);
    }
    return path;
}

#define WRITE(name, text) write_file(name, text, sizeof(text) - 1)

static bool
streq(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

#define S(x) ((x) ? (x) : "(null)")

/* ---- the PSL ---- */

/* From the Public Suffix List project's tests/test_psl.txt
 * (https://github.com/publicsuffix/list/blob/main/tests/test_psl.txt;
 * "Any copyright is dedicated to the Public Domain", CC0).
 * checkPublicSuffix(input, registrable domain or null), run with the
 * PRIVATE section on as the project runs them (uk.com is a private rule).
 * The null-input case is the NULL/0 check in test_psl_vectors. */
static const char *const psl_vectors[][2] = {
    /* Mixed case. */
    { "COM", NULL },
    { "example.COM", "example.com" },
    { "WwW.example.COM", "example.com" },
    /* Leading dot. */
    { ".com", NULL },
    { ".example", NULL },
    { ".example.com", NULL },
    { ".example.example", NULL },
    /* Unlisted TLD. */
    { "example", NULL },
    { "example.example", "example.example" },
    { "b.example.example", "example.example" },
    { "a.b.example.example", "example.example" },
    /* TLD with only 1 rule. */
    { "biz", NULL },
    { "domain.biz", "domain.biz" },
    { "b.domain.biz", "domain.biz" },
    { "a.b.domain.biz", "domain.biz" },
    /* TLD with some 2-level rules. */
    { "com", NULL },
    { "example.com", "example.com" },
    { "b.example.com", "example.com" },
    { "a.b.example.com", "example.com" },
    { "uk.com", NULL },
    { "example.uk.com", "example.uk.com" },
    { "b.example.uk.com", "example.uk.com" },
    { "a.b.example.uk.com", "example.uk.com" },
    { "test.ac", "test.ac" },
    /* TLD with only 1 (wildcard) rule. */
    { "mm", NULL },
    { "c.mm", NULL },
    { "b.c.mm", "b.c.mm" },
    { "a.b.c.mm", "b.c.mm" },
    /* More complex TLD. */
    { "jp", NULL },
    { "test.jp", "test.jp" },
    { "www.test.jp", "test.jp" },
    { "ac.jp", NULL },
    { "test.ac.jp", "test.ac.jp" },
    { "www.test.ac.jp", "test.ac.jp" },
    { "kyoto.jp", NULL },
    { "test.kyoto.jp", "test.kyoto.jp" },
    { "ide.kyoto.jp", NULL },
    { "b.ide.kyoto.jp", "b.ide.kyoto.jp" },
    { "a.b.ide.kyoto.jp", "b.ide.kyoto.jp" },
    { "c.kobe.jp", NULL },
    { "b.c.kobe.jp", "b.c.kobe.jp" },
    { "a.b.c.kobe.jp", "b.c.kobe.jp" },
    { "city.kobe.jp", "city.kobe.jp" },
    { "www.city.kobe.jp", "city.kobe.jp" },
    /* TLD with a wildcard rule and exceptions. */
    { "ck", NULL },
    { "test.ck", NULL },
    { "b.test.ck", "b.test.ck" },
    { "a.b.test.ck", "b.test.ck" },
    { "www.ck", "www.ck" },
    { "www.www.ck", "www.ck" },
    /* US K12. */
    { "us", NULL },
    { "test.us", "test.us" },
    { "www.test.us", "test.us" },
    { "ak.us", NULL },
    { "test.ak.us", "test.ak.us" },
    { "www.test.ak.us", "test.ak.us" },
    { "k12.ak.us", NULL },
    { "test.k12.ak.us", "test.k12.ak.us" },
    { "www.test.k12.ak.us", "test.k12.ak.us" },
    /* IDN labels. */
    { "食狮.com.cn", "食狮.com.cn" },
    { "食狮.公司.cn", "食狮.公司.cn" },
    { "www.食狮.公司.cn", "食狮.公司.cn" },
    { "shishi.公司.cn", "shishi.公司.cn" },
    { "公司.cn", NULL },
    { "食狮.中国", "食狮.中国" },
    { "www.食狮.中国", "食狮.中国" },
    { "shishi.中国", "shishi.中国" },
    { "中国", NULL },
    /* Same as above, but punycoded. */
    { "xn--85x722f.com.cn", "xn--85x722f.com.cn" },
    { "xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn" },
    { "www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn" },
    { "shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn" },
    { "xn--55qx5d.cn", NULL },
    { "xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s" },
    { "www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s" },
    { "shishi.xn--fiqs8s", "shishi.xn--fiqs8s" },
    { "xn--fiqs8s", NULL },
};

static void
test_psl_vectors(void)
{
    const char *const none[] = { NULL };
    struct hf_names_config c = { .ethers = none, .psl_private = true };
    GError *err = NULL;
    struct hf_names *n = hf_names_load(&c, &err);
    char buf[256];

    CHECK(n != NULL, "load with private rules: %s", err ? err->message : "ok");
    if (!n)
        exit(check_summary());
    for (size_t i = 0; i < G_N_ELEMENTS(psl_vectors); i++) {
        const char *in = psl_vectors[i][0], *want = psl_vectors[i][1];
        const char *got = hf_names_registrable(n, in, strlen(in), buf, sizeof(buf));

        CHECK(streq(got, want), "PSL %s -> %s (want %s)", in, S(got), S(want));
    }
    CHECK(hf_names_registrable(n, NULL, 0, buf, sizeof(buf)) == NULL, "PSL null input");
    /* private rules on: each customer of a platform is a domain */
    CHECK(streq(hf_names_registrable(n, "a.foo.blogspot.com", 18, buf, sizeof(buf)),
                "foo.blogspot.com"), "private: a.foo.blogspot.com -> %s", buf);
    CHECK(streq(hf_names_registrable(n, "d111.cloudfront.net", 19, buf, sizeof(buf)),
                "d111.cloudfront.net"), "private: d111.cloudfront.net -> %s", buf);
    hf_names_free(n);
}

/* PRIVATE off (the default): platforms are one domain */
static void
test_psl_icann_only(struct hf_names *n)
{
    static const char *const cases[][2] = {
        { "www.example.co.uk", "example.co.uk" },
        { "a.foo.blogspot.com", "blogspot.com" },
        { "d111.cloudfront.net", "cloudfront.net" },
        { "example.uk.com", "uk.com" },     /* uk.com is a PRIVATE rule */
        { "foo.github.io", "github.io" },
        { "www.ck", "www.ck" },
        { "x.y.test.ck", "y.test.ck" },
        { "co.uk", NULL },
        { "a..b.com", NULL },
        { "192.168.1.1", NULL },            /* not a name */
        { "www.example.com.", "example.com" },
    };
    char buf[256];

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *got = hf_names_registrable(n, cases[i][0], strlen(cases[i][0]),
                                               buf, sizeof(buf));

        CHECK(streq(got, cases[i][1]), "ICANN only: %s -> %s (want %s)",
              cases[i][0], S(got), S(cases[i][1]));
    }
}

/* A small list in text: wildcard and exception logic without the file. */
static void
test_psl_parse(void)
{
    static const char text[] =
        "// ===BEGIN ICANN DOMAINS===\n"
        "ck\n*.ck\n!www.ck\n"
        "uk\nco.uk\n"
        "bad*rule.uk   trailing words are ignored\n"
        "// ===END ICANN DOMAINS===\n"
        "// ===BEGIN PRIVATE DOMAINS===\n"
        "blogspot.co.uk\n"
        "// ===END PRIVATE DOMAINS===\n";
    struct hf_psl *icann = hf_psl_parse(text, sizeof(text) - 1, false);
    struct hf_psl *all = hf_psl_parse(text, sizeof(text) - 1, true);

    CHECK(hf_psl_rules(icann) == 5, "ICANN rules %u", hf_psl_rules(icann));
    CHECK(hf_psl_rules(all) == 6, "all rules %u", hf_psl_rules(all));
    CHECK(hf_psl_registrable(icann, "b.ck") == -1, "ck and *.ck: b.ck is a suffix");
    CHECK(hf_psl_registrable(icann, "ck") == -1, "ck is a suffix");
    CHECK(hf_psl_registrable(icann, "a.b.ck") == 0, "a.b.ck is registrable");
    CHECK(hf_psl_registrable(icann, "x.a.b.ck") == 2, "x.a.b.ck -> a.b.ck");
    CHECK(hf_psl_registrable(icann, "www.ck") == 0, "!www.ck -> www.ck");
    CHECK(hf_psl_registrable(icann, "x.blogspot.co.uk") == 2, "ICANN: blogspot.co.uk");
    CHECK(hf_psl_registrable(all, "x.blogspot.co.uk") == 0, "private: x.blogspot.co.uk");
    CHECK(hf_psl_registrable(all, "") == -1, "empty");
    CHECK(hf_psl_registrable(all, "a.") == -1, "empty last label");
    hf_psl_free(icann);
    hf_psl_free(all);
}

/* ---- domains, merge and ignore lists ---- */

static void
expect_domain(const struct hf_names *n, const char *in, const char *want, int line)
{
    char buf[256];
    const char *got = hf_names_domain(n, in, strlen(in), buf, sizeof(buf));

    check_line(streq(got, want), line, "domain(%s) %s -> %s (want %s)",
               n ? "names" : "NULL", in, S(got), S(want));
}
#define DOMAIN(n, in, want) expect_domain(n, in, want, __LINE__)

static void
test_domains_default(struct hf_names *n)
{
    char small[5];

    DOMAIN(n, "www.example.co.uk", "example.co.uk");
    DOMAIN(n, "WWW.Example.COM.", "example.com");
    DOMAIN(n, "scontent-prg1-1.xx.fbcdn.net", "facebook.com");
    DOMAIN(n, "r3---sn-2gb7sn7k.googlevideo.com", "youtube.com");
    DOMAIN(n, "lhr48s27-in-f14.1e100.net", "google.com");
    DOMAIN(n, "ipv4-c001-prg001-ix.1.oca.nflxvideo.net", "netflix.com");
    DOMAIN(n, "pbs.twimg.com", "twitter.com");
    DOMAIN(n, "mmg.whatsapp.net", "whatsapp.com");
    DOMAIN(n, "fbcdn.net", "facebook.com");            /* listed itself */
    DOMAIN(n, "d1x2y3.cloudfront.net", "cloudfront.net");
    DOMAIN(n, "a248.e.akamai.net", "akamai.com");
    DOMAIN(n, "localhost", "localhost");
    DOMAIN(n, "co.uk", "co.uk");
    DOMAIN(n, "192.168.1.1", "192.168.1.1");
    DOMAIN(n, "[2001:DB8::1]:443", "2001:db8::1");
    DOMAIN(n, "2001:db8::1", "2001:db8::1");
    DOMAIN(n, "www.example.com:8080", "example.com");
    DOMAIN(n, "xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn");
    DOMAIN(NULL, "a.b.example.co.uk", "co.uk");
    DOMAIN(NULL, "WWW.Example.COM.", "example.com");
    DOMAIN(NULL, "localhost", "localhost");
    DOMAIN(NULL, "10.1.2.3", "10.1.2.3");
    CHECK(hf_names_domain(n, "", 0, small, sizeof(small)) == NULL, "empty name");
    CHECK(hf_names_domain(n, ".", 1, small, sizeof(small)) == NULL, "\".\"");
    CHECK(streq(hf_names_domain(n, "www.example.org", 15, small, sizeof(small)), "exam"),
          "cut to the buffer: %s", small);
    CHECK(hf_names_domain(n, "x.com", 5, small, 0) == NULL, "no buffer");
    /* not NUL-terminated: only len bytes are read */
    CHECK(streq(hf_names_domain(n, "www.example.comXXXX", 15, small, sizeof(small)), "exam"),
          "len bytes only");

    /* a name longer than any DNS name: itself, cut */
    char *long_name = g_strnfill(3000, 'a');
    char buf[64];
    long_name[1500] = '.';
    CHECK(hf_names_domain(n, long_name, 3000, buf, sizeof(buf)) == buf
          && strlen(buf) == 63, "3000-byte name cut");
    CHECK(!hf_names_ignored(n, long_name, 3000), "3000-byte name not ignored");
    g_free(long_name);
    /* an embedded NUL: no lookups, the bytes as they are */
    CHECK(streq(hf_names_domain(n, "a.fbcdn.net\0x", 13, buf, sizeof(buf)), "a.fbcdn.net"),
          "embedded NUL");

    static const char *const noise[] = {
        "securepubads.g.doubleclick.net", "pagead2.googlesyndication.com",
        "ocsp.digicert.com", "ocsp2.apple.com", "status.ocsp.example.org",
        "OCSP.Example.COM.", "firebase.app-measurement.com",
        "connectivitycheck.gstatic.com", "0.debian.pool.ntp.org",
        "adservice.google.de",
    };
    static const char *const not_noise[] = {
        "www.example.com", "doubleclick.net", "www.youtube.com",
        "notocsp.example.com", "", "192.168.1.1",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(noise); i++)
        CHECK(hf_names_ignored(n, noise[i], strlen(noise[i])), "ignored: %s", noise[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(not_noise); i++)
        CHECK(!hf_names_ignored(n, not_noise[i], strlen(not_noise[i])),
              "not ignored: %s", not_noise[i]);
    CHECK(!hf_names_ignored(NULL, "x.doubleclick.net", 17), "NULL names: not ignored");
}

/* the shipped files in the tree load as the built-in copies do */
static void
test_shipped_files(void)
{
    const char *src = g_getenv("HF_SRC");
    const char *const none[] = { NULL };
    char *merge, *ignore;
    struct hf_names_config c = { .ethers = none };
    struct hf_names *n;
    struct hf_names_stats st;
    GError *err = NULL;

    if (!src) {
        printf("HF_SRC unset: shipped files not checked\n");
        return;
    }
    merge = g_build_filename(src, "query", "lists", "domain-merge.list", NULL);
    ignore = g_build_filename(src, "query", "lists", "domain-ignore.list", NULL);
    c.merge_path = merge;
    c.ignore_path = ignore;
    n = hf_names_load(&c, &err);
    CHECK(n != NULL, "shipped lists load: %s", err ? err->message : "ok");
    if (n) {
        hf_names_stats(n, &st);
        CHECK(st.malformed == 0, "shipped lists: %u malformed lines", st.malformed);
        CHECK(st.merge_entries > 50 && st.ignore_entries > 30,
              "shipped lists: %u merge, %u ignore entries", st.merge_entries,
              st.ignore_entries);
        test_domains_default(n);
        hf_names_free(n);
    }
    g_clear_error(&err);
    g_free(merge);
    g_free(ignore);
}

static void
test_user_lists(void)
{
    char *merge = WRITE("merge.list",
        "# a user's merge list\n"
        "*.example.com          group.example.org\n"
        "*.s.example.com        s-group.example.org   # the longer suffix wins\n"
        "s.example.com          exact.example.org\n"
        "*.fbcdn.net\n"                                /* malformed: no domain */
        "*.a.net  b.net  c.net\n"                     /* malformed: extra word */
        "*.x.net  *.y.net\n"                          /* malformed: wildcard domain */
        "  EXACT.Example.NET.   Other.ORG.  \r\n"
        "cdn?.*                 cdns.example\n"
        "*cdn*                  anycdn.example\n"
        "\n   # just a comment\n");
    char *ignore = WRITE("ignore.list", "ads.*\n*.tracker.example\ntwo words\n");
    const char *const none[] = { NULL };
    struct hf_names_config c = { .ethers = none, .merge_path = merge,
                                 .ignore_path = ignore };
    struct hf_names_stats st;
    GError *err = NULL;
    struct hf_names *n = hf_names_load(&c, &err);

    CHECK(n != NULL, "user lists load: %s", err ? err->message : "ok");
    if (!n)
        return;
    hf_names_stats(n, &st);
    CHECK(st.merge_entries == 6, "user merge entries %u", st.merge_entries);
    CHECK(st.ignore_entries == 2, "user ignore entries %u", st.ignore_entries);
    CHECK(st.malformed == 4, "user lists malformed %u", st.malformed);
    DOMAIN(n, "a.example.com", "group.example.org");
    DOMAIN(n, "a.b.example.com", "group.example.org");
    DOMAIN(n, "example.com", "example.com");           /* "*." needs a label */
    DOMAIN(n, "q.s.example.com", "s-group.example.org");
    DOMAIN(n, "s.example.com", "exact.example.org");
    DOMAIN(n, "Exact.Example.Net", "other.org");
    DOMAIN(n, "x.1e100.net", "1e100.net");             /* default list replaced */
    DOMAIN(n, "cdn7.foo.net", "cdns.example");
    DOMAIN(n, "mycdn.foo.net", "anycdn.example");      /* file order: after cdn?.* */
    CHECK(hf_names_ignored(n, "ads.example.com", 15), "user ignore: ads.*");
    CHECK(hf_names_ignored(n, "a.tracker.example", 17), "user ignore: *.tracker.example");
    CHECK(!hf_names_ignored(n, "x.doubleclick.net", 17), "default ignore list replaced");
    hf_names_free(n);

    /* a list that cannot be read fails the load */
    c.merge_path = "/nonexistent/merge.list";
    n = hf_names_load(&c, &err);
    CHECK(n == NULL && err != NULL, "missing user list: %s", err ? err->message : "loaded");
    g_clear_error(&err);
    c.merge_path = NULL;
    c.psl_path = "/nonexistent/psl.dat";
    n = hf_names_load(&c, &err);
    CHECK(n == NULL && err != NULL, "missing PSL: %s", err ? err->message : "loaded");
    g_clear_error(&err);
    g_free(merge);
    g_free(ignore);
}

static void
test_glob(void)
{
    static const struct { const char *g, *s; bool m; } cases[] = {
        { "*", "", true }, { "*", "abc", true }, { "a*c", "abbbc", true },
        { "a*c", "abcd", false }, { "a?c", "abc", true }, { "a?c", "ac", false },
        { "*.ocsp.*", "x.ocsp.y", true }, { "*.ocsp.*", "ocsp.y", false },
        { "ocsp.*", "ocsp.", true }, { "*a*b*", "xxaxxbxx", true },
        { "*a*b", "abxa", false }, { "**", "x", true }, { "", "", true },
        { "", "x", false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        CHECK(hf_glob_match(cases[i].g, cases[i].s) == cases[i].m,
              "glob %s ~ %s: %d", cases[i].g, cases[i].s, cases[i].m);
}

/* ---- devices ---- */

static uint32_t
v4(const char *s)
{
    struct in_addr a;

    inet_pton(AF_INET, s, &a);
    return ntohl(a.s_addr);
}

static void
v6(const char *s, uint8_t out[16])
{
    inet_pton(AF_INET6, s, out);
}

static void
expect_device(const struct hf_names *n, const char *mac, const char *ip,
              bool src, const char *want, int line)
{
    hf_flow_record_t r;
    uint8_t *m = src ? r.sourceMacAddress : r.destinationMacAddress;
    const char *got;

    memset(&r, 0, sizeof(r));
    if (mac)
        hf_parse_mac(mac, m);
    if (ip && strchr(ip, ':')) {
        r.ipVersion = 6;
        v6(ip, src ? r.sourceIPv6Address : r.destinationIPv6Address);
    } else if (ip) {
        r.ipVersion = 4;
        *(src ? &r.sourceIPv4Address : &r.destinationIPv4Address) = v4(ip);
    }
    /* the other side: something else entirely */
    if (src)
        memcpy(r.destinationMacAddress, "\x02\x00\x00\x00\x00\x01", 6);
    else
        memcpy(r.sourceMacAddress, "\x02\x00\x00\x00\x00\x01", 6);
    got = hf_names_device(n, &r, src);
    check_line(streq(got, want), line, "device %s mac %s ip %s -> %s (want %s)",
               src ? "src" : "dst", S(mac), S(ip), S(got), S(want));
}
#define DEVICE(n, mac, ip, src, want) expect_device(n, mac, ip, src, want, __LINE__)

static const char ethers_text[] =
    "# /etc/ethers\n"
    "00:11:22:33:44:55 ethers-laptop\n"
    "0:1:2:3:4:5\tshort-form\n"
    "aa:bb:cc:dd:ee:ff 192.168.1.9\n"          /* an address: names nothing */
    "garbage\n"                                 /* malformed */
    "11:22:33:44:55:66 ethers-phone   # trailing comment\n"
    "00-16-3E-00-00-07 dashes\n"
    "00:11:22:33:44 short-mac\n";               /* malformed */

static const char dnsmasq_text[] =
    "1700000000 11:22:33:44:55:66 192.168.1.50 lease-phone 01:11:22:33:44:55:66\n"
    "1700000000 22:33:44:55:66:77 192.168.1.51 * *\n"   /* no hostname */
    "1700000000 33:44:55:66:77:88 not-an-ip name *\n"   /* malformed */
    "bogus\n"                                           /* malformed */
    "duid 00:01:00:01:2c:2d:2e:2f:00:11:22:33:44:55\n"
    "1700000000 1234567 2001:db8::50 v6host 00:01:00:01:2c:2d:2e:2f:52:54:00:00:00:50\n"
    "1700000000 T7654 2001:db8::51 v6temp *\n"
    "1700000001 11:22:33:44:55:66 192.168.1.52 lease-phone-2 *\n"  /* later wins */
    "1700000000 44:55:66:77:88:99 192.168.1.53 a\x01" "b *\n"      /* control char */
    "1700000000 1 2 3 4 5 6 7\n";                                  /* malformed */

/* OpenWrt odhcpd's lease file (dhcp.odhcpd.leasefile), as it writes it:
 * DHCPv6 "# IFACE DUID IAID HOSTNAME VALID ID LEN ADDR/LEN..." and DHCPv4
 * "# IFACE MAC ipv4 HOSTNAME VALID ID 32 ADDR/32" (older versions write
 * the MAC as 12 hex digits). */
static const char odhcpd_text[] =
    "# br-lan 000100012a2b3c4d525400000200 5b6c7d8e odhcp-pc 1700000000 200 128 "
        "2001:db8::200/128 2001:db8::201/128\n"
    "# br-lan 00030001525400000300 1 router-pd 1700000000 1 56 2001:db8:100::/56\n"
    "# br-lan 0:aa:bb:cc:dd:1 ipv4 odhcp-tv 1700000000 c0a80164 32 192.168.1.100/32\n"
    "# br-lan 00aabbccdd02 ipv4 - 1700000000 c0a80165 32 192.168.1.101/32\n"
    "# br-lan 00aabbccdd03 ipv4 broken\\x20bad 1700000000 c0a80166 32 192.168.1.102/32\n"
    "# br-lan 00aabbccdd04 ipv4 old-format 1700000000 c0a80167 32 192.168.1.103/32\n"
    "# short line\n"                                                /* malformed */
    "# br-lan zz:zz ipv4 x 1700000000 1 32 192.168.1.104/32\n"      /* malformed */
    "# br-lan 0001 1 y 1700000000 1 128 not-an-address/128\n";      /* malformed */

static void
test_devices(void)
{
    char *ethers = write_file("ethers", ethers_text, sizeof(ethers_text) - 1);
    char *dnsmasq = write_file("dnsmasq.leases", dnsmasq_text, sizeof(dnsmasq_text) - 1);
    char *odhcpd = write_file("odhcpd.leases", odhcpd_text, sizeof(odhcpd_text) - 1);
    /* hostile bytes: NULs, no newline at the end, a very long line */
    GString *hostile = g_string_new("1700000000 66:55:44:33:22:11 192.168.1.60 nul");
    g_string_append_len(hostile, "\0name *\n", 8);
    for (int i = 0; i < 5000; i++)
        g_string_append(hostile, "# x");
    g_string_append_len(hostile, "\n\xff\xfe\x00\x01 \n# br-lan", 15);
    char *garbage = write_file("hostile.leases", hostile->str, hostile->len);
    char *missing = g_build_filename(tmpdir, "no-such.leases", NULL);
    const char *const ethers_list[] = { ethers, NULL };
    const char *const leases[] = { dnsmasq, odhcpd, garbage, missing, NULL };
    GKeyFile *kf = g_key_file_new();
    static const char conf[] =
        "[devices]\n"
        "laptop = 00:11:22:33:44:55\n"
        "printer = 192.168.1.20\n"
        "nas = 192.168.1.30; 2001:db8::30 ;00:aa:bb:cc:dd:01\n"
        "phone-cfg = 192.168.1.50\n"
        "broken = not-an-address\n"
        "[other]\n"
        "ignored = 00:99:99:99:99:99\n";
    struct hf_names_config c = { .ethers = ethers_list, .leases = leases, .config = kf };
    struct hf_names_stats st;
    GError *err = NULL;
    struct hf_names *n;

    g_key_file_load_from_data(kf, conf, sizeof(conf) - 1, G_KEY_FILE_NONE, NULL);
    n = hf_names_load(&c, &err);
    CHECK(n != NULL, "devices load: %s", err ? err->message : "ok");
    if (!n)
        goto out;
    hf_names_stats(n, &st);
    /* ethers 2, dnsmasq 3, odhcpd 3, hostile 3 (two lines with a NUL, one
     * cut short), [devices] 1 */
    CHECK(st.malformed == 12, "malformed lines %u", st.malformed);
    CHECK(st.missing == 1, "missing lease files %u", st.missing);

    /* config over leases over ethers */
    DEVICE(n, "00:11:22:33:44:55", "10.0.0.1", true, "laptop");
    DEVICE(n, "11:22:33:44:55:66", NULL, true, "lease-phone-2");
    DEVICE(n, "00:01:02:03:04:05", NULL, true, "short-form");
    DEVICE(n, "00:16:3e:00:00:07", NULL, false, "dashes");
    DEVICE(n, "aa:bb:cc:dd:ee:ff", NULL, true, NULL);
    DEVICE(n, "00:99:99:99:99:99", NULL, true, NULL);  /* not [devices] */
    DEVICE(n, NULL, "192.168.1.50", true, "phone-cfg");
    DEVICE(n, NULL, "192.168.1.52", false, "lease-phone-2");
    DEVICE(n, NULL, "192.168.1.51", true, NULL);
    DEVICE(n, NULL, "192.168.1.53", true, NULL);
    DEVICE(n, NULL, "192.168.1.20", true, "printer");
    DEVICE(n, NULL, "192.168.1.30", false, "nas");
    DEVICE(n, NULL, "2001:db8::30", true, "nas");
    DEVICE(n, NULL, "2001:db8::50", false, "v6host");
    DEVICE(n, NULL, "2001:db8::51", true, "v6temp");
    DEVICE(n, NULL, "2001:db8::201", true, "odhcp-pc");
    DEVICE(n, NULL, "2001:db8:100::", true, NULL);     /* a delegated prefix */
    DEVICE(n, NULL, "192.168.1.100", true, "odhcp-tv");
    DEVICE(n, "00:aa:bb:cc:dd:01", NULL, true, "nas");  /* config over odhcpd */
    DEVICE(n, "00:aa:bb:cc:dd:04", NULL, true, "old-format");
    DEVICE(n, NULL, "192.168.1.101", true, NULL);
    DEVICE(n, NULL, "192.168.1.102", true, NULL);
    DEVICE(n, NULL, "192.168.1.60", true, NULL);       /* a NUL in the line */
    /* an unknown MAC falls back to the IP; an all-zero MAC is no MAC */
    DEVICE(n, "02:42:ac:11:00:02", "192.168.1.20", true, "printer");
    DEVICE(n, "00:00:00:00:00:00", "2001:db8::50", false, "v6host");
    DEVICE(n, NULL, NULL, true, NULL);
    /* ipVersion 0 (NetFlow v5): the address that is set */
    {
        hf_flow_record_t r;

        memset(&r, 0, sizeof(r));
        r.sourceIPv4Address = v4("192.168.1.20");
        CHECK(streq(hf_names_device(n, &r, true), "printer"), "ipVersion 0, IPv4");
        memset(&r, 0, sizeof(r));
        v6("2001:db8::30", r.destinationIPv6Address);
        CHECK(streq(hf_names_device(n, &r, false), "nas"), "ipVersion 0, IPv6");
        CHECK(hf_names_device(NULL, &r, false) == NULL, "NULL names: no device");
    }
    hf_names_free(n);

    /* without the config: the leases win over ethers */
    c.config = NULL;
    n = hf_names_load(&c, &err);
    CHECK(n != NULL, "devices without config: %s", err ? err->message : "ok");
    if (n) {
        DEVICE(n, "00:11:22:33:44:55", NULL, true, "ethers-laptop");
        DEVICE(n, "00:aa:bb:cc:dd:01", NULL, true, "odhcp-tv");
        DEVICE(n, NULL, "192.168.1.50", true, "lease-phone");
        hf_names_free(n);
    }

    /* devices alone (the probe's events without --match): the same
     * devices, the PSL not read (a path that does not exist is no error),
     * domains as with no names, nothing ignored */
    c.config = kf;
    c.devices_only = true;
    c.psl_path = "/nonexistent/public_suffix_list.dat";
    n = hf_names_load(&c, &err);
    CHECK(n != NULL, "devices only, no PSL read: %s", err ? err->message : "ok");
    if (n) {
        char buf[64];
        DEVICE(n, "00:11:22:33:44:55", "10.0.0.1", true, "laptop");
        DEVICE(n, NULL, "2001:db8::201", true, "odhcp-pc");
        hf_names_stats(n, &st);
        CHECK(st.psl_rules == 0 && st.merge_entries == 0 && st.ignore_entries == 0,
              "devices only: no rules, no lists");
        CHECK(streq(hf_names_domain(n, "www.example.co.uk", 17, buf, sizeof(buf)),
                    hf_names_domain(NULL, "www.example.co.uk", 17, buf + 32, 32)),
              "devices only: domain as without names (%s)", buf);
        CHECK(hf_names_registrable(n, "www.example.com", 15, buf, sizeof(buf)) == NULL,
              "devices only: no registrable domain");
        CHECK(!hf_names_ignored(n, "doubleclick.net", 15), "devices only: nothing ignored");
        hf_names_free(n);
    }
out:
    g_clear_error(&err);
    g_key_file_free(kf);
    g_string_free(hostile, TRUE);
    g_free(ethers);
    g_free(dnsmasq);
    g_free(odhcpd);
    g_free(garbage);
    g_free(missing);
}

static void
test_mac_parse(void)
{
    uint8_t m[6];

    CHECK(hf_parse_mac("00:11:22:33:44:55", m) && m[5] == 0x55, "colons");
    CHECK(hf_parse_mac("0:1:a:B:c:d", m) && m[3] == 0x0b, "ether_ntoa form");
    CHECK(hf_parse_mac("001122AABBCC", m) && m[5] == 0xcc, "12 hex digits");
    CHECK(!hf_parse_mac("00:11:22:33:44:55:66", m), "7 octets");
    CHECK(!hf_parse_mac("00:11:22:33:44:5g", m), "bad digit");
    CHECK(!hf_parse_mac("000:11:22:33:44:55", m), "3 digits");
    CHECK(!hf_parse_mac("", m), "empty");
}

static void
set_var(fbVarfield_t *v, const char *s)
{
    v->buf = (uint8_t *)s;
    v->len = strlen(s);
}

static void
test_record_hostname(void)
{
    hf_flow_record_t r;
    size_t len = 99;
    const char *h;

    memset(&r, 0, sizeof(r));
    CHECK(hf_record_hostname(&r, &len) == NULL && len == 0, "no name");
    set_var(&r.dnsQueryNtop, "dns.example");
    h = hf_record_hostname(&r, &len);
    CHECK(h && len == 11 && !memcmp(h, "dns.example", len), "DNS query");
    set_var(&r.sslServerNameNtop, "sni.example");
    h = hf_record_hostname(&r, &len);
    CHECK(h && len == 11 && !memcmp(h, "sni.example", len), "SNI before DNS");
    set_var(&r.httpRequestHost, "http.example");
    h = hf_record_hostname(&r, &len);
    CHECK(h && len == 12 && !memcmp(h, "http.example", len), "HTTP before SNI");
    set_var(&r.hostflowHostname, "ours.example");
    h = hf_record_hostname(&r, &len);
    CHECK(h == (const char *)r.hostflowHostname.buf && len == 12, "ours first");
}

int
main(void)
{
    const char *const none[] = { NULL };
    struct hf_names_config c = { .ethers = none };
    struct hf_names *n;
    GError *err = NULL;

    if (access(HF_PSL_DEFAULT_PATH, R_OK) != 0) {
        printf("SKIP: %s missing (Debian package publicsuffix)\n", HF_PSL_DEFAULT_PATH);
        return 77;
    }
    tmpdir = g_dir_make_tmp("hf-query-names-XXXXXX", NULL);
    if (!tmpdir)
        return 1;

    test_psl_vectors();
    test_psl_parse();
    test_glob();
    test_mac_parse();
    test_record_hostname();

    /* defaults: the built-in (or installed) lists, ICANN rules only */
    n = hf_names_load(&c, &err);
    CHECK(n != NULL, "default load: %s", err ? err->message : "ok");
    if (n) {
        struct hf_names_stats st;

        hf_names_stats(n, &st);
        CHECK(st.psl_rules > 5000, "PSL rules %u", st.psl_rules);
        test_psl_icann_only(n);
        test_domains_default(n);
        hf_names_free(n);
    }
    g_clear_error(&err);
    test_shipped_files();
    test_user_lists();
    test_devices();

    /* leave no files behind */
    GDir *d = g_dir_open(tmpdir, 0, NULL);
    for (const char *f; d && (f = g_dir_read_name(d));) {
        char *p = g_build_filename(tmpdir, f, NULL);
        if (!g_getenv("HF_KEEP"))
            g_unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    if (!g_getenv("HF_KEEP")) g_rmdir(tmpdir);
    g_free(tmpdir);
    return check_summary();
}
