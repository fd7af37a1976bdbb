/* Domains, noise and devices for reports (see names.h): loading, and the
 * lookups on records' hostnames and addresses. */
#include "names.h"

#include <errno.h>
#include <string.h>

#include "devices.h"
#include "glob_list.h"
#include "psl.h"

#ifndef HF_QUERY_DATADIR
#define HF_QUERY_DATADIR "/usr/share/hostflow"
#endif
#define HF_ETHERS_DEFAULT "/etc/ethers"

/* query/lists/domain-{merge,ignore}.list, built in (query/meson.build, common/embed.py) */
extern const char hf_default_merge_list[], hf_default_ignore_list[];
extern const size_t hf_default_merge_list_len, hf_default_ignore_list_len;

/* Longer names (DNS allows 253 bytes) get no lookups: they are their own
 * domain, cut to the caller's buffer. */
#define NAME_MAX_LOOKUP 1023

struct hf_names {
    struct hf_psl *psl;
    struct hf_glob_list *merge, *ignore;
    struct hf_devices *devices;
    unsigned malformed, missing;
};

static struct hf_glob_list *
load_list(const char *path, const char *file, const char *builtin,
          size_t builtin_len, bool with_domain, GError **err)
{
    struct hf_glob_list *l;
    char *installed;

    if (path)
        return hf_glob_list_load(path, with_domain, err);
    installed = g_build_filename(HF_QUERY_DATADIR, file, NULL);
    l = hf_glob_list_load(installed, with_domain, NULL);
    g_free(installed);
    return l ? l : hf_glob_list_parse(builtin, builtin_len, with_domain);
}

/* An ethers or lease file; a missing one is counted, not an error. */
static bool
load_devices(struct hf_names *n, const char *path, bool leases, GError **err)
{
    GError *e = NULL;
    bool ok = leases ? hf_devices_load_leases(n->devices, path, &n->malformed, &e)
                     : hf_devices_load_ethers(n->devices, path, &n->malformed, &e);

    if (ok)
        return true;
    if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
        n->missing++;
        g_error_free(e);
        return true;
    }
    g_propagate_error(err, e);
    return false;
}

struct hf_names *
hf_names_load(const struct hf_names_config *c, GError **err)
{
    static const struct hf_names_config none;
    static const char *const ethers_default[] = { HF_ETHERS_DEFAULT, NULL };
    struct hf_names *n = g_new0(struct hf_names, 1);
    const char *const *ethers;

    if (!c)
        c = &none;
    if (c->devices_only)
        goto devices;
    if (!(n->psl = hf_psl_load(c->psl_path, c->psl_private, err)))
        goto fail;
    n->merge = load_list(c->merge_path, "domain-merge.list", hf_default_merge_list,
                         hf_default_merge_list_len, true, err);
    if (!n->merge)
        goto fail;
    n->ignore = load_list(c->ignore_path, "domain-ignore.list", hf_default_ignore_list,
                          hf_default_ignore_list_len, false, err);
    if (!n->ignore)
        goto fail;
    n->malformed = hf_glob_list_malformed(n->merge) + hf_glob_list_malformed(n->ignore);

devices:
    /* precedence by order: ethers, then leases, then the config */
    n->devices = hf_devices_new();
    ethers = c->ethers ? c->ethers : ethers_default;
    for (const char *const *p = ethers; *p; p++)
        if (!load_devices(n, *p, false, err))
            goto fail;
    for (const char *const *p = c->leases; p && *p; p++)
        if (!load_devices(n, *p, true, err))
            goto fail;
    n->malformed += hf_devices_load_config(n->devices, c->config);
    return n;
fail:
    hf_names_free(n);
    return NULL;
}

void
hf_names_free(struct hf_names *n)
{
    if (!n)
        return;
    hf_psl_free(n->psl);
    hf_glob_list_free(n->merge);
    hf_glob_list_free(n->ignore);
    hf_devices_free(n->devices);
    g_free(n);
}

void
hf_names_stats(const struct hf_names *n, struct hf_names_stats *s)
{
    memset(s, 0, sizeof(*s));
    if (!n)
        return;
    s->psl_rules = hf_psl_rules(n->psl);
    s->merge_entries = hf_glob_list_entries(n->merge);
    s->ignore_entries = hf_glob_list_entries(n->ignore);
    s->device_macs = hf_devices_macs(n->devices);
    s->device_ips = hf_devices_ips(n->devices);
    s->malformed = n->malformed;
    s->missing = n->missing;
}

const char *
hf_record_hostname(const hf_flow_record_t *r, size_t *len)
{
    const fbVarfield_t *order[] = {
        &r->hostflowHostname, &r->httpRequestHost, &r->sslServerNameNtop,
        &r->dnsQueryNtop,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
        if (order[i]->len > 0 && order[i]->buf) {
            *len = order[i]->len;
            return (const char *)order[i]->buf;
        }
    *len = 0;
    return NULL;
}

/* A hostname made ready for lookups. */
struct norm {
    const char *name;   /* the name without trailing dot and port */
    size_t len;
    char low[NAME_MAX_LOOKUP + 1];  /* lower case, NUL-terminated */
    bool lookup;        /* low holds the whole name: lookups may run */
    bool literal;       /* an IP address literal */
};

static bool
all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isdigit(s[i]))
            return false;
    return len > 0;
}

/* false for an empty name */
static bool
normalise(const char *host, size_t len, struct norm *m)
{
    const char *colon;

    if (!host)
        return false;
    if (len > 0 && host[0] == '[') {                /* "[v6]" or "[v6]:port" */
        const char *close = memchr(host, ']', len);

        if (close) {
            len = (size_t)(close - host - 1);
            host++;
        }
    } else if ((colon = memchr(host, ':', len))
               && !memchr(colon + 1, ':', len - (size_t)(colon - host) - 1)
               && all_digits(colon + 1, len - (size_t)(colon - host) - 1)) {
        len = (size_t)(colon - host);               /* "name:port" */
    }
    if (len > 0 && host[len - 1] == '.')
        len--;
    if (len == 0)
        return false;
    m->name = host;
    m->len = len;
    m->lookup = len <= NAME_MAX_LOOKUP && !memchr(host, '\0', len);
    m->literal = memchr(host, ':', len) != NULL;
    if (!m->lookup)
        return true;
    for (size_t i = 0; i < len; i++)
        m->low[i] = g_ascii_tolower(host[i]);
    m->low[len] = '\0';
    m->literal = m->literal || strspn(m->low, "0123456789.") == len;
    return true;
}

/* s (len bytes) lower-cased into buf, cut to fit. */
static const char *
put(char *buf, size_t size, const char *s, size_t len)
{
    if (len >= size)
        len = size - 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = g_ascii_tolower(s[i]);
    buf[len] = '\0';
    return buf;
}

/* The last two labels (the registrable domain without a PSL). */
static const char *
last_two_labels(const char *s, size_t len, size_t *out)
{
    size_t dots = 0, i = len;

    while (i > 0) {
        if (s[i - 1] == '.' && ++dots == 2)
            break;
        i--;
    }
    *out = len - i;
    return s + i;
}

const char *
hf_names_domain(const struct hf_names *n, const char *host, size_t len,
                char *buf, size_t size)
{
    struct norm m;
    const char *d;
    size_t dlen;
    ptrdiff_t off;

    if (!buf || size == 0 || !normalise(host, len, &m))
        return NULL;
    if (!m.lookup || m.literal)
        return put(buf, size, m.name, m.len);
    if (!n || !n->psl) {
        d = last_two_labels(m.low, m.len, &dlen);
        return put(buf, size, d, dlen);
    }
    if (hf_glob_list_match(n->merge, m.low, &d) && d)
        return put(buf, size, d, strlen(d));
    off = hf_psl_registrable(n->psl, m.low);
    if (off < 0)
        return put(buf, size, m.low, m.len);
    return put(buf, size, m.low + off, m.len - (size_t)off);
}

const char *
hf_names_registrable(const struct hf_names *n, const char *host, size_t len,
                     char *buf, size_t size)
{
    struct norm m;
    ptrdiff_t off;

    if (!n || !n->psl || !buf || size == 0 || !normalise(host, len, &m) || !m.lookup
        || m.literal)
        return NULL;
    off = hf_psl_registrable(n->psl, m.low);
    if (off < 0)
        return NULL;
    return put(buf, size, m.low + off, m.len - (size_t)off);
}

bool
hf_names_ignored(const struct hf_names *n, const char *host, size_t len)
{
    struct norm m;

    if (!n || !n->ignore || !normalise(host, len, &m) || !m.lookup)
        return false;
    return hf_glob_list_match(n->ignore, m.low, NULL);
}

static bool
zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

const char *
hf_names_device_of(const struct hf_names *n, const uint8_t mac[6], bool is_v6,
                   const uint8_t v6[16], uint32_t v4)
{
    const char *name;

    if (!n)
        return NULL;
    if (!zero(mac, 6) && (name = hf_devices_by_mac(n->devices, mac)))
        return name;
    if (is_v6)
        return hf_devices_by_ipv6(n->devices, v6);
    return v4 ? hf_devices_by_ipv4(n->devices, v4) : NULL;
}

const char *
hf_names_device(const struct hf_names *n, const hf_flow_record_t *r, bool src)
{
    const uint8_t *v6 = src ? r->sourceIPv6Address : r->destinationIPv6Address;
    uint32_t v4 = src ? r->sourceIPv4Address : r->destinationIPv4Address;
    /* ipVersion when the record has it, else whichever address is set */
    bool is_v6 = r->ipVersion == 6 || (r->ipVersion != 4 && v4 == 0 && !zero(v6, 16));

    return hf_names_device_of(n, src ? r->sourceMacAddress : r->destinationMacAddress,
                              is_v6, v6, v4);
}
