/* libFuzzer target for the HTTP/1.x Host parser.  The input is the
 * client's first bytes (the parser stops at 8 KiB: run with -max_len=10000
 * to reach that).  Besides the sanitizers' own checks: a name is 1..255
 * printable lower-case bytes, and an answer given for a prefix (anything
 * but MORE) is the answer for all of the input. */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    check_parser(hf_http_host, data, size);
    return 0;
}
