/* libFuzzer target for the TLS ClientHello SNI parsers.  The input is the
 * client's first bytes (hf_tls_sni) and, separately, a bare handshake
 * message (hf_tls_clienthello_sni).  Besides the sanitizers' own checks: a
 * name is 1..255 printable lower-case bytes, and an answer given for a
 * prefix (anything but MORE) is the answer for all of the input. */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 20)
        return 0;
    check_parser(hf_tls_sni, data, size);
    check_parser(hf_tls_clienthello_sni, data, size);
    return 0;
}
