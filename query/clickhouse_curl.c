/* See clickhouse_curl.h. */
#include "clickhouse_curl.h"

#include <dlfcn.h>
#include <string.h>

static struct hf_curl api;
static char *load_error;

#define SYM(field, name) { G_STRUCT_OFFSET(struct hf_curl, field), name }

static const struct { glong off; const char *name; } symbols[] = {
    SYM(easy_init, "curl_easy_init"),
    SYM(easy_setopt, "curl_easy_setopt"),
    SYM(easy_perform, "curl_easy_perform"),
    SYM(easy_getinfo, "curl_easy_getinfo"),
    SYM(easy_cleanup, "curl_easy_cleanup"),
    SYM(easy_strerror, "curl_easy_strerror"),
    SYM(easy_escape, "curl_easy_escape"),
    SYM(free, "curl_free"),
    SYM(mime_init, "curl_mime_init"),
    SYM(mime_addpart, "curl_mime_addpart"),
    SYM(mime_name, "curl_mime_name"),
    SYM(mime_filename, "curl_mime_filename"),
    SYM(mime_data, "curl_mime_data"),
    SYM(mime_free, "curl_mime_free"),
};

static gpointer
load(gpointer unused)
{
    /* Debian's libcurl4 (OpenSSL), else its GnuTLS build */
    static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };
    void *lib = NULL;

    (void)unused;
    for (size_t i = 0; i < G_N_ELEMENTS(names) && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        load_error = g_strdup_printf("cannot load libcurl for ClickHouse: %s", dlerror());
        return NULL;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(symbols); i++) {
        void *f = dlsym(lib, symbols[i].name);
        if (!f) {
            load_error = g_strdup_printf("libcurl has no %s", symbols[i].name);
            return NULL;
        }
        memcpy(G_STRUCT_MEMBER_P(&api, symbols[i].off), &f, sizeof(f));
    }
    return &api;            /* loaded for the process's life */
}

const struct hf_curl *
hf_curl_load(GError **err)
{
    static GOnce once = G_ONCE_INIT;
    const struct hf_curl *c = g_once(&once, load, NULL);

    if (!c)
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s", load_error);
    return c;
}
