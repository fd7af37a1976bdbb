/* /js/PATH: Debian's packaged browser libraries (libjs-dygraphs...) from
 * the javascript directory ([web] javascript-dir, /usr/share/javascript),
 * never a copy in our tree.  PATH is checked by its text alone: segments
 * of [A-Za-z0-9._-] not starting with '.', so no "..", no hidden file, no
 * way above the directory; only .js and .css files are served.  Symbolic
 * links inside the directory are followed: Debian's packages place them
 * there (dygraphs/dist -> .). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web_int.h"

#define JS_FILE_MAX (8u << 20)
#define JS_SEGMENTS_MAX 8

static bool
segment_ok(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '.' && *s != '_' && *s != '-')
            return false;
    return true;
}

/* the Content-Type for rel, NULL when it is not served */
static const char *
type_of(const char *rel)
{
    gchar **parts = g_strsplit(rel, "/", -1);
    guint n = g_strv_length(parts);
    bool ok = n >= 1 && n <= JS_SEGMENTS_MAX;

    for (guint i = 0; ok && i < n; i++)
        ok = segment_ok(parts[i]);
    g_strfreev(parts);
    if (!ok)
        return NULL;
    if (g_str_has_suffix(rel, ".js"))
        return "text/javascript; charset=utf-8";
    if (g_str_has_suffix(rel, ".css"))
        return "text/css; charset=utf-8";
    return NULL;
}

void
hf_web_javascript(struct hf_web *w, const char *rel, struct hf_web_reply *r)
{
    const char *type = type_of(rel);
    char *path;
    int fd;
    struct stat st;

    if (!type) {
        hf_web_error(r, strstr(rel, "..") ? 400 : 404,
                     strstr(rel, "..") ? "Bad path" : "Not found");
        return;
    }
    path = g_build_filename(w->javascript_dir, rel, NULL);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    g_free(path);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > JS_FILE_MAX) {
        if (fd >= 0)
            close(fd);
        hf_web_error(r, 404, "Not found (is the library's Debian package installed?)");
        return;
    }
    g_string_set_size(r->body, (gsize)st.st_size);
    {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t k = read(fd, r->body->str + got, (size_t)st.st_size - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        g_string_set_size(r->body, got);
    }
    close(fd);
    r->type = type;
    r->max_age = 3600;
}
