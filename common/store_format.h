/* The store's format version: STORE/.hostflow-store, a key file
 *
 *   [store]
 *   format = 1
 *
 * that hostflow-collector writes when it opens a store without one.  A store
 * without it is the layout of the releases before the marker (format 0),
 * which format 1 keeps as it is: the collector adopts it by writing the
 * marker, and never rewrites or removes a flow to do so.  A store of a
 * format newer than this build's, or with a marker it cannot read, is
 * refused by every program, so that nothing misreads or rewrites it. */
#ifndef HOSTFLOW_STORE_FORMAT_H
#define HOSTFLOW_STORE_FORMAT_H

#include <stdbool.h>
#include <glib.h>

#define HF_STORE_FORMAT 1
#define HF_STORE_MARKER ".hostflow-store"

/* err's domain and codes: refused (newer or damaged: the collector exits
 * 2), or the marker could not be read or written (exit 1) */
#define HF_STORE_FORMAT_ERROR hf_store_format_error_quark()
enum { HF_STORE_FORMAT_REFUSED = 1, HF_STORE_FORMAT_IO = 2 };
GQuark hf_store_format_error_quark(void);

/* The format of the store in dir: HF_STORE_FORMAT or less (0: no marker);
 * -1 and err (naming the marker, what is wrong with it and what to do)
 * when the marker is newer than this build or damaged. */
int hf_store_format_read(const char *dir, GError **err);

/* hf_store_format_read(), then, for a store without a marker, writes one of
 * HF_STORE_FORMAT (a temporary file, synced, renamed into place); *adopted
 * (may be NULL) says whether it did.  false and err when the store is
 * refused or the marker cannot be written. */
bool hf_store_format_adopt(const char *dir, bool *adopted, GError **err);

#endif
