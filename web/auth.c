/* See auth.h. */
#include "auth.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define CACHE_MAX     256           /* verified pairs remembered */
#define CACHE_SECONDS 300
#define HEADER_MAX    1024          /* an Authorization header longer: refused */

struct hf_web_auth {
    gint refs;
    GHashTable *users;              /* user -> hash */
    char *dummy;                    /* a hash to check unknown users against */
    GMutex lock;                    /* the cache */
    GHashTable *cache;              /* HMAC hex -> expiry (gint64 boxed) */
    guchar key[32];                 /* the HMAC's secret */
};

static bool
hash_accepted(const char *h)
{
    static const char *const ok[] = { "$y$", "$2b$", "$2y$", "$5$", "$6$" };

    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++)
        if (g_str_has_prefix(h, ok[i]))
            return true;
    return false;
}

/* Why a hash is refused, for the error (static text). */
static const char *
hash_refused_why(const char *h)
{
    if (g_str_has_prefix(h, "$apr1$") || g_str_has_prefix(h, "$1$"))
        return "an MD5 hash ($1$, $apr1$) is too weak";
    if (h[0] != '$')
        return "a plaintext password or a DES hash is not accepted";
    return "an unknown hash scheme";
}

static bool
bad_line(GError **err, const char *path, unsigned line, const char *why)
{
    g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "htpasswd %s:%u: %s (use yescrypt $y$, bcrypt $2b$/$2y$ or sha-crypt "
                "$5$/$6$, e.g. htpasswd -B or mkpasswd)", path, line, why);
    return false;
}

static bool
parse(struct hf_web_auth *a, const char *path, const char *text, GError **err)
{
    gchar **lines = g_strsplit(text, "\n", -1);
    bool ok = true;

    for (unsigned i = 0; ok && lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        char *colon = strchr(l, ':');

        if (!*l || *l == '#')
            continue;
        if (!colon || colon == l) {
            ok = bad_line(err, path, i + 1, "not user:hash");
            break;
        }
        *colon = '\0';
        if (!hash_accepted(colon + 1)) {
            ok = bad_line(err, path, i + 1, hash_refused_why(colon + 1));
            break;
        }
        if (g_hash_table_contains(a->users, l)) {
            ok = bad_line(err, path, i + 1, "the user is named twice");
            break;
        }
        g_hash_table_insert(a->users, g_strdup(l), g_strdup(colon + 1));
        if (!a->dummy)
            a->dummy = g_strdup(colon + 1);
    }
    g_strfreev(lines);
    if (ok && !a->dummy) {
        g_set_error(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "htpasswd %s: no users", path);
        ok = false;
    }
    return ok;
}

struct hf_web_auth *
hf_web_auth_load(const char *path, GError **err)
{
    struct hf_web_auth *a = g_new0(struct hf_web_auth, 1);
    char *text = NULL;

    a->refs = 1;
    a->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    a->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_mutex_init(&a->lock);
    if (getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "no random bytes: %s",
                    g_strerror(errno));
        goto fail;
    }
    if (!g_file_get_contents(path, &text, NULL, err)) {
        g_prefix_error(err, "htpasswd: ");
        goto fail;
    }
    if (!parse(a, path, text, err))
        goto fail;
    g_free(text);
    return a;
fail:
    g_free(text);
    hf_web_auth_unref(a);
    return NULL;
}

struct hf_web_auth *
hf_web_auth_ref(struct hf_web_auth *a)
{
    if (a)
        g_atomic_int_inc(&a->refs);
    return a;
}

void
hf_web_auth_unref(struct hf_web_auth *a)
{
    if (!a || !g_atomic_int_dec_and_test(&a->refs))
        return;
    g_hash_table_unref(a->users);
    g_hash_table_unref(a->cache);
    g_mutex_clear(&a->lock);
    explicit_bzero(a->key, sizeof(a->key));
    g_free(a->dummy);
    g_free(a);
}

/* Equal strings, in a time that depends on their lengths only. */
static bool
same_text(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y);
    unsigned char diff = lx != ly;

    for (size_t i = 0; i < lx && i < ly; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

static bool
crypt_matches(const char *password, const char *hash)
{
    struct crypt_data *cd = g_new0(struct crypt_data, 1);
    /* crypt_rn, not crypt_r: it fails with NULL, not a token, and no
     * sanitizer intercepts it (an intercepted crypt_r lets the linker drop
     * libcrypt, leaving the interceptor nothing to call) */
    const char *out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
    bool ok = out && same_text(out, hash);

    explicit_bzero(cd, sizeof(*cd));
    g_free(cd);
    return ok;
}

static bool
cached(struct hf_web_auth *a, const char *mac, bool add)
{
    gint64 now = g_get_monotonic_time();
    bool hit;

    g_mutex_lock(&a->lock);
    gint64 *until = g_hash_table_lookup(a->cache, mac);
    hit = until && *until > now;
    if (add) {
        if (g_hash_table_size(a->cache) >= CACHE_MAX)
            g_hash_table_remove_all(a->cache);
        gint64 *v = g_new(gint64, 1);
        *v = now + (gint64)CACHE_SECONDS * G_USEC_PER_SEC;
        g_hash_table_replace(a->cache, g_strdup(mac), v);
    }
    g_mutex_unlock(&a->lock);
    return hit;
}

bool
hf_web_auth_check(struct hf_web_auth *a, const char *authorization)
{
    guchar *raw;
    gsize len;
    char *pair, *colon, *mac;
    const char *hash;
    bool ok;

    if (!authorization || strlen(authorization) > HEADER_MAX
        || g_ascii_strncasecmp(authorization, "Basic ", 6))
        return false;
    raw = g_base64_decode(authorization + 6, &len);
    pair = g_strndup((const char *)raw, len);   /* stops at a NUL: then no match */
    g_free(raw);
    colon = strchr(pair, ':');
    if (!colon || strlen(pair) != len) {
        g_free(pair);
        return false;
    }
    *colon = '\0';
    mac = g_compute_hmac_for_data(G_CHECKSUM_SHA256, a->key, sizeof(a->key),
                                  (const guchar *)pair, len);   /* user NUL password */
    hash = g_hash_table_lookup(a->users, pair);
    ok = hash && cached(a, mac, false);
    if (!ok) {
        ok = crypt_matches(colon + 1, hash ? hash : a->dummy) && hash;
        if (ok)
            cached(a, mac, true);
    }
    explicit_bzero(pair, len);
    g_free(pair);
    g_free(mac);
    return ok;
}
