/* Shared by the libFuzzer targets for the application-name parsers
 * (fuzz_tls.c, fuzz_http.c): check_parser(fn, data, size) runs one parser
 * on the input and on two of its prefixes (exact-size heap copies) and
 * aborts on a malformed name or a prefix answer (other than MORE) that
 * differs from the whole input's. */
#ifndef HOSTFLOW_FUZZ_APP_H
#define HOSTFLOW_FUZZ_APP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app_parse.h"

typedef enum hf_parse_status (*parse_fn)(const uint8_t *, size_t,
                                         char[HF_NAME_MAX]);

static void check_name(const char *name)
{
    const char *end = memchr(name, '\0', HF_NAME_MAX);

    if (!end || end == name)
        abort();
    for (const char *p = name; p < end; p++)
        if (*p <= ' ' || *p >= 0x7f || (*p >= 'A' && *p <= 'Z'))
            abort();
}

/* fn on an exact-size copy of the first len bytes */
static enum hf_parse_status run_prefix(parse_fn fn, const uint8_t *data,
                                       size_t len, char name[HF_NAME_MAX])
{
    uint8_t *copy = malloc(len ? len : 1);

    memcpy(copy, data, len);
    enum hf_parse_status st = fn(copy, len, name);
    free(copy);
    return st;
}

static void check_parser(parse_fn fn, const uint8_t *data, size_t size)
{
    char name[HF_NAME_MAX], pname[HF_NAME_MAX];
    enum hf_parse_status st = fn(data, size, name);

    if (st > HF_PARSE_NO_NAME)
        abort();
    if (st == HF_PARSE_NAME)
        check_name(name);
    const size_t prefixes[] = { size / 2, size ? size - 1 : 0 };
    for (size_t i = 0; i < 2; i++) {
        enum hf_parse_status pst = run_prefix(fn, data, prefixes[i], pname);
        if (pst == HF_PARSE_MORE)
            continue;
        if (pst != st || (st == HF_PARSE_NAME && strcmp(name, pname)))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
