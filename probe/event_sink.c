#include "event_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "event_json.h"
#include "log.h"

#define BATCH 256
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 30000
#define STABLE_MS 30000          /* up this long: the next failure starts over */
#define STALL_MS 10000           /* stopping: a reader that takes nothing this
                                    long is given up on */

enum sink_kind { SINK_STDOUT, SINK_FILE, SINK_UNIX, SINK_EXEC };

struct hf_event_sink {
    enum sink_kind kind;
    char *path;                  /* file, socket path or command */
    struct hf_event_queue *q;
    pthread_t thread;
    atomic_bool stopping;
    int fd;                      /* -1: down */
    pid_t child;                 /* SINK_EXEC */
    uint64_t up_since_ms;
    uint64_t backoff_ms;
    uint64_t reported_drops;
    GString *buf;
    void (*format)(GString *out, const void *item, void *ctx);
    void *format_ctx;
    struct hf_event_sink_stats st;
    _Atomic uint64_t lost;       /* st.lost, for other threads */
    bool gave_up;                /* stopping, and the reader took nothing */
};

static bool
start_command(struct hf_event_sink *s, GError **err)
{
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "pipe: %s",
                    g_strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "fork: %s",
                    g_strerror(errno));
        close(p[0]);
        close(p[1]);
        return false;
    }
    if (pid == 0) {
        /* only async-signal-safe calls until exec */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setpgid(0, 0);          /* its own group: the probe can stop all of it */
        if (dup2(p[0], 0) < 0)
            _exit(127);
        execl("/bin/sh", "sh", "-c", s->path, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);          /* also here: kill() may come before the child runs */
    close(p[0]);
    s->fd = p[1];
    s->child = pid;
    return true;
}

static bool
open_output(struct hf_event_sink *s, GError **err)
{
    switch (s->kind) {
    case SINK_STDOUT:
        s->fd = 1;
        break;
    case SINK_FILE:
        s->fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->fd < 0) {
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
                        s->path, g_strerror(errno));
            return false;
        }
        break;
    case SINK_UNIX: {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(s->path) >= sizeof(sa.sun_path)) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                        "unix:%s: socket path too long", s->path);
            return false;
        }
        strcpy(sa.sun_path, s->path);
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "unix:%s: %s",
                        s->path, g_strerror(errno));
            if (s->fd >= 0)
                close(s->fd);
            s->fd = -1;
            return false;
        }
        break;
    }
    case SINK_EXEC:
        if (!start_command(s, err))
            return false;
        break;
    }
    if (s->kind == SINK_EXEC || s->kind == SINK_UNIX)
        /* our own descriptor: a reader that stops reading cannot hold the
         * writer (and the probe's exit) forever */
        fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    s->up_since_ms = hf_wall_ms();
    return true;
}

/* write() until done; waits for room on a non-blocking descriptor, giving
 * up after STALL_MS without progress once stopping.  Bytes written, or -1
 * with errno. */
static ssize_t
write_all(struct hf_event_sink *s, const char *p, size_t len, size_t *done)
{
    uint64_t stalled_since = 0;

    while (*done < len) {
        ssize_t w = write(s->fd, p + *done, len - *done);
        if (w > 0) {
            *done += (size_t)w;
            stalled_since = 0;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            uint64_t now = hf_wall_ms();
            if (!stalled_since)
                stalled_since = now;
            if (atomic_load(&s->stopping) && now - stalled_since >= STALL_MS) {
                errno = ETIMEDOUT;
                return -1;
            }
            struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
            poll(&pfd, 1, 200);
            continue;
        }
        if (w == 0)
            errno = EIO;
        return -1;
    }
    return (ssize_t)*done;
}

/* The command's exit, waiting up to wait_ms before a SIGTERM. */
static int
reap_child(struct hf_event_sink *s, unsigned wait_ms)
{
    int status = 0;

    if (s->child <= 0)
        return 0;
    for (unsigned waited = 0; waitpid(s->child, &status, WNOHANG) == 0; waited += 10) {
        if (waited >= wait_ms) {
            kill(-s->child, SIGTERM);     /* the shell and what it started */
            waitpid(s->child, &status, 0);
            break;
        }
        usleep(10000);
    }
    s->child = 0;
    return status;
}

static void
close_output(struct hf_event_sink *s, unsigned wait_ms)
{
    if (s->fd > 1)
        close(s->fd);
    s->fd = -1;
    if (s->kind == SINK_EXEC) {
        int status = reap_child(s, wait_ms);
        if (wait_ms == 0 || (WIFEXITED(status) && WEXITSTATUS(status)) || WIFSIGNALED(status))
            hf_log(HF_LOG_WARNING, "event command %s %d",
                    WIFSIGNALED(status) ? "killed by signal" : "exited with status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
}

/* Sleep up to ms, or less when asked to stop. */
static void
pause_ms(struct hf_event_sink *s, uint64_t ms)
{
    for (uint64_t t = 0; t < ms && !atomic_load(&s->stopping); t += 20)
        usleep(20000);
}

/* The output is down: open it again after the backoff (without waiting
 * once stopping: the last lines are not held back). */
static bool
reopen(struct hf_event_sink *s)
{
    GError *err = NULL;

    if (s->kind == SINK_STDOUT || s->kind == SINK_FILE)
        return false;       /* a lost stdout or file does not come back */
    if (s->gave_up)
        return false;       /* no new reader to stall the end again */
    pause_ms(s, s->backoff_ms);
    s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
    if (!open_output(s, &err)) {
        hf_log(HF_LOG_WARNING, "events: %s", err->message);
        g_error_free(err);
        return false;
    }
    s->st.restarts++;
    return true;
}

static size_t
count_lines(const char *s, size_t len)
{
    size_t n = 0;
    for (const char *p = s, *end = s + len; (p = memchr(p, '\n', end - p)); p++)
        n++;
    return n;
}

/* Writes buf (nlines lines); counts what arrived and what was lost. */
static void
write_lines(struct hf_event_sink *s, size_t nlines, bool is_event)
{
    size_t done = 0;

    if (s->fd < 0 && !reopen(s)) {
        if (is_event) {
            s->st.lost += nlines;
            atomic_store(&s->lost, s->st.lost);
        }
        return;
    }
    if (write_all(s, s->buf->str, s->buf->len, &done) < 0) {
        size_t whole = count_lines(s->buf->str, done);
        if (is_event) {
            s->st.delivered += whole;
            s->st.lost += nlines - whole;
            atomic_store(&s->lost, s->st.lost);
        }
        hf_log(HF_LOG_WARNING, "writing events: %s", g_strerror(errno));
        s->gave_up = errno == ETIMEDOUT;
        if (hf_wall_ms() - s->up_since_ms >= STABLE_MS)
            s->backoff_ms = BACKOFF_FIRST_MS;
        close_output(s, 1000);
        return;
    }
    if (is_event)
        s->st.delivered += nlines;
}

static void
report_drops(struct hf_event_sink *s)
{
    uint64_t total = hf_event_queue_dropped(s->q) + s->st.lost;

    if (total <= s->reported_drops)
        return;
    g_string_truncate(s->buf, 0);
    hf_event_json_drops(s->buf, hf_wall_ms(), total - s->reported_drops, total);
    s->reported_drops = total;
    write_lines(s, 1, false);
}

static void *
writer_main(void *arg)
{
    struct hf_event_sink *s = arg;
    void *items[BATCH];
    bool empty;
    size_t n;

    while ((n = hf_event_queue_take(s->q, items, BATCH, &empty)) > 0) {
        g_string_truncate(s->buf, 0);
        for (size_t i = 0; i < n; i++)
            s->format(s->buf, items[i], s->format_ctx);
        hf_event_queue_release(s->q, n);    /* capture may fill them again */
        write_lines(s, n, true);
        if (empty)
            report_drops(s);
    }
    report_drops(s);
    return NULL;
}

struct hf_event_sink *
hf_event_sink_start(const struct hf_event_sink_config *c, struct hf_event_queue *q,
                    GError **err)
{
    struct hf_event_sink *s = g_new0(struct hf_event_sink, 1);

    s->q = q;
    s->format = c->format;
    s->format_ctx = c->format_ctx;
    s->fd = -1;
    s->backoff_ms = BACKOFF_FIRST_MS;
    if (c->exec_cmd) {
        s->kind = SINK_EXEC;
        s->path = g_strdup(c->exec_cmd);
    } else if (!c->target || !strcmp(c->target, "-")) {
        s->kind = SINK_STDOUT;
    } else if (g_str_has_prefix(c->target, "unix:")) {
        s->kind = SINK_UNIX;
        s->path = g_strdup(c->target + 5);
    } else {
        s->kind = SINK_FILE;
        s->path = g_strdup(c->target);
    }
    if (!open_output(s, err)) {
        g_free(s->path);
        g_free(s);
        return NULL;
    }
    s->buf = g_string_sized_new(64 * 1024);

    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, writer_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot start the event writer: %s",
                    g_strerror(rc));
        close_output(s, 0);
        g_string_free(s->buf, TRUE);
        g_free(s->path);
        g_free(s);
        return NULL;
    }
    return s;
}

uint64_t
hf_event_sink_lost(struct hf_event_sink *s)
{
    return atomic_load(&s->lost);
}

void
hf_event_sink_stop(struct hf_event_sink *s, struct hf_event_sink_stats *st)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    hf_event_queue_close(s->q);
    pthread_join(s->thread, NULL);
    if (s->fd >= 0)
        close_output(s, 10000);
    if (st)
        *st = s->st;
    g_string_free(s->buf, TRUE);
    g_free(s->path);
    g_free(s);
}
