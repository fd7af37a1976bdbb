/* Evaluation of a parsed filter over one record: a walk over the flat node
 * array with masks and bit sets computed at parse time; no allocation, and
 * no string formatting but the glob over the names. */
#include <string.h>

#include "filter_int.h"
#include "proto.h"

bool
hf_filter_glob(const char *pat, const uint8_t *s, size_t len)
{
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

    /* the classic linear-backtracking glob: only the last '*' is retried */
    while (si < len) {
        char pc = pat[pi];
        if (pc == '*') {
            star_p = ++pi;
            star_s = si;
        } else if (pc && (pc == '?' || pc == (char)g_ascii_tolower((char)s[si]))) {
            pi++;
            si++;
        } else if (star_p != SIZE_MAX) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pat[pi] == '*')
        pi++;
    return pat[pi] == '\0';
}

static bool
cmp_u64(enum hf_filter_cmp cmp, uint64_t v, uint64_t ref)
{
    switch (cmp) {
    case HF_CMP_EQ: return v == ref;
    case HF_CMP_LT: return v < ref;
    case HF_CMP_GT: return v > ref;
    case HF_CMP_LE: return v <= ref;
    case HF_CMP_GE: return v >= ref;
    }
    return false;
}

static bool
net_has(const struct hf_filter_net *net, const hf_flow_record_t *r, bool src)
{
    if (r->ipVersion == 4) {
        uint32_t a = src ? r->sourceIPv4Address : r->destinationIPv4Address;
        return net->family == 4 && (a & net->v4mask) == net->v4;
    }
    if (net->family != 6)
        return false;
    const uint8_t *a = src ? r->sourceIPv6Address : r->destinationIPv6Address;
    for (unsigned i = 0; i < 16; i++)
        if ((a[i] & net->mask[i]) != net->addr[i])
            return false;
    return true;
}

static bool
net_list_has(const struct hf_filter_node *n, const hf_flow_record_t *r, bool src)
{
    for (size_t i = 0; i < n->list.n; i++)
        if (net_has(&n->list.nets[i], r, src))
            return true;
    return false;
}

static bool
port_in(const struct hf_filter_node *n, uint16_t port)
{
    return n->list.port_bits[port / 64] & (1ull << (port % 64));
}

/* counter x sampling interval, saturating */
static uint64_t
scaled(uint64_t v, uint32_t interval)
{
    uint64_t out;

    if (interval <= 1)
        return v;
    if (__builtin_mul_overflow(v, (uint64_t)interval, &out))
        return UINT64_MAX;
    return out;
}

static bool
name_is(const fbVarfield_t *v, const char *pat)
{
    return v->len && v->buf && hf_filter_glob(pat, v->buf, v->len);
}

static bool
ieq_varfield(const fbVarfield_t *v, const char *s)
{
    size_t n = strlen(s);
    return v->len == n && v->buf && g_ascii_strncasecmp((const char *)v->buf, s, n) == 0;
}

static bool
device_is(const struct hf_filter_node *n, const hf_flow_record_t *r,
          const struct hf_filter_env *env, bool src)
{
    const char *d = env->device(env->ctx, r, src);
    return d && g_ascii_strcasecmp(d, n->str) == 0;
}

/* src side, dst side, or either, of a test t(n, r, src) */
#define SIDES(n, t) \
    ((n)->dir == HF_DIR_SRC ? (t(true)) : (n)->dir == HF_DIR_DST ? (t(false)) \
                            : ((t(true)) || (t(false))))

static bool
eval(const struct hf_filter_node *n, const hf_flow_record_t *r, const struct hf_filter_env *env)
{
    switch (n->kind) {
    case HF_FK_ANY:
        return true;
    case HF_FK_AND:
        for (const struct hf_filter_node *k = n->child; k; k = k->next)
            if (!eval(k, r, env))
                return false;
        return true;
    case HF_FK_OR:
        for (const struct hf_filter_node *k = n->child; k; k = k->next)
            if (eval(k, r, env))
                return true;
        return false;
    case HF_FK_NOT:
        return !eval(n->child, r, env);
    case HF_FK_IPVERSION:
        return r->ipVersion == n->num;
    case HF_FK_PROTO:
        return r->protocolIdentifier == n->num;
    case HF_FK_NET:
#define T(src) net_has(&n->net, r, src)
        return SIDES(n, T);
#undef T
    case HF_FK_NET_LIST:
#define T(src) net_list_has(n, r, src)
        return SIDES(n, T);
#undef T
    case HF_FK_PORT:
#define T(src) cmp_u64(n->cmp, src ? r->sourceTransportPort : r->destinationTransportPort, n->num)
        return SIDES(n, T);
#undef T
    case HF_FK_PORT_LIST:
#define T(src) port_in(n, src ? r->sourceTransportPort : r->destinationTransportPort)
        return SIDES(n, T);
#undef T
    case HF_FK_IF:
#define T(src) ((src ? r->ingressInterface : r->egressInterface) == n->num)
        return SIDES(n, T);
#undef T
    case HF_FK_FLAGS:
        return r->protocolIdentifier == HF_PROTO_TCP && (r->tcpControlBits & n->num) == n->num;
    case HF_FK_FLAGS_ANY:
        return r->protocolIdentifier == HF_PROTO_TCP && (r->tcpControlBits & n->num) != 0;
    case HF_FK_PACKETS:
        return cmp_u64(n->cmp, scaled(r->packetDeltaCount, r->samplingPacketInterval), n->num);
    case HF_FK_BYTES:
        return cmp_u64(n->cmp, scaled(r->octetDeltaCount, r->samplingPacketInterval), n->num);
    case HF_FK_FLOWS:
        return cmp_u64(n->cmp, hf_flow_count(r), n->num);
    case HF_FK_DURATION: {
        uint64_t d = r->flowEndMilliseconds > r->flowStartMilliseconds
                     ? r->flowEndMilliseconds - r->flowStartMilliseconds : 0;
        return cmp_u64(n->cmp, d, n->num);
    }
    case HF_FK_TOS:
        return cmp_u64(n->cmp, r->ipClassOfService, n->num);
    case HF_FK_VLAN:
        return cmp_u64(n->cmp, r->vlanId, n->num);
    case HF_FK_MAC:
#define T(src) (memcmp(src ? r->sourceMacAddress : r->destinationMacAddress, n->mac, 6) == 0)
        return SIDES(n, T);
#undef T
    case HF_FK_HOSTNAME:
        return name_is(&r->hostflowHostname, n->str) || name_is(&r->httpRequestHost, n->str)
               || name_is(&r->sslServerNameNtop, n->str) || name_is(&r->dnsQueryNtop, n->str)
               || name_is(&r->hostflowDnsName, n->str);
    case HF_FK_DNS:
        return name_is(&r->dnsQueryNtop, n->str);
    case HF_FK_APP:
        return ieq_varfield(&r->applicationName, n->str);
    case HF_FK_DOMAIN: {
        char buf[256];
        if (!env || !env->domain)
            return false;
        const char *d = env->domain(env->ctx, r, buf, sizeof(buf));
        return d && g_ascii_strcasecmp(d, n->str) == 0;
    }
    case HF_FK_DEVICE:
        if (!env || !env->device)
            return false;
#define T(src) device_is(n, r, env, src)
        return SIDES(n, T);
#undef T
    case HF_FK_EXPORTER:
        return env && env->source
               && (strcmp(env->source, n->str) == 0
                   || (n->str2 && strcmp(env->source, n->str2) == 0));
    case HF_FK_SAMPLED:
        return r->samplingPacketInterval > 1;
    }
    return false;
}

bool
hf_filter_node_match(const struct hf_filter_node *n, const hf_flow_record_t *r,
                     const struct hf_filter_env *env)
{
    return eval(n, r, env);
}

bool
hf_filter_match(const struct hf_filter *f, const hf_flow_record_t *r,
                const struct hf_filter_env *env)
{
    return eval(f->nodes, r, env);
}

static uint64_t
sided(enum hf_filter_dir dir, uint64_t src, uint64_t dst)
{
    return dir == HF_DIR_SRC ? src : dir == HF_DIR_DST ? dst : src | dst;
}

uint64_t
hf_filter_node_fields(const struct hf_filter_node *n)
{
    uint64_t f = 0;

    switch (n->kind) {
    case HF_FK_ANY: break;
    case HF_FK_AND:
    case HF_FK_OR:
    case HF_FK_NOT:
        for (const struct hf_filter_node *k = n->child; k; k = k->next)
            f |= hf_filter_node_fields(k);
        break;
    case HF_FK_IPVERSION: f = HF_FIELD_IPVERSION; break;
    case HF_FK_PROTO: f = HF_FIELD_PROTO; break;
    case HF_FK_NET:
    case HF_FK_NET_LIST:
        f = HF_FIELD_IPVERSION | sided(n->dir, HF_FIELD_SRCADDR, HF_FIELD_DSTADDR);
        break;
    case HF_FK_PORT:
    case HF_FK_PORT_LIST:
        f = sided(n->dir, HF_FIELD_SRCPORT, HF_FIELD_DSTPORT);
        break;
    case HF_FK_IF: f = sided(n->dir, HF_FIELD_IN_IF, HF_FIELD_OUT_IF); break;
    case HF_FK_FLAGS:
    case HF_FK_FLAGS_ANY: f = HF_FIELD_PROTO | HF_FIELD_TCPFLAGS; break;
    case HF_FK_PACKETS: f = HF_FIELD_PACKETS | HF_FIELD_SAMPLING; break;
    case HF_FK_BYTES: f = HF_FIELD_BYTES | HF_FIELD_SAMPLING; break;
    case HF_FK_FLOWS: f = HF_FIELD_FLOWS; break;
    case HF_FK_DURATION: f = HF_FIELD_TIME; break;
    case HF_FK_TOS: f = HF_FIELD_TOS; break;
    case HF_FK_VLAN: f = HF_FIELD_VLAN; break;
    case HF_FK_MAC: f = sided(n->dir, HF_FIELD_SRCMAC, HF_FIELD_DSTMAC); break;
    case HF_FK_HOSTNAME: f = HF_FIELD_HOSTNAME; break;
    case HF_FK_DNS: f = HF_FIELD_DNSQUERY; break;
    case HF_FK_APP: f = HF_FIELD_APP; break;
    case HF_FK_DOMAIN: f = HF_FIELD_DOMAIN; break;
    case HF_FK_DEVICE: f = sided(n->dir, HF_FIELD_SRCDEVICE, HF_FIELD_DSTDEVICE); break;
    case HF_FK_EXPORTER: f = HF_FIELD_EXPORTER; break;
    case HF_FK_SAMPLED: f = HF_FIELD_SAMPLING; break;
    }
    return f;
}
