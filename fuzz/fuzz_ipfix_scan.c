/* libFuzzer target: the IPFIX record-boundary scanner (common/ipfix_scan.h)
 * over a damaged file.  The input is the file's bytes.  Besides reading no
 * byte out of bounds, the scan must agree with itself: the whole messages
 * followed by the repaired cut message scan as whole messages only, with
 * the records counted before. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipfix_scan.h"

static uint8_t repaired[HF_IPFIX_MSG_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hf_ipfix_scan *s = hf_ipfix_scan_new();
    struct hf_ipfix_extent tail, again;
    uint64_t recs = 0, opts = 0, recs2 = 0, opts2 = 0;
    size_t whole = hf_ipfix_scan_stream(s, data, size, &tail, &recs, &opts);
    size_t n = 0;

    hf_ipfix_scan_free(s);
    if (whole > size || tail.good > size - whole || tail.whole)
        abort();
    if (whole < size)
        n = hf_ipfix_scan_repair(data + whole, &tail, repaired);
    if (n) {
        /* a copy, so that ASan catches a read past its end */
        uint8_t *buf = malloc(whole + n);
        memcpy(buf, data, whole);
        memcpy(buf + whole, repaired, n);
        s = hf_ipfix_scan_new();
        size_t whole2 = hf_ipfix_scan_stream(s, buf, whole + n, &again, &recs2,
                                             &opts2);
        hf_ipfix_scan_free(s);
        free(buf);
        if (whole2 != whole + n || recs2 != recs + tail.records
            || opts2 != opts + tail.options_records)
            abort();
    }
    return 0;
}
