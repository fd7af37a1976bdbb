/* The query engine's store reader (query/store_scan.c, store_decode.c).
 *
 * Without arguments (suite 'unit'): on files written here (every template
 * variant, names, IPv6, sampling, summaries, options records), every record
 * hf_scan_run() delivers equals, field by field and string by string, what
 * hf_ipfix_reader (libfixbuf) delivers for the same file, in file order;
 * copies cut at every offset deliver exactly the whole records before the
 * cut (common/ipfix_scan.c's count) and are reported bad unless cut between
 * messages; bytes flipped never crash; hf_scan_files() picks exactly the
 * expected files of a store with several sources, days and hours.
 *
 * test_store_read --compare [--damage N] FILE...: the same comparison on
 * real files (tests/query_reader.py: the probe's files of every capture,
 * collector slot files, hourly summaries), on 2 threads; --damage: N cuts
 * and N flipped copies of each file as well.  One line per check; exit 0
 * when all pass. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "check.h"
#include "flow_encode.h"
#include "flow_messages.h"
#include "infomodel.h"
#include "ipfix_reader.h"
#include "ipfix_scan.h"
#include "ipfix_writer.h"
#include "rollup.h"
#include "store.h"
#include "store_decode.h"
#include "store_scan.h"
#include "columns.h"
#include "columns_format.h"
#include "store_fs.h"

/* ---- records as comparable bytes ---------------------------------------- */

#define NSTR 6
static const char *str_names[NSTR] = {
    "hostflowHostname", "hostflowDnsName", "httpRequestHost", "sslServerNameNtop",
    "dnsQueryNtop", "applicationName"};

/* fixed part (padding zeroed) then each string as length and bytes */
static GBytes *
flatten(const hf_flow_record_t *r)
{
    GByteArray *b = g_byte_array_new();
    hf_flow_record_t c = *r;
    const fbVarfield_t *v = &r->hostflowHostname;

    memset(c.paddingOctets, 0, sizeof(c.paddingOctets));
    g_byte_array_append(b, (const guint8 *)&c, HF_FLOW_FIXED_LEN);
    for (int i = 0; i < NSTR; i++) {
        uint32_t len = (uint32_t)v[i].len;
        g_byte_array_append(b, (const guint8 *)&len, 4);
        if (len)
            g_byte_array_append(b, v[i].buf, len);
    }
    return g_byte_array_free_to_bytes(b);
}

/* the name of the first field where a and b differ */
static const char *
first_difference(GBytes *a, GBytes *b)
{
    gsize la, lb;
    const uint8_t *pa = g_bytes_get_data(a, &la), *pb = g_bytes_get_data(b, &lb);
    size_t off = 0;

    for (const fbInfoElementSpec_t *s = hf_flow_spec; s->name; s++) {
        if (s->len_override == FB_IE_VARLEN)
            break;
        if (memcmp(pa + off, pb + off, s->len_override) != 0)
            return s->name;
        off += s->len_override;
    }
    for (int i = 0; i < NSTR; i++) {
        uint32_t x, y;
        memcpy(&x, pa + off, 4);
        memcpy(&y, pb + off, 4);
        if (x != y || off + 4 + x > la || memcmp(pa + off + 4, pb + off + 4, x) != 0)
            return str_names[i];
        off += 4 + x;
    }
    return la == lb ? "(none)" : "(length)";
}

/* hf_ipfix_reader's records of path; *rc: its last hf_ipfix_reader_next() */
static GPtrArray *
reader_records(const char *path, int *rc, uint64_t *options)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    GError *err = NULL;
    struct hf_ipfix_reader *r = hf_ipfix_reader_open(path, &err);
    hf_flow_record_t rec;

    *rc = -1;
    if (!r) {
        g_clear_error(&err);
        return out;
    }
    for (;;) {
        memset(&rec, 0, sizeof(rec));
        *rc = hf_ipfix_reader_next(r, &rec, &err);
        if (*rc != 1)
            break;
        g_ptr_array_add(out, flatten(&rec));
    }
    g_clear_error(&err);
    if (options)
        *options = hf_ipfix_reader_options_records(r);
    hf_ipfix_reader_close(r);
    return out;
}

/* hf_scan_run's records per file (f -> GPtrArray), filled by its threads */
static void
collect(void *ctx, const hf_flow_record_t *r, const struct hf_scan_file *f)
{
    GHashTable *per_file = ctx;

    g_ptr_array_add(g_hash_table_lookup(per_file, f), flatten(r));
}

/* the same, a chunk at a time (hf_scan_run_fields) */
static void
collect_chunk(void *ctx, const hf_flow_record_t *recs, const uint32_t *keep, uint32_t n,
              const struct hf_scan_file *f)
{
    for (uint32_t i = 0; i < n; i++)
        collect(ctx, &recs[keep[i]], f);
}

/* the records a select_odd keeps */
static bool
odd(const hf_flow_record_t *r)
{
    return r->flowStartMilliseconds % 2 == 1;
}

/* a reader's choice made from the times alone (the other fields are read
 * for the records chosen only) */
static uint32_t
select_odd(void *ctx, const hf_flow_record_t *recs, uint32_t n, uint32_t *keep,
           const struct hf_scan_file *f)
{
    uint32_t m = 0;

    (void)ctx;
    (void)f;
    for (uint32_t i = 0; i < n; i++)
        if (odd(&recs[i]))
            keep[m++] = i;
    return m;
}

static struct hf_scan_file *
scan_file(const char *path)
{
    struct hf_scan_file *f = g_new0(struct hf_scan_file, 1);

    f->path = g_strdup(path);
    f->source = g_strdup("test");
    return f;
}

static void
scan_file_free(gpointer p)
{
    struct hf_scan_file *f = p;

    g_free(f->path);
    g_free(f->source);
    g_free(f);
}

static bool
same_records(const char *what, GPtrArray *want, GPtrArray *got, guint n)
{
    if (want->len < n || got->len < n) {
        CHECK(false, "%s: %u records, %u expected (of %u)", what, got->len, n, want->len);
        return false;
    }
    for (guint i = 0; i < n; i++) {
        if (!g_bytes_equal(want->pdata[i], got->pdata[i])) {
            CHECK(false, "%s: record %u differs first in %s", what, i,
                  first_difference(want->pdata[i], got->pdata[i]));
            return false;
        }
    }
    return true;
}

static void check_columns_kept(char **paths, int n);

/* Every file through hf_scan_run (threads) and hf_ipfix_reader: from the
 * IPFIX files, or (columns) from the columns written for them first;
 * choose: the records of odd start times alone, chosen from the times
 * (the rest of their fields read after). */
static void
compare_files(char **paths, int n, unsigned threads, bool columns, bool choose)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(scan_file_free);
    GHashTable *per_file = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                 (GDestroyNotify)g_ptr_array_unref);
    struct hf_scan_stats st;
    GError *err = NULL;
    uint64_t total = 0, strings = 0;
    void **ctxs = g_new(void *, threads);

    for (int i = 0; i < n; i++) {
        struct hf_scan_file *f = scan_file(paths[i]);
        g_ptr_array_add(files, f);
        g_hash_table_insert(per_file, f, g_ptr_array_new_with_free_func(
                                             (GDestroyNotify)g_bytes_unref));
    }
    for (unsigned i = 0; i < threads; i++)
        ctxs[i] = per_file;
    for (int i = 0; columns && i < n; i++) {
        bool built = hf_columns_build(paths[i], &err);
        CHECK(built, "%s: columns written: %s", paths[i], err ? err->message : "ok");
        g_clear_error(&err);
    }
    struct hf_scan_reader rd = { .groups = columns ? HF_COLS_ALL : 0, .first = HF_COLS_TIME,
                                 .select = choose ? select_odd : NULL, .fn = collect_chunk };
    bool ok = hf_scan_run_fields(files, threads, &rd, ctxs, NULL, &st, &err);
    CHECK(ok, "hf_scan_run over %d files on %u threads%s%s: %s", n, threads,
          columns ? ", from their columns" : "", choose ? ", odd start times" : "",
          err ? err->message : "ok");
    g_clear_error(&err);
    CHECK(st.files == (uint64_t)n && st.files_bad == 0,
          "%" G_GUINT64_FORMAT " files read, %" G_GUINT64_FORMAT " bad", st.files,
          st.files_bad);
    CHECK(st.columns_files == (columns ? (uint64_t)n : 0), "%" G_GUINT64_FORMAT
          " files read from their columns", st.columns_files);
    uint64_t options_total = 0;
    for (int i = 0; i < n; i++) {
        struct hf_scan_file *f = files->pdata[i];
        GPtrArray *got = g_hash_table_lookup(per_file, f);
        int rc;
        uint64_t options = 0;
        GPtrArray *want = reader_records(f->path, &rc, &options);
        CHECK(rc == 0, "%s: hf_ipfix_reader reads it whole (%d)", f->path, rc);
        uint64_t read = want->len;
        for (guint j = want->len; choose && j-- > 0;) {
            gsize l;
            const hf_flow_record_t *r = g_bytes_get_data(want->pdata[j], &l);
            if (!odd(r))
                g_ptr_array_remove_index(want, j);
        }
        bool same = want->len == got->len
                    && same_records(f->path, want, got, want->len);
        CHECK(same, "%s: %u records, as hf_ipfix_reader's %u, field by field",
              f->path, got->len, want->len);
        total += read;
        options_total += options;
        for (guint j = 0; j < got->len; j++) {
            gsize l;
            g_bytes_get_data(got->pdata[j], &l);
            strings += l > HF_FLOW_FIXED_LEN + 4 * NSTR;
        }
        g_ptr_array_unref(want);
    }
    CHECK(st.records == total, "stats: %" G_GUINT64_FORMAT " records (%" G_GUINT64_FORMAT
          " with strings), %" G_GUINT64_FORMAT " bytes", st.records, strings, st.bytes);
    CHECK(st.options_records == options_total, "stats: %" G_GUINT64_FORMAT
          " options records, hf_ipfix_reader %" G_GUINT64_FORMAT, st.options_records,
          options_total);
    g_free(ctxs);
    g_hash_table_unref(per_file);
    g_ptr_array_unref(files);
}

/* ---- damage ------------------------------------------------------------- */

static void
collect_plain(void *ctx, const hf_flow_record_t *r)
{
    g_ptr_array_add(ctx, flatten(r));
}

static char *tmpdir;

static void
count_record(void *ctx, const hf_flow_record_t *r, const struct hf_scan_file *f)
{
    /* touch what a reader would: every string's bytes */
    const fbVarfield_t *v = &r->hostflowHostname;
    uint8_t *sink = ctx ? ctx : &(uint8_t){ 0 };

    (void)f;
    for (int i = 0; i < NSTR; i++)
        for (size_t j = 0; j < v[i].len; j++)
            *sink ^= v[i].buf[j];
}

static bool
write_bytes(const char *path, const uint8_t *b, size_t n)
{
    return g_file_set_contents(path, (const char *)b, (gssize)n, NULL);
}

/* Cut copies (cuts offsets) and flipped copies (flips) of one file: the
 * whole records before the cut, exactly; bad unless cut between messages;
 * never a crash.  A few of them through a file and hf_scan_run. */
static void
damage_file(const char *path, int cuts, int flips, unsigned seed)
{
    gchar *buf;
    gsize len;
    struct hf_store_decoder *d = hf_store_decoder_new(NULL);
    struct hf_store_decode_result res;
    int rc, bad_cuts = 0, wrong = 0, wrong_bad = 0;

    if (!g_file_get_contents(path, &buf, &len, NULL)) {
        CHECK(false, "%s: readable", path);
        hf_store_decoder_free(d);
        return;
    }
    GPtrArray *all = reader_records(path, &rc, NULL);
    GRand *rnd = g_rand_new_with_seed(seed);
    for (int i = 0; i < cuts && len > 0; i++) {
        /* the first bytes, then spread over the file, plus random ones */
        size_t cut = i < 40 ? (size_t)i
                   : i % 2 ? (size_t)g_rand_int_range(rnd, 0, (gint32)len)
                   : (size_t)((double)(i - 40) / (cuts - 40) * len);
        if (cut >= len)
            cut = len - 1;
        uint8_t *copy = g_memdup2(buf, cut ? cut : 1);   /* exact size for ASan */
        struct hf_ipfix_scan *sc = hf_ipfix_scan_new();
        struct hf_ipfix_extent tail;
        uint64_t whole_records = 0, opt = 0;
        size_t whole = hf_ipfix_scan_stream(sc, copy, cut, &tail, &whole_records, &opt);
        hf_ipfix_scan_free(sc);
        uint64_t expect = whole_records + tail.records;
        bool expect_bad = whole != cut;
        GPtrArray *got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        bool ok = hf_store_decode_buffer(d, copy, cut, collect_plain, got, &res);
        if (got->len != expect || !same_records("cut", all, got, got->len)) {
            if (wrong++ < 5)
                CHECK(false, "%s cut at %zu: %u records, %" G_GUINT64_FORMAT
                      " whole before the cut", path, cut, got->len, expect);
        }
        if (ok == expect_bad) {
            if (wrong_bad++ < 5)
                CHECK(false, "%s cut at %zu: reported %s (%s)", path, cut,
                      ok ? "whole" : "bad", res.why);
        }
        bad_cuts += !ok;
        g_ptr_array_unref(got);
        g_free(copy);
    }
    CHECK(wrong == 0 && wrong_bad == 0, "%s: %d cuts, %d reported bad, each delivering "
          "exactly its whole records before the cut", path, cuts, bad_cuts);

    /* flipped bytes: anything may happen but a crash; the same file
     * through hf_scan_run is reported as the buffer was */
    int flipped_bad = 0, mismatch = 0;
    char *fpath = g_build_filename(tmpdir, "flipped.ipfix", NULL);
    for (int i = 0; i < flips && len > 16; i++) {
        uint8_t *copy = g_memdup2(buf, len);
        int nflip = 1 + i % 8;
        for (int k = 0; k < nflip; k++)
            copy[g_rand_int_range(rnd, 0, (gint32)len)] = (uint8_t)g_rand_int(rnd);
        GPtrArray *got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        bool ok = hf_store_decode_buffer(d, copy, len, collect_plain, got, &res);
        flipped_bad += !ok;
        if (i < 20) {
            GPtrArray *files = g_ptr_array_new_with_free_func(scan_file_free);
            struct hf_scan_stats st;
            g_ptr_array_add(files, scan_file(fpath));
            write_bytes(fpath, copy, len);
            hf_scan_run(files, 1, count_record, NULL, &st, NULL);
            if (st.files_bad != (ok ? 0u : 1u) || st.records != got->len)
                mismatch++;
            g_ptr_array_unref(files);
        }
        g_ptr_array_unref(got);
        g_free(copy);
    }
    CHECK(mismatch == 0, "%s: %d flipped copies, %d reported bad, no crash; through "
          "files as through the buffer", path, flips, flipped_bad);
    g_unlink(fpath);
    g_free(fpath);
    g_rand_free(rnd);
    g_ptr_array_unref(all);
    g_free(buf);
    hf_store_decoder_free(d);
}

/* ---- files written here --------------------------------------------------- */

static void
set_str(fbVarfield_t *v, const char *s)
{
    v->buf = (uint8_t *)s;
    v->len = strlen(s);
}

/* n records of every template variant: v4/v6, names or not, sampled or
 * not, summaries (with), long names (3-byte length prefix) */
static bool
write_file(const char *path, uint32_t with, int n, bool direct)
{
    GError *err = NULL;
    fbInfoModel_t *m = hf_infomodel_new(&err);
    fbSession_t *session = m ? hf_ipfix_flow_session(m, 7, with, &err) : NULL;
    struct hf_flow_encoder *enc = m ? hf_flow_encoder_new(m, with, &err) : NULL;
    FILE *fp = fopen(path, "wb");
    bool ok = session && enc && fp;
    static char long_name[400];

    memset(long_name, 'x', sizeof(long_name) - 1);
    if (ok) {
        fBuf_t *b = fBufAllocForExport(session, fbExporterAllocFP(fp));
        struct hf_flow_messages *msgs = hf_flow_messages_new(enc, fp, 1710115200, 7);
        fBufSetExportTime(b, 1710115200);
        ok = fbSessionExportTemplates(session, &err) && fBufEmit(b, &err);
        for (int i = 0; ok && i < n; i++) {
            hf_flow_record_t r;
            memset(&r, 0, sizeof(r));
            r.flowStartMilliseconds = 1710115200000ULL + (uint64_t)i * 1234;
            r.flowEndMilliseconds = r.flowStartMilliseconds + (uint64_t)i * 17;
            r.octetDeltaCount = 0x0102030405060708ULL + (uint64_t)i;
            r.packetDeltaCount = (uint64_t)i * 3 + 1;
            if (with & HF_TMPL_FLOWS)
                r.deltaFlowCount = (uint64_t)i + 1;
            r.ipVersion = i % 2 ? 6 : 4;
            for (int k = 0; k < 16; k++) {
                r.sourceIPv6Address[k] = (uint8_t)(i + k);
                r.destinationIPv6Address[k] = (uint8_t)(i * 7 + k);
            }
            if (r.ipVersion == 4)
                memset(r.sourceIPv6Address, 0, 32);
            else
                memset(&r.sourceIPv4Address, 0, 0);
            r.sourceIPv4Address = r.ipVersion == 4 ? 0xc0a80001u + (uint32_t)i : 0;
            r.destinationIPv4Address = r.ipVersion == 4 ? 0x08080808u : 0;
            r.ingressInterface = (uint32_t)i;
            r.egressInterface = (uint32_t)i * 2;
            r.samplingPacketInterval = i % 4 >= 2 ? 256 : 0;
            r.sourceTransportPort = (uint16_t)(40000 + i);
            r.destinationTransportPort = 443;
            r.vlanId = (uint16_t)(i % 4095);
            if (r.ipVersion == 4) r.icmpTypeCodeIPv4 = (uint16_t)(0x0800 + i);
            else r.icmpTypeCodeIPv6 = (uint16_t)(0x8000 + i);
            r.tcpControlBits = 0x1b;
            r.protocolIdentifier = i % 3 ? 6 : 17;
            r.ipClassOfService = (uint8_t)i;
            r.flowEndReason = (uint8_t)(1 + i % 5);
            for (int k = 0; k < 6; k++) {
                r.sourceMacAddress[k] = (uint8_t)(0x10 + k + i);
                r.destinationMacAddress[k] = (uint8_t)(0x20 + k);
            }
            if (i % 8 >= 4) {
                r.hostflowNameSource = (uint8_t)(1 + i % 4);
                set_str(&r.hostflowHostname, i % 16 == 4 ? long_name : "www.example.com");
                set_str(&r.hostflowDnsName, i % 3 ? "cdn.example.net" : "");
                set_str(&r.httpRequestHost, i % 5 ? "" : "h.example.org");
                set_str(&r.sslServerNameNtop, "sni.example");
                set_str(&r.dnsQueryNtop, i % 2 ? "q.example" : "");
                set_str(&r.applicationName, "tls");
            }
            ok = direct ? hf_flow_messages_add(msgs, &r, &err)
                        : hf_ipfix_append_flow(b, &r, &err);
        }
        ok = ok && (direct ? hf_flow_messages_end(msgs, &err) : fBufEmit(b, &err));
        if (err)
            printf("write_file: %s\n", err->message);
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

static void
collect_bytes(void *ctx, const hf_flow_record_t *r)
{
    g_ptr_array_add(ctx, flatten(r));
}

/* A file cut at message starts (hf_store_file_split) and read part by
 * part, each by a fresh decoder, gives exactly its records, in order. */
static void
test_split(const char *path)
{
    GPtrArray *want = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    GPtrArray *got = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    struct hf_store_decoder *d = hf_store_decoder_new(NULL);
    struct hf_store_decode_result res;

    hf_store_decode_file(d, path, collect_bytes, want, &res, NULL);
    for (unsigned parts = 2; parts <= 7; parts++) {
        GArray *cuts = hf_store_file_split(path, parts);
        uint64_t from = 0;
        bool ok = true;

        g_ptr_array_set_size(got, 0);
        CHECK(cuts->len > 0 && cuts->len < parts, "%s: %u parts cut at %u places", path,
              parts, cuts->len);
        for (guint k = 0; k <= cuts->len; k++) {
            uint64_t to = k < cuts->len ? g_array_index(cuts, uint64_t, k) : UINT64_MAX;
            struct hf_store_decoder *pd = hf_store_decoder_new(NULL);
            ok = hf_store_decode_file_part(pd, path, from, to, collect_bytes, got, &res,
                                           NULL) && ok;
            hf_store_decoder_free(pd);
            from = to;
        }
        CHECK(ok && got->len == want->len && same_records(path, want, got, want->len),
              "%s in %u parts: %u records as read whole (%u)", path, parts, got->len,
              want->len);
        g_array_unref(cuts);
    }
    /* a file cut short is not split: one thread reports its damage */
    char *cut = g_strconcat(path, ".cut", NULL);
    gchar *data;
    gsize len;
    g_file_get_contents(path, &data, &len, NULL);
    g_file_set_contents(cut, data, (gssize)(len - 7), NULL);
    GArray *none = hf_store_file_split(cut, 3);
    CHECK(none->len == 0, "a file cut short is not split (%u cuts)", none->len);
    g_array_unref(none);
    g_free(data);
    g_free(cut);
    hf_store_decoder_free(d);
    g_ptr_array_unref(got);
    g_ptr_array_unref(want);
}

/* A reader that asks the scan to stop after its 100th record. */
struct stopper {
    struct hf_decode_stop *stop;
    gint seen;
};

static void
stop_at_100(void *ctx, const hf_flow_record_t *r, const struct hf_scan_file *f)
{
    struct stopper *s = ctx;

    (void)r, (void)f;
    if (g_atomic_int_add(&s->seen, 1) + 1 == 100)
        g_atomic_int_set(&s->stop->flag, 2);
}

/* hf_scan_run_until stops within a message of being asked (by its flag or
 * its deadline) and reads everything when never asked. */
static void
test_stop(char *a, char *b)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(scan_file_free);
    struct hf_scan_stats st;

    g_ptr_array_add(files, scan_file(a));
    g_ptr_array_add(files, scan_file(b));
    for (unsigned threads = 1; threads <= 2; threads++) {
        struct hf_decode_stop stop = { 0, 0 };
        struct stopper s = { &stop, 0 };
        void *ctxs[2] = { &s, &s };
        bool ok = hf_scan_run_until(files, threads, stop_at_100, ctxs, &stop, &st, NULL);
        CHECK(ok && st.stopped && st.records >= 100 && st.records < 3000 * threads
              && stop.flag == 2, "%u thread(s), stopped by the flag at record 100: %"
              G_GUINT64_FORMAT " of 6000 records read", threads, st.records);

        stop = (struct hf_decode_stop){ 0, g_get_monotonic_time() - 1 };
        ok = hf_scan_run_until(files, threads, count_record, NULL, &stop, &st, NULL);
        CHECK(ok && st.stopped && st.records == 0 && stop.flag == HF_DECODE_STOP_TIME,
              "%u thread(s), a deadline passed: %" G_GUINT64_FORMAT " records, flag %d",
              threads, st.records, stop.flag);

        stop = (struct hf_decode_stop){ 0, g_get_monotonic_time() + 600 * G_USEC_PER_SEC };
        ok = hf_scan_run_until(files, threads, count_record, NULL, &stop, &st, NULL);
        CHECK(ok && !st.stopped && st.records == 6000 && stop.flag == 0,
              "%u thread(s), a deadline not reached: %" G_GUINT64_FORMAT " records", threads,
              st.records);
    }
    g_ptr_array_unref(files);
}

static void
test_written_files(void)
{
    char *paths[4];
    const uint32_t with[4] = {0, HF_TMPL_FLOWS, 0, HF_TMPL_FLOWS};

    for (int i = 0; i < 4; i++) {
        paths[i] = g_strdup_printf("%s/w%d.ipfix", tmpdir, i);
        CHECK(write_file(paths[i], with[i], i < 2 ? 3000 : 40, i < 2),
              "%s written", paths[i]);
    }
    compare_files(paths, 4, 2, false, false);
    compare_files(paths, 4, 1, false, false);
    compare_files(paths, 4, 2, false, true);
    test_split(paths[0]);
    test_split(paths[1]);
    test_stop(paths[0], paths[1]);
    /* the same files from their columns (several blocks: 3000 records) */
    compare_files(paths, 4, 2, true, false);
    compare_files(paths, 4, 1, true, false);
    compare_files(paths, 4, 2, true, true);
    check_columns_kept(paths, 4);
    bool saved = check_failures_only;
    check_failures_only = true;
    damage_file(paths[2], 2000, 300, 1);
    damage_file(paths[3], 600, 300, 2);
    damage_file(paths[0], 400, 100, 3);
    check_failures_only = saved;
    CHECK(true, "damaged copies checked");

    /* not IPFIX, empty, missing */
    char *junk = g_build_filename(tmpdir, "junk.ipfix", NULL);
    char *empty = g_build_filename(tmpdir, "empty.ipfix", NULL);
    char *missing = g_build_filename(tmpdir, "missing.ipfix", NULL);
    write_bytes(junk, (const uint8_t *)"GET / HTTP/1.0\r\n\r\nhello", 24);
    write_bytes(empty, (const uint8_t *)"", 0);
    GPtrArray *files = g_ptr_array_new_with_free_func(scan_file_free);
    g_ptr_array_add(files, scan_file(junk));
    g_ptr_array_add(files, scan_file(empty));
    g_ptr_array_add(files, scan_file(missing));
    g_ptr_array_add(files, scan_file(paths[2]));
    struct hf_scan_stats st;
    CHECK(hf_scan_run(files, 2, count_record, NULL, &st, NULL)
          && st.files == 4 && st.files_bad == 2 && st.records == 40,
          "junk and missing files bad, empty and good ones read (%" G_GUINT64_FORMAT
          " bad, %" G_GUINT64_FORMAT " records)", st.files_bad, st.records);
    g_ptr_array_unref(files);
    for (int i = 0; i < 4; i++)
        g_free(paths[i]);
    g_free(junk);
    g_free(empty);
    g_free(missing);
}

/* ---- file selection ------------------------------------------------------- */

#define T0 1710064800000ULL     /* 2024-03-10 10:00 UTC */
#define MINUTE 60000ULL
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

static char *
touch(const char *store, const char *source, uint64_t ms, int seq, bool hourly)
{
    GDateTime *t = g_date_time_new_from_unix_utc((gint64)(ms / 1000));
    char *dir, *name, *path;

    if (hourly) {
        dir = g_strdup_printf("%s/.hourly/%s/%04d/%02d", store, source,
                              g_date_time_get_year(t), g_date_time_get_month(t));
        name = g_date_time_format(t, "hourly-%Y%m%d%H.ipfix");
    } else {
        char *ymd = g_date_time_format(t, "%Y/%m/%d");
        char *stamp = g_date_time_format(t, "%Y%m%d%H%M");
        dir = g_strdup_printf("%s/%s/%s", store, source, ymd);
        name = seq ? g_strdup_printf("flows-%s-%d.ipfix", stamp, seq)
                   : g_strdup_printf("flows-%s.ipfix", stamp);
        g_free(ymd);
        g_free(stamp);
    }
    g_mkdir_with_parents(dir, 0755);
    path = g_build_filename(dir, name, NULL);
    write_bytes(path, (const uint8_t *)"", 0);
    g_free(dir);
    g_free(name);
    g_date_time_unref(t);
    return path;
}

/* the chosen files' paths, as "source@minutes-from-T0[-seq]" names, sorted */
static char *
names(GPtrArray *files)
{
    GString *s = g_string_new("");

    for (guint i = 0; i < files->len; i++) {
        const struct hf_scan_file *f = files->pdata[i];
        const char *base = strrchr(f->path, '/') + 1;
        g_string_append_printf(s, "%s%s@%" G_GINT64_FORMAT "%s", i ? " " : "", f->source,
                               ((gint64)f->start_ms - (gint64)T0) / (gint64)MINUTE,
                               strstr(base, "-1.") ? "-1" : "");
    }
    return g_string_free(s, FALSE);
}

static void
expect_files(const char *store, const char *const *sources, uint64_t from, uint64_t to,
             bool hourly, const char *want)
{
    GPtrArray *got = hf_scan_files(store, sources, from, to, hourly);
    char *n = names(got);

    CHECK(strcmp(n, want) == 0, "%s [%+" G_GINT64_FORMAT ", %+" G_GINT64_FORMAT ") min "
          "of %s: \"%s\" (expected \"%s\")", hourly ? "hourly" : "slots",
          ((gint64)from - (gint64)T0) / (gint64)MINUTE, ((gint64)to - (gint64)T0) / (gint64)MINUTE,
          sources ? sources[0] : "all", n, want);
    g_free(n);
    g_ptr_array_unref(got);
}

static void
test_selection(void)
{
    char *store = g_build_filename(tmpdir, "store", NULL);
    const char *const only_a[] = {"a", NULL};
    const char *const b_c[] = {"c", "b", NULL};

    /* a: 10:00..10:55 every 5 min and the next day 00:00, 00:05
     * b: 10:05 (and a second file -1), 13:00
     * c: 23:55 the day before */
    for (int i = 0; i < 12; i++)
        g_free(touch(store, "a", T0 + (uint64_t)i * 5 * MINUTE, 0, false));
    g_free(touch(store, "a", T0 + 14 * HOUR, 0, false));
    g_free(touch(store, "a", T0 + 14 * HOUR + 5 * MINUTE, 0, false));
    g_free(touch(store, "b", T0 + 5 * MINUTE, 0, false));
    g_free(touch(store, "b", T0 + 5 * MINUTE, 1, false));
    g_free(touch(store, "b", T0 + 3 * HOUR, 0, false));
    g_free(touch(store, "c", T0 - 10 * HOUR - 5 * MINUTE, 0, false));
    g_free(touch(store, "a", T0, 0, true));
    g_free(touch(store, "a", T0 + HOUR, 0, true));
    g_free(touch(store, "b", T0, 0, true));
    g_free(touch(store, "b", T0 + 3 * HOUR, 0, true));
    g_free(touch(store, "c", T0 - 11 * HOUR, 0, true));

    expect_files(store, only_a, T0 + 7 * MINUTE, T0 + 12 * MINUTE, false, "a@5 a@10");
    expect_files(store, NULL, T0 + 7 * MINUTE, T0 + 12 * MINUTE, false,
                 "c@-605 a@5 b@5 b@5-1 a@10");
    expect_files(store, b_c, T0 + 7 * MINUTE, T0 + 12 * MINUTE, false, "c@-605 b@5 b@5-1");
    expect_files(store, only_a, T0, T0 + 1, false, "a@0");
    expect_files(store, only_a, T0 - 1, T0, false, "");
    expect_files(store, only_a, T0 + 56 * MINUTE, T0 + 2 * HOUR, false, "a@55");
    expect_files(store, only_a, T0 + 14 * HOUR + 1, T0 + 15 * HOUR, false, "a@840 a@845");
    /* a gap: a file's slot may run until its source's next one */
    expect_files(store, NULL, T0 + 3 * HOUR, T0 + 3 * HOUR + 1, false, "c@-605 a@55 b@180");
    /* the last file's slot is at most a day */
    expect_files(store, b_c, T0 + 27 * HOUR, T0 + 28 * HOUR, false, "");
    expect_files(store, b_c, T0 + 26 * HOUR, T0 + 28 * HOUR, false, "b@180");
    expect_files(store, only_a, T0, T0, false, "");

    expect_files(store, NULL, T0 + 30 * MINUTE, T0 + 31 * MINUTE, true, "a@0 b@0");
    expect_files(store, NULL, T0 - 1, T0, true, "");
    expect_files(store, NULL, T0 - 10 * HOUR - 1, T0 + 1, true, "c@-660 a@0 b@0");
    expect_files(store, only_a, T0 + HOUR - 1, T0 + HOUR + 1, true, "a@0 a@60");
    expect_files(store, b_c, T0, T0 + 4 * HOUR, true, "b@0 b@180");

    /* slot files as hf_store_files() chooses them, on a grid of windows */
    int differ = 0, windows = 0;
    for (int64_t f = -12 * 60; f < 40 * 60; f += 37) {
        for (int64_t len = 1; len < 30 * 60; len = len * 3 + 1) {
            uint64_t from = T0 + (uint64_t)(f * (int64_t)MINUTE), to = from + (uint64_t)len * MINUTE;
            for (int k = 0; k < 3; k++) {
                const char *src = k == 0 ? NULL : k == 1 ? "a" : "b";
                const char *const list[] = {src, NULL};
                GPtrArray *got = hf_scan_files(store, src ? list : NULL, from, to, false);
                GPtrArray *want = hf_store_files(store, src, from, to);
                GHashTable *w = g_hash_table_new(g_str_hash, g_str_equal);
                for (guint i = 0; i < want->len; i++)
                    g_hash_table_add(w, want->pdata[i]);
                bool same = got->len == want->len;
                for (guint i = 0; same && i < got->len; i++)
                    same = g_hash_table_contains(w, ((struct hf_scan_file *)got->pdata[i])->path);
                differ += !same;
                windows++;
                g_hash_table_unref(w);
                g_ptr_array_unref(got);
                g_ptr_array_unref(want);
            }
        }
    }
    CHECK(differ == 0, "slot files as hf_store_files() picks them: %d of %d windows differ",
          differ, windows);
    g_free(store);
}

static void
rm_rf(const char *path)
{
    char *cmd = g_strdup_printf("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
    g_free(cmd);
}

/* Columns are used only while their IPFIX file is as it was: a file
 * touched since is read as IPFIX again (and its columns rewritten by
 * hf_columns_build); a damaged side file is reported, never a crash. */
static void
check_columns_kept(char **paths, int n)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (!hf_columns_valid(paths[i]) || stat(paths[i], &st) != 0) {
            CHECK(false, "%s: columns valid after they were written", paths[i]);
            continue;
        }
        struct timespec t[2] = { st.st_atim, st.st_mtim };
        t[1].tv_sec++;
        CHECK(utimensat(AT_FDCWD, paths[i], t, 0) == 0 && !hf_columns_valid(paths[i]),
              "%s: columns ignored once the file is modified", paths[i]);
        t[1].tv_sec--;
        CHECK(utimensat(AT_FDCWD, paths[i], t, 0) == 0 && hf_columns_valid(paths[i]),
              "%s: and valid again at the time they were written for", paths[i]);
    }
    /* a side file cut short or overwritten: refused at open, or a block
     * reported damaged; records before the damage are whole ones */
    for (int i = 0; i < n && i < 6; i++) {
        char *cols = hf_columns_path(paths[i]), *bytes = NULL;
        gsize len = 0;
        if (!g_file_get_contents(cols, &bytes, &len, NULL) || len < 200) {
            g_free(cols);
            g_free(bytes);
            continue;
        }
        char *copy = g_build_filename(tmpdir, "damaged.ipfix", NULL);
        char *copy_cols = hf_columns_path(copy);
        char *ipfix = NULL;
        gsize ilen = 0;
        g_file_get_contents(paths[i], &ipfix, &ilen, NULL);
        for (unsigned k = 0; k < 40; k++) {
            struct stat st;
            write_bytes(copy, (const uint8_t *)ipfix, ilen);
            stat(copy, &st);
            /* the header made to fit the copy, then damage past it */
            struct hf_cols_header h;
            memcpy(&h, bytes, sizeof(h));
            h.ipfix_mtime_ns = hf_stat_mtime_ns(&st);
            memcpy(bytes, &h, sizeof(h));
            GByteArray *d = g_byte_array_new();
            g_byte_array_append(d, (const guint8 *)bytes, (guint)len);
            gsize at = sizeof(h) + (len - sizeof(h)) * k / 40;
            if (k % 2)
                g_byte_array_set_size(d, (guint)at);            /* cut */
            else
                for (gsize j = at; j < at + 8 && j < len; j++)  /* overwritten */
                    d->data[j] ^= 0xa5;
            write_bytes(copy_cols, d->data, d->len);
            g_byte_array_unref(d);
            GPtrArray *files = g_ptr_array_new_with_free_func(scan_file_free);
            g_ptr_array_add(files, scan_file(copy));
            struct hf_scan_stats sst;
            uint8_t sink = 0;
            void *ctxs[1] = { &sink };
            hf_scan_run(files, 1, count_record, ctxs, &sst, NULL);
            g_ptr_array_unref(files);
            CHECK(sst.files == 1, "%s: damaged columns (%s at %zu) read without a crash",
                  paths[i], k % 2 ? "cut" : "overwritten", (size_t)at);
        }
        unlink(copy);
        unlink(copy_cols);
        g_free(copy);
        g_free(copy_cols);
        g_free(ipfix);
        g_free(cols);
        g_free(bytes);
    }
}

int
main(int argc, char **argv)
{
    tmpdir = g_dir_make_tmp("hf-store-read-XXXXXX", NULL);
    if (!tmpdir)
        return 1;
    /* damaged files are reported with g_warning: expected here, not fatal */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    if (argc > 1 && strcmp(argv[1], "--compare") == 0) {
        int first = 2, damage = 0;
        if (argc > 3 && strcmp(argv[2], "--damage") == 0) {
            damage = atoi(argv[3]);
            first = 4;
        }
        check_failures_only = true;
        compare_files(argv + first, argc - first, 2, false, false);
        compare_files(argv + first, argc - first, 2, true, false);
        compare_files(argv + first, argc - first, 2, true, true);
        check_columns_kept(argv + first, argc - first);
        for (int i = first; damage && i < argc; i++)
            damage_file(argv[i], damage, damage / 2, (unsigned)i);
        check_failures_only = false;
        CHECK(true, "%d files compared%s", argc - first, damage ? ", damaged copies too" : "");
    } else {
        test_written_files();
        test_selection();
    }
    rm_rf(tmpdir);
    g_free(tmpdir);
    return check_summary();
}
