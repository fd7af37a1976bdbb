/* The ClickHouse sink's blocks (one INSERT each) and its bounded on-disk
 * spool: blocks wait there, in order, while ClickHouse is down or slow.
 *
 * One file per block, DIR/<sequence>.rb, written to a .tmp and renamed, so
 * a crash leaves whole blocks only; a collector restarted on the same
 * spool sends what it holds first.  The oldest block is sent first; a
 * block that could not be sent at stop goes back in front. */
#ifndef HOSTFLOW_CLICKHOUSE_SPOOL_H
#define HOSTFLOW_CLICKHOUSE_SPOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

struct hf_ch_source_count {
    const char *source;         /* interned */
    uint64_t records;
};

struct hf_ch_block {
    GByteArray *rows;           /* RowBinary */
    uint64_t records;
    uint64_t first_ms;          /* arrival of its first record */
    GArray *sources;            /* struct hf_ch_source_count, per exporter */
    uint64_t spool_seq;         /* its spool file; 0 = in memory only */
    size_t charged;             /* taken from the queues' memory budget */
};

struct hf_ch_block *hf_ch_block_new(void);
void hf_ch_block_count(struct hf_ch_block *b, const char *source);
void hf_ch_block_free(struct hf_ch_block *b);

struct hf_ch_spool_stats {
    uint64_t blocks, bytes, records;   /* held now */
    uint64_t damaged;           /* unreadable files set aside (.bad) */
    uint64_t write_errors;
};

struct hf_ch_spool;

/* Creates DIR if needed and takes the blocks a previous run left there.
 * max_bytes 0: a spool that holds nothing. */
struct hf_ch_spool *hf_ch_spool_open(const char *dir, uint64_t max_bytes, GError **err);
void hf_ch_spool_close(struct hf_ch_spool *s);

/* Writes the block at the back (or, front: before every other); false
 * when it does not fit in max_bytes or cannot be written (counted). */
bool hf_ch_spool_put(struct hf_ch_spool *s, struct hf_ch_block *b, bool front);
bool hf_ch_spool_empty(struct hf_ch_spool *s);
/* The oldest block, read back (spool_seq set), or NULL; it stays in the
 * spool until hf_ch_spool_remove. */
struct hf_ch_block *hf_ch_spool_oldest(struct hf_ch_spool *s);
void hf_ch_spool_remove(struct hf_ch_spool *s, uint64_t seq);
struct hf_ch_spool_stats hf_ch_spool_stats(struct hf_ch_spool *s);

#endif
