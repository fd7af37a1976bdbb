/* The filter's recursive-descent parser: tokens (filter_lex.c) into an AST
 * of heap nodes, then flattened into one array (struct hf_filter).
 *
 *   filter  := empty | or
 *   or      := and { ("or" | "||") and }
 *   and     := unary { ("and" | "&&") unary }
 *   unary   := ("not" | "!") unary | "(" or ")" | term
 *
 * AND and OR are n-ary: "a and (b and c)" is one AND of three, so that the
 * canonical text (filter_print.c) re-parses to the same tree. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "filter_int.h"

struct pnode {
    struct hf_filter_node n;
    struct pnode *kid, *last, *sib;
};

struct parser {
    GArray *toks;
    guint pos;
    GError **err;
    int depth;                  /* open parentheses and nots */
    int parens;                 /* open parentheses */
    int nots;                   /* enclosing "not"s */
    struct hf_filter *f;        /* owns strings and lists */
    GPtrArray *pnodes;          /* every pnode, freed at the end */
};

/* ---- tokens ---- */

static const struct hf_token *
tok(const struct parser *p)
{
    return &g_array_index(p->toks, struct hf_token, p->pos);
}

static const struct hf_token *
peek(const struct parser *p, guint k)
{
    guint i = MIN(p->pos + k, p->toks->len - 1);
    return &g_array_index(p->toks, struct hf_token, i);
}

static const struct hf_token *
next(struct parser *p)
{
    const struct hf_token *t = tok(p);
    if (t->type != HF_TOK_END)
        p->pos++;
    return t;
}

static bool
is_word(const struct hf_token *t, const char *kw)
{
    return t->type == HF_TOK_WORD && g_ascii_strcasecmp(t->text, kw) == 0;
}

/* what a token looks like in a message */
static const char *
tok_text(const struct hf_token *t)
{
    return t->type == HF_TOK_END ? "end of filter" : t->text;
}

static void G_GNUC_PRINTF(2, 3)
fail(struct parser *p, const char *fmt, ...)
{
    va_list ap;

    if (p->err && *p->err)
        return;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(p->err, HF_FILTER_ERROR, HF_FILTER_ERROR_SYNTAX, msg);
    g_free(msg);
}

/* ---- nodes ---- */

static struct pnode *
node(struct parser *p, enum hf_filter_kind kind)
{
    struct pnode *n = g_new0(struct pnode, 1);
    n->n.kind = kind;
    g_ptr_array_add(p->pnodes, n);
    return n;
}

static void
add_kid(struct pnode *parent, struct pnode *kid)
{
    if (parent->last)
        parent->last->sib = kid;
    else
        parent->kid = kid;
    parent->last = kid;
    parent->n.n_children++;
}

/* a AND/OR b, flattening nested nodes of the same kind */
static struct pnode *
combine(struct parser *p, enum hf_filter_kind kind, struct pnode *a, struct pnode *b)
{
    struct pnode *c = a;

    if (a->n.kind != kind) {
        c = node(p, kind);
        add_kid(c, a);
    }
    if (b->n.kind == kind) {
        for (struct pnode *k = b->kid, *nx; k; k = nx) {
            nx = k->sib;
            k->sib = NULL;
            add_kid(c, k);
        }
    } else {
        add_kid(c, b);
    }
    return c;
}

static const char *
own_str(struct parser *p, char *s)
{
    g_ptr_array_add(p->f->owned, s);
    return s;
}

/* ---- keywords and suggestions ---- */

static const char *const keywords[] = {
    "any", "and", "or", "not", "ip", "ipv4", "inet", "ipv6", "inet6", "proto",
    "host", "net", "src", "dst", "port", "in", "out", "if", "flags", "packets",
    "bytes", "flows", "duration", "tos", "vlan", "mac", "hostname", "dns", "domain",
    "app", "device", "exporter", "router", "sampled",
};

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t prev[40], cur[40];

    if (la >= 40 || lb >= 40)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (g_ascii_tolower(a[i - 1]) != b[j - 1]);
            cur[j] = MIN(sub, MIN(prev[j] + 1, cur[j - 1] + 1));
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

static void
unknown_keyword(struct parser *p, const struct hf_token *t)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < G_N_ELEMENTS(keywords); i++) {
        size_t d = edit_distance(t->text, keywords[i]);
        if (d < best_d) {
            best_d = d;
            best = keywords[i];
        }
    }
    size_t len = strlen(t->text);
    if (best && best_d <= 2 && best_d < len && best_d * 3 <= len + 1)
        fail(p, "unknown keyword '%s' at column %zu; did you mean '%s'?", t->text, t->col, best);
    else
        fail(p, "unknown keyword '%s' at column %zu", t->text, t->col);
}

/* ---- numbers ---- */

enum num_result { NUM_OK, NUM_BAD, NUM_RANGE };

/* decimal (or 0x hex if hex), with a k/M/G suffix (x 1000^n) if mult */
static enum num_result
parse_num(const char *s, bool mult, bool hex, uint64_t max, uint64_t *out)
{
    uint64_t v = 0, f = 1;
    unsigned base = 10;
    const char *q = s;

    if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
        base = 16;
        q = s + 2;
    }
    if (!g_ascii_isxdigit(*q) || (base == 10 && !g_ascii_isdigit(*q)))
        return NUM_BAD;
    bool range = false;
    for (; *q; q++) {
        int d = base == 16 ? g_ascii_xdigit_value(*q) : g_ascii_digit_value(*q);
        if (d < 0)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            range = true;
        else
            v = v * base + (uint64_t)d;
    }
    if (*q && mult && base == 10 && !q[1]) {
        switch (g_ascii_tolower(*q)) {
        case 'k': f = 1000; q++; break;
        case 'm': f = 1000000; q++; break;
        case 'g': f = 1000000000; q++; break;
        default: break;
        }
    }
    if (*q)
        return NUM_BAD;
    if (range || v > UINT64_MAX / f || v * f > max)
        return NUM_RANGE;
    *out = v * f;
    return NUM_OK;
}

/* an optional comparator: = == < > <= >= or eq lt gt le ge */
static enum hf_filter_cmp
parse_cmp(struct parser *p)
{
    static const char *const words[] = { "eq", "lt", "gt", "le", "ge" };
    const struct hf_token *t = tok(p);

    if (t->type == HF_TOK_CMP) {
        next(p);
        return t->cmp;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++)
        if (is_word(t, words[i])) {
            next(p);
            return (enum hf_filter_cmp)i;
        }
    return HF_CMP_EQ;
}

/* [cmp] number: a term of kind on a numeric field */
static struct pnode *
num_term(struct parser *p, enum hf_filter_kind kind, const struct hf_token *kw,
         const char *what, bool cmp_ok, bool mult, uint64_t max)
{
    enum hf_filter_cmp cmp = cmp_ok ? parse_cmp(p) : HF_CMP_EQ;
    const struct hf_token *t = tok(p);
    uint64_t v = 0;

    enum num_result r = t->type == HF_TOK_WORD ? parse_num(t->text, mult, false, max, &v)
                                                : NUM_BAD;
    if (r == NUM_BAD) {
        fail(p, "expected %s after '%s' at column %zu", what, kw->text, t->col);
        return NULL;
    }
    if (r == NUM_RANGE) {
        fail(p, "number '%s' out of range 0..%" PRIu64 " at column %zu", t->text, max, t->col);
        return NULL;
    }
    next(p);
    struct pnode *n = node(p, kind);
    n->n.cmp = cmp;
    n->n.num = v;
    return n;
}

/* ---- addresses ---- */

static void
net_masks(struct hf_filter_net *net)
{
    unsigned bits = net->prefix;

    memset(net->mask, 0, sizeof(net->mask));
    for (unsigned i = 0; i < 16; i++) {
        unsigned b = bits >= 8 ? 8 : bits;
        net->mask[i] = (uint8_t)(0xff00u >> b);
        bits -= b;
    }
    if (net->family == 4) {
        net->v4mask = net->prefix ? UINT32_MAX << (32 - net->prefix) : 0;
        uint32_t a = (uint32_t)net->addr[0] << 24 | (uint32_t)net->addr[1] << 16
                     | (uint32_t)net->addr[2] << 8 | net->addr[3];
        net->v4 = a & net->v4mask;
    }
    for (unsigned i = 0; i < 16; i++)
        net->addr[i] &= net->mask[i];
}

/* dotted IPv4 with exactly 4 parts, or 1..4 when partial ("10.1/16") */
static bool
parse_v4(const char *s, size_t len, bool partial, uint8_t out[4])
{
    unsigned parts = 0;
    size_t i = 0;

    memset(out, 0, 4);
    while (i < len) {
        unsigned v = 0, digits = 0;
        while (i < len && g_ascii_isdigit(s[i]) && digits < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            digits++;
            i++;
        }
        if (!digits || digits > 3 || v > 255 || parts == 4)
            return false;
        out[parts++] = (uint8_t)v;
        if (i < len) {
            if (s[i] != '.' || i + 1 == len)
                return false;
            i++;
        }
    }
    return parts == 4 || (partial && parts >= 1);
}

static bool
parse_v6(const char *s, size_t len, uint8_t out[16])
{
    char buf[64];

    if (len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

/* an address (with_prefix: optionally "/len") from a word at column col;
 * *had_prefix tells whether the prefix was given */
static bool
parse_net(struct parser *p, const char *text, size_t col, bool with_prefix,
          struct hf_filter_net *net, bool *had_prefix)
{
    const char *slash = with_prefix ? strchr(text, '/') : NULL;
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    unsigned max;

    memset(net, 0, sizeof(*net));
    if (memchr(text, ':', alen)) {
        net->family = 6;
        max = 128;
        if (!parse_v6(text, alen, net->addr)) {
            fail(p, "bad address '%.*s' at column %zu", (int)alen, text, col);
            return false;
        }
    } else {
        net->family = 4;
        max = 32;
        if (!parse_v4(text, alen, slash != NULL, net->addr)) {
            fail(p, "bad address '%.*s' at column %zu", (int)alen, text, col);
            return false;
        }
    }
    net->prefix = (uint8_t)max;
    if (slash) {
        uint64_t len = 0;
        if (parse_num(slash + 1, false, false, max, &len) != NUM_OK || strlen(slash + 1) > 3) {
            fail(p, "bad prefix length '%s' at column %zu", slash + 1,
                 col + (size_t)(slash - text) + 1);
            return false;
        }
        net->prefix = (uint8_t)len;
    }
    if (had_prefix)
        *had_prefix = slash != NULL;
    net_masks(net);
    return true;
}

/* the prefix length of a contiguous IPv4 netmask, or -1 */
static int
mask_len(const uint8_t m[4])
{
    uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    uint32_t inv = ~v;

    if (inv & (inv + 1))
        return -1;
    return __builtin_popcount(v);
}

/* ---- terms ---- */

static struct pnode *
host_term(struct parser *p, const struct hf_token *kw, enum hf_filter_dir dir)
{
    const struct hf_token *t = tok(p);
    struct pnode *n = node(p, HF_FK_NET);

    if (t->type != HF_TOK_WORD) {
        fail(p, "expected an address after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    if (!parse_net(p, t->text, t->col, false, &n->n.net, NULL))
        return NULL;
    next(p);
    n->n.dir = dir;
    return n;
}

static struct pnode *
net_term(struct parser *p, const struct hf_token *kw, enum hf_filter_dir dir)
{
    const struct hf_token *t = tok(p);
    struct pnode *n = node(p, HF_FK_NET);
    bool had_prefix = false;

    if (t->type != HF_TOK_WORD) {
        fail(p, "expected a network after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    /* partial IPv4 ("10.1") only with a prefix length */
    if (!parse_net(p, t->text, t->col, true, &n->n.net, &had_prefix))
        return NULL;
    next(p);
    n->n.dir = dir;
    if (had_prefix)
        return n;
    const struct hf_token *m = tok(p);
    uint8_t mask[4];
    if (n->n.net.family == 4 && m->type == HF_TOK_WORD
        && parse_v4(m->text, strlen(m->text), false, mask)) {
        int len = mask_len(mask);
        if (len < 0) {
            fail(p, "bad netmask '%s' at column %zu", m->text, m->col);
            return NULL;
        }
        next(p);
        n->n.net.prefix = (uint8_t)len;
        net_masks(&n->n.net);
        return n;
    }
    fail(p, "expected a prefix length ('%s/N') or a netmask after '%s' at column %zu",
         t->text, t->text, m->col);
    return NULL;
}

/* '[' item {[,] item} ']': the items' tokens */
static GPtrArray *
list_items(struct parser *p, const struct hf_token *in)
{
    const struct hf_token *open = tok(p);

    if (open->type != HF_TOK_LBRACK) {
        fail(p, "expected '[' after '%s' at column %zu", in->text, open->col);
        return NULL;
    }
    next(p);
    GPtrArray *items = g_ptr_array_new();
    for (;;) {
        const struct hf_token *t = tok(p);
        if (t->type == HF_TOK_RBRACK)
            break;
        if (t->type == HF_TOK_END) {
            fail(p, "unterminated list at column %zu", open->col);
            g_ptr_array_free(items, TRUE);
            return NULL;
        }
        if (t->type == HF_TOK_COMMA) {
            next(p);
            continue;
        }
        if (t->type != HF_TOK_WORD) {
            fail(p, "unexpected '%s' in list at column %zu", t->text, t->col);
            g_ptr_array_free(items, TRUE);
            return NULL;
        }
        g_ptr_array_add(items, (gpointer)t);
        next(p);
    }
    next(p);
    if (!items->len) {
        fail(p, "empty list at column %zu", open->col);
        g_ptr_array_free(items, TRUE);
        return NULL;
    }
    return items;
}

static int
cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static struct pnode *
port_list(struct parser *p, const struct hf_token *in, enum hf_filter_dir dir)
{
    GPtrArray *items = list_items(p, in);
    if (!items)
        return NULL;
    uint16_t *ports = g_new(uint16_t, items->len);
    uint64_t *bits = g_new0(uint64_t, 65536 / 64);
    own_str(p, (char *)ports);
    own_str(p, (char *)bits);
    size_t n = 0;
    for (guint i = 0; i < items->len; i++) {
        const struct hf_token *t = g_ptr_array_index(items, i);
        uint64_t v;
        if (parse_num(t->text, false, false, 65535, &v) != NUM_OK) {
            fail(p, "bad port '%s' at column %zu", t->text, t->col);
            g_ptr_array_free(items, TRUE);
            return NULL;
        }
        if (!(bits[v / 64] & (1ull << (v % 64))))
            ports[n++] = (uint16_t)v;
        bits[v / 64] |= 1ull << (v % 64);
    }
    g_ptr_array_free(items, TRUE);
    qsort(ports, n, sizeof(*ports), cmp_u16);
    struct pnode *nd = node(p, HF_FK_PORT_LIST);
    nd->n.dir = dir;
    nd->n.list.n = n;
    nd->n.list.ports = ports;
    nd->n.list.port_bits = bits;
    return nd;
}

static struct pnode *
net_list(struct parser *p, const struct hf_token *in, enum hf_filter_dir dir)
{
    GPtrArray *items = list_items(p, in);
    if (!items)
        return NULL;
    struct hf_filter_net *nets = g_new0(struct hf_filter_net, items->len);
    own_str(p, (char *)nets);
    for (guint i = 0; i < items->len; i++) {
        const struct hf_token *t = g_ptr_array_index(items, i);
        if (!parse_net(p, t->text, t->col, true, &nets[i], NULL)) {
            g_ptr_array_free(items, TRUE);
            return NULL;
        }
    }
    struct pnode *nd = node(p, HF_FK_NET_LIST);
    nd->n.dir = dir;
    nd->n.list.n = items->len;
    nd->n.list.nets = nets;
    g_ptr_array_free(items, TRUE);
    return nd;
}

/* host, ip: an address or "in [list]" */
static struct pnode *
addr_term(struct parser *p, const struct hf_token *kw, enum hf_filter_dir dir)
{
    if (is_word(tok(p), "in")) {
        const struct hf_token *in = next(p);
        return net_list(p, in, dir);
    }
    return host_term(p, kw, dir);
}

static struct pnode *
port_term(struct parser *p, const struct hf_token *kw, enum hf_filter_dir dir)
{
    if (is_word(tok(p), "in")) {
        const struct hf_token *in = next(p);
        return port_list(p, in, dir);
    }
    struct pnode *n = num_term(p, HF_FK_PORT, kw, "a port number", true, false, 65535);
    if (n)
        n->n.dir = dir;
    return n;
}

static struct pnode *
proto_term(struct parser *p, const struct hf_token *kw)
{
    const struct hf_token *t = tok(p);
    uint64_t v = 0;

    if (t->type != HF_TOK_WORD) {
        fail(p, "expected a protocol after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    enum num_result r = parse_num(t->text, false, false, 255, &v);
    if (r == NUM_RANGE) {
        fail(p, "number '%s' out of range 0..255 at column %zu", t->text, t->col);
        return NULL;
    }
    if (r == NUM_BAD) {
        int proto = hf_filter_proto_number(t->text);
        if (proto < 0) {
            fail(p, "unknown protocol '%s' at column %zu", t->text, t->col);
            return NULL;
        }
        v = (uint64_t)proto;
    }
    next(p);
    struct pnode *n = node(p, HF_FK_PROTO);
    n->n.num = v;
    return n;
}

static struct pnode *
flags_term(struct parser *p, const struct hf_token *kw)
{
    static const char letters[] = "FSRPAU";   /* bit 0 .. bit 5 */
    const struct hf_token *t = tok(p);
    uint64_t v = 0;

    if (t->type != HF_TOK_WORD) {
        fail(p, "expected TCP flags after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    if (g_ascii_isdigit(t->text[0])) {
        enum num_result r = parse_num(t->text, false, true, 0xffff, &v);
        if (r != NUM_OK) {
            fail(p, r == NUM_RANGE ? "number '%s' out of range 0..65535 at column %zu"
                                   : "bad TCP flags '%s' at column %zu", t->text, t->col);
            return NULL;
        }
    } else {
        for (const char *c = t->text; *c; c++) {
            char u = g_ascii_toupper(*c);
            const char *l = u ? strchr(letters, u) : NULL;
            if (u == 'X') {
                v |= 0x3f;
            } else if (l) {
                v |= 1u << (l - letters);
            } else {
                fail(p, "bad TCP flag '%c' in '%s' at column %zu; flags are U A P R S F X",
                     g_ascii_isprint(*c) ? *c : '?', t->text, t->col + (size_t)(c - t->text));
                return NULL;
            }
        }
    }
    next(p);
    /* nfdump inverts a flags test under "not" into "any of": keep its
     * meaning, explicit in the AST */
    struct pnode *n = node(p, p->nots % 2 ? HF_FK_FLAGS_ANY : HF_FK_FLAGS);
    n->n.num = v;
    return n;
}

static struct pnode *
mac_term(struct parser *p, const struct hf_token *kw, enum hf_filter_dir dir)
{
    const struct hf_token *t = tok(p);
    struct pnode *n = node(p, HF_FK_MAC);
    const char *s = t->text;

    if (t->type != HF_TOK_WORD) {
        fail(p, "expected a MAC address after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    for (int i = 0; i < 6; i++) {
        int hi = g_ascii_xdigit_value(s[0]), lo = hi >= 0 ? g_ascii_xdigit_value(s[1]) : -1;
        if (hi < 0)
            goto bad;
        n->n.mac[i] = (uint8_t)(lo >= 0 ? hi << 4 | lo : hi);
        s += lo >= 0 ? 2 : 1;
        if (i < 5 && *s++ != ':')
            goto bad;
    }
    if (*s)
        goto bad;
    next(p);
    n->n.dir = dir;
    return n;
bad:
    fail(p, "bad MAC address '%s' at column %zu", t->text, t->col);
    return NULL;
}

/* "exp-" + address with ':' as '_', as collector/config.c names unknown
 * exporters; NULL if s is no address */
static char *
exporter_auto_name(const char *s)
{
    uint8_t a[16];
    char buf[INET6_ADDRSTRLEN];
    static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

    if (parse_v4(s, strlen(s), false, a)) {
        inet_ntop(AF_INET, a, buf, sizeof(buf));
    } else if (parse_v6(s, strlen(s), a)) {
        if (memcmp(a, mapped, 12) == 0)
            inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
        else
            inet_ntop(AF_INET6, a, buf, sizeof(buf));
    } else {
        return NULL;
    }
    g_strdelimit(buf, ":", '_');
    return g_strconcat("exp-", buf, NULL);
}

static struct pnode *
string_term(struct parser *p, enum hf_filter_kind kind, const struct hf_token *kw,
            enum hf_filter_dir dir)
{
    const struct hf_token *t = tok(p);

    if (t->type != HF_TOK_WORD && t->type != HF_TOK_STRING) {
        fail(p, "expected a name after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    if (!t->text[0]) {
        fail(p, "empty name after '%s' at column %zu", kw->text, t->col);
        return NULL;
    }
    next(p);
    struct pnode *n = node(p, kind);
    n->n.dir = dir;
    if (kind == HF_FK_EXPORTER) {
        n->n.str = own_str(p, g_strdup(t->text));
        char *auto_name = exporter_auto_name(t->text);
        if (auto_name)
            n->n.str2 = own_str(p, auto_name);
    } else {
        n->n.str = own_str(p, g_ascii_strdown(t->text, -1));
    }
    return n;
}

/* "in ..." and "out ...": interfaces, nfdump's MAC directions, counters */
static struct pnode *
inout_term(struct parser *p, const struct hf_token *io)
{
    bool in = is_word(io, "in");
    const struct hf_token *t = tok(p);

    if (is_word(t, "if")) {
        next(p);
        struct pnode *n = num_term(p, HF_FK_IF, t, "an interface number", false, false,
                                   UINT32_MAX);
        if (n)
            n->n.dir = in ? HF_DIR_SRC : HF_DIR_DST;
        return n;
    }
    bool mac = is_word(t, "mac");
    bool src = is_word(t, "src"), dst = is_word(t, "dst");
    bool counter = is_word(t, "packets") || is_word(t, "bytes");
    if ((src || dst) && is_word(peek(p, 1), "mac"))
        mac = true;
    if (!in && (mac || counter)) {
        fail(p, "'%s %s' at column %zu is not supported: hostflow records are "
             "unidirectional and carry no egress MACs or reverse counters",
             io->text, t->text, io->col);
        return NULL;
    }
    if (mac) {
        const struct hf_token *m = (src || dst) ? peek(p, 1) : t;
        next(p);
        if (src || dst)
            next(p);
        return mac_term(p, m, src ? HF_DIR_SRC : dst ? HF_DIR_DST : HF_DIR_ANY);
    }
    if (counter) {
        next(p);
        return num_term(p, is_word(t, "packets") ? HF_FK_PACKETS : HF_FK_BYTES, t,
                        "a number", true, true, UINT64_MAX);
    }
    fail(p, "expected 'if'%s after '%s' at column %zu",
         in ? ", 'mac', 'src mac', 'dst mac', 'packets' or 'bytes'" : "", io->text, t->col);
    return NULL;
}

static bool
ends_term(const struct hf_token *t)
{
    return t->type != HF_TOK_WORD || is_word(t, "and") || is_word(t, "or")
           || is_word(t, "not");
}

static struct pnode *
term(struct parser *p)
{
    const struct hf_token *kw = tok(p);
    enum hf_filter_dir dir = HF_DIR_ANY;

    if (kw->type != HF_TOK_WORD) {
        fail(p, "unexpected '%s' at column %zu; expected a filter term", kw->text, kw->col);
        return NULL;
    }
    next(p);
    if (is_word(kw, "src") || is_word(kw, "dst")) {
        const struct hf_token *d = kw;
        dir = is_word(d, "src") ? HF_DIR_SRC : HF_DIR_DST;
        kw = tok(p);
        if (!(is_word(kw, "host") || is_word(kw, "ip") || is_word(kw, "net")
              || is_word(kw, "port") || is_word(kw, "mac") || is_word(kw, "device"))) {
            fail(p, "expected host, ip, net, port, mac or device after '%s' at column %zu",
                 d->text, kw->col);
            return NULL;
        }
        next(p);
    }
    if (is_word(kw, "any"))
        return node(p, HF_FK_ANY);
    if (is_word(kw, "ipv4") || is_word(kw, "inet") || is_word(kw, "ipv6")
        || is_word(kw, "inet6")) {
        struct pnode *n = node(p, HF_FK_IPVERSION);
        n->n.num = kw->text[strlen(kw->text) - 1] == '6' ? 6 : 4;
        return n;
    }
    if (is_word(kw, "ip")) {
        if (dir == HF_DIR_ANY && ends_term(tok(p))) {
            struct pnode *n = node(p, HF_FK_IPVERSION);    /* tcpdump's "ip" */
            n->n.num = 4;
            return n;
        }
        return addr_term(p, kw, dir);
    }
    if (is_word(kw, "host"))
        return addr_term(p, kw, dir);
    if (is_word(kw, "net"))
        return net_term(p, kw, dir);
    if (is_word(kw, "port"))
        return port_term(p, kw, dir);
    if (is_word(kw, "mac"))
        return mac_term(p, kw, dir);
    if (is_word(kw, "device"))
        return string_term(p, HF_FK_DEVICE, kw, dir);
    if (is_word(kw, "proto"))
        return proto_term(p, kw);
    if (is_word(kw, "in") || is_word(kw, "out"))
        return inout_term(p, kw);
    if (is_word(kw, "if"))
        return num_term(p, HF_FK_IF, kw, "an interface number", false, false, UINT32_MAX);
    if (is_word(kw, "flags"))
        return flags_term(p, kw);
    if (is_word(kw, "packets"))
        return num_term(p, HF_FK_PACKETS, kw, "a number", true, true, UINT64_MAX);
    if (is_word(kw, "bytes"))
        return num_term(p, HF_FK_BYTES, kw, "a number", true, true, UINT64_MAX);
    if (is_word(kw, "flows"))
        return num_term(p, HF_FK_FLOWS, kw, "a number", true, true, UINT64_MAX);
    if (is_word(kw, "duration"))
        return num_term(p, HF_FK_DURATION, kw, "a duration in milliseconds", true, true,
                        UINT64_MAX);
    if (is_word(kw, "tos"))
        return num_term(p, HF_FK_TOS, kw, "a number", true, false, 255);
    if (is_word(kw, "vlan"))
        return num_term(p, HF_FK_VLAN, kw, "a VLAN id", true, false, 4095);
    if (is_word(kw, "hostname"))
        return string_term(p, HF_FK_HOSTNAME, kw, dir);
    if (is_word(kw, "dns"))
        return string_term(p, HF_FK_DNS, kw, dir);
    if (is_word(kw, "domain"))
        return string_term(p, HF_FK_DOMAIN, kw, dir);
    if (is_word(kw, "app"))
        return string_term(p, HF_FK_APP, kw, dir);
    if (is_word(kw, "exporter"))
        return string_term(p, HF_FK_EXPORTER, kw, dir);
    if (is_word(kw, "router")) {          /* nfdump's "router ip A" */
        const struct hf_token *ip = tok(p);
        if (!is_word(ip, "ip")) {
            fail(p, "expected 'ip' after '%s' at column %zu", kw->text, ip->col);
            return NULL;
        }
        next(p);
        return string_term(p, HF_FK_EXPORTER, ip, dir);
    }
    if (is_word(kw, "sampled"))
        return node(p, HF_FK_SAMPLED);
    if (is_word(kw, "and") || is_word(kw, "or")) {
        fail(p, "unexpected '%s' at column %zu; expected a filter term", kw->text, kw->col);
        return NULL;
    }
    if (g_ascii_isdigit(kw->text[0]) || strchr(kw->text, ':')) {
        fail(p, "unexpected '%s' at column %zu; expected a filter term (an address needs "
             "'host' or 'net' before it)", kw->text, kw->col);
        return NULL;
    }
    unknown_keyword(p, kw);
    return NULL;
}

/* ---- expressions ---- */

static struct pnode *parse_or(struct parser *p);

static bool
is_and(const struct hf_token *t)
{
    return t->type == HF_TOK_AND || is_word(t, "and");
}

static bool
is_or(const struct hf_token *t)
{
    return t->type == HF_TOK_OR || is_word(t, "or");
}

static bool
is_not(const struct hf_token *t)
{
    return t->type == HF_TOK_NOT || is_word(t, "not");
}

static struct pnode *
parse_unary(struct parser *p)
{
    const struct hf_token *t = tok(p);

    if (t->type == HF_TOK_END) {
        const struct hf_token *prev = peek(p, 0);
        if (p->pos > 0)
            prev = &g_array_index(p->toks, struct hf_token, p->pos - 1);
        fail(p, "expected a filter term after '%s' at column %zu", prev->text, t->col);
        return NULL;
    }
    if (t->type == HF_TOK_RPAREN) {
        if (!p->parens)
            fail(p, "unbalanced parenthesis at column %zu", t->col);
        else
            fail(p, "expected a filter term before ')' at column %zu", t->col);
        return NULL;
    }
    if (is_not(t) || t->type == HF_TOK_LPAREN) {
        if (++p->depth > HF_FILTER_MAX_DEPTH) {
            fail(p, "filter nested too deeply at column %zu", t->col);
            return NULL;
        }
        next(p);
        struct pnode *r;
        if (t->type == HF_TOK_LPAREN) {
            p->parens++;
            r = parse_or(p);
            p->parens--;
            if (r) {
                const struct hf_token *c = tok(p);
                if (c->type == HF_TOK_END) {
                    fail(p, "unbalanced parenthesis at column %zu", t->col);
                    r = NULL;
                } else if (c->type != HF_TOK_RPAREN) {
                    fail(p, "unexpected '%s' at column %zu; expected 'and', 'or' or ')'",
                         c->text, c->col);
                    r = NULL;
                } else {
                    next(p);
                }
            }
        } else {
            p->nots++;
            struct pnode *k = parse_unary(p);
            p->nots--;
            r = NULL;
            if (k) {
                r = node(p, HF_FK_NOT);
                add_kid(r, k);
            }
        }
        p->depth--;
        return r;
    }
    return term(p);
}

static struct pnode *
parse_and(struct parser *p)
{
    struct pnode *a = parse_unary(p);

    while (a && is_and(tok(p))) {
        next(p);
        struct pnode *b = parse_unary(p);
        if (!b)
            return NULL;
        a = combine(p, HF_FK_AND, a, b);
    }
    return a;
}

static struct pnode *
parse_or(struct parser *p)
{
    struct pnode *a = parse_and(p);

    while (a && is_or(tok(p))) {
        next(p);
        struct pnode *b = parse_and(p);
        if (!b)
            return NULL;
        a = combine(p, HF_FK_OR, a, b);
    }
    return a;
}

/* ---- the flat array ---- */

static size_t
count_nodes(const struct pnode *n)
{
    size_t c = 1;
    for (const struct pnode *k = n->kid; k; k = k->sib)
        c += count_nodes(k);
    return c;
}

static struct hf_filter_node *
flatten(struct hf_filter *f, size_t *used, const struct pnode *n)
{
    struct hf_filter_node *out = &f->nodes[(*used)++];
    struct hf_filter_node *prev = NULL;

    *out = n->n;
    out->child = out->next = NULL;
    for (const struct pnode *k = n->kid; k; k = k->sib) {
        struct hf_filter_node *c = flatten(f, used, k);
        if (prev)
            prev->next = c;
        else
            out->child = c;
        prev = c;
    }
    return out;
}

struct hf_filter *
hf_filter_parse(const char *expr, GError **err)
{
    GArray *toks = hf_filter_lex(expr ? expr : "", err);
    if (!toks)
        return NULL;

    struct hf_filter *f = g_new0(struct hf_filter, 1);
    f->owned = g_ptr_array_new_with_free_func(g_free);
    struct parser p = { .toks = toks, .err = err, .f = f,
                        .pnodes = g_ptr_array_new_with_free_func(g_free) };
    struct pnode *root;
    if (tok(&p)->type == HF_TOK_END) {
        root = node(&p, HF_FK_ANY);                 /* empty: match all */
    } else {
        root = parse_or(&p);
        const struct hf_token *t = tok(&p);
        if (root && t->type != HF_TOK_END) {
            if (t->type == HF_TOK_RPAREN)
                fail(&p, "unbalanced parenthesis at column %zu", t->col);
            else
                fail(&p, "unexpected '%s' at column %zu; expected 'and', 'or' or the end "
                     "of the filter", tok_text(t), t->col);
            root = NULL;
        }
    }
    if (root) {
        size_t used = 0;
        f->n_nodes = count_nodes(root);
        f->nodes = g_new0(struct hf_filter_node, f->n_nodes);
        flatten(f, &used, root);
        f->fields = hf_filter_node_fields(f->nodes);
    }
    g_ptr_array_free(p.pnodes, TRUE);
    hf_filter_tokens_free(toks);
    if (!root) {
        hf_filter_free(f);
        return NULL;
    }
    return f;
}

void
hf_filter_free(struct hf_filter *f)
{
    if (!f)
        return;
    g_ptr_array_free(f->owned, TRUE);
    g_free(f->nodes);
    g_free(f);
}

uint64_t
hf_filter_fields(const struct hf_filter *f)
{
    return f->fields;
}

bool
hf_filter_always(const struct hf_filter *f)
{
    return f->nodes[0].kind == HF_FK_ANY;
}

const struct hf_filter_node *
hf_filter_root(const struct hf_filter *f)
{
    return f->nodes;
}
