#include "flow_names.h"
#include "proto.h"

#include <string.h>
#include <glib.h>

#include "app_label.h"
#include "app_parse.h"
#include "conn_memory.h"
#include "dns_parse.h"
#include "name_pool.h"

#define INSPECT_BUF 8192

/* candidate parsers still possible for a flow */
enum { TRY_TLS = 1, TRY_HTTP = 2, TRY_QUIC = 4 };

struct hf_inspect {
    uint32_t next_seq;         /* TCP: where the buffered stream continues */
    uint16_t len;
    uint8_t  candidates;
    struct hf_quic_state quic;
    uint8_t  buf[INSPECT_BUF];
};

struct hf_namer {
    struct hf_namer_config cfg;
    struct hf_flow_table *table;
    struct hf_name_cache *cache;
    struct hf_conn_memory *conns;   /* names of connections that left */
    uint32_t buffers;
    struct hf_namer_stats st;
};

struct hf_namer *
hf_namer_new(const struct hf_namer_config *cfg, struct hf_flow_table *table)
{
    struct hf_namer *n = g_new0(struct hf_namer, 1);

    n->cfg = *cfg;
    if (!n->cfg.inspect_packets)
        n->cfg.inspect_packets = 6;
    if (!n->cfg.max_buffers)
        n->cfg.max_buffers = 8192;
    n->table = table;
    n->cache = hf_name_cache_new(&n->cfg.cache);
    /* an hour covers a long connection's pauses; as many as DNS answers */
    n->conns = hf_conn_memory_new(n->cfg.cache.max_entries ? n->cfg.cache.max_entries / 4 : 65536,
                                  3600ULL * 1000000);
    return n;
}

void
hf_namer_free(struct hf_namer *n)
{
    if (!n)
        return;
    hf_name_cache_free(n->cache);
    hf_conn_memory_free(n->conns);
    g_free(n);
}

static void
inspect_end(struct hf_namer *n, struct hf_flow *f)
{
    if (f->names.inspect) {
        g_free(f->names.inspect);
        f->names.inspect = NULL;
        n->buffers--;
    }
    f->names.inspect_left = 0;
}

void
hf_namer_release(struct hf_namer *n, struct hf_flow *f)
{
    if (f->names.app)
        hf_conn_memory_put(n->conns, &f->key, f->names.app, f->names.app_source,
                           f->names.label, f->last_us);
    hf_name_unref(f->names.dns);
    hf_name_unref(f->names.app);
    hf_name_unref(f->names.query);
    inspect_end(n, f);
    memset(&f->names, 0, sizeof(f->names));
}

static void
set_name(struct hf_name **slot, struct hf_name *name)
{
    if (*slot == name)
        return;
    hf_name_unref(*slot);
    *slot = name ? hf_name_ref(name) : NULL;
}

/* The flow the other way (server→client for a client→server flow). */
static struct hf_flow *
reverse_of(struct hf_namer *n, const struct hf_flow *f)
{
    struct hf_flow_key k = f->key;

    memcpy(k.src_addr, f->key.dst_addr, 16);
    memcpy(k.dst_addr, f->key.src_addr, 16);
    k.sport = f->key.dport;
    k.dport = f->key.sport;
    return hf_flow_table_find(n->table, &k);
}

/* ---- DNS ---------------------------------------------------------------- */

static uint8_t
dns_label(const struct hf_packet *pkt)
{
    if (pkt->sport == 5353 || pkt->dport == 5353)
        return HF_APP_MDNS;
    if (pkt->sport == 5355 || pkt->dport == 5355)
        return HF_APP_LLMNR;
    return HF_APP_DNS;
}

static bool
is_dns_port(const struct hf_packet *pkt)
{
    static const uint16_t ports[] = { 53, 5353, 5355 };
    for (size_t i = 0; i < G_N_ELEMENTS(ports); i++)
        if (pkt->sport == ports[i] || pkt->dport == ports[i])
            return true;
    return false;
}

static void
dns_packet(struct hf_namer *n, struct hf_flow *f, const struct hf_packet *pkt)
{
    const uint8_t *msg = pkt->payload;
    uint32_t len = pkt->payload_len;
    struct hf_dns_msg dns;

    if (pkt->proto == HF_PROTO_TCP) {   /* DNS over TCP: length-prefixed */
        if (len < 2 || (uint32_t)(msg[0] << 8 | msg[1]) > len - 2)
            return;
        len = (uint32_t)(msg[0] << 8 | msg[1]);
        msg += 2;
    }
    if (!hf_dns_parse(msg, len, &dns))
        return;
    f->names.label = dns_label(pkt);
    struct hf_name *q = hf_name_get(dns.qname, dns.qname_len);
    if (!q)
        return;
    set_name(&f->names.query, q);
    struct hf_flow *rev = reverse_of(n, f);
    if (rev) {
        set_name(&rev->names.query, q);
        rev->names.label = f->names.label;
    }
    if (dns.is_response && dns.n_addrs) {
        n->st.dns_responses++;
        /* the receiver of the answer is the client that will connect */
        uint8_t client[16] = { 0 };
        memcpy(client, pkt->dst_addr, pkt->ip_version == 4 ? 4 : 16);
        for (uint32_t i = 0; i < dns.n_addrs; i++) {
            uint8_t addr[16] = { 0 };
            memcpy(addr, dns.addrs[i].addr, dns.addrs[i].family == 4 ? 4 : 16);
            hf_name_cache_put(n->cache, dns.addrs[i].family, client, addr, q,
                              dns.addrs[i].ttl, pkt->ts_us);
            n->st.dns_addresses++;
        }
    }
    hf_name_unref(q);
}

/* A new flow: what DNS told its client about the peer, or what the other
 * direction already knows. */
static void
pair_new_flow(struct hf_namer *n, struct hf_flow *f, const struct hf_packet *pkt)
{
    uint8_t fam = pkt->ip_version, src[16] = { 0 }, dst[16] = { 0 };
    bool by_client = false, stale = false;
    size_t alen = fam == 4 ? 4 : 16;

    memcpy(src, pkt->src_addr, alen);
    memcpy(dst, pkt->dst_addr, alen);
    /* this host asked about the destination (client→server), or the
     * destination asked about this host (server→client); a match by any
     * client only if neither side's own lookup was seen */
    struct hf_name *name = hf_name_cache_get(n->cache, fam, src, dst, pkt->ts_us,
                                             &by_client, &stale);
    if (!name || !by_client) {
        bool rev_by_client = false, rev_stale = false;
        struct hf_name *rev = hf_name_cache_get(n->cache, fam, dst, src, pkt->ts_us,
                                                &rev_by_client, &rev_stale);
        if (rev && (rev_by_client || !name)) {
            name = rev;
            stale = rev_stale;
        }
    }
    struct hf_flow *r = reverse_of(n, f);
    if (r) {
        if (!name) {
            name = r->names.dns;
            stale = r->names.dns_stale;
        }
        if (r->names.app) {
            set_name(&f->names.app, r->names.app);
            f->names.app_source = r->names.app_source;
            n->st.named_app++;
        }
        if (r->names.label && !f->names.label)
            f->names.label = r->names.label;
    }
    if (!f->names.app) {
        /* the same connection after a pause past the idle timeout */
        uint8_t source, label;
        struct hf_name *app = hf_conn_memory_get(n->conns, &f->key, pkt->ts_us,
                                                 &source, &label);
        if (app) {
            set_name(&f->names.app, app);
            f->names.app_source = source;
            f->names.label = label;
            n->st.named_app++;
        }
    }
    if (name) {
        set_name(&f->names.dns, name);
        f->names.dns_stale = stale;
        n->st.named_dns++;
    }
}

/* ---- application names --------------------------------------------------- */

static void
app_found(struct hf_namer *n, struct hf_flow *f, const char *name, uint8_t source)
{
    struct hf_name *nm = hf_name_get(name, strlen(name));

    if (!nm)
        return;
    set_name(&f->names.app, nm);
    f->names.app_source = source;
    n->st.named_app++;
    struct hf_flow *rev = reverse_of(n, f);
    if (rev && !rev->names.app) {
        set_name(&rev->names.app, nm);
        rev->names.app_source = source;
        rev->names.label = f->names.label;
        n->st.named_app++;
    }
    hf_name_unref(nm);
}

/* Runs the parsers still possible over bytes; true when inspection is
 * finished (a name, or no parser left). */
static bool
run_parsers(struct hf_namer *n, struct hf_flow *f, uint8_t *candidates,
            const uint8_t *p, size_t len)
{
    static const struct {
        uint8_t bit, label, source;
        enum hf_parse_status (*fn)(const uint8_t *, size_t, char *);
    } parsers[] = {
        { TRY_TLS, HF_APP_TLS, HF_NAME_TLS, hf_tls_sni },
        { TRY_HTTP, HF_APP_HTTP, HF_NAME_HTTP, hf_http_host },
    };
    char name[HF_NAME_MAX];

    for (size_t i = 0; i < G_N_ELEMENTS(parsers); i++) {
        if (!(*candidates & parsers[i].bit))
            continue;
        switch (parsers[i].fn(p, len, name)) {
        case HF_PARSE_NOT_MINE:
            *candidates &= (uint8_t)~parsers[i].bit;
            break;
        case HF_PARSE_MORE:
            f->names.label = parsers[i].label;
            return false;
        case HF_PARSE_NAME:
            f->names.label = parsers[i].label;
            app_found(n, f, name, parsers[i].source);
            return true;
        case HF_PARSE_NO_NAME:
            f->names.label = parsers[i].label;
            return true;
        }
    }
    return *candidates == 0;
}

static struct hf_inspect *
inspect_begin(struct hf_namer *n, struct hf_flow *f, uint8_t candidates)
{
    if (n->buffers >= n->cfg.max_buffers) {
        n->st.buffers_refused++;
        return NULL;
    }
    struct hf_inspect *in = g_malloc(sizeof(*in));
    in->len = 0;
    in->candidates = candidates;
    in->quic.have_dcid = 0;
    in->quic.crypto_len = 0;
    f->names.inspect = in;
    n->buffers++;
    return in;
}

static void
tcp_payload(struct hf_namer *n, struct hf_flow *f, const struct hf_packet *pkt)
{
    struct hf_inspect *in = f->names.inspect;

    if (!in) {
        /* most hellos and requests fit one segment: no buffer needed */
        uint8_t cand = TRY_TLS | TRY_HTTP;
        if (run_parsers(n, f, &cand, pkt->payload, pkt->payload_len)) {
            inspect_end(n, f);
            return;
        }
        in = inspect_begin(n, f, cand);
        if (!in) {
            inspect_end(n, f);
            return;
        }
        in->next_seq = pkt->tcp_seq;
    }
    if (pkt->tcp_seq != in->next_seq) {
        /* a retransmission adds nothing; a gap ends what we can parse */
        if ((int32_t)(pkt->tcp_seq - in->next_seq) < 0)
            return;
        inspect_end(n, f);
        return;
    }
    uint32_t take = pkt->payload_len;
    if (take > (uint32_t)(INSPECT_BUF - in->len))
        take = (uint32_t)(INSPECT_BUF - in->len);
    memcpy(in->buf + in->len, pkt->payload, take);
    in->len = (uint16_t)(in->len + take);
    in->next_seq += pkt->payload_len;
    if (run_parsers(n, f, &in->candidates, in->buf, in->len) || in->len == INSPECT_BUF)
        inspect_end(n, f);
}

static void
udp_payload(struct hf_namer *n, struct hf_flow *f, const struct hf_packet *pkt)
{
    char name[HF_NAME_MAX];
    struct hf_inspect *in = f->names.inspect;

    /* QUIC long headers have the top bit set; skip everything else cheaply */
    if (!in && (pkt->payload_len < 64 || !(pkt->payload[0] & 0x80))) {
        if (!f->names.label)
            f->names.label = hf_app_label_guess(pkt);
        inspect_end(n, f);
        return;
    }
    if (!in && !(in = inspect_begin(n, f, TRY_QUIC))) {
        inspect_end(n, f);
        return;
    }
    switch (hf_quic_sni(pkt->payload, pkt->payload_len, &in->quic, name)) {
    case HF_PARSE_NOT_MINE:
        if (!f->names.label)
            f->names.label = hf_app_label_guess(pkt);
        inspect_end(n, f);
        break;
    case HF_PARSE_MORE:
        f->names.label = HF_APP_QUIC;
        break;
    case HF_PARSE_NAME:
        f->names.label = HF_APP_QUIC;
        app_found(n, f, name, HF_NAME_QUIC);
        inspect_end(n, f);
        break;
    case HF_PARSE_NO_NAME:
        f->names.label = HF_APP_QUIC;
        inspect_end(n, f);
        break;
    }
}

void
hf_namer_packet(struct hf_namer *n, struct hf_flow *f, bool created,
                const struct hf_packet *pkt, uint32_t ifindex)
{
    (void)ifindex;
    if (created) {
        f->names.inspect_left = (uint8_t)(n->cfg.inspect_packets > 255 ? 255 : n->cfg.inspect_packets);
        if (pkt->proto == HF_PROTO_TCP || pkt->proto == HF_PROTO_UDP)
            pair_new_flow(n, f, pkt);
    }
    if (!pkt->payload_len || !pkt->has_ports)
        return;
    /* every DNS answer feeds the cache, however long the flow */
    if (is_dns_port(pkt)) {
        dns_packet(n, f, pkt);
        f->names.inspect_left = 0;
        return;
    }
    if (!f->names.inspect_left)
        return;
    f->names.inspect_left--;
    if (pkt->proto == HF_PROTO_TCP)
        tcp_payload(n, f, pkt);
    else if (pkt->proto == HF_PROTO_UDP)
        udp_payload(n, f, pkt);
    if (!f->names.inspect_left)
        inspect_end(n, f);
    if (!f->names.label && pkt->proto == HF_PROTO_TCP)
        f->names.label = hf_app_label_guess(pkt);
}

static void
set_var(fbVarfield_t *v, const struct hf_name *name)
{
    v->buf = name ? (uint8_t *)name->str : NULL;
    v->len = name ? name->len : 0;
}

uint8_t
hf_namer_hostname_source(const struct hf_flow *f)
{
    const struct hf_flow_names *nm = &f->names;

    if (nm->app)
        return nm->app_source;
    if (nm->dns)
        return nm->dns_stale ? HF_NAME_DNS_STALE : HF_NAME_DNS;
    return HF_NAME_NONE;
}

void
hf_namer_fill_record(const struct hf_flow *f, hf_flow_record_t *r)
{
    const struct hf_flow_names *nm = &f->names;
    const char *label = hf_app_label_name(nm->label);

    set_var(&r->hostflowDnsName, nm->dns);
    set_var(&r->dnsQueryNtop, nm->query);
    /* the hostname: the application's name, else the DNS-paired one */
    set_var(&r->hostflowHostname, nm->app ? nm->app : nm->dns);
    r->hostflowNameSource = hf_namer_hostname_source(f);
    if (nm->app && nm->app_source == HF_NAME_HTTP)
        set_var(&r->httpRequestHost, nm->app);
    else if (nm->app)
        set_var(&r->sslServerNameNtop, nm->app);
    r->applicationName.buf = (uint8_t *)label;
    r->applicationName.len = strlen(label);
}

struct hf_namer_stats
hf_namer_stats(const struct hf_namer *n)
{
    struct hf_namer_stats st = n->st;
    st.cache = hf_name_cache_stats(n->cache);
    return st;
}
