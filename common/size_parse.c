#include "size_parse.h"

#include <stdlib.h>
#include <glib.h>

bool
hf_size_parse(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!g_ascii_isdigit(*s))
        return false;             /* strtoull would take "-5" */
    v = strtoull(s, &end, 10);
    switch (*end) {
    case 'T': case 't': v <<= 10; /* fall through */
    case 'G': case 'g': v <<= 10; /* fall through */
    case 'M': case 'm': v <<= 10; /* fall through */
    case 'K': case 'k': v <<= 10; end++; break;
    case 0: break;
    default: return false;
    }
    if (*end && !(end[0] == 'B' && end[1] == 0) && !(end[0] == 'i' && end[1] == 'B'))
        return false;
    *out = v;
    return true;
}
