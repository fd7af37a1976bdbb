#include "flow_messages.h"

#include <errno.h>
#include <string.h>

/* libfixbuf's file exporters' limit (fbExporterAllocFile), not the
 * protocol's 65535: messages end where libfixbuf would end them */
#define MSG_MAX 65496
#define MSG_HDR 16
#define SET_HDR 4

struct hf_flow_messages {
    const struct hf_flow_encoder *enc;
    FILE *fp;
    uint32_t extime, domain;
    uint32_t seq;               /* data records before this message */
    uint32_t records;           /* ...and in it */
    size_t len;                 /* bytes in msg; 0: none started */
    size_t set;                 /* offset of the open set's header; 0: none */
    uint16_t set_tid;
    uint8_t msg[MSG_MAX];
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

struct hf_flow_messages *
hf_flow_messages_new(const struct hf_flow_encoder *enc, FILE *fp, uint32_t extime,
                     uint32_t domain)
{
    struct hf_flow_messages *m = g_malloc(sizeof(*m));

    m->enc = enc;
    m->fp = fp;
    m->extime = extime;
    m->domain = domain;
    m->seq = m->records = 0;
    m->len = m->set = 0;
    m->set_tid = 0;
    return m;
}

void
hf_flow_messages_free(struct hf_flow_messages *m)
{
    g_free(m);
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
    put32(m->msg + 4, m->extime);
    put32(m->msg + 8, m->seq);
    put32(m->msg + 12, m->domain);
    size_t len = m->len;
    m->len = 0;
    m->seq += m->records;
    m->records = 0;
    if (fwrite(m->msg, 1, len, m->fp) != len) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot write: %s", g_strerror(errno));
        return false;
    }
    return true;
}

static void
open_set(struct hf_flow_messages *m, uint16_t tid)
{
    if (!m->len)
        m->len = MSG_HDR;
    m->set = m->len;
    m->set_tid = tid;
    put16(m->msg + m->len, tid);
    m->len += SET_HDR;
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
    if (n > MSG_MAX - MSG_HDR - SET_HDR) {
        g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_EOM,
                    "record of %zu bytes does not fit a message", n);
        return false;
    }
    /* libfixbuf's rules: a set is opened if its template's shortest record
     * fits; a record that does not fit ends the message (leaving a set just
     * opened empty) and goes to the next */
    if (!m->set || tid != m->set_tid) {
        close_set(m);
        if (m->len + SET_HDR + min_len > MSG_MAX && !hf_flow_messages_end(m, err))
            return false;
        open_set(m, tid);
    }
    if (m->len + n > MSG_MAX) {
        if (!hf_flow_messages_end(m, err))
            return false;
        open_set(m, tid);
    }
    hf_flow_encode(m->enc, tid, rec, m->msg + m->len);
    m->len += n;
    m->records++;
    return true;
}
