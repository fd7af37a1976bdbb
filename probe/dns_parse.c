/* DNS (and mDNS, LLMNR) responses → question name and its addresses.
 *
 * Addresses come from the answer section only, except in question-less
 * (mDNS) responses, where every section is the responder's own records.
 * Every byte is read through extract.h.  Names are decoded into text
 * (lower case, no trailing dot) and compared as text, so case and
 * compression do not matter.  Malformed or truncated answer records end
 * the walk but keep what was parsed before them: the header and question
 * were intact, and an address that a resolver did send is still true. */
#include "dns_parse.h"

#include <stddef.h>
#include <string.h>

#include "extract.h"

#define HEADER_LEN       12
#define QR_BIT           0x8000
#define OPCODE(flags)    (((flags) >> 11) & 0xf)
#define OPCODE_QUERY     0
#define CLASS_IN         1
#define CLASS_MASK       0x7fff  /* mDNS: top bit is cache-flush / unicast */
#define TYPE_A           1
#define TYPE_CNAME       5
#define TYPE_AAAA        28
#define RR_FIXED_LEN     10      /* type, class, ttl, rdlength */

#define NAME_WIRE_MAX    255     /* RFC 1035 2.3.4, length octets included */
#define MAX_POINTER_HOPS 128     /* more than a legal name can need (127 labels) */
#define MAX_CHAIN_STEPS  16      /* CNAMEs followed from the question name */
#define MAX_REWALK_RECORDS 64    /* answers beyond which order is trusted */

/* ---- names ------------------------------------------------------------- */

enum name_result {
    NAME_OK,
    NAME_UNPRINTABLE,   /* well-formed, but not a hostname we would report */
    NAME_BAD,           /* its end cannot be found: stop parsing here */
};

struct name {
    uint16_t len;
    char     str[NAME_WIRE_MAX + 1];
};

/* A label byte we keep: printable ASCII but '.', which would make the text
 * form ambiguous.  Spaces are kept: DNS labels may hold any octet, DNS-SD
 * instance names ("Living Room._airplay._tcp.local") have them, and every
 * output escapes names (common/safe_text.c); control bytes, DEL and
 * non-ASCII are still refused.  (TLS and HTTP names stay without spaces:
 * their syntax has none.) */
static bool
label_char_ok(uint8_t ch)
{
    return ch >= 0x20 && ch < 0x7f && ch != '.';
}

/* Decodes the name at off.  *end is the offset just past the name's bytes
 * in place (after the first compression pointer, if any). */
static enum name_result
read_name(const struct hf_cursor *c, uint32_t off, struct name *out,
          uint32_t *end)
{
    uint32_t pos = off, wire_len = 1 /* the root label */;
    unsigned hops = 0;
    bool jumped = false, printable = true;

    out->len = 0;
    for (;;) {
        uint8_t len;
        if (!hf_cur_u8(c, pos, &len))
            return NAME_BAD;
        if ((len & 0xc0) == 0xc0) {
            uint16_t ptr;
            if (!hf_cur_u16(c, pos, &ptr) || ++hops > MAX_POINTER_HOPS)
                return NAME_BAD;
            if (!jumped)
                *end = pos + 2;
            jumped = true;
            pos = ptr & 0x3fff;
            continue;
        }
        if (len & 0xc0)
            return NAME_BAD;    /* 0x40/0x80: obsolete extended label types */
        if (len == 0)
            break;
        wire_len += 1u + len;
        if (wire_len > NAME_WIRE_MAX || !hf_cur_has_at(c, pos + 1, len))
            return NAME_BAD;
        if (out->len)
            out->str[out->len++] = '.';
        /* the label's bytes are in c (checked just above): read directly */
        const uint8_t *label = c->p + pos + 1;
        for (uint32_t i = 0; i < len; i++) {
            uint8_t ch = label[i];
            printable &= label_char_ok(ch);
            out->str[out->len++] =
                (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        pos += 1u + len;
    }
    if (!jumped)
        *end = pos + 1;
    out->str[out->len] = '\0';
    return printable ? NAME_OK : NAME_UNPRINTABLE;
}

static bool
name_eq(const struct name *a, const struct name *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* ---- answer records ---------------------------------------------------- */

struct record {
    enum name_result owner_result;
    struct name owner;
    uint16_t type, class;
    uint32_t ttl;
    uint32_t rdata, rdlength;   /* rdata offset in the message */
};

/* Reads the record at *off and advances past it; false if it runs past the
 * message or its owner name is malformed. */
static bool
read_record(const struct hf_cursor *c, uint32_t *off, struct record *rr)
{
    uint32_t pos = 0;
    uint16_t rdlength;

    rr->owner_result = read_name(c, *off, &rr->owner, &pos);
    if (rr->owner_result == NAME_BAD ||
        !hf_cur_has_at(c, pos, RR_FIXED_LEN) ||  /* so pos + 8 cannot wrap */
        !hf_cur_u16(c, pos, &rr->type) ||
        !hf_cur_u16(c, pos + 2, &rr->class) ||
        !hf_cur_u32(c, pos + 4, &rr->ttl) ||
        !hf_cur_u16(c, pos + 8, &rdlength) ||
        !hf_cur_has_at(c, pos + RR_FIXED_LEN, rdlength))
        return false;
    rr->class &= CLASS_MASK;
    rr->rdata = pos + RR_FIXED_LEN;
    rr->rdlength = rdlength;
    *off = rr->rdata + rdlength;
    return true;
}

static bool
is_address_record(const struct record *rr)
{
    return rr->class == CLASS_IN &&
           ((rr->type == TYPE_A && rr->rdlength == 4) ||
            (rr->type == TYPE_AAAA && rr->rdlength == 16));
}

/* The question name and the names CNAMEs lead to from it. */
struct chain {
    unsigned n;
    struct name names[1 + MAX_CHAIN_STEPS];
};

static bool
chain_has(const struct chain *ch, const struct name *nm)
{
    for (unsigned i = 0; i < ch->n; i++)
        if (name_eq(&ch->names[i], nm))
            return true;
    return false;
}

static void
add_address(struct hf_dns_msg *out, const struct hf_cursor *c,
            const struct record *rr)
{
    struct hf_dns_addr a = { 0 };

    if (out->n_addrs >= HF_DNS_MAX_ADDRS)
        return;
    a.family = rr->type == TYPE_A ? 4 : 6;
    hf_cur_copy(c, rr->rdata, a.addr, rr->rdlength);  /* read_record checked */
    /* RFC 2181 8: a TTL with the top bit set means zero. */
    a.ttl = rr->ttl > INT32_MAX ? 0 : rr->ttl;
    for (uint32_t i = 0; i < out->n_addrs; i++)
        if (out->addrs[i].family == a.family &&
            memcmp(out->addrs[i].addr, a.addr, 16) == 0)
            return;   /* same address twice: keep the first */
    out->addrs[out->n_addrs++] = a;
}

/* If rr is a CNAME from a name in the chain, adds its target; true if the
 * chain grew. */
static bool
follow_cname(struct chain *ch, const struct hf_cursor *c,
             const struct record *rr)
{
    struct name *target;
    uint32_t end = 0;

    if (rr->type != TYPE_CNAME || ch->n > MAX_CHAIN_STEPS)
        return false;
    target = &ch->names[ch->n];
    if (read_name(c, rr->rdata, target, &end) != NAME_OK ||
        end > rr->rdata + rr->rdlength || chain_has(ch, target))
        return false;
    ch->n++;
    return true;
}

/* One walk over count records from off: grows the chain and collects addresses.
 * Returns true if another walk is needed, i.e. a record skipped as
 * unrelated might belong to a name the chain gained after it (CNAMEs
 * listed after the records they lead to). */
static bool
walk_records(const struct hf_cursor *c, uint32_t off, uint32_t count,
             struct chain *ch, bool follow, struct hf_dns_msg *out)
{
    bool skipped_candidate = false, rewalk = false;
    struct record rr;

    for (uint32_t i = 0; i < count; i++) {
        if (!read_record(c, &off, &rr))
            break;              /* truncated or malformed: keep what we have */
        bool candidate = rr.type == TYPE_CNAME || is_address_record(&rr);
        if (!candidate)
            continue;
        if (rr.owner_result != NAME_OK || !chain_has(ch, &rr.owner)) {
            skipped_candidate |= rr.owner_result == NAME_OK;
            continue;
        }
        if (is_address_record(&rr))
            add_address(out, c, &rr);
        else if (follow && follow_cname(ch, c, &rr) && skipped_candidate)
            rewalk = true;
    }
    return rewalk;
}

/* mDNS responses carry no question: the first address record's owner stands
 * in for it. */
static bool
first_address_owner(const struct hf_cursor *c, uint32_t off, uint32_t count,
                    struct name *owner)
{
    struct record rr;

    for (uint32_t i = 0; i < count; i++) {
        if (!read_record(c, &off, &rr))
            return false;
        if (rr.owner_result == NAME_OK && is_address_record(&rr)) {
            *owner = rr.owner;
            return true;
        }
    }
    return false;
}

/* ---- message ----------------------------------------------------------- */

static void
set_qname(struct hf_dns_msg *out, const struct name *nm)
{
    out->qname_len = nm->len;
    memcpy(out->qname, nm->str, (size_t)nm->len + 1);
}

bool
hf_dns_parse(const uint8_t *msg, uint32_t len, struct hf_dns_msg *out)
{
    struct hf_cursor c = hf_cur_make(msg, len);
    uint16_t flags, qdcount, ancount, nscount, arcount;
    uint32_t off = HEADER_LEN, records;
    struct chain ch;
    bool follow = true;

    out->n_addrs = 0;
    out->qtype = 0;
    out->qname_len = 0;
    out->qname[0] = '\0';
    if (!hf_cur_u16(&c, 0, &out->id) || !hf_cur_u16(&c, 2, &flags) ||
        !hf_cur_u16(&c, 4, &qdcount) || !hf_cur_u16(&c, 6, &ancount) ||
        !hf_cur_u16(&c, 8, &nscount) || !hf_cur_u16(&c, 10, &arcount))
        return false;
    /* Other opcodes reuse the sections differently (UPDATE's "answers"
     * are prerequisites): their records are no lookup results. */
    if (OPCODE(flags) != OPCODE_QUERY)
        return false;
    out->is_response = (flags & QR_BIT) != 0;
    out->rcode = flags & 0xf;

    ch.n = 1;
    records = ancount;
    if (qdcount == 1) {
        if (read_name(&c, off, &ch.names[0], &off) != NAME_OK ||
            !hf_cur_u16(&c, off, &out->qtype) || !hf_cur_has_at(&c, off, 4))
            return false;
        off += 4;               /* qtype, qclass */
    } else if (qdcount == 0 && out->is_response) {
        /* An mDNS responder announces its own records in every section;
         * hosts' addresses usually come as additional records, after the
         * service records that answered. */
        records = (uint32_t)ancount + nscount + arcount;
        if (!first_address_owner(&c, off, records, &ch.names[0]))
            return false;
        follow = false;         /* pair only that owner's own records */
    } else {
        return false;
    }
    set_qname(out, &ch.names[0]);
    if (!out->is_response)
        return true;

    /* Rewalks happen only for out-of-order CNAMEs; each one follows a
     * chain step, so there are at most MAX_CHAIN_STEPS of them, and only
     * small messages get them: a crafted 64 KiB message must not cost
     * seventeen walks. */
    for (unsigned walk = 0; walk <= MAX_CHAIN_STEPS; walk++) {
        out->n_addrs = 0;
        if (!walk_records(&c, off, records, &ch, follow, out) ||
            records > MAX_REWALK_RECORDS)
            break;
    }
    return true;
}
