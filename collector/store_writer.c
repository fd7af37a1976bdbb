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

void
store_writer_abort(struct writer *w)
{
    if (w->fbuf)
        fBufFree(w->fbuf);
    if (w->fp)
        fclose(w->fp);
    hf_flow_messages_free(w->msgs);
    w->msgs = NULL;
    w->fbuf = NULL;
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
    w->msgs = hf_flow_messages_new(s->enc, w->fp, extime ? extime : 1, 0);
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
store_writer_add(struct writer *w, const hf_flow_record_t *rec, GError **err)
{
    if (!hf_flow_messages_add(w->msgs, rec, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
    }
    return true;
}

bool
store_writer_flush(struct writer *w, GError **err)
{
    if (!hf_flow_messages_end(w->msgs, err)) {
        g_prefix_error(err, "%s: ", w->path);
        return false;
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
    fBufFree(w->fbuf);
    w->fbuf = NULL;
    hf_flow_messages_free(w->msgs);
    w->msgs = NULL;
    if (fclose(w->fp) != 0 && ok) {
        store_set_errno(err, errno, "cannot close", w->path);
        ok = false;
    }
    w->fp = NULL;
    return ok;
}

