#include "export_out.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "flow_messages.h"

/* Messages wait to go out together: over UDP up to UDP_BATCH datagrams
 * (and UDP_BATCH_BYTES of room) in one sendmmsg(), over TCP up to
 * TCP_BUFFER bytes in one send().  A system
 * call per 1420-byte datagram made UDP export dearer than writing a file.
 * hf_export_out_flush() sends what waits (live: every capture wake-up). */
#define UDP_BATCH 32
#define UDP_BATCH_BYTES (256 << 10)
#define TCP_BUFFER (64 << 10)

struct hf_export_out {
    enum hf_export_kind kind;
    FILE *fp;                   /* file */
    bool unflushed;             /* file: written since the last flush */
    int fd;                     /* UDP, TCP */
    char *where;                /* for messages: path or host:port */
    uint8_t *pending;           /* UDP: UDP_BATCH slots of a message; TCP: bytes */
    size_t pending_len;         /* TCP: bytes waiting */
    unsigned npending;          /* UDP: datagrams waiting */
    unsigned batch;             /* UDP: ...at most */
    size_t max_msg;             /* UDP: what the path MTU takes */
    struct iovec iov[UDP_BATCH];
    struct mmsghdr mm[UDP_BATCH];
};

static void
set_errno_error(GError **err, int e, const char *what, const char *where)
{
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s %s: %s", what,
                where, g_strerror(e));
}

static bool
open_file(struct hf_export_out *o, const char *path, GError **err)
{
    if (strcmp(path, "-") == 0) {
        if (isatty(fileno(stdout))) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "refusing to write IPFIX to a terminal (standard output)");
            return false;
        }
        o->fp = stdout;
        return true;
    }
    o->fp = fopen(path, "wb");
    if (!o->fp) {
        set_errno_error(err, errno, "cannot open", path);
        return false;
    }
    return true;
}

/* The largest IPFIX message a datagram to the connected collector carries
 * unfragmented: the MTU the kernel knows for its route (an interface's,
 * or a smaller one learnt on the path) less the IP and UDP headers; 1420,
 * libfixbuf's constant, if it knows none.  RFC 7011 10.3.3: at most the
 * path MTU, 512 bytes at least.  On loopback (MTU 65536) that is a whole
 * 64 KiB message per datagram. */
static size_t
udp_message_size(int fd, int family)
{
    int mtu = 0;
    socklen_t len = sizeof(mtu);
    bool v6 = family == AF_INET6;

    if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu,
                   &len) != 0 || mtu <= 0)
        return HF_IPFIX_MSG_UDP;
    size_t n = (size_t)mtu - (v6 ? 40 : 20) - 8;
    return mtu < 512 + 48 ? 512 : n > HF_IPFIX_MSG_FILE ? HF_IPFIX_MSG_FILE : n;
}

/* The first address of host:port that connects (UDP: that takes a
 * destination). */
static bool
open_socket(struct hf_export_out *o, const char *host, const char *port, GError **err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_flags = AI_ADDRCONFIG };
    struct addrinfo *ai = NULL;
    int e = 0, family = AF_INET;

    hints.ai_socktype = o->kind == HF_EXPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        g_set_error(err, FB_ERROR_DOMAIN, FB_ERROR_CONN, "cannot resolve %s: %s",
                    o->where, gai_strerror(rc));
        return false;
    }
    for (struct addrinfo *a = ai; a && o->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            o->fd = fd;
            family = a->ai_family;
        } else {
            e = errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (o->fd < 0) {
        set_errno_error(err, e, "cannot connect to", o->where);
        return false;
    }
    if (o->kind == HF_EXPORT_UDP) {
        /* room for bursts (as libfixbuf asked); the kernel caps it */
        int size = 4 * 1024 * 1024;
        (void)setsockopt(o->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        o->max_msg = udp_message_size(o->fd, family);
        o->batch = (unsigned)MIN(UDP_BATCH, MAX(1, UDP_BATCH_BYTES / o->max_msg));
        o->pending = g_malloc((size_t)o->batch * o->max_msg);
        for (unsigned i = 0; i < o->batch; i++) {
            o->iov[i].iov_base = o->pending + (size_t)i * o->max_msg;
            o->mm[i].msg_hdr.msg_iov = &o->iov[i];
            o->mm[i].msg_hdr.msg_iovlen = 1;
        }
    } else {
        o->pending = g_malloc(TCP_BUFFER);
    }
    return true;
}

struct hf_export_out *
hf_export_out_open(const struct hf_export_config *cfg, GError **err)
{
    struct hf_export_out *o = g_new0(struct hf_export_out, 1);
    bool ok;

    o->kind = cfg->kind;
    o->fd = -1;
    if (cfg->kind == HF_EXPORT_FILE) {
        o->where = g_strdup(cfg->path);
        ok = open_file(o, cfg->path, err);
    } else {
        o->where = g_strdup_printf(strchr(cfg->host, ':') ? "[%s]:%s" : "%s:%s",
                                   cfg->host, cfg->port);
        ok = open_socket(o, cfg->host, cfg->port, err);
    }
    if (!ok) {
        g_free(o->where);
        g_free(o);
        return NULL;
    }
    return o;
}

size_t
hf_export_out_max_msg(const struct hf_export_out *o)
{
    return o->kind == HF_EXPORT_UDP ? o->max_msg
         : o->kind == HF_EXPORT_TCP ? HF_IPFIX_MSG_TCP : HF_IPFIX_MSG_FILE;
}

/* The datagrams waiting, in as few sendmmsg() calls as the kernel takes;
 * one that fails is lost (a collector not listening shows as ECONNREFUSED
 * on some later send) and reported after the rest went. */
static bool
send_datagrams(struct hf_export_out *o, GError **err)
{
    unsigned sent = 0;
    int failed = 0;

    while (sent < o->npending) {
        int n = sendmmsg(o->fd, o->mm + sent, o->npending - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            failed = n < 0 ? errno : EIO;
            sent++;
            continue;
        }
        sent += (unsigned)n;
    }
    o->npending = 0;
    if (failed) {
        set_errno_error(err, failed, "cannot send to", o->where);
        return false;
    }
    return true;
}

static bool
send_stream(struct hf_export_out *o, GError **err)
{
    const uint8_t *p = o->pending;
    size_t len = o->pending_len;

    o->pending_len = 0;
    while (len) {
        ssize_t n = send(o->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            set_errno_error(err, n < 0 ? errno : EPIPE, "cannot send to", o->where);
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool
hf_export_out_write(void *ctx, const uint8_t *msg, size_t len, GError **err)
{
    struct hf_export_out *o = ctx;
    bool ok = true;

    if (o->fp) {
        o->unflushed = true;
        if (fwrite(msg, 1, len, o->fp) != len) {
            set_errno_error(err, errno, "cannot write", o->where);
            return false;
        }
        return true;
    }
    if (o->kind == HF_EXPORT_UDP) {
        g_assert(len <= o->max_msg);
        if (o->npending == o->batch)
            ok = send_datagrams(o, err);
        memcpy(o->iov[o->npending].iov_base, msg, len);
        o->iov[o->npending].iov_len = len;
        o->npending++;
        return ok;
    }
    g_assert(len <= TCP_BUFFER);
    if (o->pending_len + len > TCP_BUFFER && !send_stream(o, err))
        return false;           /* the connection is gone */
    memcpy(o->pending + o->pending_len, msg, len);
    o->pending_len += len;
    return true;
}

bool
hf_export_out_flush(struct hf_export_out *o, GError **err)
{
    if (o->kind == HF_EXPORT_UDP)
        return send_datagrams(o, err);
    if (o->kind == HF_EXPORT_TCP)
        return send_stream(o, err);
    if (!o->unflushed)
        return true;
    o->unflushed = false;
    if (fflush(o->fp) != 0) {
        set_errno_error(err, errno, "cannot write", o->where);
        return false;
    }
    return true;
}

bool
hf_export_out_close(struct hf_export_out *o, GError **err)
{
    bool ok = true;

    if (!o)
        return true;
    ok = hf_export_out_flush(o, err);
    if (o->fp && o->fp != stdout && fclose(o->fp) != 0 && ok) {
        set_errno_error(err, errno, "cannot write", o->where);
        ok = false;
    }
    if (o->fd >= 0)
        close(o->fd);
    g_free(o->pending);
    g_free(o->where);
    g_free(o);
    return ok;
}
