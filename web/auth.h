/* HTTP basic authentication for the web view: users and crypt(3) hashes
 * from an htpasswd-style file, "user:hash" a line (man/hostflow-web.8). */
#ifndef HOSTFLOW_WEB_AUTH_H
#define HOSTFLOW_WEB_AUTH_H

#include <stdbool.h>
#include <glib.h>

struct hf_web_auth;

/* Reads path: one "user:hash" a line; blank lines and lines starting with
 * '#' skipped.  Only slow, salted hashes: yescrypt ($y$), bcrypt ($2b$,
 * $2y$), sha-crypt ($5$, $6$); plaintext, DES and MD5 ($1$, $apr1$) are
 * refused with err naming path:line.  A file without users is an error too
 * (it would lock everybody out).  Reference counted, starts at one. */
struct hf_web_auth *hf_web_auth_load(const char *path, GError **err);

struct hf_web_auth *hf_web_auth_ref(struct hf_web_auth *a);
void hf_web_auth_unref(struct hf_web_auth *a);

/* True when authorization (an Authorization header's value, may be NULL)
 * is "Basic base64(user:password)" of a user of a with that password.
 * The hash comparison takes the same time whatever differs, and an
 * unknown user costs one crypt(3) as a known one does.  A verified pair is
 * remembered (keyed by a secret HMAC, for a few minutes) so that a page's
 * requests do not each pay for a slow hash.  Thread-safe. */
bool hf_web_auth_check(struct hf_web_auth *a, const char *authorization);

#endif
