/* File-system steps the store and its hourly roll-up share. */
#ifndef HOSTFLOW_STORE_FS_H
#define HOSTFLOW_STORE_FS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <glib.h>

/* A file's modification time in ns (the store's files are told apart by
 * it, and the slots' columns by their IPFIX file's). */
static inline int64_t
hf_stat_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* fsync() of a directory, so that a rename or unlink in it is durable;
 * file systems that cannot sync directories (EINVAL, EROFS) pass. */
bool hf_fsync_dir(const char *dir, GError **err);

/* Removes dir and then up to levels - 1 of its parents, stopping at the
 * first that is not empty (or cannot be removed). */
void hf_remove_empty_dirs(const char *dir, int levels);

/* A file written whole or not at all: made under a temporary name in the
 * same directory (.NAME-XXXXXX, mode 0644, the directory created), then
 * synced, closed and renamed over path, the rename synced.  Readers see
 * the old file or the new one, never a part (the hourly summaries, the
 * slots' columns). */
struct hf_atomic_file {
    char *path;
    char *tmp;
    FILE *fp;
};

bool hf_atomic_file_open(struct hf_atomic_file *f, const char *path, GError **err);

/* Flush, fsync, close, rename, fsync of the directory; false (err) and
 * the temporary file removed when one fails. */
bool hf_atomic_file_commit(struct hf_atomic_file *f, GError **err);

/* Closes and removes the temporary file (after open, instead of commit;
 * also after a failed commit or open: a no-op then). */
void hf_atomic_file_abort(struct hf_atomic_file *f);

#endif
