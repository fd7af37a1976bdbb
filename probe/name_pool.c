/* Interned hostnames: one GHashTable keyed by the name's own (lower-case)
 * string, so a lookup costs no allocation and each name one.  The table
 * itself is freed when the last name goes, so an idle probe (and a test's
 * leak check) holds nothing. */
#include "name_pool.h"

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#define NAME_MAX_LEN 255

static GHashTable *pool;          /* n->str → n */
static size_t pool_bytes;

static size_t
name_size(size_t len)
{
    return sizeof(struct hf_name) + len + 1;
}

struct hf_name *
hf_name_get(const char *str, size_t len)
{
    char lower[NAME_MAX_LEN + 1];
    struct hf_name *n;

    if (!str || len == 0 || len > NAME_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        /* ASCII only: locale-aware tolower could fold bytes of UTF-8. */
        char ch = str[i];
        if (ch == '\0')
            return NULL;  /* the key is a C string: "a\0b" would alias "a" */
        lower[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    lower[len] = '\0';

    if (!pool)
        pool = g_hash_table_new(g_str_hash, g_str_equal);
    n = g_hash_table_lookup(pool, lower);
    if (n)
        return hf_name_ref(n);

    n = g_malloc(name_size(len));
    n->refs = 1;
    n->len = (uint16_t)len;
    memcpy(n->str, lower, len + 1);
    g_hash_table_insert(pool, n->str, n);
    pool_bytes += name_size(len);
    return n;
}

struct hf_name *
hf_name_ref(struct hf_name *n)
{
    if (n) {
        /* Every holder is a bounded cache entry or flow: 2^32 cannot be
         * reached, and wrapping would free a name still in use. */
        if (n->refs == UINT32_MAX)
            abort();
        n->refs++;
    }
    return n;
}

void
hf_name_unref(struct hf_name *n)
{
    if (!n)
        return;
    if (n->refs == 0)
        abort();      /* double unref: fail loudly rather than corrupt */
    if (--n->refs > 0)
        return;
    g_hash_table_remove(pool, n->str);
    pool_bytes -= name_size(n->len);
    g_free(n);
    if (g_hash_table_size(pool) == 0) {
        g_hash_table_destroy(pool);
        pool = NULL;
    }
}

size_t
hf_name_pool_count(void)
{
    return pool ? g_hash_table_size(pool) : 0;
}

size_t
hf_name_pool_bytes(void)
{
    return pool_bytes;
}
