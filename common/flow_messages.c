#include "flow_messages.h"
#include "flow_encode_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define MSG_HDR 16
#define SET_HDR 4

struct hf_flow_messages {
    const struct hf_flow_encoder *enc;
    hf_msg_write_fn write;      /* or: */
    const struct hf_msg_sink *sink;
    void *ctx;
    size_t max;                 /* message size limit */
    uint32_t extime, domain;
    uint32_t msg_time;          /* export time of the message being built */
    uint32_t seq;               /* data records before this message */
    uint32_t records;           /* ...and in it */
    size_t len;                 /* bytes in msg; 0: none started */
    size_t set;                 /* offset of the open set's header; 0: none */
    uint16_t set_id;
    uint8_t *msg;               /* the message being built: own[], or the sink's */
    uint8_t own[];
};

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* own: bytes of a message buffer of its own (0: the sink's) */
static struct hf_flow_messages *
messages_new(const struct hf_flow_encoder *enc, size_t max_len, size_t own,
             void *ctx, uint32_t extime, uint32_t domain)
{
    g_assert(max_len > MSG_HDR + SET_HDR && max_len <= 65535);
    struct hf_flow_messages *m = g_malloc0(sizeof(*m) + own);

    m->enc = enc;
    m->ctx = ctx;
    m->max = max_len;
    m->extime = extime;
    m->domain = domain;
    m->msg = m->own;
    return m;
}

struct hf_flow_messages *
hf_flow_messages_new_to(const struct hf_flow_encoder *enc, size_t max_len,
                        hf_msg_write_fn write, void *ctx, uint32_t extime,
                        uint32_t domain)
{
    struct hf_flow_messages *m = messages_new(enc, max_len, max_len + HF_FLOW_ENCODE_SLACK,
                                              ctx, extime, domain);
    m->write = write;
    return m;
}

struct hf_flow_messages *
hf_flow_messages_new_in(const struct hf_flow_encoder *enc, size_t max_len,
                        const struct hf_msg_sink *sink, void *ctx, uint32_t extime,
                        uint32_t domain)
{
    struct hf_flow_messages *m = messages_new(enc, max_len, 0, ctx, extime, domain);
    m->sink = sink;
    return m;
}

static bool
write_file(void *ctx, const uint8_t *msg, size_t len, GError **err)
{
    if (fwrite(msg, 1, len, ctx) != len) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot write: %s", g_strerror(errno));
        return false;
    }
    return true;
}

struct hf_flow_messages *
hf_flow_messages_new(const struct hf_flow_encoder *enc, FILE *fp, uint32_t extime,
                     uint32_t domain)
{
    return hf_flow_messages_new_to(enc, HF_IPFIX_MSG_FILE, write_file, fp, extime,
                                   domain);
}

void
hf_flow_messages_free(struct hf_flow_messages *m)
{
    g_free(m);
}

void
hf_flow_messages_set_time(struct hf_flow_messages *m, uint32_t extime)
{
    m->extime = extime;
}

static void
close_set(struct hf_flow_messages *m)
{
    if (m->set)
        put16(m->msg + m->set + 2, (uint16_t)(m->len - m->set));
    m->set = 0;
}

bool
hf_flow_messages_end(struct hf_flow_messages *m, GError **err)
{
    if (!m->len)
        return true;
    close_set(m);
    put16(m->msg, 10);
    put16(m->msg + 2, (uint16_t)m->len);
    put32(m->msg + 4, m->msg_time);
    put32(m->msg + 8, m->seq);
    put32(m->msg + 12, m->domain);
    size_t len = m->len;
    m->len = 0;
    m->seq += m->records;
    m->records = 0;
    if (m->sink)
        return m->sink->done(m->ctx, m->msg, len, err);
    return m->write(m->ctx, m->msg, len, err);
}

static void
open_set(struct hf_flow_messages *m, uint16_t set_id)
{
    if (!m->len) {
        if (m->sink)
            m->msg = m->sink->room(m->ctx, m->max + HF_FLOW_ENCODE_SLACK);
        m->len = MSG_HDR;
        m->msg_time = m->extime ? m->extime : (uint32_t)time(NULL);
    }
    m->set = m->len;
    m->set_id = set_id;
    put16(m->msg + m->len, set_id);
    m->len += SET_HDR;
}

/* Room for a record of n bytes in a set of set_id (min_len: that set's
 * shortest record), ending the message first if need be.  false and err
 * only if the message could not be written; the room is there anyway. */
static bool
make_room(struct hf_flow_messages *m, uint16_t set_id, size_t n, size_t min_len,
          GError **err)
{
    bool ok = true;

    /* libfixbuf's rules: a set is opened if its template's shortest record
     * fits; a record that does not fit ends the message (leaving a set just
     * opened empty) and goes to the next */
    if (!m->set || set_id != m->set_id) {
        close_set(m);
        if (m->len + SET_HDR + min_len > m->max)
            ok = hf_flow_messages_end(m, err);
        open_set(m, set_id);
    }
    if (m->len + n > m->max) {
        ok = hf_flow_messages_end(m, err) && ok;
        open_set(m, set_id);
    }
    return ok;
}

static bool
too_long(const struct hf_flow_messages *m, size_t n, GError **err)
{
    if (n <= m->max - MSG_HDR - SET_HDR)
        return false;
    g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_EOM,
                "record of %zu bytes does not fit a message of %zu", n, m->max);
    return true;
}

bool
hf_flow_messages_add(struct hf_flow_messages *m, const hf_flow_record_t *rec,
                     GError **err)
{
    uint16_t tid;
    size_t n, min_len;

    if (!hf_flow_encode_size(m->enc, rec, &tid, &n, &min_len)) {
        g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_TMPL,
                    "no template for this record (flags 0x%x)",
                    hf_flow_template_flags(rec));
        return false;
    }
    if (too_long(m, n, err))
        return false;
    bool ok = make_room(m, tid, n, min_len, err);
    hf_flow_encode(m->enc, tid, rec, m->msg + m->len);
    m->len += n;
    m->records++;
    return ok;
}

bool
hf_flow_messages_add_encoded(struct hf_flow_messages *m, uint16_t set_id,
                             const uint8_t *rec, size_t len, bool data, GError **err)
{
    if (too_long(m, len, err))
        return false;
    bool ok = make_room(m, set_id, len, len, err);
    memcpy(m->msg + m->len, rec, len);
    m->len += len;
    if (data)
        m->records++;
    return ok;
}
