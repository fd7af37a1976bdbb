#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

#define RX_VLEN 32
#define RX_BUF 65536
#define RX_ROUNDS 32            /* recvmmsg calls per socket per wake-up */
/* Datagrams are received straight into the batch, each into a slot of
 * this size (an Ethernet frame's payload fits); a longer one's rest goes
 * to rxbuf and it is copied whole.  A read takes at least RX_MIN_SLOTS:
 * a batch with less room left is handed over first. */
#define RX_SLOT 2048
#define RX_MIN_SLOTS 8
/* A batch waits for more datagrams before it is handed to the decoder: a
 * thread wake-up costs more than decoding a datagram, and a paced
 * exporter sends one or two at a time.  At full rate batches fill first;
 * either way each thread wakes about once per linger.  The linger is as
 * long as the smallest socket buffer holds at LINGER_BYTES_PER_US (about
 * a million records a second in 1.4 KB datagrams), within these bounds. */
#define LINGER_MIN_US 2000
#define LINGER_MAX_US 20000
#define LINGER_BYTES_PER_US 100
#define TCP_MAX_CONNS 256
#define DROP_EXPORTERS_MAX 4096 /* exporters counted one by one */

struct tcp_conn {
    int fd;
    struct hf_exporter_id from;
    uint8_t *buf;
    uint32_t have;
};

struct sock {
    int fd;
    bool tcp;
    uint16_t port;              /* local port */
    uint32_t drops;             /* the kernel's running count for it */
    int rcvbuf;                 /* in effect (UDP) */
};

struct hf_listener {
    GArray *socks;              /* struct sock */
    GArray *conns;              /* struct tcp_conn */
    GThread *thread;
    GAsyncQueue *out, *recycle;
    struct hf_queue_memory *mem;
    volatile gint stop;
    GMutex lock;                /* guards stats and drops */
    struct hf_listener_stats st;
    GHashTable *drops;          /* struct hf_exporter_drops, by id */
    uint64_t drops_unlisted;    /* of exporters past DROP_EXPORTERS_MAX */
    uint8_t (*rxbuf)[RX_BUF];
    struct hf_rx_batch *batch;
    gint64 batch_t0;            /* monotonic us of its first datagram */
    gint64 linger_us;
};

static void
addr_to_id(const struct sockaddr_storage *ss, struct hf_exporter_id *id)
{
    memset(id, 0, sizeof(*id));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        id->addr[10] = id->addr[11] = 0xff;
        memcpy(id->addr + 12, &s4->sin_addr, 4);
        id->port = ntohs(s4->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(id->addr, &s6->sin6_addr, 16);
        id->port = ntohs(s6->sin6_port);
    }
}

static int
open_socket(const struct hf_listen_spec *spec, int rcvbuf, uint16_t *bound,
            int *rcvbuf_set, GError **err)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int fd = -1, one = 1, zero = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = spec->host ? AF_UNSPEC : AF_INET6;
    hints.ai_socktype = spec->tcp ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", spec->port);
    int rc = getaddrinfo(spec->host, port, &hints, &res);
    if (rc != 0) {
        g_set_error(err, g_quark_from_static_string("hostflow-listener"), 1, "%s:%u: %s",
                    spec->host ? spec->host : "*", spec->port, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    /* TCP: restart while old connections linger.  Never UDP: there it
     * would let a second collector silently share (steal) the port. */
    if (spec->tcp)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6 && !spec->host)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (!spec->tcp) {
        /* a big buffer rides out bursts; the overflow counter shows loss */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        socklen_t sl = sizeof(*rcvbuf_set);
        if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf_set, &sl) != 0)
            *rcvbuf_set = rcvbuf;
    }
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
        goto fail;
    if (spec->tcp && listen(fd, 64) < 0)
        goto fail;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    struct hf_exporter_id tmp;
    addr_to_id(&ss, &tmp);
    *bound = tmp.port;
    freeaddrinfo(res);
    return fd;
fail:
    g_set_error(err, g_quark_from_static_string("hostflow-listener"), 1, "cannot listen on %s:%s:%u: %s",
                spec->tcp ? "tcp" : "udp", spec->host ? spec->host : "*",
                spec->port, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

static guint
drops_hash(gconstpointer p)
{
    const struct hf_exporter_id *id = p;
    return hf_exporter_addr_hash(id, (guint)id->port << 16 | id->local_port);
}

static gboolean
drops_equal(gconstpointer a, gconstpointer b)
{
    const struct hf_exporter_id *x = a, *y = b;
    return x->port == y->port && x->local_port == y->local_port
        && memcmp(x->addr, y->addr, 16) == 0;
}

struct hf_listener *
hf_listener_open(GArray *specs, int rcvbuf, GError **err)
{
    struct hf_listener *l = g_new0(struct hf_listener, 1);

    l->socks = g_array_new(FALSE, TRUE, sizeof(struct sock));
    l->conns = g_array_new(FALSE, TRUE, sizeof(struct tcp_conn));
    l->drops = g_hash_table_new_full(drops_hash, drops_equal, g_free, NULL);
    g_mutex_init(&l->lock);
    for (guint i = 0; i < specs->len; i++) {
        const struct hf_listen_spec *spec = &g_array_index(specs, struct hf_listen_spec, i);
        struct sock s = { .tcp = spec->tcp };
        s.fd = open_socket(spec, rcvbuf, &s.port, &s.rcvbuf, err);
        if (s.fd < 0) {
            hf_listener_free(l);
            return NULL;
        }
        g_array_append_val(l->socks, s);
    }
    return l;
}

uint16_t
hf_listener_port(struct hf_listener *l, guint i)
{
    return i < l->socks->len ? g_array_index(l->socks, struct sock, i).port : 0;
}

/* A datagram no batch could take: counted, under its exporter. */
static void
drop(struct hf_listener *l, const struct hf_exporter_id *from)
{
    g_mutex_lock(&l->lock);
    l->st.queue_drops++;
    struct hf_exporter_drops *d = g_hash_table_lookup(l->drops, from);
    if (d) {
        d->datagrams++;
    } else if (g_hash_table_size(l->drops) < DROP_EXPORTERS_MAX) {
        d = g_new0(struct hf_exporter_drops, 1);
        memcpy(d->id.addr, from->addr, 16);
        d->id.port = from->port;
        d->id.local_port = from->local_port;
        d->datagrams = 1;
        g_hash_table_add(l->drops, d);
    } else {
        l->drops_unlisted++;
    }
    g_mutex_unlock(&l->lock);
}

/* Hands the current batch over. */
static void
ship(struct hf_listener *l)
{
    struct hf_rx_batch *b = l->batch;

    if (!b || b->n == 0)
        return;
    g_async_queue_push(l->out, b);
    l->batch = NULL;
}

/* The batch to add to, with room for n datagrams of len bytes in all
 * (NULL: the queues' memory is full). */
static struct hf_rx_batch *
batch_with_room(struct hf_listener *l, uint32_t n, uint32_t len)
{
    if (l->batch && (l->batch->n + n > HF_BATCH_MAX || l->batch->used + len > HF_BATCH_ARENA))
        ship(l);
    if (!l->batch) {
        l->batch = hf_batch_get(l->recycle, l->mem, sizeof(struct hf_rx_batch));
        if (!l->batch)
            return NULL;
        l->batch->n = l->batch->used = 0;
    }
    return l->batch;
}

/* The datagram at off in the batch's arena is the batch's next. */
static void
add_datagram(struct hf_listener *l, struct hf_rx_batch *b, const struct hf_exporter_id *from,
             uint64_t now, uint32_t off, uint32_t len)
{
    if (b->n == 0)
        l->batch_t0 = g_get_monotonic_time();
    struct hf_datagram *d = &b->d[b->n++];
    d->from = *from;
    d->now_ms = now;
    d->off = off;
    d->len = len;
}

static void
append(struct hf_listener *l, const struct hf_exporter_id *from, uint64_t now,
       const uint8_t *data, uint32_t len)
{
    struct hf_rx_batch *b = batch_with_room(l, 1, len);

    if (!b) {
        drop(l, from);          /* the queues' memory is full */
        return;
    }
    memcpy(b->arena + b->used, data, len);
    add_datagram(l, b, from, now, b->used, len);
    b->used += len;
}

/* One recvmmsg(); false if it read fewer datagrams than it asked for (the
 * socket is empty).  They land in the batch's slots (no copy) unless the
 * queues' memory has no batch for them. */
static bool
read_udp_once(struct hf_listener *l, struct sock *s)
{
    struct mmsghdr msgs[RX_VLEN];
    struct iovec iov[RX_VLEN][2];
    struct sockaddr_storage from[RX_VLEN];
    struct hf_rx_batch *b = batch_with_room(l, RX_MIN_SLOTS, RX_MIN_SLOTS * RX_SLOT);
    uint32_t slots = 0, at = 0;

    if (b) {
        at = b->used;
        slots = MIN(MIN(RX_VLEN, HF_BATCH_MAX - b->n), (HF_BATCH_ARENA - at) / RX_SLOT);
    }
    for (uint32_t i = 0; i < RX_VLEN; i++) {
        memset(&msgs[i], 0, sizeof(msgs[i]));
        if (i < slots) {
            /* the slot, and what does not fit it after the slot's length
             * in rxbuf (so rxbuf can take the datagram whole) */
            iov[i][0] = (struct iovec){ b->arena + at + i * RX_SLOT, RX_SLOT };
            iov[i][1] = (struct iovec){ l->rxbuf[i] + RX_SLOT, RX_BUF - RX_SLOT };
            msgs[i].msg_hdr.msg_iovlen = 2;
        } else {
            iov[i][0] = (struct iovec){ l->rxbuf[i], RX_BUF };
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        msgs[i].msg_hdr.msg_iov = iov[i];
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    /* no more than the slots: the batch takes them in order */
    uint32_t want = slots ? slots : RX_VLEN;
    int n = recvmmsg(s->fd, msgs, want, MSG_DONTWAIT, NULL);
    if (n <= 0)
        return false;
    uint64_t now = hf_wall_ms(), bytes = 0;
    bool in_place = slots > 0;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        struct hf_exporter_id id;
        uint32_t len = msgs[i].msg_len;
        addr_to_id(&from[i], &id);
        id.local_port = s->port;
        bytes += len;
        if (in_place && len > RX_SLOT) {
            /* from the first long one on, each is copied from rxbuf (the
             * batch may be handed over under the slots of the rest) */
            in_place = false;
            for (uint32_t j = i; j < (uint32_t)n; j++)
                memcpy(l->rxbuf[j], b->arena + at + j * RX_SLOT, MIN(msgs[j].msg_len, RX_SLOT));
            b->used = at + i * RX_SLOT;
        }
        if (in_place)
            add_datagram(l, b, &id, now, at + i * RX_SLOT, len);
        else
            append(l, &id, now, l->rxbuf[i], len);
    }
    if (in_place)
        b->used = at + (uint32_t)n * RX_SLOT;
    g_mutex_lock(&l->lock);
    l->st.datagrams += (uint64_t)n;
    l->st.bytes += bytes;
    g_mutex_unlock(&l->lock);
    return (uint32_t)n == want;
}

/* The kernel's drops on the socket: its running total, asked once a read
 * (SO_RXQ_OVFL would attach it to every datagram, at a cost per
 * datagram). */
static void
count_kernel_drops(struct hf_listener *l, struct sock *s)
{
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mem);

    if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0
        || len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
        return;
    uint32_t drops = mem[SK_MEMINFO_DROPS];
    if (drops > s->drops) {
        g_mutex_lock(&l->lock);
        l->st.kernel_drops += drops - s->drops;
        g_mutex_unlock(&l->lock);
        s->drops = drops;
    }
}

/* Reads what the socket holds; false if it may hold more (the round
 * limit, which keeps other sockets served, was reached). */
static bool
read_udp(struct hf_listener *l, struct sock *s)
{
    bool all = false;

    for (int i = 0; i < RX_ROUNDS && !all; i++)
        all = !read_udp_once(l, s);
    count_kernel_drops(l, s);
    return all;
}

static void
accept_tcp(struct hf_listener *l, struct sock *s)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = accept4(s->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    if (l->conns->len >= TCP_MAX_CONNS) {
        close(fd);
        return;
    }
    struct tcp_conn c = { .fd = fd, .buf = g_malloc(65536) };
    addr_to_id(&ss, &c.from);
    c.from.local_port = s->port;
    g_array_append_val(l->conns, c);
    g_mutex_lock(&l->lock);
    l->st.tcp_connections++;
    g_mutex_unlock(&l->lock);
}

/* Reads an IPFIX stream; false when the connection is finished. */
static bool
read_tcp(struct hf_listener *l, struct tcp_conn *c)
{
    ssize_t n = read(c->fd, c->buf + c->have, 65536 - c->have);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (n < 0)
        return true;
    c->have += (uint32_t)n;
    uint64_t now = hf_wall_ms();
    uint32_t off = 0, msgs = 0;
    while (c->have - off >= 4) {
        uint16_t version = (uint16_t)(c->buf[off] << 8 | c->buf[off + 1]);
        uint16_t len = (uint16_t)(c->buf[off + 2] << 8 | c->buf[off + 3]);
        if (version != 10 || len < 16) {
            /* not an IPFIX stream, or lost framing: nothing after is safe */
            g_mutex_lock(&l->lock);
            l->st.tcp_bad_streams++;
            g_mutex_unlock(&l->lock);
            return false;
        }
        if (c->have - off < len)
            break;
        append(l, &c->from, now, c->buf + off, len);
        off += len;
        msgs++;
    }
    memmove(c->buf, c->buf + off, c->have - off);
    c->have -= off;
    g_mutex_lock(&l->lock);
    l->st.tcp_messages += msgs;
    l->st.bytes += (uint64_t)n;
    g_mutex_unlock(&l->lock);
    return true;
}

static gpointer
rx_thread(gpointer p)
{
    struct hf_listener *l = p;
    GArray *pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));

    bool more = false;          /* a socket was left with datagrams */

    while (!g_atomic_int_get(&l->stop)) {
        bool pending = l->batch && l->batch->n;
        if (pending && !more) {
            /* let datagrams gather (in the socket buffer) for the batch */
            gint64 wait = l->batch_t0 + l->linger_us - g_get_monotonic_time();
            if (wait > 0)
                g_usleep((gulong)wait);
        }
        more = false;
        g_array_set_size(pfds, 0);
        for (guint i = 0; i < l->socks->len; i++) {
            struct pollfd pf = { .fd = g_array_index(l->socks, struct sock, i).fd, .events = POLLIN };
            g_array_append_val(pfds, pf);
        }
        for (guint i = 0; i < l->conns->len; i++) {
            struct pollfd pf = { .fd = g_array_index(l->conns, struct tcp_conn, i).fd, .events = POLLIN };
            g_array_append_val(pfds, pf);
        }
        int rc = poll((struct pollfd *)pfds->data, pfds->len, pending ? 0 : 100);
        if (rc < 0 && errno != EINTR)
            break;
        guint nsocks = l->socks->len, nconns = l->conns->len;
        for (guint i = 0; rc > 0 && i < nsocks; i++) {
            struct pollfd *pf = &g_array_index(pfds, struct pollfd, i);
            struct sock *s = &g_array_index(l->socks, struct sock, i);
            if (!(pf->revents & POLLIN))
                continue;
            if (s->tcp)
                accept_tcp(l, s);
            else if (!read_udp(l, s))
                more = true;
        }
        for (guint i = nconns; rc > 0 && i-- > 0;) {
            struct pollfd *pf = &g_array_index(pfds, struct pollfd, nsocks + i);
            struct tcp_conn *c = &g_array_index(l->conns, struct tcp_conn, i);
            if (!(pf->revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!read_tcp(l, c)) {
                close(c->fd);
                g_free(c->buf);
                g_array_remove_index_fast(l->conns, i);
            }
        }
        if (l->batch && l->batch->n
            && g_get_monotonic_time() - l->batch_t0 >= l->linger_us)
            ship(l);
    }
    ship(l);
    g_array_free(pfds, TRUE);
    return NULL;
}

void
hf_listener_start(struct hf_listener *l, GAsyncQueue *out, GAsyncQueue *recycle,
                  struct hf_queue_memory *mem)
{
    l->out = g_async_queue_ref(out);
    l->recycle = g_async_queue_ref(recycle);
    l->mem = mem;
    l->linger_us = LINGER_MAX_US;
    for (guint i = 0; i < l->socks->len; i++) {
        const struct sock *sk = &g_array_index(l->socks, struct sock, i);
        if (!sk->tcp)
            l->linger_us = MIN(l->linger_us, sk->rcvbuf / LINGER_BYTES_PER_US);
    }
    l->linger_us = MAX(l->linger_us, LINGER_MIN_US);
    l->rxbuf = g_malloc(sizeof(*l->rxbuf) * RX_VLEN);
    l->thread = g_thread_new("hf-rx", rx_thread, l);
}

void
hf_listener_stop(struct hf_listener *l)
{
    if (!l)
        return;
    if (l->thread) {
        g_atomic_int_set(&l->stop, 1);
        g_thread_join(l->thread);
        l->thread = NULL;
    }
    for (guint i = 0; i < l->socks->len; i++)
        close(g_array_index(l->socks, struct sock, i).fd);
    for (guint i = 0; i < l->conns->len; i++) {
        close(g_array_index(l->conns, struct tcp_conn, i).fd);
        g_free(g_array_index(l->conns, struct tcp_conn, i).buf);
    }
    g_array_set_size(l->socks, 0);
    g_array_set_size(l->conns, 0);
}

void
hf_listener_free(struct hf_listener *l)
{
    if (!l)
        return;
    hf_listener_stop(l);
    g_array_free(l->socks, TRUE);
    g_array_free(l->conns, TRUE);
    if (l->out)
        g_async_queue_unref(l->out);
    if (l->recycle)
        g_async_queue_unref(l->recycle);
    if (l->batch) {
        g_free(l->batch);
        hf_queue_memory_give(l->mem, sizeof(*l->batch));
    }
    g_free(l->rxbuf);
    g_hash_table_destroy(l->drops);
    g_mutex_clear(&l->lock);
    g_free(l);
}

struct hf_listener_stats
hf_listener_stats(struct hf_listener *l)
{
    g_mutex_lock(&l->lock);
    struct hf_listener_stats st = l->st;
    g_mutex_unlock(&l->lock);
    return st;
}

static gint
more_drops(gconstpointer a, gconstpointer b)
{
    const struct hf_exporter_drops *x = a, *y = b;
    return x->datagrams > y->datagrams ? -1 : x->datagrams < y->datagrams;
}

unsigned
hf_listener_drops(struct hf_listener *l, struct hf_exporter_drops *out, unsigned max,
                  uint64_t *rest)
{
    GHashTableIter it;
    gpointer k;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(struct hf_exporter_drops));

    g_mutex_lock(&l->lock);
    *rest = l->drops_unlisted;
    g_hash_table_iter_init(&it, l->drops);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_array_append_vals(all, k, 1);
    g_mutex_unlock(&l->lock);
    g_array_sort(all, more_drops);
    unsigned n = 0;
    for (guint i = 0; i < all->len; i++) {
        const struct hf_exporter_drops *d = &g_array_index(all, struct hf_exporter_drops, i);
        if (n < max)
            out[n++] = *d;
        else
            *rest += d->datagrams;
    }
    g_array_free(all, TRUE);
    return n;
}
