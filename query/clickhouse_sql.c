#include "clickhouse_sql.h"

#include <string.h>
#include "clickhouse_rowbinary.h"
#include "extract.h"
#include "filter_int.h"
#include "proto.h"

#define BIT(c) (1u << (c))
#define ADDRS (BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_SRCADDR) | BIT(HF_CHC_DSTADDR))
/* what hf_flow_from_service() reads: who is the client */
#define SIDES (ADDRS | BIT(HF_CHC_SRCPORT) | BIT(HF_CHC_DSTPORT) | BIT(HF_CHC_PROTO) \
               | BIT(HF_CHC_SRCMAC) | BIT(HF_CHC_DSTMAC))

/* the select expression of each group, as enum hf_ch_col orders them */
static const char *const col_sql[HF_CHC_COUNT] = {
    [HF_CHC_SOURCE] = "source",
    [HF_CHC_IPVERSION] = "ip_version",
    [HF_CHC_SRCADDR] = "src_addr",
    [HF_CHC_DSTADDR] = "dst_addr",
    [HF_CHC_SRCPORT] = "src_port",
    [HF_CHC_DSTPORT] = "dst_port",
    [HF_CHC_PROTO] = "proto",
    [HF_CHC_FLAGS] = "tcp_flags",
    [HF_CHC_TOS] = "tos",
    [HF_CHC_IN_IF] = "in_if",
    [HF_CHC_OUT_IF] = "out_if",
    [HF_CHC_SRCMAC] = "src_mac",
    [HF_CHC_DSTMAC] = "dst_mac",
    [HF_CHC_VLAN] = "vlan",
    [HF_CHC_NAMES] = "hostname, name_source, dns_name, http_host, sni, dns_query",
    [HF_CHC_APP] = "app",
    [HF_CHC_COLLECTOR] = "collector",
    [HF_CHC_START] = "start_ms",
    [HF_CHC_END] = "end_ms",
};

static uint32_t
key_cols(const struct hf_key *k)
{
    switch (k->kind) {
    case HF_KEY_SRCIP: return BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_SRCADDR);
    case HF_KEY_DSTIP: return BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_DSTADDR);
    case HF_KEY_IP: return ADDRS;
    case HF_KEY_SRCPORT: return BIT(HF_CHC_SRCPORT);
    case HF_KEY_DSTPORT: return BIT(HF_CHC_DSTPORT);
    case HF_KEY_PORT: return BIT(HF_CHC_SRCPORT) | BIT(HF_CHC_DSTPORT);
    case HF_KEY_PROTO: return BIT(HF_CHC_PROTO);
    case HF_KEY_CLIENT: case HF_KEY_SERVER: case HF_KEY_SERVICE: case HF_KEY_DEVICE:
        return SIDES;
    case HF_KEY_HOSTNAME: case HF_KEY_DOMAIN: return BIT(HF_CHC_NAMES);
    case HF_KEY_APP: return BIT(HF_CHC_APP);
    case HF_KEY_EXPORTER: return BIT(HF_CHC_SOURCE);
    case HF_KEY_COLLECTOR: return BIT(HF_CHC_COLLECTOR);
    case HF_KEY_IN_IF: return BIT(HF_CHC_IN_IF);
    case HF_KEY_OUT_IF: return BIT(HF_CHC_OUT_IF);
    case HF_KEY_SRCMAC: return BIT(HF_CHC_SRCMAC);
    case HF_KEY_DSTMAC: return BIT(HF_CHC_DSTMAC);
    case HF_KEY_TIME: return BIT(HF_CHC_START);
    case HF_KEY_COUNT: break;
    }
    return 0;
}

/* The groups a residual term reads; false when it reads a record's own
 * counters or times, which no group keeps. */
static bool
field_cols(uint64_t fields, uint32_t *cols)
{
    static const struct { uint64_t field; uint32_t cols; } map[] = {
        {HF_FIELD_SRCADDR, BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_SRCADDR)},
        {HF_FIELD_DSTADDR, BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_DSTADDR)},
        {HF_FIELD_IPVERSION, BIT(HF_CHC_IPVERSION)},
        {HF_FIELD_PROTO, BIT(HF_CHC_PROTO)},
        {HF_FIELD_SRCPORT, BIT(HF_CHC_SRCPORT)},
        {HF_FIELD_DSTPORT, BIT(HF_CHC_DSTPORT)},
        {HF_FIELD_IN_IF, BIT(HF_CHC_IN_IF)},
        {HF_FIELD_OUT_IF, BIT(HF_CHC_OUT_IF)},
        {HF_FIELD_TCPFLAGS, BIT(HF_CHC_FLAGS)},
        {HF_FIELD_TOS, BIT(HF_CHC_TOS)},
        {HF_FIELD_VLAN, BIT(HF_CHC_VLAN)},
        {HF_FIELD_SRCMAC, BIT(HF_CHC_SRCMAC)},
        {HF_FIELD_DSTMAC, BIT(HF_CHC_DSTMAC)},
        {HF_FIELD_HOSTNAME, BIT(HF_CHC_NAMES)},
        {HF_FIELD_DNSQUERY, BIT(HF_CHC_NAMES)},
        {HF_FIELD_DOMAIN, BIT(HF_CHC_NAMES)},
        {HF_FIELD_APP, BIT(HF_CHC_APP)},
        {HF_FIELD_SRCDEVICE, SIDES},
        {HF_FIELD_DSTDEVICE, SIDES},
        {HF_FIELD_EXPORTER, BIT(HF_CHC_SOURCE)},
    };
    const uint64_t per_record = HF_FIELD_PACKETS | HF_FIELD_BYTES | HF_FIELD_SAMPLING
                              | HF_FIELD_FLOWS | HF_FIELD_TIME;

    if (fields & per_record)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (fields & map[i].field)
            *cols |= map[i].cols;
    return true;
}

/* ---- parameters: values in _p, never in the text ------------------------ */

/* One more row of parameter i (a list: sources). */
static void
param_more(struct hf_ch_sql *q, unsigned i, const char *s, size_t len)
{
    hf_ch_put_le(q->params, i, 4);
    hf_ch_put_string(q->params, s, len);
}

/* A new parameter number holding value s. */
static unsigned
param_new(struct hf_ch_sql *q, const char *s, size_t len)
{
    unsigned i = q->nparams++;

    param_more(q, i, s, len);
    return i;
}

/* "(SELECT v FROM _p WHERE i = N)": the one value of parameter N */
static void
scalar(GString *out, unsigned i)
{
    g_string_append_printf(out, "(SELECT v FROM _p WHERE i = %u)", i);
}

/* A glob (* and ?, lowercase) as a LIKE pattern: its % _ and \ escaped. */
static unsigned
param_like(struct hf_ch_sql *q, const char *glob)
{
    GString *p = g_string_new(NULL);

    for (const char *c = glob; *c; c++) {
        if (*c == '*')
            g_string_append_c(p, '%');
        else if (*c == '?')
            g_string_append_c(p, '_');
        else {
            if (*c == '%' || *c == '_' || *c == '\\')
                g_string_append_c(p, '\\');
            g_string_append_c(p, *c);
        }
    }
    unsigned i = param_new(q, p->str, p->len);
    g_string_free(p, TRUE);
    return i;
}

/* ---- the filter's AST as a WHERE clause ------------------------------------ */

static bool
pushable(const struct hf_filter_node *n)
{
    if (n->kind == HF_FK_DOMAIN || n->kind == HF_FK_DEVICE)
        return false;
    for (const struct hf_filter_node *k = n->child; k; k = k->next)
        if (!pushable(k))
            return false;
    return true;
}

static const char *
cmp_sql(enum hf_filter_cmp c)
{
    switch (c) {
    case HF_CMP_EQ: return "=";
    case HF_CMP_LT: return "<";
    case HF_CMP_GT: return ">";
    case HF_CMP_LE: return "<=";
    case HF_CMP_GE: return ">=";
    }
    return "=";
}

/* An address column in a network, as integers: IPv4 is the last four
 * bytes of ::ffff:a.b.c.d, IPv6 two big-endian halves. */
static void
net_sql(GString *out, const struct hf_filter_net *net, const char *col)
{
    if (net->family == 4) {
        g_string_append_printf(out, "(ip_version = 4 AND bitAnd(reinterpretAsUInt32("
                               "reverse(substring(%s, 13, 4))), %u) = %u)", col,
                               net->v4mask, net->v4);
        return;
    }
    g_string_append(out, "(ip_version = 6");
    for (unsigned half = 0; half < 2; half++) {
        uint64_t mask = hf_be_uint(net->mask + 8 * half, 8);
        uint64_t addr = hf_be_uint(net->addr + 8 * half, 8);
        if (mask)
            g_string_append_printf(out, " AND bitAnd(reinterpretAsUInt64(reverse(substring("
                                   "%s, %u, 8))), %" G_GUINT64_FORMAT ") = %"
                                   G_GUINT64_FORMAT, col, 1 + 8 * half, mask, addr);
    }
    g_string_append_c(out, ')');
}

static void node_sql(struct hf_ch_sql *q, GString *out, const struct hf_filter_node *n);

/* one side's test: fmt with %s for the column of that side */
static void
side_sql(struct hf_ch_sql *q, GString *out, const struct hf_filter_node *n,
         const char *src_col, const char *dst_col)
{
    const char *cols[2] = { src_col, dst_col };
    bool both = n->dir == HF_DIR_ANY;

    if (both)
        g_string_append_c(out, '(');
    for (int s = 0; s < 2; s++) {
        if ((s == 0 && n->dir == HF_DIR_DST) || (s == 1 && n->dir == HF_DIR_SRC))
            continue;
        if (both && s == 1)
            g_string_append(out, " OR ");
        const char *col = cols[s];
        switch (n->kind) {
        case HF_FK_NET:
            net_sql(out, &n->net, col);
            break;
        case HF_FK_NET_LIST:
            g_string_append_c(out, '(');
            for (size_t i = 0; i < n->list.n; i++) {
                if (i)
                    g_string_append(out, " OR ");
                net_sql(out, &n->list.nets[i], col);
            }
            if (!n->list.n)
                g_string_append_c(out, '0');
            g_string_append_c(out, ')');
            break;
        case HF_FK_PORT:
            g_string_append_printf(out, "%s %s %" G_GUINT64_FORMAT, col, cmp_sql(n->cmp),
                                   n->num);
            break;
        case HF_FK_PORT_LIST:
            g_string_append_printf(out, "%s IN (", col);
            for (size_t i = 0; i < n->list.n; i++)
                g_string_append_printf(out, "%s%u", i ? ", " : "", n->list.ports[i]);
            if (!n->list.n)
                g_string_append(out, "65536");     /* no port: nothing */
            g_string_append_c(out, ')');
            break;
        case HF_FK_IF:
            g_string_append_printf(out, "%s = %" G_GUINT64_FORMAT, col, n->num);
            break;
        case HF_FK_MAC:     /* the column holds the MAC as a number */
            g_string_append_printf(out, "%s = %" G_GUINT64_FORMAT, col,
                                   hf_be_uint(n->mac, 6));
            break;
        default:
            break;
        }
    }
    if (both)
        g_string_append_c(out, ')');
    (void)q;
}

/* name column (not empty) LIKE the glob of parameter i */
static void
like_sql(GString *out, const char *col, unsigned i)
{
    g_string_append_printf(out, "(notEmpty(%s) AND lower(%s) LIKE ", col, col);
    scalar(out, i);
    g_string_append_c(out, ')');
}

static void
node_sql(struct hf_ch_sql *q, GString *out, const struct hf_filter_node *n)
{
    unsigned i;

    switch (n->kind) {
    case HF_FK_ANY:
        g_string_append_c(out, '1');
        break;
    case HF_FK_AND:
    case HF_FK_OR:
        g_string_append_c(out, '(');
        for (const struct hf_filter_node *k = n->child; k; k = k->next) {
            node_sql(q, out, k);
            if (k->next)
                g_string_append(out, n->kind == HF_FK_AND ? " AND " : " OR ");
        }
        g_string_append_c(out, ')');
        break;
    case HF_FK_NOT:
        g_string_append(out, "NOT (");
        node_sql(q, out, n->child);
        g_string_append_c(out, ')');
        break;
    case HF_FK_IPVERSION:
        g_string_append_printf(out, "ip_version = %" G_GUINT64_FORMAT, n->num);
        break;
    case HF_FK_PROTO:
        g_string_append_printf(out, "proto = %" G_GUINT64_FORMAT, n->num);
        break;
    case HF_FK_NET:
    case HF_FK_NET_LIST:
        side_sql(q, out, n, "src_addr", "dst_addr");
        break;
    case HF_FK_PORT:
    case HF_FK_PORT_LIST:
        side_sql(q, out, n, "src_port", "dst_port");
        break;
    case HF_FK_IF:
        side_sql(q, out, n, "in_if", "out_if");
        break;
    case HF_FK_MAC:
        side_sql(q, out, n, "src_mac", "dst_mac");
        break;
    case HF_FK_FLAGS:
    case HF_FK_FLAGS_ANY:
        g_string_append_printf(out, "(proto = 6 AND bitAnd(tcp_flags, %" G_GUINT64_FORMAT
                               ") %s %" G_GUINT64_FORMAT ")", n->num,
                               n->kind == HF_FK_FLAGS ? "=" : "!=",
                               n->kind == HF_FK_FLAGS ? n->num : 0);
        break;
    case HF_FK_PACKETS:
        g_string_append_printf(out, "packets * sampling %s %" G_GUINT64_FORMAT,
                               cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_BYTES:
        g_string_append_printf(out, "bytes * sampling %s %" G_GUINT64_FORMAT,
                               cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_FLOWS:
        g_string_append_printf(out, "flows %s %" G_GUINT64_FORMAT, cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_DURATION:
        g_string_append_printf(out, "if(end_ms > start_ms, end_ms - start_ms, 0) %s %"
                               G_GUINT64_FORMAT, cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_TOS:
        g_string_append_printf(out, "tos %s %" G_GUINT64_FORMAT, cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_VLAN:
        g_string_append_printf(out, "vlan %s %" G_GUINT64_FORMAT, cmp_sql(n->cmp), n->num);
        break;
    case HF_FK_HOSTNAME: {
        static const char *const names[] = { "hostname", "http_host", "sni", "dns_query",
                                             "dns_name" };
        i = param_like(q, n->str);
        g_string_append_c(out, '(');
        for (size_t k = 0; k < G_N_ELEMENTS(names); k++) {
            if (k)
                g_string_append(out, " OR ");
            like_sql(out, names[k], i);
        }
        g_string_append_c(out, ')');
        break;
    }
    case HF_FK_DNS:
        like_sql(out, "dns_query", param_like(q, n->str));
        break;
    case HF_FK_APP: {
        char *low = g_ascii_strdown(n->str, -1);
        g_string_append(out, "lower(app) = ");
        scalar(out, param_new(q, low, strlen(low)));
        g_free(low);
        break;
    }
    case HF_FK_EXPORTER:
        g_string_append(out, "(source = ");
        scalar(out, param_new(q, n->str, strlen(n->str)));
        if (n->str2) {
            g_string_append(out, " OR source = ");
            scalar(out, param_new(q, n->str2, strlen(n->str2)));
        }
        g_string_append_c(out, ')');
        break;
    case HF_FK_SAMPLED:
        g_string_append(out, "sampling > 1");
        break;
    case HF_FK_DOMAIN:
    case HF_FK_DEVICE:
        g_string_append_c(out, '1');    /* never reached: not pushable */
        break;
    }
}

/* The filter's conjuncts: pushed into where, or kept in q->residual. */
static void
split_filter(struct hf_ch_sql *q, const struct hf_filter_node *root, GString *where)
{
    const struct hf_filter_node *one[1] = { root };
    const struct hf_filter_node *k = root->kind == HF_FK_AND ? root->child : one[0];

    for (; k; k = root->kind == HF_FK_AND ? k->next : NULL) {
        if (k->kind == HF_FK_ANY)
            continue;
        if (!pushable(k)) {
            g_ptr_array_add(q->residual, (gpointer)k);
            continue;
        }
        g_string_append(where, " AND ");
        node_sql(q, where, k);
    }
}

/* ---- the SELECT ------------------------------------------------------------- */

static uint64_t
gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}


/* ---- the client's side first ------------------------------------------------ */

/* Keys that look at a record's client and service rather than its source
 * and destination: grouped as such, they need not the whole 5-tuple. */
static bool
is_oriented_key(enum hf_key_kind k)
{
    return k == HF_KEY_CLIENT || k == HF_KEY_SERVER || k == HF_KEY_SERVICE
        || k == HF_KEY_DEVICE;
}

static uint32_t
oriented_cols(enum hf_key_kind k)
{
    switch (k) {
    case HF_KEY_CLIENT: return BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_SRCADDR) | BIT(HF_CHC_PROTO);
    case HF_KEY_SERVER: return BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_DSTADDR) | BIT(HF_CHC_PROTO);
    case HF_KEY_SERVICE: return BIT(HF_CHC_PROTO) | BIT(HF_CHC_DSTPORT);
    case HF_KEY_DEVICE:
        return BIT(HF_CHC_IPVERSION) | BIT(HF_CHC_SRCADDR) | BIT(HF_CHC_SRCMAC)
             | BIT(HF_CHC_PROTO);
    default: return key_cols(&(struct hf_key){ .kind = k });
    }
}

/* True when the rows may be turned client first (struct hf_ch_sql's
 * oriented): some key asks for the client or service, and nothing reads
 * a record's source or destination as such. */
static bool
may_orient(const struct hf_query *q, const struct hf_ch_sql *s)
{
    const uint32_t sided = BIT(HF_CHC_SRCADDR) | BIT(HF_CHC_DSTADDR) | BIT(HF_CHC_SRCPORT)
                         | BIT(HF_CHC_DSTPORT) | BIT(HF_CHC_SRCMAC) | BIT(HF_CHC_DSTMAC);
    bool any = false;
    uint32_t residual = 0;

    for (unsigned i = 0; i < q->nkeys; i++) {
        if (is_oriented_key(q->keys[i].kind))
            any = true;
        else if (key_cols(&q->keys[i]) & sided)
            return false;
    }
    for (guint i = 0; i < s->residual->len; i++)
        field_cols(hf_filter_node_fields(g_ptr_array_index(s->residual, i)), &residual);
    return any && q->nmore == 0 && !(residual & sided);
}

static void
add_key_cols(struct hf_ch_sql *q, const struct hf_key *keys, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        q->cols |= q->oriented ? oriented_cols(keys[i].kind) : key_cols(&keys[i]);
        if (keys[i].kind == HF_KEY_TIME)
            q->step_ms = gcd(q->step_ms, (uint64_t)keys[i].step_s * 1000);
    }
}

/* hf_flow_from_service() in SQL, for one flow record (its ports, else its
 * addresses; IPv4 as ::ffff:a.b.c.d compares as its number does) */
static void
from_service_sql(GString *out)
{
    g_string_append(out, "if(proto IN (");
    bool first = true;
    for (unsigned p = 0; p < 256; p++)
        if (hf_proto_has_ports((uint8_t)p)) {
            g_string_append_printf(out, "%s%u", first ? "" : ", ", p);
            first = false;
        }
    g_string_append(out, "), src_port < dst_port OR (src_port = dst_port AND src_addr > "
                         "dst_addr), src_addr > dst_addr)");
}

/* the select expression of column c when oriented: the client's side as
 * the source, the service's port as the destination port */
static void
oriented_sql(GString *out, unsigned c)
{
    static const struct { unsigned col; const char *from_service, *from_client; } turned[] = {
        { HF_CHC_SRCADDR, "dst_addr", "src_addr" },     /* the client */
        { HF_CHC_DSTADDR, "src_addr", "dst_addr" },     /* the server */
        { HF_CHC_DSTPORT, "src_port", "dst_port" },     /* the service's port */
        { HF_CHC_SRCMAC, "dst_mac", "src_mac" },        /* the client's MAC */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(turned); i++) {
        if (turned[i].col != c)
            continue;
        g_string_append(out, "if(");
        from_service_sql(out);
        g_string_append_printf(out, ", %s, %s)", turned[i].from_service, turned[i].from_client);
        return;
    }
    g_string_append(out, col_sql[c]);
}

void
hf_ch_sql_build(const struct hf_query *q, const char *database, const char *table,
                struct hf_ch_sql *out)
{
    GString *where = g_string_new(NULL), *s;

    memset(out, 0, sizeof(*out));
    out->text = s = g_string_new("SELECT ");
    out->params = g_byte_array_new();
    out->residual = g_ptr_array_new();
    /* the window: records that overlap [from, to), as the files' reader */
    g_string_append_printf(where, "end_ms >= %" G_GUINT64_FORMAT, q->from_ms);
    if (q->to_ms != UINT64_MAX)
        g_string_append_printf(where, " AND start_ms < %" G_GUINT64_FORMAT, q->to_ms);
    if (q->sources && q->sources[0]) {
        unsigned i = param_new(out, q->sources[0], strlen(q->sources[0]));
        for (const char *const *src = q->sources + 1; *src; src++)
            param_more(out, i, *src, strlen(*src));
        g_string_append_printf(where, " AND source IN (SELECT v FROM _p WHERE i = %u)", i);
    }
    if (q->filter)
        split_filter(out, hf_filter_root(q->filter), where);

    out->cols = BIT(HF_CHC_SOURCE);
    out->grouped = q->nkeys > 0;
    out->oriented = may_orient(q, out);
    add_key_cols(out, q->keys, q->nkeys);
    for (unsigned t = 0; t < q->nmore; t++)
        add_key_cols(out, q->more[t].keys, q->more[t].nkeys);
    for (guint i = 0; i < out->residual->len; i++)
        if (!field_cols(hf_filter_node_fields(g_ptr_array_index(out->residual, i)),
                        &out->cols))
            out->grouped = false;
    if (!out->grouped) {
        out->cols = BIT(HF_CHC_COUNT) - 1;      /* every column of every record */
        out->step_ms = 0;
        out->oriented = false;
    }

    GString *group = g_string_new(NULL);
    for (unsigned c = 0; c < HF_CHC_COUNT; c++) {
        if (!(out->cols & BIT(c)))
            continue;
        if (c == HF_CHC_START && out->step_ms)
            g_string_append_printf(group, "%stoUInt64(intDiv(start_ms, %" G_GUINT64_FORMAT
                                   ") * %" G_GUINT64_FORMAT ")", group->len ? ", " : "",
                                   out->step_ms, out->step_ms);
        else {
            if (group->len)
                g_string_append(group, ", ");
            if (out->oriented)
                oriented_sql(group, c);
            else
                g_string_append(group, col_sql[c]);
        }
    }
    g_string_append(s, group->str);
    if (out->grouped)
        g_string_append(s, ", toUInt64(sum(packets * sampling)), toUInt64(sum(bytes * "
                           "sampling)), toUInt64(sum(flows))");
    else
        g_string_append(s, ", packets, bytes, flows, sampling");
    g_string_append_printf(s, " FROM %s.%s WHERE %s", database, table, where->str);
    if (out->grouped)
        g_string_append_printf(s, " GROUP BY %s", group->str);
    else   /* a conversation's name is its first record's: in time order */
        g_string_append(s, " ORDER BY start_ms, end_ms");
    g_string_append(s, " FORMAT RowBinary");
    g_string_free(group, TRUE);
    g_string_free(where, TRUE);
}

void
hf_ch_sql_clear(struct hf_ch_sql *s)
{
    if (s->text)
        g_string_free(s->text, TRUE);
    if (s->params)
        g_byte_array_unref(s->params);
    if (s->residual)
        g_ptr_array_unref(s->residual);
    memset(s, 0, sizeof(*s));
}
