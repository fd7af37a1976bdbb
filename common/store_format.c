#include "store_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MARKER_MAX 4096         /* a few lines; more is not a marker */

GQuark
hf_store_format_error_quark(void)
{
    return g_quark_from_static_string("hf-store-format");
}

static void
refuse(GError **err, const char *path, const char *why)
{
    g_set_error(err, HF_STORE_FORMAT_ERROR, HF_STORE_FORMAT_REFUSED,
                "%s: %s; the store is left as it is, unread (use the hostflow "
                "that wrote it; see hostflow-collector(8), STORE FORMAT)", path, why);
}

int
hf_store_format_read(const char *dir, GError **err)
{
    char *path = g_build_filename(dir, HF_STORE_MARKER, NULL);
    char *data = NULL, *why = NULL;
    gsize len = 0;
    GError *e = NULL;
    int format = -1;

    if (!g_file_get_contents(path, &data, &len, &e)) {
        if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            format = 0;             /* the layout before the marker */
        else
            g_set_error(err, HF_STORE_FORMAT_ERROR, HF_STORE_FORMAT_IO,
                        "cannot read the store's format marker: %s", e->message);
    } else if (len > MARKER_MAX || memchr(data, '\0', len)) {
        why = g_strdup("damaged format marker (not a short text file)");
    } else {
        GKeyFile *kf = g_key_file_new();
        gint64 v = 0;
        if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &e)
            || (v = g_key_file_get_int64(kf, "store", "format", &e), e))
            why = g_strdup_printf("damaged format marker (%s; want [store] format = %d)",
                                  e->message, HF_STORE_FORMAT);
        else if (v < 1)
            why = g_strdup_printf("damaged format marker (format = %" G_GINT64_FORMAT
                                  "; formats start at 1)", v);
        else if (v > HF_STORE_FORMAT)
            why = g_strdup_printf("store format %" G_GINT64_FORMAT " is newer than "
                                  "this hostflow reads (up to %d)", v, HF_STORE_FORMAT);
        else
            format = (int)v;
        g_key_file_free(kf);
    }
    if (why)
        refuse(err, path, why);
    g_clear_error(&e);
    g_free(why);
    g_free(data);
    g_free(path);
    return format;
}

/* the rename of the marker into dir survives a crash */
static void
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

bool
hf_store_format_adopt(const char *dir, bool *adopted, GError **err)
{
    int format = hf_store_format_read(dir, err);

    if (adopted)
        *adopted = false;
    if (format < 0)
        return false;
    if (format > 0)
        return true;
    /* format 0 is format 1's layout: adopting it is writing the marker */
    char *path = g_build_filename(dir, HF_STORE_MARKER, NULL);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    char *text = g_strdup_printf(
        "# The layout of this hostflow store (hostflow-collector(8), STORE FORMAT).\n"
        "# Written by hostflow-collector; do not edit.\n"
        "[store]\nformat = %d\n", HF_STORE_FORMAT);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;

    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        g_set_error(err, HF_STORE_FORMAT_ERROR, HF_STORE_FORMAT_IO, "cannot write the store's format marker %s: %s",
                    path, g_strerror(errno));
        (void)unlink(tmp);
    } else {
        sync_dir(dir);
        if (adopted)
            *adopted = true;
    }
    g_free(text);
    g_free(tmp);
    g_free(path);
    return ok;
}
