/* udp_replay -- paced loopback replay of a blast_build.py stream file.
 *
 * Usage: udp_replay FILE HOST PORT RATE
 *   RATE  data records per second (0 = as fast as possible)
 *        udp_replay --sink RCVBUF
 *   a null collector: binds 127.0.0.1:0 with that receive buffer (like
 *   hostflow --rcvbuf / nfcapd -B), says "listening on udp:127.0.0.1:PORT"
 *   on stderr, reads with recvmmsg() until SIGTERM and prints
 *   "datagrams N bytes B" on stdout: the ingest ceiling of the machine.
 *
 * Same pacing rule as ipfix_blast.py (a datagram is due at
 * start + records_sent_before_it / RATE), but datagrams that are due are
 * sent together with sendmmsg(), so the sender needs far less CPU than the
 * python generator and leaves the (2-core) machine to the collector.
 * Prints ipfix_blast.py's final line:
 *   version= records= packets= bytes= elapsed_s= rate_rps= target_rps=
 *   send_errors= expected_bytes= expected_packets=
 * and cpu_s= (its own user + system time while sending: on loopback the kernel's
 * delivery into the collector's socket mostly runs in the sender's
 * sendmmsg(), so that share of the 2 CPUs shows here).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VLEN 32

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t
be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* user + system CPU seconds of this process so far */
static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6
         + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int
sink(int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0
        || getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("udp_replay: bind");
        return 1;
    }
    struct sigaction act = { .sa_handler = on_term };   /* no SA_RESTART */
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    fprintf(stderr, "udp_replay: listening on udp:127.0.0.1:%u\n", ntohs(sa.sin_port));
    static uint8_t bufs[VLEN][65536];
    struct iovec iov[VLEN];
    struct mmsghdr msgs[VLEN];
    uint64_t n = 0, bytes = 0;
    for (;;) {
        for (int i = 0; i < VLEN; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = sizeof(bufs[i]);
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        /* blocking until SIGTERM, then drain what is queued */
        int rc = recvmmsg(fd, msgs, VLEN, stop ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            break;              /* EAGAIN after stop: drained */
        }
        for (int i = 0; i < rc; i++)
            bytes += msgs[i].msg_len;
        n += rc;
    }
    printf("datagrams %llu bytes %llu\n", (unsigned long long)n, (unsigned long long)bytes);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--sink") == 0)
        return sink(atoi(argv[2]));
    if (argc != 5) {
        fprintf(stderr, "usage: udp_replay FILE HOST PORT RATE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        perror(argv[1]);
        return 1;
    }
    uint8_t *buf = malloc(st.st_size);
    if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size
        || st.st_size < 44 || memcmp(buf, "HFBLAST1", 8) != 0) {
        fprintf(stderr, "udp_replay: %s: not a blast_build.py file\n", argv[1]);
        return 1;
    }
    fclose(f);
    unsigned version = be(buf + 8, 4);
    uint64_t records = be(buf + 12, 8), ndgrams = be(buf + 20, 8);
    uint64_t exp_bytes = be(buf + 28, 8), exp_pkts = be(buf + 36, 8);
    struct iovec *iov = calloc(ndgrams, sizeof(*iov));
    uint16_t *nrec = calloc(ndgrams, sizeof(*nrec));
    size_t off = 44;
    for (uint64_t i = 0; i < ndgrams; i++) {
        if (off + 4 > (size_t)st.st_size) {
            fprintf(stderr, "udp_replay: %s: truncated\n", argv[1]);
            return 1;
        }
        iov[i].iov_len = be(buf + off, 2);
        nrec[i] = be(buf + off + 2, 2);
        iov[i].iov_base = buf + off + 4;
        off += 4 + iov[i].iov_len;
    }
    double rate = atof(argv[4]);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
    if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1
        || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("udp_replay: connect");
        return 1;
    }

    struct mmsghdr msgs[VLEN];
    uint64_t i = 0, done = 0, sent_bytes = 0, errors = 0;
    double start = now_s(), cpu0 = cpu_s();  /* not the file loading */
    while (i < ndgrams) {
        uint64_t n = 0, recs = 0;
        if (rate > 0) {
            double due = start + done / rate, now = now_s();
            if (now < due) {
                /* sleep, never spin: the sender must not eat the CPU the
                 * collector needs; timer slack makes small bursts */
                double d = due - now;
                struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };
                nanosleep(&ts, NULL);
                continue;
            }
            /* everything due by now, at most VLEN datagrams */
            while (i + n < ndgrams && n < VLEN
                   && start + (done + recs) / rate <= now) {
                recs += nrec[i + n];
                n++;
            }
        } else {
            n = ndgrams - i < VLEN ? ndgrams - i : VLEN;
        }
        memset(msgs, 0, sizeof(msgs[0]) * n);
        for (uint64_t k = 0; k < n; k++) {
            msgs[k].msg_hdr.msg_iov = &iov[i + k];
            msgs[k].msg_hdr.msg_iovlen = 1;
        }
        uint64_t k = 0;
        while (k < n) {
            int rc = sendmmsg(fd, msgs + k, n - k, 0);
            if (rc < 0) {
                if (errno == EINTR)
                    continue;
                if (errors++ < 3)
                    fprintf(stderr, "udp_replay: send: %s\n", strerror(errno));
                rc = 1;
            } else {
                for (int j = 0; j < rc; j++)
                    sent_bytes += iov[i + k + j].iov_len;
            }
            k += rc;
        }
        for (k = 0; k < n; k++)
            done += nrec[i + k];
        i += n;
    }
    double elapsed = now_s() - start;
    double cpu = cpu_s() - cpu0;
    printf("version=%u records=%llu packets=%llu bytes=%llu elapsed_s=%.3f rate_rps=%.0f "
           "target_rps=%.0f send_errors=%llu expected_bytes=%llu expected_packets=%llu "
           "cpu_s=%.3f\n",
           version, (unsigned long long)done, (unsigned long long)ndgrams,
           (unsigned long long)sent_bytes, elapsed, elapsed > 0 ? done / elapsed : 0,
           rate, (unsigned long long)errors, (unsigned long long)exp_bytes,
           (unsigned long long)exp_pkts, cpu);
    (void)records;
    return 0;
}
