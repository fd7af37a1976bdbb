/* TLS SNI and HTTP Host parsers over handcrafted ClientHellos and requests.
 * One line per check; exit status 0 when all pass.  Every parse runs on a
 * heap copy of exactly the bytes given, so AddressSanitizer (when built
 * with it) sees any read past len. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_parse.h"
#include "check.h"

typedef enum hf_parse_status (*parse_fn)(const uint8_t *, size_t,
                                         char[HF_NAME_MAX]);

static const char *status_name(enum hf_parse_status st)
{
    switch (st) {
    case HF_PARSE_NOT_MINE: return "NOT_MINE";
    case HF_PARSE_MORE: return "MORE";
    case HF_PARSE_NAME: return "NAME";
    case HF_PARSE_NO_NAME: return "NO_NAME";
    }
    return "?";
}

/* Runs fn on an exact-size heap copy; a NAME must be a NUL-ended string. */
static enum hf_parse_status run(parse_fn fn, const uint8_t *p, size_t len,
                                char name[HF_NAME_MAX])
{
    uint8_t *copy = malloc(len ? len : 1);

    if (len)
        memcpy(copy, p, len);
    memset(name, 0x5a, HF_NAME_MAX);
    enum hf_parse_status st = fn(len ? copy : NULL, len, name);
    free(copy);
    if (st == HF_PARSE_NAME && !memchr(name, 0, HF_NAME_MAX)) {
        name[0] = '\0';
        return HF_PARSE_NOT_MINE;       /* unterminated: fails the check */
    }
    return st;
}

/* fn on all of p gives want (and name, for NAME). */
static void expect(int line, parse_fn fn, const void *p, size_t len,
                   enum hf_parse_status want, const char *want_name,
                   const char *what)
{
    char name[HF_NAME_MAX];
    enum hf_parse_status st = run(fn, p, len, name);
    bool ok = st == want && (want != HF_PARSE_NAME || !strcmp(name, want_name));

    check_line(ok, line, "%s: %s%s%s (want %s %s)", what, status_name(st),
               st == HF_PARSE_NAME ? " " : "",
               st == HF_PARSE_NAME ? name : "", status_name(want),
               want_name ? want_name : "");
}

/* Every prefix shorter than complete gives MORE, every longer one (up to
 * len) the answer of all of it. */
static void expect_prefixes(int line, parse_fn fn, const uint8_t *p,
                            size_t len, size_t complete,
                            enum hf_parse_status want, const char *want_name,
                            const char *what)
{
    char name[HF_NAME_MAX];
    size_t bad = (size_t)-1;

    for (size_t k = 0; k <= len && bad == (size_t)-1; k++) {
        enum hf_parse_status st = run(fn, p, k, name);
        if (k < complete ? st != HF_PARSE_MORE
                         : st != want || (want == HF_PARSE_NAME &&
                                          strcmp(name, want_name)))
            bad = k;
    }
    check_line(bad == (size_t)-1, line,
               "%s: every prefix of %zu (first bad %zd)", what, len,
               (ssize_t)bad);
}

#define EXPECT(fn, p, len, want, nm, what) \
    expect(__LINE__, fn, p, len, want, nm, what)
#define EXPECT_PREFIXES(fn, p, len, complete, want, nm, what) \
    expect_prefixes(__LINE__, fn, p, len, complete, want, nm, what)

/* ---- building ClientHellos ---------------------------------------------- */

struct buf {
    uint8_t b[40000];
    uint32_t len;
};

static void put8(struct buf *f, uint8_t v) { f->b[f->len++] = v; }

static void put16(struct buf *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}

static void put_bytes(struct buf *f, const void *p, uint32_t n)
{
    memcpy(f->b + f->len, p, n);
    f->len += n;
}

/* Patch a big-endian length of width bytes at off to cover up to the end. */
static void patch_len(struct buf *f, uint32_t off, int width)
{
    uint32_t n = f->len - off - (uint32_t)width;

    for (int i = width - 1; i >= 0; i--, n >>= 8)
        f->b[off + (uint32_t)i] = (uint8_t)n;
}

struct hello_opts {
    const char *sni;            /* NULL: no server_name extension */
    bool no_extensions;         /* TLS 1.0 style: nothing after compression */
    bool ech;                   /* add an encrypted_client_hello extension */
    bool other_name_type_first; /* a non-host_name entry before it */
    uint32_t padding;           /* a padding extension of this size */
    uint32_t sni_len;           /* if nonzero: name length (repeat 'a') */
};

/* A ClientHello handshake message (4-byte header included). */
static void build_hello(struct buf *hs, const struct hello_opts *o)
{
    hs->len = 0;
    put8(hs, 1);
    put8(hs, 0), put16(hs, 0);                  /* length, patched */
    put16(hs, 0x0303);
    for (int i = 0; i < 32; i++)
        put8(hs, (uint8_t)(0x11 * i));
    put8(hs, 32);
    for (int i = 0; i < 32; i++)
        put8(hs, (uint8_t)i);
    put16(hs, 6), put16(hs, 0x1301), put16(hs, 0x1302), put16(hs, 0xc02f);
    put8(hs, 1), put8(hs, 0);
    if (o->no_extensions) {
        patch_len(hs, 1, 3);
        return;
    }
    uint32_t exts = hs->len;
    put16(hs, 0);
    put16(hs, 0x000a), put16(hs, 4), put16(hs, 2), put16(hs, 0x001d);
    if (o->sni) {
        put16(hs, 0);
        uint32_t ext = hs->len;
        put16(hs, 0);
        uint32_t list = hs->len;
        put16(hs, 0);
        if (o->other_name_type_first)
            put8(hs, 7), put16(hs, 3), put_bytes(hs, "xyz", 3);
        put8(hs, 0);
        if (o->sni_len) {
            put16(hs, (uint16_t)o->sni_len);
            for (uint32_t i = 0; i < o->sni_len; i++)
                put8(hs, 'a');
        } else {
            put16(hs, (uint16_t)strlen(o->sni));
            put_bytes(hs, o->sni, (uint32_t)strlen(o->sni));
        }
        patch_len(hs, list, 2);
        patch_len(hs, ext, 2);
    }
    if (o->ech) {
        /* outer ECH: type, cipher suite, config id, enc, payload */
        put16(hs, 0xfe0d);
        uint32_t ext = hs->len;
        put16(hs, 0);
        put8(hs, 0), put16(hs, 1), put16(hs, 1), put8(hs, 0x42);
        put16(hs, 32);
        for (int i = 0; i < 32; i++)
            put8(hs, (uint8_t)(0xe0 ^ i));
        put16(hs, 200);
        for (int i = 0; i < 200; i++)
            put8(hs, (uint8_t)(i * 7));
        patch_len(hs, ext, 2);
    }
    if (o->padding) {
        put16(hs, 0x0015), put16(hs, (uint16_t)o->padding);
        for (uint32_t i = 0; i < o->padding; i++)
            put8(hs, 0);
    }
    put16(hs, 0x002b), put16(hs, 3), put8(hs, 2), put16(hs, 0x0304);
    patch_len(hs, exts, 2);
    patch_len(hs, 1, 3);
}

/* The message in TLS records of at most frag bytes (the last one with the
 * rest); frag 0 = one record. */
static void wrap_records(const struct buf *hs, uint32_t frag, struct buf *out)
{
    uint32_t off = 0;

    out->len = 0;
    if (!frag)
        frag = hs->len;
    while (off < hs->len) {
        uint32_t n = hs->len - off < frag ? hs->len - off : frag;
        put8(out, 22), put16(out, 0x0301), put16(out, (uint16_t)n);
        put_bytes(out, hs->b + off, n);
        off += n;
    }
}

static struct buf hs, rec, tmp;

static void tls_names(void)
{
    char big[300];

    build_hello(&hs, &(struct hello_opts){ .sni = "WWW.Example.COM" });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NAME, "www.example.com",
           "one record, SNI lower-cased");
    EXPECT(hf_tls_clienthello_sni, hs.b, hs.len, HF_PARSE_NAME,
           "www.example.com", "bare handshake message");
    EXPECT_PREFIXES(hf_tls_sni, rec.b, rec.len, rec.len, HF_PARSE_NAME,
                    "www.example.com", "record prefixes");
    EXPECT_PREFIXES(hf_tls_clienthello_sni, hs.b, hs.len, hs.len,
                    HF_PARSE_NAME, "www.example.com", "message prefixes");

    /* bytes after the hello (ChangeCipherSpec, early data) are ignored */
    tmp = rec;
    put_bytes(&tmp, "\x14\x03\x03\x00\x01\x01", 6);
    EXPECT(hf_tls_sni, tmp.b, tmp.len, HF_PARSE_NAME, "www.example.com",
           "trailing ChangeCipherSpec");

    build_hello(&hs, &(struct hello_opts){ .sni = NULL });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL, "no SNI");
    EXPECT_PREFIXES(hf_tls_sni, rec.b, rec.len, rec.len, HF_PARSE_NO_NAME,
                    NULL, "no SNI prefixes");

    build_hello(&hs, &(struct hello_opts){ .no_extensions = true });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL,
           "no extensions at all");

    build_hello(&hs, &(struct hello_opts){ .sni = "public.example.net",
                                           .ech = true });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NAME, "public.example.net",
           "ECH: the outer (public) name");
    build_hello(&hs, &(struct hello_opts){ .sni = "public.example.net",
                                           .ech = true, .padding = 3000 });
    wrap_records(&hs, 0, &rec);
    EXPECT_PREFIXES(hf_tls_sni, rec.b, rec.len, rec.len, HF_PARSE_NAME,
                    "public.example.net", "ECH + padding, prefixes");

    build_hello(&hs, &(struct hello_opts){ .sni = "a.example",
                                           .other_name_type_first = true });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NAME, "a.example",
           "host_name after another name type");

    /* one ClientHello split over two records, at every byte */
    build_hello(&hs, &(struct hello_opts){ .sni = "split.example.org",
                                           .padding = 100 });
    int split_bad = 0;
    for (uint32_t cut = 1; cut < hs.len; cut++) {
        char name[HF_NAME_MAX];
        rec.len = 0;
        put8(&rec, 22), put16(&rec, 0x0303), put16(&rec, (uint16_t)cut);
        put_bytes(&rec, hs.b, cut);
        put8(&rec, 22), put16(&rec, 0x0303);
        put16(&rec, (uint16_t)(hs.len - cut));
        put_bytes(&rec, hs.b + cut, hs.len - cut);
        if (run(hf_tls_sni, rec.b, rec.len, name) != HF_PARSE_NAME ||
            strcmp(name, "split.example.org"))
            split_bad++;
        for (uint32_t k = 0; k < rec.len; k++)
            if (run(hf_tls_sni, rec.b, k, name) != HF_PARSE_MORE)
                split_bad++;
    }
    CHECK(split_bad == 0,
          "two records split at every byte, all prefixes (%d bad)",
          split_bad);

    wrap_records(&hs, 1, &rec);
    EXPECT_PREFIXES(hf_tls_sni, rec.b, rec.len, rec.len, HF_PARSE_NAME,
                    "split.example.org", "one-byte records, prefixes");
    wrap_records(&hs, 100, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NAME, "split.example.org",
           "100-byte records");

    /* a record of another type before the hello is complete */
    wrap_records(&hs, 100, &rec);
    rec.b[105] = 23;
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NOT_MINE, NULL,
           "application data inside the hello");

    /* name validity */
    build_hello(&hs, &(struct hello_opts){ .sni = "x", .sni_len = 255 });
    wrap_records(&hs, 0, &rec);
    memset(big, 'a', 255);
    big[255] = '\0';
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NAME, big, "255-byte name");
    build_hello(&hs, &(struct hello_opts){ .sni = "x", .sni_len = 256 });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL,
           "256-byte name");
    build_hello(&hs, &(struct hello_opts){ .sni = "bad name.example" });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL,
           "space in name");
    build_hello(&hs, &(struct hello_opts){ .sni = "bad\x01.example" });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL,
           "control byte in name");
    build_hello(&hs, &(struct hello_opts){ .sni = "caf\xc3\xa9.example" });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL,
           "UTF-8 (not punycode) name");
    build_hello(&hs, &(struct hello_opts){ .sni = "" });
    wrap_records(&hs, 0, &rec);
    EXPECT(hf_tls_sni, rec.b, rec.len, HF_PARSE_NO_NAME, NULL, "empty name");
}

static void tls_not_mine(void)
{
    static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15 };
    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    static const uint8_t appdata[] = { 23, 3, 3, 0, 10 };
    static const uint8_t ver_hi[] = { 22, 3, 5 };
    static const uint8_t ver_lo[] = { 22, 2, 0 };
    static const uint8_t empty_rec[] = { 22, 3, 1, 0, 0 };
    static const uint8_t huge_rec[] = { 22, 3, 1, 0x48, 0x01 };
    static const uint8_t server_hello[] = { 22, 3, 3, 0, 80, 2 };
    static const uint8_t huge_hello[] = { 22, 3, 1, 0x02, 0x00, 1, 0x01 };
    static const uint8_t tiny_hello[] = { 22, 3, 1, 0, 40, 1, 0, 0, 36 };
    char name[HF_NAME_MAX];

    EXPECT(hf_tls_sni, sslv2, sizeof sslv2, HF_PARSE_NOT_MINE, NULL,
           "SSLv2-compatible hello");
    EXPECT(hf_tls_sni, http, 1, HF_PARSE_NOT_MINE, NULL, "HTTP, 1 byte");
    EXPECT(hf_tls_sni, appdata, 1, HF_PARSE_NOT_MINE, NULL,
           "application data record");
    EXPECT(hf_tls_sni, ver_hi, sizeof ver_hi, HF_PARSE_NOT_MINE, NULL,
           "version 3.5, 3 bytes");
    EXPECT(hf_tls_sni, ver_lo, 2, HF_PARSE_NOT_MINE, NULL,
           "version 2.0, 2 bytes");
    EXPECT(hf_tls_sni, empty_rec, sizeof empty_rec, HF_PARSE_NOT_MINE, NULL,
           "empty record");
    EXPECT(hf_tls_sni, huge_rec, sizeof huge_rec, HF_PARSE_NOT_MINE, NULL,
           "record length 18433");
    EXPECT(hf_tls_sni, server_hello, sizeof server_hello, HF_PARSE_NOT_MINE,
           NULL, "ServerHello");
    EXPECT(hf_tls_sni, huge_hello, sizeof huge_hello, HF_PARSE_NOT_MINE,
           NULL, "ClientHello length >= 64 KiB, 7 bytes");
    EXPECT(hf_tls_sni, tiny_hello, sizeof tiny_hello, HF_PARSE_NOT_MINE,
           NULL, "ClientHello length 36");
    EXPECT(hf_tls_sni, NULL, 0, HF_PARSE_MORE, NULL, "nothing yet");
    EXPECT(hf_tls_clienthello_sni, NULL, 0, HF_PARSE_MORE, NULL,
           "bare: nothing yet");
    EXPECT(hf_tls_clienthello_sni, server_hello + 5, 1, HF_PARSE_NOT_MINE,
           NULL, "bare: ServerHello type");

    /* malformed fields inside a complete hello */
    build_hello(&hs, &(struct hello_opts){ .sni = "a.example" });
    tmp = hs;
    tmp.b[4 + 2 + 32] = 33;             /* session id length */
    EXPECT(hf_tls_clienthello_sni, tmp.b, tmp.len, HF_PARSE_NOT_MINE, NULL,
           "session id of 33 bytes");
    tmp = hs;
    tmp.b[4 + 2 + 32 + 33 + 1] = 7;     /* odd cipher suites length */
    EXPECT(hf_tls_clienthello_sni, tmp.b, tmp.len, HF_PARSE_NOT_MINE, NULL,
           "odd cipher suites length");
    tmp = hs;
    tmp.b[4 + 2 + 32 + 33 + 2 + 6 + 1 + 1] = 0xff;  /* extensions length */
    EXPECT(hf_tls_clienthello_sni, tmp.b, tmp.len, HF_PARSE_NOT_MINE, NULL,
           "extensions longer than the hello");

    /* every truncation of every byte value at every offset: no crash */
    int odd = 0;
    for (uint32_t off = 0; off < hs.len; off++)
        for (int v = 0; v < 256; v += 17) {
            tmp = hs;
            tmp.b[off] = (uint8_t)v;
            enum hf_parse_status st =
                run(hf_tls_clienthello_sni, tmp.b, tmp.len, name);
            if (st == HF_PARSE_NAME && strlen(name) > 255)
                odd++;
        }
    CHECK(odd == 0, "single-byte corruptions parse without crash");
}

/* ---- HTTP --------------------------------------------------------------- */

static void http_one(int line, const char *req, enum hf_parse_status want,
                     const char *want_name)
{
    expect(line, hf_http_host, req, strlen(req), want, want_name, req);
}

#define HTTP(req, want, nm) http_one(__LINE__, req, want, nm)

static void http_names(void)
{
    HTTP("GET / HTTP/1.1\r\nHost: www.Example.com\r\n\r\n", HF_PARSE_NAME,
         "www.example.com");
    HTTP("GET / HTTP/1.1\r\nhost:example.com\r\n\r\n", HF_PARSE_NAME,
         "example.com");
    HTTP("GET / HTTP/1.1\r\nHOST: \t example.com \t\r\n\r\n", HF_PARSE_NAME,
         "example.com");
    HTTP("GET / HTTP/1.1\r\nHost : example.com\r\n\r\n", HF_PARSE_NAME,
         "example.com");
    HTTP("POST /x HTTP/1.1\r\nUser-Agent: t\r\nHost: example.com:8080\r\n\r\n",
         HF_PARSE_NAME, "example.com");
    HTTP("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", HF_PARSE_NAME, "::1");
    HTTP("GET / HTTP/1.1\r\nHost: [2001:DB8::1]\r\n\r\n", HF_PARSE_NAME,
         "2001:db8::1");
    HTTP("GET / HTTP/1.1\r\nHost: 192.0.2.1:8000\r\n\r\n", HF_PARSE_NAME,
         "192.0.2.1");
    HTTP("GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n", HF_PARSE_NAME,
         "example.com");
    HTTP("GET / HTTP/1.1\nHost: lf.example\n\n", HF_PARSE_NAME, "lf.example");
    HTTP("HEAD / HTTP/1.0\r\nHost: a.example\r\n", HF_PARSE_NAME, "a.example");
    HTTP("PROPFIND /dav HTTP/1.1\r\nHost: dav.example\r\n\r\n", HF_PARSE_NAME,
         "dav.example");
    HTTP("GET /a b HTTP/1.1\r\nHost: sp.example\r\n\r\n", HF_PARSE_NAME,
         "sp.example");
    HTTP("CONNECT Proxy.Example:443 HTTP/1.1\r\nHost: other\r\n\r\n",
         HF_PARSE_NAME, "proxy.example");
    HTTP("CONNECT [2001:db8::2]:443 HTTP/1.1\r\n", HF_PARSE_NAME,
         "2001:db8::2");
    HTTP("GET http://user@Abs.Example:81/p HTTP/1.0\r\n\r\n", HF_PARSE_NAME,
         "abs.example");
    HTTP("GET http://abs.example/p HTTP/1.1\r\nHost: h.example\r\n\r\n",
         HF_PARSE_NAME, "h.example");

    HTTP("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", HF_PARSE_NO_NAME, NULL);
    HTTP("GET / HTTP/1.0\r\n\r\nHost: body.example\r\n", HF_PARSE_NO_NAME,
         NULL);
    HTTP("GET / HTTP/1.1\r\nX-Host: x.example\r\nHostname: y\r\n\r\n",
         HF_PARSE_NO_NAME, NULL);
    HTTP("GET / HTTP/1.1\r\nHost:\r\n\r\n", HF_PARSE_NO_NAME, NULL);
    HTTP("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HF_PARSE_NO_NAME, NULL);
    HTTP("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", HF_PARSE_NO_NAME, NULL);
    HTTP("GET / HTTP/1.1\r\nHost: a.example:80x\r\n\r\n", HF_PARSE_NO_NAME,
         NULL);
    HTTP("GET /index.html\r\n", HF_PARSE_NO_NAME, NULL);

    HTTP("GET / HTTP/1.1\r\nHost: a.ex", HF_PARSE_MORE, NULL);
    HTTP("GET / HTTP/1.1\r\nAccept: */*\r\n", HF_PARSE_MORE, NULL);
    HTTP("PROPF", HF_PARSE_MORE, NULL);
    HTTP("", HF_PARSE_MORE, NULL);
}

static void http_not_mine(void)
{
    HTTP("\x16\x03\x01", HF_PARSE_NOT_MINE, NULL);
    HTTP("SSH-2.0-OpenSSH_9.6\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("X", HF_PARSE_NOT_MINE, NULL);
    HTTP("SSH-", HF_PARSE_NOT_MINE, NULL);
    HTTP("get / HTTP/1.1\r\nHost: a\r\n\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("GETX / HTTP/1.1\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("GET/ HTTP/1.1\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n", HF_PARSE_NOT_MINE,
         NULL);
    HTTP("OPTIONS sip:a@b SIP/2.0\r\n\r\n", HF_PARSE_NOT_MINE, NULL);
    HTTP("GET /\x01\x02", HF_PARSE_NOT_MINE, NULL);

    /* any 8 bytes are decided unless they begin a known method */
    static const char *const not_http[] = { "HELO x\r\n", "USER anon",
                                            "\0\0\0\0\0\0\0\0", "GEThello" };
    for (size_t i = 0; i < 4; i++)
        EXPECT(hf_http_host, not_http[i], 8, HF_PARSE_NOT_MINE, NULL,
               "not HTTP, 8 bytes");
}

static void http_prefixes(void)
{
    static const char req[] =
        "GET /index.html HTTP/1.1\r\nUser-Agent: test\r\n"
        "Host: [2001:db8::5]:8080\r\nAccept: */*\r\n\r\n";
    static const char no_host[] = "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n";
    size_t host_end = (size_t)(strstr(req, "8080\r\n") - req) + 6;

    EXPECT_PREFIXES(hf_http_host, (const uint8_t *)req, strlen(req), host_end,
                    HF_PARSE_NAME, "2001:db8::5", "Host line complete");
    EXPECT_PREFIXES(hf_http_host, (const uint8_t *)no_host, strlen(no_host),
                    strlen(no_host), HF_PARSE_NO_NAME, NULL,
                    "HTTP/1.0 without Host");

    /* the cap: 8 KiB without the end of the headers */
    static char big[9000];
    strcpy(big, "GET / HTTP/1.1\r\nCookie: ");
    memset(big + strlen(big), 'c', sizeof big - 1 - strlen(big));
    EXPECT(hf_http_host, big, 8191, HF_PARSE_MORE, NULL, "8191 bytes, no end");
    EXPECT(hf_http_host, big, 8192, HF_PARSE_NO_NAME, NULL,
           "8192 bytes, no end");
    EXPECT(hf_http_host, big, sizeof big, HF_PARSE_NO_NAME, NULL,
           "9000 bytes, no end");
    memcpy(big + 8000, "\r\nHost: late.example\r\n", 22);
    EXPECT(hf_http_host, big, sizeof big, HF_PARSE_NAME, "late.example",
           "Host line ending before 8 KiB");
    memcpy(big + 8160, "\r\nHost: late.example\r\n", 22);
    EXPECT(hf_http_host, big, sizeof big, HF_PARSE_NAME, "late.example",
           "first Host wins");
    memset(big + 8000, 'c', 200);
    memcpy(big + 8180, "\r\nHost: late.example\r\n", 22);
    EXPECT(hf_http_host, big, sizeof big, HF_PARSE_NO_NAME, NULL,
           "Host line crossing 8 KiB");
}

int main(void)
{
    tls_names();
    tls_not_mine();
    http_names();
    http_not_mine();
    http_prefixes();
    return check_summary();
}
