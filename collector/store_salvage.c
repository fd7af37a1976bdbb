#include "store_salvage.h"

#include "ipfix_scan.h"

#include <errno.h>
#include <string.h>

struct hf_salvage {
    GMappedFile *map;           /* the file, never copied whole */
    const uint8_t *data;
    size_t whole;               /* its leading whole messages */
    uint8_t tail[HF_IPFIX_MSG_MAX];     /* the cut message, repaired */
    size_t tail_len;
    size_t pos;                 /* read position in whole + tail */
    bool clean;
    FILE *fp;
};

static ssize_t
salvage_read(void *cookie, char *buf, size_t size)
{
    struct hf_salvage *v = cookie;
    size_t total = v->whole + v->tail_len, n = 0;

    while (n < size && v->pos < total) {
        const uint8_t *src;
        size_t left;

        if (v->pos < v->whole) {
            src = v->data + v->pos;
            left = v->whole - v->pos;
        } else {
            src = v->tail + (v->pos - v->whole);
            left = total - v->pos;
        }
        if (left > size - n)
            left = size - n;
        memcpy(buf + n, src, left);
        n += left;
        v->pos += left;
    }
    return (ssize_t)n;
}

struct hf_salvage *
hf_salvage_open(const char *path, GError **err)
{
    struct hf_salvage *v = g_new0(struct hf_salvage, 1);
    struct hf_ipfix_scan *scan;
    struct hf_ipfix_extent tail;
    uint64_t records = 0, options = 0;
    size_t size;

    v->map = g_mapped_file_new(path, FALSE, err);
    if (!v->map) {
        g_free(v);
        return NULL;
    }
    v->data = (const uint8_t *)g_mapped_file_get_contents(v->map);
    size = g_mapped_file_get_length(v->map);
    scan = hf_ipfix_scan_new();
    v->whole = hf_ipfix_scan_stream(scan, v->data, size, &tail, &records,
                                    &options);
    hf_ipfix_scan_free(scan);
    v->clean = v->whole == size;
    if (!v->clean)
        v->tail_len = hf_ipfix_scan_repair(v->data + v->whole, &tail, v->tail);
    v->fp = fopencookie(v, "rb", (cookie_io_functions_t){ .read = salvage_read });
    if (!v->fp) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "%s: %s", path, g_strerror(errno));
        hf_salvage_close(v);
        return NULL;
    }
    return v;
}

FILE *
hf_salvage_stream(struct hf_salvage *v)
{
    return v->fp;
}

bool
hf_salvage_clean(const struct hf_salvage *v)
{
    return v->clean;
}

void
hf_salvage_close(struct hf_salvage *v)
{
    if (!v)
        return;
    if (v->fp)
        fclose(v->fp);
    g_mapped_file_unref(v->map);
    g_free(v);
}
