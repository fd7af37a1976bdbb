/* libFuzzer target: the query engine's store decoder (query/store_decode.h)
 * over arbitrary bytes as a file.  Besides reading no byte out of bounds
 * (every string delivered is read whole), it must agree with the record
 * boundary scanner (common/ipfix_scan.h): a file it reads whole scans whole,
 * with as many flow and options records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix_scan.h"
#include "store_decode.h"
#include "fuzz_record.h"

static struct hf_store_decoder *dec;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hf_store_decode_result res;
    uint64_t sum = 0;

    if (!dec && !(dec = hf_store_decoder_new(NULL)))
        abort();
    bool ok = hf_store_decode_buffer(dec, data, size, fuzz_touch_record, &sum, &res);
    if (res.good > size || ok == res.damaged)
        abort();
    if (ok) {
        struct hf_ipfix_scan *s = hf_ipfix_scan_new();
        struct hf_ipfix_extent tail;
        uint64_t recs = 0, opts = 0;
        size_t whole = hf_ipfix_scan_stream(s, data, size, &tail, &recs, &opts);
        hf_ipfix_scan_free(s);
        if (whole != size || recs != res.records || opts != res.options_records)
            abort();
    }
    return 0;
}
