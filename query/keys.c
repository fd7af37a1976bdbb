#include "keys.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "flow_rules.h"
#include "record_format.h"

static const char *const key_names[HF_KEY_COUNT] = {
    [HF_KEY_SRCIP] = "srcip", [HF_KEY_DSTIP] = "dstip", [HF_KEY_IP] = "ip",
    [HF_KEY_SRCPORT] = "srcport", [HF_KEY_DSTPORT] = "dstport", [HF_KEY_PORT] = "port",
    [HF_KEY_PROTO] = "proto", [HF_KEY_CLIENT] = "client", [HF_KEY_SERVER] = "server",
    [HF_KEY_SERVICE] = "service", [HF_KEY_HOSTNAME] = "hostname",
    [HF_KEY_DOMAIN] = "domain", [HF_KEY_DEVICE] = "device", [HF_KEY_APP] = "app",
    [HF_KEY_EXPORTER] = "exporter", [HF_KEY_IN_IF] = "in_if", [HF_KEY_OUT_IF] = "out_if",
    [HF_KEY_SRCMAC] = "srcmac", [HF_KEY_DSTMAC] = "dstmac", [HF_KEY_TIME] = "time",
    [HF_KEY_COLLECTOR] = "collector",
};

static const struct { const char *name; uint32_t s; } steps[] = {
    { "5min", 300 }, { "hour", 3600 }, { "day", 86400 },
};

bool
hf_keys_parse(const char *text, struct hf_key *keys, unsigned *n, GError **err)
{
    gchar **parts = g_strsplit(text, ",", -1);
    bool ok = true;
    unsigned either = 0;

    *n = 0;
    for (gchar **p = parts; *p && ok; p++) {
        char *name = g_strstrip(*p), *slash = strchr(name, '/');
        int kind = -1;

        if (slash)
            *slash++ = 0;
        for (int k = 0; k < HF_KEY_COUNT; k++)
            if (g_ascii_strcasecmp(name, key_names[k]) == 0)
                kind = k;
        if (kind < 0) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "unknown key '%s' (keys: srcip dstip ip srcport dstport port proto "
                        "client server service hostname domain device app exporter collector "
                        "in_if out_if srcmac dstmac time/5min time/hour time/day)", name);
            ok = false;
            break;
        }
        if (*n == HF_KEYS_MAX) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "at most %d keys", HF_KEYS_MAX);
            ok = false;
            break;
        }
        keys[*n].kind = kind;
        keys[*n].step_s = 0;
        if (kind == HF_KEY_TIME) {
            keys[*n].step_s = 3600;
            if (slash) {
                keys[*n].step_s = 0;
                for (size_t i = 0; i < G_N_ELEMENTS(steps); i++)
                    if (g_ascii_strcasecmp(slash, steps[i].name) == 0)
                        keys[*n].step_s = steps[i].s;
                if (!keys[*n].step_s) {
                    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "unknown time step '%s' (5min, hour, day)", slash);
                    ok = false;
                    break;
                }
            }
        } else if (slash) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "key '%s' takes no '/%s'", name, slash);
            ok = false;
            break;
        }
        if (kind == HF_KEY_IP || kind == HF_KEY_PORT)
            either++;
        (*n)++;
    }
    if (ok && *n == 0) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no key given");
        ok = false;
    }
    if (ok && either > 1) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "at most one of ip and port in a key tuple");
        ok = false;
    }
    g_strfreev(parts);
    return ok;
}

const char *
hf_key_name(const struct hf_key *k, char *buf, size_t size)
{
    const char *step = "";

    for (size_t i = 0; k->kind == HF_KEY_TIME && i < G_N_ELEMENTS(steps); i++)
        if (steps[i].s == k->step_s)
            step = steps[i].name;
    snprintf(buf, size, "%s%s%s", key_names[k->kind], *step ? "/" : "", step);
    return buf;
}

bool
hf_key_in_summaries(enum hf_key_kind k)
{
    return k == HF_KEY_PROTO || k == HF_KEY_CLIENT || k == HF_KEY_SERVICE
        || k == HF_KEY_HOSTNAME || k == HF_KEY_DOMAIN || k == HF_KEY_DEVICE
        || k == HF_KEY_APP || k == HF_KEY_EXPORTER || k == HF_KEY_COLLECTOR
        || k == HF_KEY_TIME;
}

bool
hf_key_is_number(const struct hf_key *k)
{
    switch (k->kind) {
    case HF_KEY_SRCPORT: case HF_KEY_DSTPORT: case HF_KEY_PORT:
    case HF_KEY_IN_IF: case HF_KEY_OUT_IF:
        return true;
    default:
        return false;
    }
}

bool
hf_keys_either_side(const struct hf_key *keys, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (keys[i].kind == HF_KEY_IP || keys[i].kind == HF_KEY_PORT)
            return true;
    return false;
}

/* ---- encoding ------------------------------------------------------------ */

static uint8_t *
put_u16(uint8_t *o, uint16_t v)
{
    o[0] = v >> 8;
    o[1] = v & 0xff;
    return o + 2;
}

static uint8_t *
put_u32(uint8_t *o, uint32_t v)
{
    o[0] = v >> 24;
    o[1] = v >> 16;
    o[2] = v >> 8;
    o[3] = v;
    return o + 4;
}

static uint8_t *
put_str(uint8_t *o, const void *s, size_t len)
{
    if (len > 255)
        len = 255;
    *o++ = (uint8_t)len;
    if (len)
        memcpy(o, s, len);
    return o + len;
}

static bool
mac_zero(const uint8_t m[6])
{
    static const uint8_t zero[6];
    return memcmp(m, zero, 6) == 0;
}

/* The client's device: its name, else its MAC, else its address. */
static uint8_t *
put_device(uint8_t *o, const hf_flow_record_t *r, const struct hf_key_env *env)
{
    bool client_is_src = !hf_flow_from_service(r);
    const char *name = hf_names_device(env->names, r, client_is_src);
    const uint8_t *mac = client_is_src ? r->sourceMacAddress : r->destinationMacAddress;
    char buf[64];

    if (name)
        return put_str(o, name, strlen(name));
    if (!mac_zero(mac))
        return put_str(o, buf, hf_mac_text(mac, buf));
    if (r->ipVersion == 6) {
        inet_ntop(AF_INET6, client_is_src ? r->sourceIPv6Address
                                          : r->destinationIPv6Address, buf, sizeof(buf));
    } else {
        uint32_t a = htonl(client_is_src ? r->sourceIPv4Address : r->destinationIPv4Address);
        inet_ntop(AF_INET, &a, buf, sizeof(buf));
    }
    return put_str(o, buf, strlen(buf));
}

size_t
hf_keys_encode(const struct hf_key *keys, unsigned n, const hf_flow_record_t *r,
               const struct hf_key_env *env, int side, uint8_t *out)
{
    uint8_t *o = out;
    bool from_service;
    uint8_t name_source;
    const fbVarfield_t *name;
    char buf[256];

    int src = hf_keys_addr_src(keys, n, side);
    if (src >= 0)               /* tables of millions: no loop */
        return (size_t)(hf_key_put_addr(o, r, src) - o);
    for (unsigned i = 0; i < n; i++) {
        switch (keys[i].kind) {
        case HF_KEY_SRCIP:   o = hf_key_put_addr(o, r, true); break;
        case HF_KEY_DSTIP:   o = hf_key_put_addr(o, r, false); break;
        case HF_KEY_IP:      o = hf_key_put_addr(o, r, side == 0); break;
        case HF_KEY_SRCPORT: o = put_u16(o, r->sourceTransportPort); break;
        case HF_KEY_DSTPORT: o = put_u16(o, r->destinationTransportPort); break;
        case HF_KEY_PORT:
            o = put_u16(o, side == 0 ? r->sourceTransportPort : r->destinationTransportPort);
            break;
        case HF_KEY_PROTO:   *o++ = r->protocolIdentifier; break;
        case HF_KEY_CLIENT:  o = hf_key_put_addr(o, r, !hf_flow_from_service(r)); break;
        case HF_KEY_SERVER:  o = hf_key_put_addr(o, r, hf_flow_from_service(r)); break;
        case HF_KEY_SERVICE:
            from_service = hf_flow_from_service(r);
            *o++ = r->protocolIdentifier;
            o = put_u16(o, !hf_proto_has_ports(r->protocolIdentifier) ? 0
                           : from_service ? r->sourceTransportPort
                                          : r->destinationTransportPort);
            break;
        case HF_KEY_HOSTNAME:
            name = hf_flow_name(r, &name_source);
            o = put_str(o, name->buf, name->len);
            break;
        case HF_KEY_DOMAIN: {
            name = hf_flow_name(r, &name_source);
            const char *d = name->len ? hf_names_domain(env->names, (const char *)name->buf,
                                                        name->len, buf, sizeof(buf)) : NULL;
            o = put_str(o, d, d ? strlen(d) : 0);
            break;
        }
        case HF_KEY_DEVICE:  o = put_device(o, r, env); break;
        case HF_KEY_APP:
            o = put_str(o, r->applicationName.buf, r->applicationName.len);
            break;
        case HF_KEY_EXPORTER:
            o = put_str(o, env->source, env->source ? strlen(env->source) : 0);
            break;
        case HF_KEY_COLLECTOR:
            o = put_str(o, env->collector, env->collector ? strlen(env->collector) : 0);
            break;
        case HF_KEY_IN_IF:   o = put_u32(o, r->ingressInterface); break;
        case HF_KEY_OUT_IF:  o = put_u32(o, r->egressInterface); break;
        case HF_KEY_SRCMAC:  memcpy(o, r->sourceMacAddress, 6); o += 6; break;
        case HF_KEY_DSTMAC:  memcpy(o, r->destinationMacAddress, 6); o += 6; break;
        case HF_KEY_TIME: {
            uint64_t t = r->flowStartMilliseconds / 1000;
            t -= t % keys[i].step_s;
            o = put_u32(o, (uint32_t)(t >> 32));
            o = put_u32(o, (uint32_t)t);
            break;
        }
        case HF_KEY_COUNT: break;
        }
    }
    return (size_t)(o - out);
}

/* ---- showing ------------------------------------------------------------- */

static uint32_t
get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes an encoded key value of this kind always takes; 0: it varies
 * (a length byte, then the text). */
static size_t
fixed_len(enum hf_key_kind kind)
{
    switch (kind) {
    case HF_KEY_SRCIP: case HF_KEY_DSTIP: case HF_KEY_IP:
    case HF_KEY_CLIENT: case HF_KEY_SERVER:
        return 17;
    case HF_KEY_SRCPORT: case HF_KEY_DSTPORT: case HF_KEY_PORT:
        return 2;
    case HF_KEY_PROTO: return 1;
    case HF_KEY_SERVICE: return 3;
    case HF_KEY_IN_IF: case HF_KEY_OUT_IF: return 4;
    case HF_KEY_SRCMAC: case HF_KEY_DSTMAC: return 6;
    case HF_KEY_TIME: return 8;
    default: return 0;
    }
}

/* Bytes one encoded key value takes at p. */
static size_t
value_len(const struct hf_key *k, const uint8_t *p)
{
    size_t n = fixed_len(k->kind);

    return n ? n : 1u + p[0];
}

size_t
hf_keys_fixed_width(const struct hf_key *keys, unsigned n)
{
    size_t w = 0;

    for (unsigned i = 0; i < n; i++) {
        size_t l = fixed_len(keys[i].kind);
        if (!l)
            return 0;
        w += l;
    }
    return w;
}

static void
time_text(uint64_t s, bool utc, GString *out)
{
    char buf[32];

    g_string_append(out, hf_time_text(buf, sizeof(buf), utc ? "%Y-%m-%dT%H:%MZ"
                                      : "%Y-%m-%d %H:%M", s, utc));
}

void
hf_keys_value_text(const struct hf_key *keys, unsigned n, const uint8_t *enc,
                   size_t len, unsigned i, bool utc, GString *out)
{
    const uint8_t *p = enc, *end = enc + len;
    char buf[64];

    for (unsigned j = 0; j < i && p < end; j++)
        p += value_len(&keys[j], p);
    if (i >= n || p >= end)
        return;
    switch (keys[i].kind) {
    case HF_KEY_SRCIP: case HF_KEY_DSTIP: case HF_KEY_IP:
    case HF_KEY_CLIENT: case HF_KEY_SERVER:
        inet_ntop(p[0] == 6 ? AF_INET6 : AF_INET, p + 1, buf, sizeof(buf));
        g_string_append(out, buf);
        break;
    case HF_KEY_SRCPORT: case HF_KEY_DSTPORT: case HF_KEY_PORT:
        g_string_append_printf(out, "%u", (unsigned)(p[0] << 8 | p[1]));
        break;
    case HF_KEY_PROTO:
        g_string_append(out, hf_proto_name(p[0], buf, sizeof(buf)));
        break;
    case HF_KEY_SERVICE:
        g_string_append(out, hf_service_name(p[0], (uint16_t)(p[1] << 8 | p[2]), buf,
                                             sizeof(buf)));
        break;
    case HF_KEY_IN_IF: case HF_KEY_OUT_IF:
        g_string_append_printf(out, "%u", get_u32(p));
        break;
    case HF_KEY_SRCMAC: case HF_KEY_DSTMAC: {
        char mac[18];
        g_string_append_len(out, mac, (gssize)hf_mac_text(p, mac));
        break;
    }
    case HF_KEY_TIME:
        time_text((uint64_t)get_u32(p) << 32 | get_u32(p + 4), utc, out);
        break;
    default:
        g_string_append_len(out, (const char *)p + 1, p[0]);
        break;
    }
}
