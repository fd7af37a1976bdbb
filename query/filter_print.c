/* The canonical text of a filter: one spelling per AST, which re-parses to
 * the same AST (for --explain, logs and tests).  Protocol names live here
 * too, shared with the parser. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "filter_int.h"
#include "record_format.h"

static const struct { const char *name; unsigned num; } protos[] = {
    { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "rsvp", 46 },
    { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmp6", 58 }, { "ospf", 89 },
    { "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },
};

const char *
hf_filter_proto_name(unsigned proto)
{
    for (size_t i = 0; i < G_N_ELEMENTS(protos); i++)
        if (protos[i].num == proto)
            return protos[i].name;
    return NULL;
}

int
hf_filter_proto_number(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(protos); i++)
        if (g_ascii_strcasecmp(protos[i].name, name) == 0)
            return (int)protos[i].num;
    return -1;
}

static const char *const cmp_text[] = { "", "< ", "> ", "<= ", ">= " };

static void
dir_prefix(GString *out, enum hf_filter_dir dir)
{
    if (dir == HF_DIR_SRC)
        g_string_append(out, "src ");
    else if (dir == HF_DIR_DST)
        g_string_append(out, "dst ");
}

static void
print_net(GString *out, const struct hf_filter_net *net, bool with_prefix)
{
    char buf[INET6_ADDRSTRLEN];

    inet_ntop(net->family == 4 ? AF_INET : AF_INET6, net->addr, buf, sizeof(buf));
    g_string_append(out, buf);
    if (with_prefix)
        g_string_append_printf(out, "/%u", net->prefix);
}

static void
print_quoted(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
    g_string_append_c(out, '"');
}

static void
print_num(GString *out, const char *kw, const struct hf_filter_node *n)
{
    g_string_append_printf(out, "%s %s%" PRIu64, kw, cmp_text[n->cmp], n->num);
}

static void
print_kid(GString *out, const struct hf_filter_node *k, bool paren)
{
    if (paren)
        g_string_append_c(out, '(');
    hf_filter_node_print(out, k);
    if (paren)
        g_string_append_c(out, ')');
}

void
hf_filter_node_print(GString *out, const struct hf_filter_node *n)
{
    switch (n->kind) {
    case HF_FK_ANY:
        g_string_append(out, "any");
        break;
    case HF_FK_AND:
    case HF_FK_OR:
        for (const struct hf_filter_node *k = n->child; k; k = k->next) {
            if (k != n->child)
                g_string_append(out, n->kind == HF_FK_AND ? " and " : " or ");
            /* AND inside OR binds by itself; anything n-ary inside AND needs () */
            print_kid(out, k, k->kind == HF_FK_OR || k->kind == n->kind);
        }
        break;
    case HF_FK_NOT:
        g_string_append(out, "not ");
        print_kid(out, n->child, n->child->kind == HF_FK_AND || n->child->kind == HF_FK_OR);
        break;
    case HF_FK_IPVERSION:
        g_string_append(out, n->num == 6 ? "ipv6" : "ipv4");
        break;
    case HF_FK_PROTO: {
        const char *name = hf_filter_proto_name((unsigned)n->num);
        if (name)
            g_string_append_printf(out, "proto %s", name);
        else
            g_string_append_printf(out, "proto %" PRIu64, n->num);
        break;
    }
    case HF_FK_NET: {
        bool host = n->net.prefix == (n->net.family == 4 ? 32 : 128);
        dir_prefix(out, n->dir);
        g_string_append(out, host ? "host " : "net ");
        print_net(out, &n->net, !host);
        break;
    }
    case HF_FK_NET_LIST:
        dir_prefix(out, n->dir);
        g_string_append(out, "host in [");
        for (size_t i = 0; i < n->list.n; i++) {
            if (i)
                g_string_append_c(out, ' ');
            print_net(out, &n->list.nets[i], true);
        }
        g_string_append_c(out, ']');
        break;
    case HF_FK_PORT:
        dir_prefix(out, n->dir);
        print_num(out, "port", n);
        break;
    case HF_FK_PORT_LIST:
        dir_prefix(out, n->dir);
        g_string_append(out, "port in [");
        for (size_t i = 0; i < n->list.n; i++)
            g_string_append_printf(out, i ? " %u" : "%u", n->list.ports[i]);
        g_string_append_c(out, ']');
        break;
    case HF_FK_IF:
        g_string_append(out, n->dir == HF_DIR_SRC ? "in " : n->dir == HF_DIR_DST ? "out " : "");
        print_num(out, "if", n);
        break;
    case HF_FK_FLAGS:
    case HF_FK_FLAGS_ANY:       /* the parser gives it back from the "not"s */
        if (n->num & ~(uint64_t)0x3f) {
            g_string_append_printf(out, "flags 0x%" PRIx64, n->num);
        } else if (!n->num) {
            g_string_append(out, "flags 0");
        } else {
            g_string_append(out, "flags ");
            static const char letters[] = "UAPRSF";     /* bit 5 .. bit 0 */
            for (int b = 5; b >= 0; b--)
                if (n->num & (1u << b))
                    g_string_append_c(out, letters[5 - b]);
        }
        break;
    case HF_FK_PACKETS: print_num(out, "packets", n); break;
    case HF_FK_BYTES: print_num(out, "bytes", n); break;
    case HF_FK_FLOWS: print_num(out, "flows", n); break;
    case HF_FK_DURATION: print_num(out, "duration", n); break;
    case HF_FK_TOS: print_num(out, "tos", n); break;
    case HF_FK_VLAN: print_num(out, "vlan", n); break;
    case HF_FK_MAC: {
        char mac[18];
        dir_prefix(out, n->dir);
        hf_mac_text(n->mac, mac);
        g_string_append_printf(out, "mac %s", mac);
        break;
    }
    case HF_FK_HOSTNAME:
    case HF_FK_DNS:
    case HF_FK_DOMAIN:
    case HF_FK_APP:
    case HF_FK_DEVICE:
    case HF_FK_EXPORTER: {
        static const char *const kw[] = {
            [HF_FK_HOSTNAME] = "hostname", [HF_FK_DNS] = "dns", [HF_FK_DOMAIN] = "domain", [HF_FK_APP] = "app",
            [HF_FK_DEVICE] = "device", [HF_FK_EXPORTER] = "exporter",
        };
        dir_prefix(out, n->dir);
        g_string_append_printf(out, "%s ", kw[n->kind]);
        print_quoted(out, n->str);
        break;
    }
    case HF_FK_SAMPLED:
        g_string_append(out, "sampled");
        break;
    }
}

char *
hf_filter_to_string(const struct hf_filter *f)
{
    GString *out = g_string_new(NULL);

    hf_filter_node_print(out, f->nodes);
    return g_string_free(out, FALSE);
}
