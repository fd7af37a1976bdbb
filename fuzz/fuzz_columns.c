/* libFuzzer target: a slot file's columns (query/columns.h) as read back
 * from disk, where a damaged side file must be refused or reported, never
 * read out of bounds.  The input is the file's blocks: the harness adds a
 * header that fits the IPFIX file and an index cutting the input into 1
 * to 4 blocks (each block's own length set to fit, else it is refused at
 * once), so the fuzzer works on what the blocks say of their columns;
 * every block is read with every field. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "columns.h"
#include "columns_format.h"
#include "store_fs.h"
#include "fuzz_record.h"

static char *ipfix_path;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stat st;

    if (!ipfix_path) {
        char dir[] = "/tmp/fuzz-columns-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        ipfix_path = g_build_filename(dir, "flows-202601010000.ipfix", NULL);
        if (!g_file_set_contents(ipfix_path, "0123456789", 10, NULL))
            abort();
    }
    if (stat(ipfix_path, &st) != 0)
        abort();
    unsigned nblocks = size ? 1 + data[0] % 4 : 1;
    size_t body = size > 1 ? size - 1 : 0, total = sizeof(struct hf_cols_header) + body
                                                   + (nblocks + 1) * 8;
    uint8_t *buf = g_malloc0(total);
    struct hf_cols_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, HF_COLS_MAGIC, sizeof(h.magic));
    h.byte_order = HF_COLS_BYTE_ORDER;
    h.version = HF_COLS_VERSION;
    h.ncols = HF_C_COUNT;
    h.nblocks = nblocks;
    h.ipfix_size = (uint64_t)st.st_size;
    h.ipfix_mtime_ns = hf_stat_mtime_ns(&st);
    h.records = (uint64_t)nblocks * HF_COLS_BLOCK;
    h.index_offset = sizeof(h) + body;
    memcpy(buf, &h, sizeof(h));
    if (body)
        memcpy(buf + sizeof(h), data + 1, body);
    for (unsigned b = 0; b <= nblocks; b++) {
        uint64_t at = sizeof(h) + body * b / nblocks;
        memcpy(buf + h.index_offset + b * 8, &at, 8);
        if (b < nblocks) {
            uint32_t len = (uint32_t)(body * (b + 1) / nblocks - body * b / nblocks);
            if (len >= sizeof(struct hf_cols_block))
                memcpy(buf + at + offsetof(struct hf_cols_block, length), &len, 4);
        }
    }
    char *cols = hf_columns_path(ipfix_path);
    if (!g_file_set_contents(cols, (const char *)buf, (gssize)total, NULL))
        abort();
    g_free(buf);
    g_free(cols);

    struct hf_columns *c = hf_columns_open(ipfix_path);
    if (c) {
        struct hf_store_decode_result res;
        uint64_t sum = 0;
        for (int choose = 0; choose < 2; choose++) {
            bool ok = hf_columns_read(c, 0, hf_columns_blocks(c), HF_COLS_ALL, HF_COLS_TIME,
                                      choose ? fuzz_every_other : NULL, fuzz_touch_records,
                                      &sum, NULL, &res);
            if (ok == res.damaged
                || res.records > hf_columns_blocks(c) * (uint64_t)HF_COLS_BLOCK)
                abort();
        }
        hf_columns_close(c);
    }
    return 0;
}
