/* File-system steps the store and its hourly roll-up share. */
#ifndef HOSTFLOW_STORE_FS_H
#define HOSTFLOW_STORE_FS_H

#include <stdbool.h>
#include <glib.h>

/* fsync() of a directory, so that a rename or unlink in it is durable;
 * file systems that cannot sync directories (EINVAL, EROFS) pass. */
bool hf_fsync_dir(const char *dir, GError **err);

/* Removes dir and then up to levels - 1 of its parents, stopping at the
 * first that is not empty (or cannot be removed). */
void hf_remove_empty_dirs(const char *dir, int levels);

#endif
