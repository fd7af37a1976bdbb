/* The IPFIX file a slot (or a crash recovery) writes: created under a
 * temporary name that no existing file has, templates through libfixbuf,
 * records through hf_flow_messages, flushed, synced and closed. */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ipfix_writer.h"

/* ---- writing IPFIX files --------------------------------------------- */

/* The page cache takes big, page-aligned writes for less CPU per byte
 * than libc's (a 4 KiB fill, then the rest of each 64 KiB message): once
 * a file has taken BULK_AFTER bytes of messages, they are built in a
 * BULK_BYTES buffer and go out with write(2), each write but the
 * once-a-second flush's ending on a page boundary.  A quiet exporter's
 * file never takes the buffer. */
#define BULK_AFTER (1u << 20)
#define BULK_BYTES (256u << 10)
#define PAGE_BYTES 4096u

static bool
write_failed(GError **err, int errnum)
{
    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errnum),
                "cannot write: %s", g_strerror(errnum));
    return false;
}

static bool
write_all(int fd, const uint8_t *p, size_t n, GError **err)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return write_failed(err, k < 0 ? errno : ENOSPC);
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Writes the bulk buffer out: all of it, or (!all) up to the last page
 * boundary in it, the rest (under a page) kept for the next write. */
static bool
bulk_out(struct writer *w, bool all, GError **err)
{
    size_t n = w->bulk_len;

    if (!all) {
        uint64_t page_end = (w->bulk_at + n) / PAGE_BYTES * PAGE_BYTES;
        if (page_end > w->bulk_at)
            n = (size_t)(page_end - w->bulk_at);
    }
    if (n == 0)
        return true;
    if (!write_all(fileno(w->fp), w->bulk, n, err))
        return false;
    memmove(w->bulk, w->bulk + n, w->bulk_len - n);
    w->bulk_len -= n;
    w->bulk_at += n;
    return true;
}

/* hf_flow_messages' sink: a quiet file's messages are built in a buffer
 * of their own and go to stdio; a busy file's are built in the bulk
 * buffer itself, where done() leaves room for the next. */
static uint8_t *
message_room(void *ctx, size_t need)
{
    struct writer *w = ctx;

    w->need = need;
    if (w->bulk)
        return w->bulk + w->bulk_len;
    if (!w->small)
        w->small = g_malloc(need);
    return w->small;
}

static bool
message_done(void *ctx, const uint8_t *msg, size_t len, GError **err)
{
    struct writer *w = ctx;

    w->msg_bytes += len;
    if (w->bulk) {
        w->bulk_len += len;
        if (w->bulk_len + w->need > BULK_BYTES && !bulk_out(w, false, err)) {
            w->bulk_len = 0;        /* lost with the slot, which fails */
            return false;
        }
        return true;
    }
    if (fwrite(msg, 1, len, w->fp) != len)
        return write_failed(err, errno);
    if (w->msg_bytes > BULK_AFTER) {
        /* busy: what stdio holds goes first, the offset is ours from here
         * on (nothing else writes to the file after its templates) */
        off_t at = fflush(w->fp) == 0 ? ftello(w->fp) : -1;
        if (at < 0)
            return write_failed(err, errno);
        w->bulk = g_malloc(BULK_BYTES);
        w->bulk_len = 0;
        w->bulk_at = (uint64_t)at;
        g_free(w->small);
        w->small = NULL;
    }
    return true;
}

static const struct hf_msg_sink message_sink = { message_room, message_done };

/* Everything but the file: libfixbuf's buffer, the messages and theirs. */
static void
release_buffers(struct writer *w)
{
    if (w->fbuf)
        fBufFree(w->fbuf);
    hf_flow_messages_free(w->msgs);
    g_free(w->bulk);
    g_free(w->small);
    w->fbuf = NULL;
    w->msgs = NULL;
    w->bulk = NULL;
    w->small = NULL;
    w->bulk_len = 0;
}

void
store_writer_abort(struct writer *w)
{
    release_buffers(w);
    if (w->fp)
        fclose(w->fp);
    w->fp = NULL;
}

void
store_writer_clear(struct writer *w)
{
    store_writer_abort(w);
    g_free(w->path);
    w->path = NULL;
}

/* Creates DIRPATH/.flows-STAMP[-N].EXT (never an existing file) and starts
 * an IPFIX stream in it whose messages carry export time extime. */
bool
store_writer_open(struct hf_store *s, struct writer *w, const char *dirpath,
                  const char *stamp, const char *ext, uint32_t extime,
                  GError **err)
{
    fbSession_t *session;
    int fd = -1;

    memset(w, 0, sizeof(*w));
    if (g_mkdir_with_parents(dirpath, 0755) != 0) {
        store_set_errno(err, errno, "cannot create directory", dirpath);
        return false;
    }
    for (unsigned seq = 0; seq < MAX_SEQ && fd < 0; seq++) {
        char *name = store_seq_name(".", stamp, seq, ext);

        g_free(w->path);
        w->path = g_build_filename(dirpath, name, NULL);
        g_free(name);
        fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            store_set_errno(err, errno, "cannot create", w->path);
            goto fail;
        }
    }
    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: no free temporary name for slot %s", dirpath, stamp);
        goto fail;
    }
    w->fp = fdopen(fd, "wb");
    if (!w->fp) {
        store_set_errno(err, errno, "cannot open", w->path);
        close(fd);
        goto fail_unlink;
    }
    session = hf_ipfix_flow_session(s->model, 0, 0, err);
    if (!session)
        goto fail_unlink;
    w->fbuf = fBufAllocForExport(session, fbExporterAllocFP(w->fp));
    /* 0 would mean "the clock" */
    fBufSetExportTime(w->fbuf, extime ? extime : 1);
    if (!fbSessionExportTemplates(session, err) || !fBufEmit(w->fbuf, err)) {
        g_prefix_error(err, "%s: ", w->path);
        goto fail_unlink;
    }
    w->msgs = hf_flow_messages_new_in(s->enc, HF_IPFIX_MSG_FILE, &message_sink, w,
                                      extime ? extime : 1, 0);
    return true;

fail_unlink:
    store_writer_abort(w);
    unlink(w->path);
fail:
    g_free(w->path);
    w->path = NULL;
    return false;
}

bool
store_writer_flush(struct writer *w, GError **err)
{
    if (!hf_flow_messages_end(w->msgs, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
    }
    if (w->bulk) {
        if (!bulk_out(w, true, err)) {
            g_prefix_error(err, "%s: ", w->path);
            return false;
        }
        w->good = w->bulk_at;     /* stdio's offset is not told of write(2)s */
        return true;
    }
    if (fflush(w->fp) != 0) {
        store_set_errno(err, errno, "cannot write", w->path);
        return false;
    }
    off_t at = ftello(w->fp);
    if (at >= 0)
        w->good = (uint64_t)at;
    return true;
}

/* Writes out, syncs and closes; the writer is closed either way. */
bool
store_writer_finish(struct writer *w, GError **err)
{
    bool ok = store_writer_flush(w, err);

    if (ok && fsync(fileno(w->fp)) != 0) {
        store_set_errno(err, errno, "cannot sync", w->path);
        ok = false;
    }
    release_buffers(w);
    if (fclose(w->fp) != 0 && ok) {
        store_set_errno(err, errno, "cannot close", w->path);
        ok = false;
    }
    w->fp = NULL;
    return ok;
}

