/* The Public Suffix List (https://publicsuffix.org/list/): which part of a
 * hostname is a public suffix ("co.uk", "github.io") and so which is the
 * registrable domain ("example.co.uk").
 *
 * Read from Debian's publicsuffix package (public_suffix_list.dat), which
 * Debian keeps current; no suffix is hard-coded here.  Rules go into one
 * hash set keyed by the rule's labels: a normal rule ("co.uk"), a wildcard
 * ("*.ck", stored as "ck") and an exception ("!www.ck", stored as "www.ck")
 * are flags of the same key.  Rules with non-ASCII labels are stored both
 * as written (UTF-8) and in their ASCII form ("xn--..."), so names compare
 * as they come, either way.
 *
 * PRIVATE section: off unless asked for.  Its rules are hosting platforms
 * (blogspot.com, cloudfront.net, github.io, s3.amazonaws.com...) whose
 * subdomains are mostly random per-customer names: for reports grouped by
 * domain (as Turris Pakon does) "d1x2.cloudfront.net" is better counted as
 * cloudfront.net.  With private rules on, each customer is its own domain.
 *
 * Read-only after loading; lookups allocate nothing. */
#ifndef HOSTFLOW_QUERY_PSL_H
#define HOSTFLOW_QUERY_PSL_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#define HF_PSL_DEFAULT_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct hf_psl;

/* The list in text (the .dat format); private_rules: apply the PRIVATE
 * section too.  Rules the format does not allow are skipped. */
struct hf_psl *hf_psl_parse(const char *text, size_t len, bool private_rules);
/* The list from a file (NULL: HF_PSL_DEFAULT_PATH). */
struct hf_psl *hf_psl_load(const char *path, bool private_rules, GError **err);
void hf_psl_free(struct hf_psl *p);

/* Rules in effect (after the section choice). */
unsigned hf_psl_rules(const struct hf_psl *p);

/* The registrable domain of host (lower case, NUL-terminated, no trailing
 * dot): its offset in host, or -1 when host is itself a public suffix or
 * not a name (empty, an empty label such as ".com" or "a..b").  A name
 * under no rule has a one-label public suffix (the PSL's default "*"). */
ptrdiff_t hf_psl_registrable(const struct hf_psl *p, const char *host);

#endif
