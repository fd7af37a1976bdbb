/* Device names by MAC and IP address (see devices.h). */
#include "devices.h"

#include <arpa/inet.h>
#include <string.h>

#include "hash.h"

struct hf_devices {
    GStringChunk *names;
    GHashTable *mac;    /* gint64 (owned) -> name */
    GHashTable *ipv4;   /* GUINT_TO_POINTER(host-order address) -> name */
    GHashTable *ipv6;   /* 16 bytes (owned) -> name */
};

static guint
ipv6_hash(gconstpointer k)
{
    uint64_t a, b;

    memcpy(&a, k, 8);
    memcpy(&b, (const uint8_t *)k + 8, 8);
    return (guint)hf_mix64(a ^ hf_mix64(b));
}

static gboolean
ipv6_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 16) == 0;
}

struct hf_devices *
hf_devices_new(void)
{
    struct hf_devices *d = g_new0(struct hf_devices, 1);

    d->names = g_string_chunk_new(1024);
    d->mac = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    d->ipv4 = g_hash_table_new(g_direct_hash, g_direct_equal);
    d->ipv6 = g_hash_table_new_full(ipv6_hash, ipv6_equal, g_free, NULL);
    return d;
}

void
hf_devices_free(struct hf_devices *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->mac);
    g_hash_table_destroy(d->ipv4);
    g_hash_table_destroy(d->ipv6);
    g_string_chunk_free(d->names);
    g_free(d);
}

static gint64
mac_key(const uint8_t mac[6])
{
    gint64 k = 0;

    for (int i = 0; i < 6; i++)
        k = (k << 8) | mac[i];
    return k;
}

static bool
mac_zero(const uint8_t mac[6])
{
    static const uint8_t zero[6];

    return memcmp(mac, zero, 6) == 0;
}

static void
add_mac(struct hf_devices *d, const uint8_t mac[6], const char *name)
{
    gint64 *k = g_new(gint64, 1);

    *k = mac_key(mac);
    g_hash_table_replace(d->mac, k,
                         (gpointer)g_string_chunk_insert_const(d->names, name));
}

/* An IPv4 or IPv6 address; false when text is neither. */
static bool
add_ip(struct hf_devices *d, const char *text, const char *name)
{
    struct in_addr a4;
    uint8_t a6[16];

    if (inet_pton(AF_INET, text, &a4) == 1) {
        g_hash_table_replace(d->ipv4, GUINT_TO_POINTER(ntohl(a4.s_addr)),
                             (gpointer)g_string_chunk_insert_const(d->names, name));
        return true;
    }
    if (inet_pton(AF_INET6, text, a6) == 1) {
        g_hash_table_replace(d->ipv6, g_memdup2(a6, 16),
                             (gpointer)g_string_chunk_insert_const(d->names, name));
        return true;
    }
    return false;
}

static bool
is_ip(const char *text)
{
    uint8_t a[16];

    return inet_pton(AF_INET, text, a) == 1 || inet_pton(AF_INET6, text, a) == 1;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = g_ascii_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool
hf_parse_mac(const char *s, uint8_t mac[6])
{
    size_t len = strlen(s);

    if (len == 12) {
        for (int i = 0; i < 6; i++) {
            int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);

            if (h < 0 || l < 0)
                return false;
            mac[i] = (uint8_t)(h << 4 | l);
        }
        return true;
    }
    for (int i = 0; i < 6; i++) {
        int v = hexval(*s);

        if (v < 0)
            return false;
        s++;
        if (hexval(*s) >= 0)
            v = v << 4 | hexval(*s++);
        mac[i] = (uint8_t)v;
        if (i < 5) {
            if (*s != ':' && *s != '-')
                return false;
            s++;
        }
    }
    return *s == '\0';
}

/* A name from a lease file (the client chose it): printable ASCII or UTF-8,
 * no blanks or control characters; "*" and "-" mean none. */
static bool
usable_name(const char *s)
{
    if (!*s || !strcmp(s, "*") || !strcmp(s, "-"))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Splits a line into at most max blank-separated words, in place. */
static int
split(char *line, char **w, int max)
{
    int n = 0;

    for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t && n < max;
         t = strtok_r(NULL, " \t\r", &save))
        w[n++] = t;
    return n;
}

typedef void (*line_fn)(struct hf_devices *d, char *line, unsigned *malformed);

static void
each_line(struct hf_devices *d, const char *text, size_t len, line_fn fn,
          unsigned *malformed)
{
    const char *end = text + len;

    while (text < end) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *eol = nl ? nl : end;
        char *line;

        if (memchr(text, '\0', (size_t)(eol - text))) {
            (*malformed)++;             /* a NUL is in no text file's line */
        } else {
            line = g_strndup(text, (gsize)(eol - text));
            fn(d, line, malformed);
            g_free(line);
        }
        text = nl ? nl + 1 : end;
    }
}

static void
ethers_line(struct hf_devices *d, char *line, unsigned *malformed)
{
    char *w[3], *hash = strchr(line, '#');
    uint8_t mac[6];
    int n;

    if (hash)
        *hash = '\0';
    n = split(line, w, 3);
    if (n == 0)
        return;
    if (n != 2 || !hf_parse_mac(w[0], mac)) {
        (*malformed)++;
        return;
    }
    if (is_ip(w[1]))
        return;                 /* an address, not a name */
    add_mac(d, mac, w[1]);
}

/* odhcpd: "# IFACE DUID IAID HOSTNAME VALID ID LEN ADDR/LEN..." (DHCPv6) or
 * "# IFACE MAC ipv4 HOSTNAME VALID ID 32 ADDR/32" (DHCPv4).  A hostname
 * odhcpd found invalid is written "broken\x20NAME": not a name. */
static void
odhcpd_line(struct hf_devices *d, char **w, int n, unsigned *malformed)
{
    bool v4;
    uint8_t mac[6];
    const char *name;

    if (n < 8) {
        (*malformed)++;
        return;
    }
    v4 = !strcmp(w[3], "ipv4");
    name = w[4];
    if (v4 && !hf_parse_mac(w[2], mac)) {
        (*malformed)++;
        return;
    }
    if (!usable_name(name) || g_str_has_prefix(name, "broken\\x20"))
        return;
    if (v4 && !mac_zero(mac))
        add_mac(d, mac, name);
    for (int i = 8; i < n; i++) {
        char *slash = strchr(w[i], '/');

        /* host addresses only: delegated prefixes name no device */
        if (!slash || strcmp(slash + 1, v4 ? "32" : "128"))
            continue;
        *slash = '\0';
        if (!add_ip(d, w[i], name))
            (*malformed)++;
    }
}

/* dnsmasq: "EXPIRY MAC IP HOSTNAME CLIENT-ID"; DHCPv6 leases (after a
 * "duid SERVER-DUID" line) have "[T]IAID" where the MAC is. */
static void
leases_line(struct hf_devices *d, char *line, unsigned *malformed)
{
    char *w[64];
    int n;
    uint8_t mac[6];
    bool have_mac;

    if (line[0] == '#') {
        if (line[1] == ' ' && (n = split(line, w, G_N_ELEMENTS(w))) > 1)
            odhcpd_line(d, w, n, malformed);
        return;
    }
    n = split(line, w, 6);
    if (n == 0 || (n == 2 && !strcmp(w[0], "duid")))
        return;
    if (n < 4 || n > 5 || !g_ascii_isdigit(w[0][0])) {
        (*malformed)++;
        return;
    }
    have_mac = hf_parse_mac(w[1], mac);
    if (!have_mac && !is_ip(w[2])) {
        (*malformed)++;
        return;
    }
    if (!usable_name(w[3]))
        return;
    if (!add_ip(d, w[2], w[3])) {
        (*malformed)++;
        return;
    }
    if (have_mac && !mac_zero(mac))
        add_mac(d, mac, w[3]);
}

void
hf_devices_parse_ethers(struct hf_devices *d, const char *text, size_t len,
                        unsigned *malformed)
{
    unsigned m = 0;

    each_line(d, text, len, ethers_line, &m);
    if (malformed)
        *malformed += m;
}

void
hf_devices_parse_leases(struct hf_devices *d, const char *text, size_t len,
                        unsigned *malformed)
{
    unsigned m = 0;

    each_line(d, text, len, leases_line, &m);
    if (malformed)
        *malformed += m;
}

static bool
load(struct hf_devices *d, const char *path, unsigned *malformed, GError **err,
     void (*parse)(struct hf_devices *, const char *, size_t, unsigned *))
{
    char *text;
    gsize len;

    if (!g_file_get_contents(path, &text, &len, err))
        return false;
    parse(d, text, len, malformed);
    g_free(text);
    return true;
}

bool
hf_devices_load_ethers(struct hf_devices *d, const char *path,
                       unsigned *malformed, GError **err)
{
    return load(d, path, malformed, err, hf_devices_parse_ethers);
}

bool
hf_devices_load_leases(struct hf_devices *d, const char *path,
                       unsigned *malformed, GError **err)
{
    return load(d, path, malformed, err, hf_devices_parse_leases);
}

bool
hf_devices_check_config(const struct hf_conf *cf, GError **err)
{
    char **keys = hf_conf_keys(cf, "devices");
    bool ok = true;

    for (char **k = keys; ok && k && *k; k++) {
        char **addrs = NULL;
        ok = hf_conf_strv(cf, "devices", *k, &addrs, err);
        for (char **a = addrs; ok && *a; a++) {
            uint8_t mac[6];
            if (!(hf_parse_mac(*a, mac) && !mac_zero(mac)) && !is_ip(*a)) {
                hf_conf_error(cf, err, "devices", *k, "'%s': not a MAC or IP address", *a);
                ok = false;
            }
        }
        g_strfreev(addrs);
    }
    g_strfreev(keys);
    return ok;
}

unsigned
hf_devices_load_config(struct hf_devices *d, GKeyFile *kf)
{
    char **keys;
    unsigned malformed = 0;

    if (!kf || !(keys = g_key_file_get_keys(kf, "devices", NULL, NULL)))
        return 0;
    for (char **k = keys; *k; k++) {
        char **addrs = g_key_file_get_string_list(kf, "devices", *k, NULL, NULL);

        for (char **a = addrs; a && *a; a++) {
            char *addr = g_strstrip(*a);
            uint8_t mac[6];

            if (!*addr)
                continue;
            if (hf_parse_mac(addr, mac) && !mac_zero(mac))
                add_mac(d, mac, *k);
            else if (!add_ip(d, addr, *k))
                malformed++;
        }
        g_strfreev(addrs);
    }
    g_strfreev(keys);
    return malformed;
}

unsigned
hf_devices_macs(const struct hf_devices *d)
{
    return d ? g_hash_table_size(d->mac) : 0;
}

unsigned
hf_devices_ips(const struct hf_devices *d)
{
    return d ? g_hash_table_size(d->ipv4) + g_hash_table_size(d->ipv6) : 0;
}

const char *
hf_devices_by_mac(const struct hf_devices *d, const uint8_t mac[6])
{
    gint64 k;

    if (!d || mac_zero(mac))
        return NULL;
    k = mac_key(mac);
    return g_hash_table_lookup(d->mac, &k);
}

const char *
hf_devices_by_ipv4(const struct hf_devices *d, uint32_t addr)
{
    return d ? g_hash_table_lookup(d->ipv4, GUINT_TO_POINTER(addr)) : NULL;
}

const char *
hf_devices_by_ipv6(const struct hf_devices *d, const uint8_t addr[16])
{
    return d ? g_hash_table_lookup(d->ipv6, addr) : NULL;
}
