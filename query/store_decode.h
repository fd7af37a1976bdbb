/* A fast decoder of IPFIX files (RFC 5655) into hf_flow_record_t, for the
 * store reader (store_scan.h).
 *
 * libfixbuf transcodes every record through its generic plan; here each
 * template of a file is compiled once into a copy program (nfdump's
 * approach): one operation per field -- skip n bytes, a big-endian integer
 * of 1, 2, 4 or 8 bytes into its hf_flow_record_t field, octets, a string
 * pointed at (zero-copy) -- and the records of a set are run through it.
 *
 * Field mapping: the one hf_ipfix_reader uses.  hf_flow_spec[] names each
 * field of hf_flow_record_t; the information model (hf_infomodel_new(),
 * with hostflow's PEN) gives the element (enterprise, id) behind each name,
 * and libfixbuf copies an element of the file into the field of the same
 * element.  So the result is libfixbuf's for every file: fields the
 * template lacks are zero, an element repeated fills its field from its
 * first occurrence, integers of reduced size (RFC 7011 6.2) are widened,
 * elements hostflow does not store are skipped.  (The collector's
 * hf_ie_lookup() is not that mapping: it folds aliases -- NetFlow's
 * samplingInterval, ntop's HTTP host, YAF's names -- and derives fields,
 * which would make the store read differently from hostflow-dump.)
 *
 * The input is untrusted: every length is checked against the bytes given.
 * Decoding stops at the first damage (see hf_store_decode_buffer()). */
#ifndef HOSTFLOW_QUERY_STORE_DECODE_H
#define HOSTFLOW_QUERY_STORE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "flow_record.h"

typedef void (*hf_store_decode_fn)(void *ctx, const hf_flow_record_t *r);

/* A reason to stop reading early, checked before each IPFIX message (a
 * message holds up to 64 KiB of records: cheap, yet prompt): a flag anyone
 * may set (g_atomic_int_set, any non-zero value), and a deadline on
 * g_get_monotonic_time() (0: none) that sets the flag to
 * HF_DECODE_STOP_TIME when passed, so other readers sharing it stop too. */
#define HF_DECODE_STOP_TIME 1
struct hf_decode_stop {
    gint flag;
    gint64 deadline_us;
};

/* Templates learnt from one file (one per thread; reset per file). */
struct hf_store_decoder;

/* NULL and err if the information model cannot be built. */
struct hf_store_decoder *hf_store_decoder_new(GError **err);
void hf_store_decoder_free(struct hf_store_decoder *d);

/* Checks stop (NULL: never stops; it must outlive the decodes). */
void hf_store_decoder_set_stop(struct hf_store_decoder *d, struct hf_decode_stop *stop);

/* True when stop's flag is set or its deadline passed (then sets the flag). */
bool hf_decode_stop_due(struct hf_decode_stop *stop);

struct hf_store_decode_result {
    uint64_t records;           /* flow records delivered */
    uint64_t options_records;   /* options records skipped */
    size_t good;                /* the bytes read whole: the end of the last
                                   whole message, set or record */
    bool damaged;               /* stopped at damage (why says what) */
    bool stopped;               /* stopped early, on the decoder's stop */
    char why[160];
};

/* Decodes buf (a whole file's bytes) from a fresh template state, calling
 * fn for each flow record in file order (string fields point into buf).
 * Returns true when the file reads whole; false, with res->why, at the
 * first damage: the file ends inside a message (a truncated file: the
 * whole records before the cut were delivered), not an IPFIX message
 * header, a set running past its message, a record past its set, a data
 * set without a template. */
bool hf_store_decode_buffer(struct hf_store_decoder *d, const uint8_t *buf, size_t len,
                            hf_store_decode_fn fn, void *ctx,
                            struct hf_store_decode_result *res);

/* The same over a file, memory-mapped (read sequentially); false with
 * res->why also when it cannot be opened or mapped.  *size (may be NULL):
 * its size. */
bool hf_store_decode_file(struct hf_store_decoder *d, const char *path,
                          hf_store_decode_fn fn, void *ctx,
                          struct hf_store_decode_result *res, uint64_t *size);

/* The same for the messages that start in [from, to) of the file (byte
 * offsets from hf_store_file_split()); the messages before from only teach
 * their templates. */
bool hf_store_decode_file_part(struct hf_store_decoder *d, const char *path,
                               size_t from, size_t to, hf_store_decode_fn fn,
                               void *ctx, struct hf_store_decode_result *res,
                               uint64_t *size);

/* Where to cut a file into parts of about equal size, at message starts,
 * so that several threads read one large file: up to parts - 1 offsets,
 * ascending; none when the file is not whole messages to its end (it is
 * then read by one thread, which reports its damage). */
GArray *hf_store_file_split(const char *path, unsigned parts);

#endif
