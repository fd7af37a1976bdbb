/* query_read MODE FILE...: reads IPFIX files and prints one line
 *   mode=M records=N seconds=S records_per_s=R checksum=C
 * MODE: scan1, scan2 ... (hf_scan_run on N threads: query/store_scan.h),
 * fixbuf (hf_ipfix_reader, libfixbuf's transcoder, one file after another),
 * decoder (the collector's decoder, hf_decoder_feed() per message of the
 * mapped file).  The checksum (octets and string bytes summed) shows that
 * each mode read the same.  For bench/query-read-bench.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decoder.h"
#include "infomodel.h"
#include "ipfix_reader.h"
#include "store_scan.h"

struct sum {
    uint64_t records, check;
    char pad[48];               /* one cache line per thread */
};

static inline void
add(struct sum *s, const hf_flow_record_t *r)
{
    s->records++;
    s->check += r->octetDeltaCount + r->hostflowHostname.len + r->applicationName.len;
}

static void
scan_fn(void *ctx, const hf_flow_record_t *r, const struct hf_scan_file *f)
{
    (void)f;
    add(ctx, r);
}

static void
decoder_fn(void *ctx, const struct hf_exporter_id *exp, const hf_flow_record_t *r,
           uint64_t arrival_ms)
{
    (void)exp;
    (void)arrival_ms;
    add(ctx, r);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: query_read scanN|fixbuf|decoder FILE...\n");
        return 2;
    }
    const char *mode = argv[1];
    struct sum total = {0};
    double t0 = now_s();

    if (strncmp(mode, "scan", 4) == 0) {
        unsigned n = (unsigned)atoi(mode + 4);
        GPtrArray *files = g_ptr_array_new();
        struct sum *sums = g_new0(struct sum, n ? n : 1);
        void **ctxs = g_new(void *, n ? n : 1);
        struct hf_scan_stats st;
        GError *err = NULL;
        for (unsigned i = 0; i < (n ? n : 1); i++)
            ctxs[i] = &sums[i];
        for (int i = 2; i < argc; i++) {
            struct hf_scan_file *f = g_new0(struct hf_scan_file, 1);
            f->path = argv[i];
            f->source = (char *)"bench";
            g_ptr_array_add(files, f);
        }
        if (!hf_scan_run(files, n ? n : 1, scan_fn, ctxs, &st, &err)) {
            fprintf(stderr, "%s\n", err->message);
            return 1;
        }
        for (unsigned i = 0; i < (n ? n : 1); i++) {
            total.records += sums[i].records;
            total.check += sums[i].check;
        }
    } else if (strcmp(mode, "fixbuf") == 0) {
        for (int i = 2; i < argc; i++) {
            GError *err = NULL;
            struct hf_ipfix_reader *r = hf_ipfix_reader_open(argv[i], &err);
            hf_flow_record_t rec;
            if (!r) {
                fprintf(stderr, "%s: %s\n", argv[i], err->message);
                return 1;
            }
            while (hf_ipfix_reader_next(r, &rec, &err) == 1)
                add(&total, &rec);
            g_clear_error(&err);
            hf_ipfix_reader_close(r);
        }
    } else if (strcmp(mode, "decoder") == 0) {
        struct hf_decoder_config cfg = { .enterprise_number = hf_enterprise_number };
        struct hf_decoder *d = hf_decoder_new(&cfg, decoder_fn, &total);
        struct hf_exporter_id from = { .addr = {[10] = 0xff, [11] = 0xff, [12] = 127,
                                                [15] = 1}, .port = 4739 };
        for (int i = 2; i < argc; i++) {
            int fd = open(argv[i], O_RDONLY);
            struct stat st;
            if (fd < 0 || fstat(fd, &st) != 0) {
                perror(argv[i]);
                return 1;
            }
            const uint8_t *m = st.st_size ? mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
                                          : NULL;
            close(fd);
            size_t pos = 0, len = (size_t)st.st_size;
            while (m && len - pos >= 16) {
                size_t l = (size_t)m[pos + 2] << 8 | m[pos + 3];
                if (l < 16 || l > len - pos)
                    break;
                hf_decoder_feed(d, &from, m + pos, l, 1);
                pos += l;
            }
            if (m)
                munmap((void *)m, len);
        }
        hf_decoder_free(d);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    double dt = now_s() - t0;
    printf("mode=%s records=%" G_GUINT64_FORMAT " seconds=%.3f records_per_s=%.0f "
           "checksum=%" G_GUINT64_FORMAT "\n", mode, total.records, dt,
           total.records / dt, total.check);
    return 0;
}
