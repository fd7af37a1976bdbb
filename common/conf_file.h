/* The one configuration file, /etc/hostflow/hostflow.conf (hostflow.conf(5)):
 * a glib key file read by every program.  glib names no lines, so the text
 * is scanned here first: every section and key is checked against the
 * known ones (conf_keys.c), duplicates and unreadable lines are refused,
 * and each value's line is remembered so that any error reads
 *
 *     FILE:LINE: [section] key: what is wrong
 *
 * Each program then reads its own sections with the typed getters below
 * (absent key: *out unchanged, i.e. the default stays). */
#ifndef HOSTFLOW_CONF_FILE_H
#define HOSTFLOW_CONF_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#define HF_CONF_ERROR (hf_conf_error_quark())
GQuark hf_conf_error_quark(void);

struct hf_conf;

/* Where the collector writes and the report and the web view read
 * ([collector] store) unless told otherwise. */
#define HF_DEFAULT_STORE "/var/lib/hostflow/flows"

/* The file -c names (it must exist), else the default one
 * (SYSCONFDIR/hostflow/hostflow.conf: absent is an empty configuration).
 * NULL with err (HF_CONF_ERROR) on any error. */
struct hf_conf *hf_conf_open(const char *path, GError **err);
/* The file read; NULL when none was. */
const char *hf_conf_path(const struct hf_conf *c);
GKeyFile *hf_conf_keyfile(const struct hf_conf *c);
void hf_conf_free(struct hf_conf *c);
const char *hf_conf_default_path(void);

/* Sections of a family ("source ", "profile "), in file order; free with
 * g_strfreev. */
char **hf_conf_sections(const struct hf_conf *c, const char *prefix);
/* Keys of a section in file order (g_strfreev), NULL when absent. */
char **hf_conf_keys(const struct hf_conf *c, const char *group);
bool hf_conf_has(const struct hf_conf *c, const char *group, const char *key);

/* An error about one key (key NULL: about the section), at its line. */
void hf_conf_error(const struct hf_conf *c, GError **err, const char *group,
                   const char *key, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* Typed values.  True when absent or empty ("key =": *out unchanged, the
 * default) or valid; false with err naming file, line and key otherwise. */
bool hf_conf_string(const struct hf_conf *c, const char *group, const char *key,
                    char **out, GError **err);       /* g_free()s the old *out */
bool hf_conf_strv(const struct hf_conf *c, const char *group, const char *key,
                  char ***out, GError **err);        /* ';'-separated list */
bool hf_conf_int(const struct hf_conf *c, const char *group, const char *key,
                 int64_t min, int64_t max, int64_t *out, GError **err);
bool hf_conf_bool(const struct hf_conf *c, const char *group, const char *key,
                  bool *out, GError **err);
/* "64M", "4G" (size_parse.h), within min..max bytes. */
bool hf_conf_size(const struct hf_conf *c, const char *group, const char *key,
                  uint64_t min, uint64_t max, uint64_t *out, GError **err);
/* Seconds: "90", "90s", "15m", "2h", "1d", within min..max seconds. */
bool hf_conf_seconds(const struct hf_conf *c, const char *group, const char *key,
                     int64_t min, int64_t max, int64_t *out, GError **err);

/* Prints err for a program: a file error as it is (it names the file),
 * anything else after "PROGRAM: ". */
void hf_conf_print_error(const char *prog, const GError *err);

/* --check-config's output: a header line naming the file. */
void hf_conf_print_header(FILE *f, const char *prog, const struct hf_conf *c);
/* "key = 16M" rather than 16777216 when it is a whole number of units. */
void hf_conf_print_size(FILE *f, const char *key, uint64_t n);
/* [devices] as read, for the programs that name devices. */
void hf_conf_print_devices(FILE *f, const struct hf_conf *c);

/* The known sections and keys (conf_keys.c): key NULL and true for a
 * known section (or family member), key given: a known key of it. */
bool hf_conf_known(const char *group, const char *key);

#endif
