/* Writes the columns (query/columns.h) of each slot file the store
 * completes, on a thread of its own, and of every complete slot file
 * that lacks them when it starts (a store of an earlier release, a crash
 * between a slot's completion and its columns). */
#ifndef HOSTFLOW_COLUMNS_INDEXER_H
#define HOSTFLOW_COLUMNS_INDEXER_H

#include <stdint.h>
#include <glib.h>

struct hf_columns_indexer;

struct hf_columns_indexer *hf_columns_indexer_start(const char *store_dir);

/* For hf_store_config.completed: path's columns are written soon. */
void hf_columns_indexer_completed(void *indexer, const char *path);

/* Stops looking for old files, writes the columns of the files completed
 * so far (the slots completed at shutdown), and ends the thread. */
void hf_columns_indexer_stop(struct hf_columns_indexer *x);

struct hf_columns_indexer_stats {
    uint64_t built;             /* side files written */
    uint64_t failed;            /* slot files that could not be read whole,
                                   or side files not written */
};

/* Once, on the caller's thread: every complete slot file without columns. */
struct hf_columns_indexer_stats hf_columns_index_store(const char *store_dir,
                                                       volatile gint *stop);

#endif
