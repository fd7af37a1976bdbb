/* What a report shows for what records carry: the domain a hostname
 * belongs to, whether it is noise (ads, trackers, OCSP, CDN internals),
 * and the device behind a MAC or IP address, as the Turris Pakon tool does.
 *
 *   domain:  the merge list first (a glob per line: "*.fbcdn.net
 *            facebook.com" maps service hostnames to one domain), else the
 *            registrable domain by the Public Suffix List (Debian's
 *            publicsuffix package: /usr/share/publicsuffix), else the name.
 *   ignored: the ignore list (a glob per line) matches the hostname.
 *   device:  [devices] of the config (MAC or IP = name), /etc/ethers,
 *            dnsmasq and odhcpd lease files; by MAC first, then by IP.
 *
 * The list formats, the device sources and their precedence are described
 * in man/hostflow-names.5 (and query/glob_list.h, query/devices.h,
 * query/psl.h).
 *
 * Hostnames are normalised before any lookup: ASCII lower case, one
 * trailing dot dropped, a ":PORT" suffix dropped (an HTTP Host from another
 * exporter may carry one).  Non-ASCII (UTF-8) and punycode ("xn--") names
 * are compared as they come; the PSL rules are held in both forms.
 *
 * Loaded once, then read-only: safe to share between threads.  Lookups
 * allocate nothing. */
#ifndef HOSTFLOW_QUERY_NAMES_H
#define HOSTFLOW_QUERY_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include "flow_record.h"

struct hf_names_config {
    const char *psl_path;        /* NULL: /usr/share/publicsuffix/public_suffix_list.dat */
    const char *merge_path;      /* NULL: the shipped default list */
    const char *ignore_path;     /* NULL: the shipped default list */
    const char *const *ethers;   /* NULL-terminated; NULL: /etc/ethers if present */
    const char *const *leases;   /* dnsmasq or odhcpd lease files; NULL: none */
    GKeyFile *config;            /* its [devices] group, if any; may be NULL */
    bool psl_private;            /* apply the PSL's PRIVATE section too
                                    (blogspot.com, cloudfront.net...): each
                                    customer its own domain; default off */
    bool devices_only;           /* load the device sources alone, not the
                                    PSL and the lists (reading the PSL costs
                                    milliseconds): domains are then as with
                                    no names at all, nothing is ignored */
};

/* The shipped default lists: DATADIR/hostflow/domain-merge.list and
 * domain-ignore.list when installed and readable, else the copies built
 * into the library (the same files).  A path given in the config replaces
 * the default list entirely: start a user list from a copy of it. */

/* Ethers and lease files that do not exist are counted (missing) and
 * skipped: a DHCP server may not have written its leases yet.  Any other
 * unreadable file, and an unreadable PSL or list, fails the load. */
struct hf_names *hf_names_load(const struct hf_names_config *c, GError **err);
void hf_names_free(struct hf_names *n);

/* What was loaded, for --stats and logs. */
struct hf_names_stats {
    unsigned psl_rules;      /* PSL rules in effect */
    unsigned merge_entries, ignore_entries;
    unsigned device_macs, device_ips;
    unsigned malformed;      /* lines skipped: lists, ethers, leases,
                                [devices] addresses */
    unsigned missing;        /* ethers and lease files not found */
};
void hf_names_stats(const struct hf_names *n, struct hf_names_stats *s);

/* The record's hostname: ours (hostflowHostname), else HTTP Host, else TLS
 * SNI, else the DNS query; NULL (and *len 0) when it has none. */
const char *hf_record_hostname(const hf_flow_record_t *r, size_t *len);

/* The domain of a hostname (len bytes, not NUL-terminated), lower case,
 * into buf (size bytes; a longer one is cut); returns buf, or NULL for an
 * empty name.  n may be NULL: the registrable domain is then the last two
 * labels.  An IP address literal is its own domain, with or without n; so
 * is a name that is itself a public suffix or has a single label
 * ("localhost"). */
const char *hf_names_domain(const struct hf_names *n, const char *host,
                            size_t len, char *buf, size_t size);

/* The registrable domain by the PSL alone (no merge list), lower case,
 * into buf as hf_names_domain; NULL when there is none: the name is a
 * public suffix ("co.uk", "com"), an IP literal, not a name (".com",
 * "a..b"), or n is NULL. */
const char *hf_names_registrable(const struct hf_names *n, const char *host,
                                 size_t len, char *buf, size_t size);

/* True when the ignore list matches the hostname (n may be NULL: false). */
bool hf_names_ignored(const struct hf_names *n, const char *host, size_t len);

/* The device name of a record's source (src) or destination side: by its
 * MAC address, else by its IP address; NULL when unknown (n may be NULL). */
const char *hf_names_device(const struct hf_names *n, const hf_flow_record_t *r,
                            bool src);

/* The same for one side given as its MAC (all zero: none) and address
 * (v6, else v4 in host byte order; 0: none). */
const char *hf_names_device_of(const struct hf_names *n, const uint8_t mac[6], bool is_v6,
                               const uint8_t v6[16], uint32_t v4);

#endif
