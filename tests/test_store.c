/* Flow store checks (collector/store.c): slot files, names and rotation,
 * reading back, no overwriting, crash recovery (flushed temp file, file cut
 * short, garbage, a busy file between flushes), retention by age and
 * size, hf_store_files, errors.
 * One line per check; exit status 0 when all pass. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "infomodel.h"
#include "ipfix_reader.h"
#include "flow_messages.h"
#include "ipfix_writer.h"
#include "store.h"
#include "check.h"

/* ---- helpers ------------------------------------------------------------ */

static char *base;              /* scratch directory */

static uint64_t
utc_ms(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (uint64_t)timegm(&tm) * 1000;
}

static char *
scratch(const char *name)
{
    return g_build_filename(base, name, NULL);
}

static bool
exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

static uint64_t
file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* DIR/SRC/YYYY/MM/DD/[.]flows-YYYYMMDDhhmm[-N].ipfix[.tmp] of the 300 s
 * slot of a time. */
static char *
slot_file(const char *dir, const char *src, uint64_t ms, bool tmp,
          unsigned seq)
{
    time_t t = (time_t)(ms / 1000 / 300 * 300);
    struct tm tm;
    char ymd[32], name[64], sfx[16] = "";

    gmtime_r(&t, &tm);
    snprintf(ymd, sizeof(ymd), "%04d/%02d/%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    if (seq)
        snprintf(sfx, sizeof(sfx), "-%u", seq);
    snprintf(name, sizeof(name), "%sflows-%04d%02d%02d%02d%02d%s.ipfix%s",
             tmp ? "." : "", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, sfx, tmp ? ".tmp" : "");
    return g_build_filename(dir, src, ymd, name, NULL);
}

static void
rm_rf(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            char *c = g_build_filename(path, n, NULL);
            rm_rf(c);
            g_free(c);
        }
        if (d)
            g_dir_close(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

struct exp;
static int read_recs(const char *path, struct exp *out, int max, int *rc);

/* Files under path whose name ends with suffix (not under .damaged);
 * records (if not NULL) adds up the flow records they hold. */
static int
files_under(const char *path, const char *suffix, uint64_t *records)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *n;
    int count = 0;

    while (d && (n = g_dir_read_name(d))) {
        char *c = g_build_filename(path, n, NULL);
        if (g_file_test(c, G_FILE_TEST_IS_DIR)) {
            if (strcmp(n, ".damaged") != 0)
                count += files_under(c, suffix, records);
        } else if (g_str_has_suffix(n, suffix)) {
            count++;
            if (records)
                *records += (uint64_t)MAX(read_recs(c, NULL, 0, NULL), 0);
        }
        g_free(c);
    }
    if (d)
        g_dir_close(d);
    return count;
}

static int
count_files(const char *path, const char *suffix)
{
    return files_under(path, suffix, NULL);
}

static bool
write_file(const char *path, const void *data, size_t len)
{
    char *dir = g_path_get_dirname(path);
    bool ok = g_mkdir_with_parents(dir, 0755) == 0
              && g_file_set_contents(path, data, (gssize)len, NULL);

    g_free(dir);
    return ok;
}

static bool
file_is(const char *path, const char *content)
{
    char *got = NULL;
    gsize len = 0;
    bool ok = g_file_get_contents(path, &got, &len, NULL)
              && len == strlen(content) && memcmp(got, content, len) == 0;

    g_free(got);
    return ok;
}

/* ---- records ------------------------------------------------------------ */

enum { R_V6 = 1, R_NAMES = 2 };

struct exp {
    hf_flow_record_t r;
    char s[6][64];
};

static fbVarfield_t *
strfield(hf_flow_record_t *r, int k)
{
    fbVarfield_t *f[] = {
        &r->hostflowHostname, &r->hostflowDnsName, &r->httpRequestHost,
        &r->sslServerNameNtop, &r->dnsQueryNtop, &r->applicationName,
    };
    return f[k];
}

static void
set_strings(struct exp *x)
{
    for (int k = 0; k < 6; k++) {
        fbVarfield_t *f = strfield(&x->r, k);
        f->buf = (uint8_t *)x->s[k];
        f->len = strlen(x->s[k]);
    }
}

/* A record that a template carries whole: v4 or v6 fields only, strings
 * only with R_NAMES. */
static void
make_rec(struct exp *x, unsigned i, unsigned kind)
{
    hf_flow_record_t *r = &x->r;

    memset(x, 0, sizeof(*x));
    r->flowStartMilliseconds = 1710114900000ULL + i * 1000;
    r->flowEndMilliseconds = r->flowStartMilliseconds + 1500 + i;
    r->octetDeltaCount = 100000ULL * i + 77;
    r->packetDeltaCount = 10 + i;
    r->ingressInterface = 3 + i;
    r->egressInterface = 7 + 2 * i;  /* every integer field nonzero: a byte order slip shows */
    if (i % 4 == 1)             /* the sampled template variants too */
        r->samplingPacketInterval = 100;
    r->sourceTransportPort = (uint16_t)(1024 + i);
    r->destinationTransportPort = 443;
    r->vlanId = (uint16_t)(100 + i);
    r->tcpControlBits = 0x1b;
    r->protocolIdentifier = (kind & R_V6) ? 17 : 6;
    r->ipClassOfService = 0x28;
    r->flowEndReason = HF_END_IDLE;
    for (int b = 0; b < 6; b++) {
        r->sourceMacAddress[b] = (uint8_t)(0x02 + b + i);
        r->destinationMacAddress[b] = (uint8_t)(0x40 + b);
    }
    if (kind & R_V6) {
        r->ipVersion = 6;
        r->sourceIPv6Address[0] = 0x20;
        r->sourceIPv6Address[1] = 0x01;
        r->sourceIPv6Address[2] = 0x0d;
        r->sourceIPv6Address[3] = 0xb8;
        r->sourceIPv6Address[15] = (uint8_t)i;
        memcpy(r->destinationIPv6Address, r->sourceIPv6Address, 16);
        r->destinationIPv6Address[14] = 0xff;
        r->icmpTypeCodeIPv6 = 0x8000;
    } else {
        r->ipVersion = 4;
        r->sourceIPv4Address = 0x0a000001u + i;
        r->destinationIPv4Address = 0xc0a80101u;
        r->icmpTypeCodeIPv4 = 0x0800;
    }
    if (kind & R_NAMES) {
        r->hostflowNameSource = HF_NAME_TLS;
        snprintf(x->s[0], 64, "host%u.example.com", i);
        snprintf(x->s[1], 64, "dns%u.example.net", i);
        if (i % 3)              /* and sometimes an empty string */
            snprintf(x->s[2], 64, "www%u.example.org", i);
        snprintf(x->s[3], 64, "sni-%u.example.com", i);
        snprintf(x->s[4], 64, "q%u.example.com", i);
        snprintf(x->s[5], 64, "tls");
    }
    set_strings(x);
}

static bool
rec_equal(const hf_flow_record_t *a, const hf_flow_record_t *b)
{
    if (memcmp(a, b, offsetof(hf_flow_record_t, paddingOctets)) != 0)
        return false;
    for (int k = 0; k < 6; k++) {
        const fbVarfield_t *x = strfield((hf_flow_record_t *)a, k);
        const fbVarfield_t *y = strfield((hf_flow_record_t *)b, k);
        if (x->len != y->len || (x->len && memcmp(x->buf, y->buf, x->len)))
            return false;
    }
    return true;
}

/* Reads up to max records (copied into out); *rc: the reader's last
 * result (0 end of file, -1 error). */
static int
read_recs(const char *path, struct exp *out, int max, int *rc)
{
    GError *err = NULL;
    struct hf_ipfix_reader *r = hf_ipfix_reader_open(path, &err);
    hf_flow_record_t rec;
    int n = 0, res = -1;

    if (!r) {
        g_clear_error(&err);
        if (rc)
            *rc = -1;
        return -1;
    }
    while ((res = hf_ipfix_reader_next(r, &rec, &err)) == 1) {
        if (out && n < max) {
            struct exp *x = &out[n];
            memset(x, 0, sizeof(*x));
            x->r = rec;
            for (int k = 0; k < 6; k++) {
                fbVarfield_t *f = strfield(&rec, k);
                size_t len = f->len < 63 ? f->len : 63;
                if (len)
                    memcpy(x->s[k], f->buf, len);
                strfield(&x->r, k)->len = f->len;
            }
            set_strings(x);
            for (int k = 0; k < 6; k++)
                strfield(&x->r, k)->len = strfield(&rec, k)->len;
        }
        n++;
    }
    g_clear_error(&err);
    hf_ipfix_reader_close(r);
    if (rc)
        *rc = res;
    return n;
}

static bool
file_has(const char *path, const struct exp *want, int n)
{
    struct exp *got = g_new(struct exp, n);
    int rc, m = read_recs(path, got, n, &rc);
    bool same = m == n && rc == 0;

    for (int i = 0; same && i < n; i++)
        same = rec_equal(&got[i].r, &want[i].r);
    g_free(got);
    return same;
}

/* Offsets of the IPFIX messages of a file; returns their count. */
static int
messages(const char *path, uint64_t *off, uint32_t *extime, int max)
{
    gchar *data = NULL;
    gsize len = 0, pos = 0;
    int n = 0;

    if (!g_file_get_contents(path, &data, &len, NULL))
        return -1;
    while (pos + 16 <= len && n < max) {
        const uint8_t *p = (const uint8_t *)data + pos;
        unsigned mlen = (unsigned)p[2] << 8 | p[3];
        if (mlen < 16)
            break;
        off[n] = pos;
        extime[n] = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16
                    | (uint32_t)p[6] << 8 | p[7];
        n++;
        pos += mlen;
    }
    g_free(data);
    return n;
}

static struct hf_store *
open_store(const char *dir, uint32_t max_age_days, uint64_t max_bytes)
{
    struct hf_store_config cfg = { .dir = dir, .slot_seconds = 300, .max_age_days = max_age_days,
                                   .max_bytes = max_bytes };
    GError *err = NULL;
    struct hf_store *s = hf_store_open(&cfg, &err);

    if (!s) {
        printf("hf_store_open %s: %s\n", dir, err->message);
        g_clear_error(&err);
    }
    return s;
}

static bool
add(struct hf_store *s, const char *src, const struct exp *x, uint64_t ms)
{
    GError *err = NULL;
    bool ok = hf_store_add(s, src, &x->r, ms, &err);

    if (!ok) {
        printf("  add %s: %s\n", src, err ? err->message : "(no error)");
        g_clear_error(&err);
    }
    return ok;
}

/* ---- slots, names, rotation, reading back -------------------------------- */

static const char *const SRC[2] = { "10.0.0.1", "probe-b" };
static char *basic_dir;
static uint64_t S0;             /* 2024-03-10 23:55 UTC: slots cross a day */

static void
test_slots(void)
{
    static struct exp want[2][3][4];
    static const char *const names[3] = {
        "2024/03/10/flows-202403102355.ipfix",
        "2024/03/11/flows-202403110000.ipfix",
        "2024/03/11/flows-202403110005.ipfix",
    };
    struct hf_store *s;
    struct hf_store_stats st;
    bool added = true;
    unsigned i = 0;

    basic_dir = scratch("basic");
    S0 = utc_ms(2024, 3, 10, 23, 55, 0);
    s = open_store(basic_dir, 0, 0);
    CHECK(s != NULL, "open a new store");
    if (!s)
        return;
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 4; j++)
            for (int src = 0; src < 2; src++)
                make_rec(&want[src][k][j], i++, (unsigned)(j + src + k) % 4);

    for (int k = 0; k < 3; k++) {
        uint64_t start = S0 + (uint64_t)k * 300000;

        if (k == 2) {
            hf_store_rotate(s, start - 1);
            char *t = slot_file(basic_dir, SRC[0], start - 1, true, 0);
            CHECK(exists(t), "rotate before the slot's end keeps it open");
            g_free(t);
            hf_store_rotate(s, start);
            int done = 0;
            for (int src = 0; src < 2; src++) {
                char *f = slot_file(basic_dir, SRC[src], start - 1, false, 0);
                t = slot_file(basic_dir, SRC[src], start - 1, true, 0);
                done += exists(f) && !exists(t);
                g_free(f);
                g_free(t);
            }
            CHECK(done == 2, "hf_store_rotate completes ended slots: temp "
                  "renamed to final");
        }
        for (int j = 0; j < 4; j++) {
            for (int src = 0; src < 2; src++) {
                added &= add(s, SRC[src], &want[src][k][j],
                             start + 1000 + (uint64_t)j * 60000);
                if (k == 1 && j == 0 && src == 0) {
                    /* source 0's slot 0 rotated by its record; 1's not */
                    char *f0 = slot_file(basic_dir, SRC[0], S0, false, 0);
                    char *t0 = slot_file(basic_dir, SRC[0], S0, true, 0);
                    char *t1 = slot_file(basic_dir, SRC[1], S0, true, 0);
                    CHECK(exists(f0) && !exists(t0) && exists(t1),
                          "a record in a new slot completes that source's "
                          "slot only");
                    g_free(f0);
                    g_free(t0);
                    g_free(t1);
                }
            }
        }
        if (k == 0) {
            char *t = slot_file(basic_dir, SRC[0], S0, true, 0);
            char *f = slot_file(basic_dir, SRC[0], S0, false, 0);
            CHECK(exists(t) && !exists(f), "open slot is a temp file %s", t);
            hf_store_flush(s);
            CHECK(file_has(t, want[0][0], 4),
                  "hf_store_flush: the temp file reads back its 4 records");
            g_free(t);
            g_free(f);
        }
    }
    CHECK(added, "24 records added");
    hf_store_close(s);
    CHECK(count_files(basic_dir, ".tmp") == 0, "close completes every slot");

    for (int src = 0; src < 2; src++) {
        for (int k = 0; k < 3; k++) {
            char *p = g_build_filename(basic_dir, SRC[src], names[k], NULL);
            uint64_t off[16];
            uint32_t ext[16];
            int nm = messages(p, off, ext, 16);
            bool times = nm > 0;

            CHECK(file_has(p, want[src][k], 4),
                  "%s reads back equal (v4, v6, strings)", p);
            for (int m = 0; m < nm; m++)
                times &= ext[m] == (S0 / 1000) + (uint64_t)k * 300;
            CHECK(times, "export time of its %d messages is the slot start",
                  nm);
            g_free(p);
        }
    }
    CHECK(count_files(basic_dir, ".ipfix") == 6, "6 slot files, no others");

    /* the stats of a store reopened over complete files: nothing to do */
    s = open_store(basic_dir, 0, 0);
    st = s ? hf_store_stats(s) : (struct hf_store_stats){ .write_errors = 1 };
    CHECK(st.files_recovered == 0 && st.files_damaged == 0
          && st.write_errors == 0, "reopen: nothing to recover");
    hf_store_close(s);
}

static void
test_stats_and_names(void)
{
    char *dir = scratch("names");
    struct hf_store *s = open_store(dir, 0, 0);
    struct hf_store_stats st;
    struct exp x;
    static const char *const bad[] = {
        "", ".hidden", "a/b", "..", "a..b", "/abs", "tab\there", ".damaged",
    };
    int refused = 0;

    if (!s)
        return;
    make_rec(&x, 1, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        if (!hf_store_add(s, bad[i], &x.r, S0, &err) && err)
            refused++;
        g_clear_error(&err);
    }
    CHECK(refused == (int)G_N_ELEMENTS(bad), "bad source names refused (%d)",
          refused);
    {
        GError *err = NULL;
        refused = !hf_store_add(s, NULL, &x.r, S0, &err) && err;
        g_clear_error(&err);
    }
    CHECK(refused, "NULL source refused");
    CHECK(count_files(dir, "") == 0, "and nothing created");
    CHECK(add(s, "fe80::1%eth0", &x, S0) && add(s, "a.b-c_d", &x, S0 + 1),
          "names with ':', '%%', '.' accepted");
    st = hf_store_stats(s);
    CHECK(st.records_buffered == 2 && st.records == 0 && st.write_errors == 0,
          "stats: 2 records buffered, none written yet");
    hf_store_flush(s);
    st = hf_store_stats(s);
    CHECK(st.records == 2 && st.records_buffered == 0,
          "flushed: 2 records written");
    hf_store_close(s);
    rm_rf(dir);
    g_free(dir);
}

/* ---- never overwriting --------------------------------------------------- */

static void
test_no_overwrite(void)
{
    char *dir = scratch("nooverwrite");
    char *f0 = slot_file(dir, "src", S0, false, 0);
    char *f1 = slot_file(dir, "src", S0, false, 1);
    char *f2 = slot_file(dir, "src", S0, false, 2);
    struct exp x[3];
    struct hf_store *s;

    for (int i = 0; i < 3; i++)
        make_rec(&x[i], 40 + (unsigned)i, (unsigned)i);
    CHECK(write_file(f0, "KEEP", 4), "an existing slot file %s", f0);
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    CHECK(add(s, "src", &x[0], S0 + 5000) && add(s, "src", &x[1], S0 + 6000),
          "2 records in its slot");
    hf_store_close(s);
    CHECK(file_is(f0, "KEEP"), "existing file untouched");
    CHECK(file_has(f1, x, 2), "new file under -1");

    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    CHECK(add(s, "src", &x[2], S0 + 7000), "the same slot again");
    hf_store_close(s);
    CHECK(file_is(f0, "KEEP") && file_has(f1, x, 2) && file_has(f2, x + 2, 1),
          "then under -2");
out:
    rm_rf(dir);
    g_free(dir);
    g_free(f0);
    g_free(f1);
    g_free(f2);
}

/* ---- recovery ------------------------------------------------------------ */

/* (a) a temp file left by a process that died after hf_store_flush */
static void
test_recover_exit(void)
{
    char *dir = scratch("crash-exit");
    char *tmp = slot_file(dir, "crash", S0, true, 0);
    char *fin = slot_file(dir, "crash", S0, false, 0);
    struct exp x[8];
    struct hf_store *s;
    struct hf_store_stats st;
    int status = -1;
    pid_t pid;

    for (int i = 0; i < 8; i++)
        make_rec(&x[i], 60 + (unsigned)i, (unsigned)i % 4);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        s = open_store(dir, 0, 0);
        if (!s)
            _exit(2);
        for (int i = 0; i < 5; i++)
            if (!hf_store_add(s, "crash", &x[i].r, S0 + 1000 * i, NULL))
                _exit(3);
        hf_store_flush(s);
        for (int i = 5; i < 8; i++)       /* not flushed: lost */
            hf_store_add(s, "crash", &x[i].r, S0 + 1000 * i, NULL);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child wrote 5 records, flushed, wrote 3, _exit without closing");
    CHECK(exists(tmp) && !exists(fin), "it left a temp file");
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.files_recovered == 1 && st.records_recovered == 5
          && st.files_damaged == 0,
          "recovered 1 file, 5 records, 0 damaged (got %" G_GUINT64_FORMAT
          ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
          st.files_recovered, st.records_recovered, st.files_damaged);
    CHECK(file_has(fin, x, 5), "slot file holds the 5 flushed records");
    CHECK(!exists(tmp), "temp file removed");
    {
        char *dmg = g_build_filename(dir, ".damaged", NULL);
        CHECK(!exists(dmg), "nothing set aside");
        g_free(dmg);
    }
    hf_store_close(s);
out:
    rm_rf(dir);
    g_free(dir);
    g_free(tmp);
    g_free(fin);
}

/* A busy slot file: past its first MiB the store writes it from a buffer
 * of its own in page-aligned pieces (store_writer.c).  Each flush reads
 * back whole, a process that dies between flushes leaves a file whose
 * flushed records recovery keeps, and writes past a file size limit fail,
 * counted, leaving the records the store counts as stored. */
#define BUSY_RECORDS 20000      /* about 3 MiB with the strings */
#define BUSY_FLUSH_AT 12000
#define BUSY_LIMIT (2 << 20)    /* a file size limit past the first MiB */

static void
test_busy_file(void)
{
    char *dir = scratch("busy");
    char *tmp = slot_file(dir, "busy", S0, true, 0);
    char *fin = slot_file(dir, "busy", S0, false, 0);
    struct exp *x = g_new(struct exp, BUSY_RECORDS);
    struct hf_store *s;
    struct hf_store_stats st;
    bool added = true;
    int status = -1;
    pid_t pid;

    for (int i = 0; i < BUSY_RECORDS; i++)
        make_rec(&x[i], (unsigned)i, (unsigned)i % 4);
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    for (int i = 0; i < BUSY_RECORDS; i++) {
        added &= hf_store_add(s, "busy", &x[i].r, S0 + 1000, NULL);
        if (i + 1 == BUSY_FLUSH_AT || i + 1 == BUSY_FLUSH_AT + 1) {
            hf_store_flush(s);
            CHECK(file_has(tmp, x, i + 1), "busy file flushed after %d records "
                  "(%" G_GUINT64_FORMAT " bytes) reads back those records", i + 1,
                  file_size(tmp));
        }
    }
    CHECK(added, "%d records added to one slot", BUSY_RECORDS);
    hf_store_close(s);
    CHECK(file_size(fin) > (2u << 20) && file_has(fin, x, BUSY_RECORDS),
          "the completed busy file (%" G_GUINT64_FORMAT " bytes) reads back its "
          "%d records", file_size(fin), BUSY_RECORDS);
    rm_rf(dir);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        s = open_store(dir, 0, 0);
        if (!s)
            _exit(2);
        for (int i = 0; i < BUSY_RECORDS; i++) {
            if (!hf_store_add(s, "busy", &x[i].r, S0 + 1000, NULL))
                _exit(3);
            if (i + 1 == BUSY_FLUSH_AT)
                hf_store_flush(s);
        }
        _exit(0);       /* the records after the flush: some written, not all */
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child wrote %d records to a busy file, flushed after %d, _exit",
          BUSY_RECORDS, BUSY_FLUSH_AT);
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    int rc, n = read_recs(fin, NULL, 0, &rc);
    struct exp *got = g_new(struct exp, BUSY_FLUSH_AT);
    bool same = read_recs(fin, got, BUSY_FLUSH_AT, NULL) >= BUSY_FLUSH_AT;
    for (int i = 0; same && i < BUSY_FLUSH_AT; i++)
        same = rec_equal(&got[i].r, &x[i].r);
    g_free(got);
    CHECK(st.files_recovered == 1 && st.records_recovered == (uint64_t)n
          && n >= BUSY_FLUSH_AT && n < BUSY_RECORDS && rc == 0 && same,
          "recovered: the %d flushed records and %d more in whole messages, of the "
          "%d written (got %d records)", BUSY_FLUSH_AT, n - BUSY_FLUSH_AT,
          BUSY_RECORDS, n);
    hf_store_close(s);
    rm_rf(dir);

    /* the file size limit hit while the buffer is in use: the writes fail
     * and are counted, and the files hold exactly the records the store
     * says it stored */
    int fds[2];
    uint64_t stored = 0, in_files = 0;
    if (pipe(fds) != 0)
        goto out;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = { BUSY_LIMIT, BUSY_LIMIT };
        signal(SIGXFSZ, SIG_IGN);
        s = open_store(dir, 0, 0);
        if (!s || setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(2);
        for (int i = 0; i < BUSY_RECORDS; i++) {
            hf_store_add(s, "busy", &x[i].r, S0 + 1000, NULL);
            if (i % 1000 == 999)
                hf_store_flush(s);
        }
        hf_store_rotate(s, UINT64_MAX);     /* completes the slot, as a stop does */
        st = hf_store_stats(s);
        hf_store_close(s);
        _exit(write(fds[1], &st, sizeof(st)) == sizeof(st) ? 0 : 4);
    }
    close(fds[1]);
    memset(&st, 0, sizeof(st));
    bool got_stats = read(fds[0], &st, sizeof(st)) == sizeof(st);
    close(fds[0]);
    waitpid(pid, &status, 0);
    stored = st.records;
    s = open_store(dir, 0, 0);          /* recovers what the failure left */
    hf_store_close(s);
    files_under(dir, ".ipfix", &in_files);
    CHECK(got_stats && WIFEXITED(status) && WEXITSTATUS(status) == 0 && st.write_errors > 0
          && st.records_write_failed > 0 && stored > BUSY_FLUSH_AT / 2 && in_files == stored,
          "busy file past a %d-byte file size limit: %" G_GUINT64_FORMAT " write errors, %"
          G_GUINT64_FORMAT " records lost with them, %" G_GUINT64_FORMAT " stored, %"
          G_GUINT64_FORMAT " in the files", BUSY_LIMIT, st.write_errors,
          st.records_write_failed, stored, in_files);
out:
    rm_rf(dir);
    g_free(x);
    g_free(dir);
    g_free(tmp);
    g_free(fin);
}

/* (a') killed with SIGKILL, two sources; one slot already has a file */
static void
test_recover_kill(void)
{
    char *dir = scratch("crash-kill");
    char *finA = slot_file(dir, "A", S0, false, 0);
    char *finA1 = slot_file(dir, "A", S0, false, 1);
    char *finB = slot_file(dir, "B", S0 + 300000, false, 0);
    struct exp x[7];
    struct hf_store *s;
    struct hf_store_stats st;
    int pfd[2], status = -1;
    char c = 0;
    pid_t pid;

    for (int i = 0; i < 7; i++)
        make_rec(&x[i], 80 + (unsigned)i, (unsigned)i % 4);
    if (pipe(pfd) != 0)
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        s = open_store(dir, 0, 0);
        if (!s)
            _exit(2);
        for (int i = 0; i < 4; i++)
            hf_store_add(s, "A", &x[i].r, S0 + 1000 * i, NULL);
        for (int i = 4; i < 7; i++)
            hf_store_add(s, "B", &x[i].r, S0 + 300000 + 1000 * i, NULL);
        hf_store_flush(s);
        if (write(pfd[1], "r", 1) != 1)
            _exit(4);
        for (;;)
            pause();
    }
    close(pfd[1]);
    CHECK(read(pfd[0], &c, 1) == 1 && c == 'r', "child flushed 2 slots");
    close(pfd[0]);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "child killed with SIGKILL");
    CHECK(write_file(finA, "KEEP", 4), "meanwhile a file appears for A's slot");
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.files_recovered == 2 && st.records_recovered == 7
          && st.files_damaged == 0, "recovered 2 files, 7 records");
    CHECK(file_is(finA, "KEEP") && file_has(finA1, x, 4),
          "A's records under -1, existing file untouched");
    CHECK(file_has(finB, x + 4, 3), "B's slot file");
    CHECK(count_files(dir, ".tmp") == 0, "no temp files left");
    hf_store_close(s);
out:
    rm_rf(dir);
    g_free(dir);
    g_free(finA);
    g_free(finA1);
    g_free(finB);
}

/* (b) a temp file cut short, in a message and in a message header */
static void
test_recover_truncated(void)
{
    static const char *const srcs[2] = { "cut-msg", "cut-hdr" };
    char *dir = scratch("truncated");
    struct exp x[8];
    struct hf_store *s;
    struct hf_store_stats st;
    uint64_t cut[2] = { 0, 0 };
    int status = -1;
    pid_t pid;

    for (int i = 0; i < 8; i++)
        make_rec(&x[i], 100 + (unsigned)i, (unsigned)i % 4);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        s = open_store(dir, 0, 0);
        if (!s)
            _exit(2);
        for (int half = 0; half < 2; half++) {
            for (int i = 0; i < 4; i++)
                for (int k = 0; k < 2; k++)
                    hf_store_add(s, srcs[k], &x[half * 4 + i].r, S0 + 1000 * i,
                                 NULL);
            hf_store_flush(s);
        }
        _exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "child wrote 4 + 4 records, flushing after each 4");
    for (int k = 0; k < 2; k++) {
        char *tmp = slot_file(dir, srcs[k], S0, true, 0);
        uint64_t off[16];
        uint32_t ext[16];
        int nm = messages(tmp, off, ext, 16);

        CHECK(nm >= 2 && file_has(tmp, x, 8), "%s: %d messages, 8 records",
              tmp, nm);
        if (nm >= 2) {
            cut[k] = off[nm - 1] + (k == 0 ? 40 : 5);
            CHECK(truncate(tmp, (off_t)cut[k]) == 0,
                  "cut into the last message%s at %" G_GUINT64_FORMAT,
                  k ? "'s header" : "", cut[k]);
        }
        g_free(tmp);
    }
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.files_recovered == 2 && st.records_recovered == 8
          && st.files_damaged == 2,
          "recovered 2 files, 4 + 4 records, 2 damaged (got %" G_GUINT64_FORMAT
          ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
          st.files_recovered, st.records_recovered, st.files_damaged);
    for (int k = 0; k < 2; k++) {
        char *fin = slot_file(dir, srcs[k], S0, false, 0);
        char *tmp = slot_file(dir, srcs[k], S0, true, 0);
        char *dmg = slot_file(dir, srcs[k], S0, true, 0);
        char *rel = dmg + strlen(dir) + 1;
        char *moved = g_build_filename(dir, ".damaged", rel, NULL);

        CHECK(file_has(fin, x, 4), "%s: the records before the cut", fin);
        CHECK(!exists(tmp) && exists(moved) && file_size(moved) == cut[k],
              "original moved to %s", moved);
        g_free(fin);
        g_free(tmp);
        g_free(dmg);
        g_free(moved);
    }
    hf_store_close(s);
    s = open_store(dir, 0, 0);
    st = s ? hf_store_stats(s) : (struct hf_store_stats){ .files_damaged = 9 };
    CHECK(st.files_damaged == 0 && st.files_recovered == 0,
          "reopen: .damaged is not recovered again");
    hf_store_close(s);
out:
    rm_rf(dir);
    g_free(dir);
}

/* A file of the flow templates and no records. */
static bool
write_templates_only(const char *path)
{
    GError *err = NULL;
    fbInfoModel_t *m = hf_infomodel_new(&err);
    fbSession_t *session = m ? hf_ipfix_flow_session(m, 0, 0, &err) : NULL;
    FILE *fp;
    fBuf_t *b;
    bool ok;

    if (!session) {
        g_clear_error(&err);
        if (m)
            hf_infomodel_free(m);
        return false;
    }
    fp = fopen(path, "wb");
    if (!fp) {
        fbSessionFree(session);
        hf_infomodel_free(m);
        return false;
    }
    b = fBufAllocForExport(session, fbExporterAllocFP(fp));
    ok = fbSessionExportTemplates(session, &err) && fBufEmit(b, &err);
    g_clear_error(&err);
    fBufFree(b);
    hf_infomodel_free(m);
    return fclose(fp) == 0 && ok;
}

/* (c) garbage, zeros, empty, templates only, and files not ours */
static void
test_recover_garbage(void)
{
    char *dir = scratch("garbage");
    uint64_t t = utc_ms(2024, 3, 10, 12, 0, 0);
    char *rnd = slot_file(dir, "g", t, true, 0);
    char *zeros = slot_file(dir, "g", t + 300000, true, 0);
    char *empty = slot_file(dir, "g", t + 600000, true, 0);
    char *tonly = slot_file(dir, "g", t + 900000, true, 0);
    char *hdr = slot_file(dir, "g", t + 1200000, true, 0);
    char *other = g_build_filename(dir, "g", "2024", "03", "10", "notes.tmp",
                                   NULL);
    char *old = g_build_filename(dir, ".damaged", "g", "2024", "03", "10",
                                 ".flows-202403100000.ipfix.tmp", NULL);
    char *moved = g_build_filename(dir, ".damaged", rnd + strlen(dir) + 1,
                                   NULL);
    uint8_t buf[3000];
    GRand *rand = g_rand_new_with_seed(42);
    struct hf_store *s;
    struct hf_store_stats st;
    /* an IPFIX header, then a set of an unknown template and junk */
    static const uint8_t fake[48] = {
        0x00, 0x0a, 0x00, 0x30, 0x65, 0x53, 0xf1, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        0x01, 0x23, 0x00, 0x20, 'x', 'x', 'x', 'x',
    };

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)g_rand_int(rand);
    g_rand_free(rand);
    CHECK(write_file(rnd, buf, sizeof(buf)), "random bytes in %s", rnd);
    memset(buf, 0, sizeof(buf));
    CHECK(write_file(zeros, buf, sizeof(buf)), "zeros in %s", zeros);
    CHECK(write_file(empty, "", 0), "empty %s", empty);
    CHECK(write_templates_only(tonly), "templates only in %s", tonly);
    CHECK(write_file(hdr, fake, 20), "half an IPFIX message in %s", hdr);
    CHECK(write_file(other, "x", 1) && write_file(old, "x", 1),
          "a temp file not ours and one under .damaged");

    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.files_damaged == 3 && st.files_recovered == 0
          && st.records_recovered == 0,
          "3 damaged, nothing recovered (got %" G_GUINT64_FORMAT ", %"
          G_GUINT64_FORMAT ")", st.files_damaged, st.files_recovered);
    CHECK(!exists(rnd) && exists(moved) && file_size(moved) == sizeof(buf),
          "random file moved to %s", moved);
    CHECK(!exists(zeros) && !exists(hdr), "zeros, half message moved aside");
    CHECK(!exists(empty) && !exists(tonly),
          "empty and templates-only temp files removed");
    CHECK(count_files(dir, ".ipfix") == 0, "no slot file made");
    CHECK(exists(other) && file_is(old, "x"), "other files untouched");
    hf_store_close(s);
out:
    rm_rf(dir);
    g_free(dir);
    g_free(rnd);
    g_free(zeros);
    g_free(empty);
    g_free(tonly);
    g_free(hdr);
    g_free(other);
    g_free(old);
    g_free(moved);
}

/* (d) the last message cut at every byte: recovery keeps exactly the
 * records wholly before the cut, in that message too (its templates and
 * whole sets kept, the cut set ended after its last whole record). */
static bool write_flows(const char *path, bool encode, uint32_t with,
                        struct exp *x, int n);

static void
test_recover_every_cut(void)
{
    enum { N = 12 };
    char *dir = scratch("every-cut");
    char *ref = scratch("every-cut.ipfix");
    struct exp x[N];
    uint64_t len[N + 1], want_total = 0;
    gchar *full = NULL;
    gsize full_len = 0;
    struct hf_store *s;
    struct hf_store_stats st;
    int cuts = 0, bad = 0;
    bool ok = true;

    g_mkdir_with_parents(base, 0755);
    /* runs of one template and switches: sets end inside the message */
    for (int i = 0; i < N; i++)
        make_rec(&x[i], 200 + (unsigned)i, i < 4 ? R_NAMES : (unsigned)i % 4);
    /* len[k]: where the k-th record ends (k = 0: the templates' message) */
    for (int k = 0; k <= N && ok; k++) {
        ok = write_flows(ref, true, 0, x, k);
        len[k] = file_size(ref);
    }
    ok = ok && g_file_get_contents(ref, &full, &full_len, NULL)
         && full_len == len[N];
    CHECK(ok, "files of 0 to %d records: the last message ends at %"
          G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, N, len[0], len[N]);
    if (!ok)
        goto out;
    /* one temp file per cut, each in its own slot */
    for (uint64_t c = len[0] + 1; c < len[N]; c++, cuts++) {
        char *tmp = slot_file(dir, "cut", S0 + (uint64_t)cuts * 300000, true, 0);
        int k = 0;

        while (k < N && len[k + 1] <= c)
            k++;
        want_total += (uint64_t)k;
        ok &= write_file(tmp, full, (size_t)c);
        g_free(tmp);
    }
    CHECK(ok, "%d temp files cut inside the last message", cuts);
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.records_recovered == want_total && st.files_damaged == (uint64_t)cuts,
          "recovered %" G_GUINT64_FORMAT " records (want %" G_GUINT64_FORMAT
          "), %" G_GUINT64_FORMAT " files set aside",
          st.records_recovered, want_total, st.files_damaged);
    cuts = 0;
    for (uint64_t c = len[0] + 1; c < len[N]; c++, cuts++) {
        char *fin = slot_file(dir, "cut", S0 + (uint64_t)cuts * 300000, false, 0);
        int k = 0;

        while (k < N && len[k + 1] <= c)
            k++;
        if (k ? !file_has(fin, x, k) : exists(fin)) {
            if (bad++ < 5)
                printf("  cut at %" G_GUINT64_FORMAT ": %s does not hold the %d "
                       "whole records\n", c, fin, k);
        }
        g_free(fin);
    }
    CHECK(bad == 0, "every cut: the slot file holds the records wholly before "
          "it, equal (%d wrong)", bad);
    hf_store_close(s);
out:
    g_free(full);
    unlink(ref);
    rm_rf(dir);
    g_free(ref);
    g_free(dir);
}

/* ---- retention ----------------------------------------------------------- */

static void
test_expire_age(void)
{
    char *dir = scratch("age");
    uint64_t now = utc_ms(2024, 3, 20, 12, 0, 0), day = 86400000;
    struct {
        const char *src;
        uint64_t ms;
        bool kept;
    } f[] = {
        { "a", utc_ms(2023, 12, 31, 12, 0, 0), false },
        { "a", now - 5 * day, false },
        { "a", now - 3 * day, false },
        { "a", now - 1 * day, true },
        { "b", now - 2 * day - 3600000, false },
        { "b", now - 2 * day, true },          /* exactly max age: kept */
        { "b", now - 3600000, true },
    };
    struct exp x;
    struct hf_store *s = open_store(dir, 2, 0);
    struct hf_store_stats st;
    bool ok = true;
    char *tc, *td, *p;

    if (!s)
        goto out;
    make_rec(&x, 7, R_NAMES);
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++)
        ok &= add(s, f[i].src, &x, f[i].ms + 1000);
    hf_store_rotate(s, now);
    /* open slots: one long past, one now */
    ok &= add(s, "c", &x, now - 10 * day) && add(s, "d", &x, now);
    hf_store_flush(s);
    CHECK(ok, "7 complete slots, 2 open");
    hf_store_expire(s, now);
    st = hf_store_stats(s);
    CHECK(st.files_expired == 4, "4 files expired (got %" G_GUINT64_FORMAT ")",
          st.files_expired);
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
        char *path = slot_file(dir, f[i].src, f[i].ms, false, 0);
        CHECK(exists(path) == f[i].kept, "%s %s", path,
              f[i].kept ? "kept" : "removed");
        g_free(path);
    }
    tc = slot_file(dir, "c", now - 10 * day, true, 0);
    td = slot_file(dir, "d", now, true, 0);
    CHECK(exists(tc) && exists(td), "open temp files untouched");
    p = g_build_filename(dir, "a", "2023", NULL);
    CHECK(!exists(p), "emptied year directory removed");
    g_free(p);
    p = g_build_filename(dir, "a", "2024", "03", "15", NULL);
    CHECK(!exists(p), "emptied day directory removed");
    g_free(p);
    p = g_build_filename(dir, "a", "2024", "03", NULL);
    CHECK(exists(p), "month directory still in use kept");
    g_free(p);
    hf_store_close(s);
    p = slot_file(dir, "c", now - 10 * day, false, 0);
    CHECK(exists(p) && !exists(tc), "closing completes them");
    g_free(p);
    g_free(tc);
    g_free(td);
out:
    rm_rf(dir);
    g_free(dir);
}

static void
test_expire_size(void)
{
    char *dir = scratch("size");
    char *probe_dir = scratch("size-probe");
    uint64_t t0 = utc_ms(2024, 3, 20, 10, 0, 0), m5 = 300000;
    struct {
        const char *src;
        uint64_t ms;
        int n;
        bool kept;
    } f[] = {
        { "y", t0, 3, false },
        { "x", t0 + m5, 2, false },
        { "y", t0 + m5, 4, true },      /* same time: x goes before y */
        { "x", t0 + 2 * m5, 1, true },
    };
    struct exp x[4];
    struct hf_store *s;
    struct hf_store_stats st;
    uint64_t sizes[4], total = 0, tmp_size, cap;
    char *tmp, *ptmp;

    for (int i = 0; i < 4; i++)
        make_rec(&x[i], 120 + (unsigned)i, (unsigned)i);
    /* the size of a flushed temp file holding x[0] */
    s = open_store(probe_dir, 0, 0);
    if (!s)
        goto out;
    add(s, "z", &x[0], t0 + 3 * m5);
    hf_store_flush(s);
    ptmp = slot_file(probe_dir, "z", t0 + 3 * m5, true, 0);
    tmp_size = file_size(ptmp);
    g_free(ptmp);
    hf_store_close(s);

    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++)
        for (int j = 0; j < f[i].n; j++)
            add(s, f[i].src, &x[j], f[i].ms + (uint64_t)j * 1000);
    hf_store_close(s);
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
        char *p = slot_file(dir, f[i].src, f[i].ms, false, 0);
        sizes[i] = file_size(p);
        total += sizes[i];
        g_free(p);
    }
    cap = total + tmp_size - sizes[0] - sizes[1];

    s = open_store(dir, 0, cap);
    if (!s)
        goto out;
    add(s, "z", &x[0], t0 + 3 * m5);
    hf_store_flush(s);
    tmp = slot_file(dir, "z", t0 + 3 * m5, true, 0);
    CHECK(tmp_size > 0 && file_size(tmp) == tmp_size,
          "4 slot files of %" G_GUINT64_FORMAT " bytes and a temp file of %"
          G_GUINT64_FORMAT ", cap %" G_GUINT64_FORMAT, total, tmp_size, cap);
    hf_store_expire(s, t0 + 3 * m5);
    st = hf_store_stats(s);
    CHECK(st.files_expired == 2, "2 files expired (got %" G_GUINT64_FORMAT ")",
          st.files_expired);
    for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
        char *p = slot_file(dir, f[i].src, f[i].ms, false, 0);
        CHECK(exists(p) == f[i].kept, "oldest first across sources: %s %s",
              p, f[i].kept ? "kept" : "removed");
        g_free(p);
    }
    CHECK(exists(tmp), "the open temp file counts but is not removed");
    hf_store_expire(s, t0 + 3 * m5);
    st = hf_store_stats(s);
    CHECK(st.files_expired == 2, "within the cap: nothing more removed");
    g_free(tmp);
    hf_store_close(s);
out:
    rm_rf(dir);
    rm_rf(probe_dir);
    g_free(dir);
    g_free(probe_dir);
}

/* ---- listing ------------------------------------------------------------- */

static bool
list_is(const char *dir, const char *src, uint64_t from, uint64_t to,
        const char *const *want, int n)
{
    GPtrArray *a = hf_store_files(dir, src, from, to);
    bool ok = a && (int)a->len == n;

    for (int i = 0; ok && i < n; i++) {
        char *p = g_build_filename(dir, want[i], NULL);
        ok = strcmp(g_ptr_array_index(a, (guint)i), p) == 0;
        g_free(p);
    }
    if (!ok && a)
        for (guint i = 0; i < a->len; i++)
            printf("  got %s\n", (char *)g_ptr_array_index(a, i));
    if (a)
        g_ptr_array_unref(a);
    return ok;
}

static void
test_files(void)
{
    static const char *const all[6] = {
        "10.0.0.1/2024/03/10/flows-202403102355.ipfix",
        "probe-b/2024/03/10/flows-202403102355.ipfix",
        "10.0.0.1/2024/03/11/flows-202403110000.ipfix",
        "probe-b/2024/03/11/flows-202403110000.ipfix",
        "10.0.0.1/2024/03/11/flows-202403110005.ipfix",
        "probe-b/2024/03/11/flows-202403110005.ipfix",
    };
    const char *const a_only[3] = { all[0], all[2], all[4] };
    uint64_t S1 = S0 + 300000, S2 = S0 + 600000;
    char *none = scratch("does-not-exist");

    CHECK(list_is(basic_dir, NULL, 0, UINT64_MAX, all, 6),
          "all files, by slot time then source");
    CHECK(list_is(basic_dir, "10.0.0.1", 0, UINT64_MAX, a_only, 3),
          "one source");
    CHECK(list_is(basic_dir, NULL, S1, S2, all + 2, 2), "[S1, S2): slot 1");
    CHECK(list_is(basic_dir, NULL, S1 + 1000, S2, all + 2, 2),
          "[S1+1s, S2): slot 1, which overlaps");
    CHECK(list_is(basic_dir, NULL, S1 + 1000, S2 + 1, all + 2, 4),
          "[S1+1s, S2+1ms): slots 1 and 2");
    CHECK(list_is(basic_dir, NULL, S0 - 1, S0, NULL, 0),
          "before the first slot: none");
    CHECK(list_is(basic_dir, "probe-b", S0 + 299999, S1, all + 1, 1),
          "last ms of slot 0 of one source");
    CHECK(list_is(basic_dir, "nobody", 0, UINT64_MAX, NULL, 0),
          "unknown source: none");
    CHECK(list_is(basic_dir, "../basic", 0, UINT64_MAX, NULL, 0),
          "bad source name: none");
    CHECK(list_is(none, NULL, 0, UINT64_MAX, NULL, 0),
          "missing store: empty list");
    g_free(none);
}

/* ---- errors --------------------------------------------------------------- */

static void
test_errors(void)
{
    char *dir = scratch("errors");
    char *blocker = g_build_filename(dir, "blocked", NULL);
    char *afile = scratch("a-file");
    struct hf_store_config cfg = { .dir = afile, .slot_seconds = 300 };
    struct hf_store *s, *s2;
    struct hf_store_stats st;
    struct exp x;
    GError *err = NULL;
    bool ok;

    make_rec(&x, 3, R_V6 | R_NAMES);
    CHECK(write_file(afile, "x", 1), "a file where the store should be");
    s = hf_store_open(&cfg, &err);
    CHECK(!s && err, "open fails: %s", err ? err->message : "");
    g_clear_error(&err);
    cfg.dir = dir;
    cfg.slot_seconds = 7;
    s = hf_store_open(&cfg, &err);
    CHECK(!s && err, "slot length must be whole minutes: %s",
          err ? err->message : "");
    g_clear_error(&err);

    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    s2 = open_store(dir, 0, 0);
    CHECK(!s2, "a second store on the same directory is refused");
    hf_store_close(s2);
    CHECK(write_file(blocker, "x", 1), "a file where a source directory goes");
    ok = hf_store_add(s, "blocked", &x.r, S0, &err);
    CHECK(!ok && err, "add fails: %s", err ? err->message : "");
    g_clear_error(&err);
    ok = hf_store_add(s, "blocked", &x.r, S0 + 1000, &err);
    CHECK(!ok && err, "and refuses until retried: %s",
          err ? err->message : "");
    g_clear_error(&err);
    CHECK(add(s, "fine", &x, S0 + 1000), "other sources still stored");
    hf_store_flush(s);
    st = hf_store_stats(s);
    /* the refusal is no failed operation: the caller counts the record */
    CHECK(st.write_errors == 1 && st.records == 1 && st.records_buffered == 0
          && st.records_write_failed == 0,
          "write_errors 1 (the failed open), records 1 (got %" G_GUINT64_FORMAT
          ", %" G_GUINT64_FORMAT ")", st.write_errors, st.records);
    unlink(blocker);
    CHECK(add(s, "blocked", &x, S0 + 20000), "the retry after the pause works");
    hf_store_close(s);
out:
    rm_rf(dir);
    unlink(afile);
    g_free(dir);
    g_free(blocker);
    g_free(afile);
}

/* Disk full, simulated with RLIMIT_FSIZE in a child: errors, no crash, the
 * temp files stay and are recovered by the next open. */
static void
test_disk_full(void)
{
    char *dir = scratch("full");
    struct exp x[10];
    struct hf_store *s;
    struct hf_store_stats st;
    int status = -1;
    pid_t pid;

    for (int i = 0; i < 10; i++)
        make_rec(&x[i], 140 + (unsigned)i, R_NAMES | ((unsigned)i & 1));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl = { 4096, 4096 };
        int failed_adds = 0, nerr = 0;
        uint64_t t = S0;

        signal(SIGXFSZ, SIG_IGN);
        s = open_store(dir, 0, 0);
        if (!s || setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(2);
        for (int i = 0; i < 200; i++, t += 100) {
            GError *err = NULL;
            if (!hf_store_add(s, "full", &x[i % 10].r, t, &err)) {
                failed_adds++;
                nerr += err != NULL;
                g_clear_error(&err);
            }
            if (i % 10 == 9)
                hf_store_flush(s);
        }
        st = hf_store_stats(s);
        hf_store_close(s);
        /* all: failures seen and reported; some records written */
        _exit(st.write_errors > 0 && failed_adds > 0 && nerr == failed_adds
              && st.records > 0 ? 0 : 3);
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "writes past the file size limit fail with errors, no crash");
    CHECK(count_files(dir, ".tmp") >= 1, "the failed slot's temp file stays");
    s = open_store(dir, 0, 0);
    if (!s)
        goto out;
    st = hf_store_stats(s);
    CHECK(st.files_recovered >= 1 && st.records_recovered > 0,
          "next open recovers %" G_GUINT64_FORMAT " records from %"
          G_GUINT64_FORMAT " files (%" G_GUINT64_FORMAT " damaged)",
          st.records_recovered, st.files_recovered, st.files_damaged);
    CHECK(count_files(dir, ".tmp") == 0, "no temp file left");
    hf_store_close(s);
out:
    rm_rf(dir);
    g_free(dir);
}

/* ---- direct encoding ------------------------------------------------------ */

/* A file of flow records written by libfixbuf (encode false) or by
 * hf_flow_messages (true); the templates by libfixbuf either way. */
static bool
write_flows(const char *path, bool encode, uint32_t with, struct exp *x, int n)
{
    GError *err = NULL;
    fbInfoModel_t *m = hf_infomodel_new(&err);
    fbSession_t *session = m ? hf_ipfix_flow_session(m, 0, with, &err) : NULL;
    struct hf_flow_encoder *enc = m ? hf_flow_encoder_new(m, with, &err) : NULL;
    FILE *fp = fopen(path, "wb");
    bool ok = session && enc && fp;

    if (ok) {
        fBuf_t *b = fBufAllocForExport(session, fbExporterAllocFP(fp));
        struct hf_flow_messages *msgs = hf_flow_messages_new(enc, fp, 1710115200, 0);
        fBufSetExportTime(b, 1710115200);
        ok = fbSessionExportTemplates(session, &err) && fBufEmit(b, &err);
        for (int i = 0; ok && i < n; i++)
            ok = encode ? hf_flow_messages_add(msgs, &x[i].r, &err)
                        : hf_ipfix_append_flow(b, &x[i].r, &err);
        ok = ok && (encode ? hf_flow_messages_end(msgs, &err) : fBufEmit(b, &err));
        if (err)
            printf("write_flows: %s\n", err->message);
        hf_flow_messages_free(msgs);
        fBufFree(b);
    } else if (session) {
        fbSessionFree(session);
    }
    g_clear_error(&err);
    hf_flow_encoder_free(enc);
    if (fp && fclose(fp) != 0)
        ok = false;
    if (m)
        hf_infomodel_free(m);
    return ok;
}

/* The store's data records, encoded without libfixbuf: byte for byte what
 * libfixbuf writes (every template variant, long names, many messages). */
static void
test_encode_same_bytes(void)
{
    enum { N = 5000 };
    struct exp *x = g_new0(struct exp, N);
    char *a = scratch("libfixbuf.ipfix"), *b = scratch("direct.ipfix");
    static char long_name[300];

    memset(long_name, 'n', sizeof(long_name) - 1);
    g_mkdir_with_parents(base, 0755);
    for (uint32_t with = 0; with <= HF_TMPL_FLOWS; with += HF_TMPL_FLOWS) {
        for (int i = 0; i < N; i++) {
            /* runs of one variant, and switches record by record */
            unsigned kind = i < N / 2 ? (unsigned)(i / 100) % 4 : (unsigned)i % 4;
            make_rec(&x[i], (unsigned)i, kind);
            if (with)
                x[i].r.deltaFlowCount = (uint64_t)i + 2;
            if ((kind & R_NAMES) && i % 7 == 0) {
                x[i].r.httpRequestHost.buf = (uint8_t *)long_name;
                x[i].r.httpRequestHost.len = strlen(long_name);
            }
        }
        bool ok = write_flows(a, false, with, x, N) && write_flows(b, true, with, x, N);
        gchar *ca = NULL, *cb = NULL;
        gsize la = 0, lb = 0;
        ok = ok && g_file_get_contents(a, &ca, &la, NULL) && g_file_get_contents(b, &cb, &lb, NULL);
        gsize at = 0;
        while (ok && at < la && at < lb && ca[at] == cb[at])
            at++;
        CHECK(ok && la == lb && at == la,
              "%s: %d records encoded directly are libfixbuf's bytes (%zu and %zu bytes, "
              "first difference at %zu)", with ? "summaries" : "flows", N,
              (size_t)la, (size_t)lb, (size_t)at);
        g_free(ca);
        g_free(cb);
    }
    /* and a record no template of the session fits is refused */
    GError *err = NULL;
    fbInfoModel_t *m = hf_infomodel_new(&err);
    struct hf_flow_encoder *enc = m ? hf_flow_encoder_new(m, 0, &err) : NULL;
    struct hf_flow_messages *msgs = enc ? hf_flow_messages_new(enc, stdout, 1, 0) : NULL;
    make_rec(&x[0], 1, 0);
    x[0].r.deltaFlowCount = 5;
    CHECK(msgs && !hf_flow_messages_add(msgs, &x[0].r, &err) && err,
          "a summary record in a file of flows: refused (%s)", err ? err->message : "-");
    g_clear_error(&err);
    hf_flow_messages_free(msgs);
    hf_flow_encoder_free(enc);
    if (m)
        hf_infomodel_free(m);
    unlink(a);
    unlink(b);
    g_free(a);
    g_free(b);
    g_free(x);
}

/* Temporary names of side files (a write of a slot's columns cut short by
 * a crash): recovery removes those older than a minute (a younger one may
 * be another process's), retention those of expired slots, and their day
 * directories go with them. */
static char *
side_tmp(const char *dir, const char *src, uint64_t ms, const char *tag, time_t mtime)
{
    char *slot = slot_file(dir, src, ms, false, 0), *d = g_path_get_dirname(slot);
    char *base = g_path_get_basename(slot);
    char *stem = g_strndup(base, strlen(base) - strlen(".ipfix"));
    char *path = g_strdup_printf("%s/.%s.cols-%s", d, stem, tag);
    struct utimbuf t = { mtime, mtime };

    g_mkdir_with_parents(d, 0755);
    g_file_set_contents(path, "cut short", -1, NULL);
    utime(path, &t);
    g_free(slot);
    g_free(d);
    g_free(base);
    g_free(stem);
    return path;
}

static void
test_side_temp_files(void)
{
    char *dir = scratch("sidetmp");
    uint64_t now = utc_ms(2024, 3, 20, 12, 0, 0), day = 86400000;
    time_t real = time(NULL);
    char *stale = side_tmp(dir, "a", now - 5 * day, "AbC123", real - 3600);
    char *young = side_tmp(dir, "a", now - 5 * day + 300000, "XyZ789", real);
    char *recent = side_tmp(dir, "b", now - 3600000, "Qrs456", real - 3600);
    char *young_recent = side_tmp(dir, "b", now - 3300000, "Tuv012", real);
    struct hf_store *s = open_store(dir, 2, 0);

    if (!s)
        goto out;
    CHECK(!exists(stale) && exists(young) && !exists(recent) && exists(young_recent),
          "recovery removes the side files' temporary names older than a minute, alone");
    hf_store_expire(s, now);
    CHECK(!exists(young) && exists(young_recent),
          "retention removes those of expired slots, alone");
    char *p = g_path_get_dirname(young);
    CHECK(!exists(p), "their emptied day directory removed");
    g_free(p);
    hf_store_close(s);
out:
    g_free(stale);
    g_free(young);
    g_free(recent);
    g_free(young_recent);
    rm_rf(dir);
    g_free(dir);
}

int
main(void)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    base = g_dir_make_tmp("hf-store-XXXXXX", NULL);
    if (!base) {
        printf("cannot make a scratch directory\n");
        return 1;
    }
    test_encode_same_bytes();
    test_slots();
    test_stats_and_names();
    test_no_overwrite();
    test_recover_exit();
    test_busy_file();
    test_recover_kill();
    test_recover_truncated();
    test_recover_garbage();
    test_recover_every_cut();
    test_expire_age();
    test_expire_size();
    test_side_temp_files();
    test_files();
    test_errors();
    test_disk_full();
    if (!failures)
        rm_rf(base);
    else
        printf("scratch files kept in %s\n", base);
    g_free(basic_dir);
    g_free(base);
    return check_summary();
}
