/* Lists of hostname globs: the merge list ("GLOB DOMAIN" per line: names
 * the glob matches belong to DOMAIN) and the ignore list ("GLOB" per line).
 *
 * Format: one entry per line, fields separated by blanks; '#' starts a
 * comment (to the end of the line); blank lines are skipped; case does not
 * matter.  A glob is a hostname where '*' stands for any characters (dots
 * included, none at all too) and '?' for one.  Malformed lines (a merge
 * line without its domain or with extra words, a domain with a wildcard, an
 * ignore line with more than one word) are skipped and counted.
 *
 * Which entry wins when several match:
 *   1. an exact name ("netflix.com");
 *   2. a "*.SUFFIX" glob, the longest suffix first ("*.s.example.com"
 *      before "*.example.com"); "*.example.com" matches names under
 *      example.com, not example.com itself;
 *   3. any other glob ("ocsp.*", "*.ocsp.*", "ads?.example.*"), in the
 *      order of the file.
 * A glob listed twice: the later line wins.
 *
 * Exact names and "*.SUFFIX" globs are hash lookups (one per label of the
 * name); only the other globs are tried one by one.  Read-only after
 * loading; matching allocates nothing. */
#ifndef HOSTFLOW_QUERY_GLOB_LIST_H
#define HOSTFLOW_QUERY_GLOB_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct hf_glob_list;

/* with_domain: merge-list lines (GLOB DOMAIN), else ignore-list lines. */
struct hf_glob_list *hf_glob_list_parse(const char *text, size_t len,
                                        bool with_domain);
struct hf_glob_list *hf_glob_list_load(const char *path, bool with_domain,
                                       GError **err);
void hf_glob_list_free(struct hf_glob_list *l);

unsigned hf_glob_list_entries(const struct hf_glob_list *l);
unsigned hf_glob_list_malformed(const struct hf_glob_list *l);

/* Whether an entry matches host (lower case, NUL-terminated, no trailing
 * dot); *domain (if domain is not NULL) is then the entry's domain (merge
 * lists; NULL for ignore lists). */
bool hf_glob_list_match(const struct hf_glob_list *l, const char *host,
                        const char **domain);

/* '*' and '?' glob over whole strings, byte by byte (exported for tests). */
bool hf_glob_match(const char *glob, const char *s);

#endif
