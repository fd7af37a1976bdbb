#include "store_fs.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

bool
hf_fsync_dir(const char *dir, GError **err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot open directory %s: %s", dir, g_strerror(e));
        return false;
    }
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        int e = errno;
        close(fd);
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot sync directory %s: %s", dir, g_strerror(e));
        return false;
    }
    close(fd);
    return true;
}

void
hf_remove_empty_dirs(const char *dir, int levels)
{
    char *d = g_strdup(dir);

    for (int i = 0; i < levels && rmdir(d) == 0; i++) {
        char *up = g_path_get_dirname(d);
        g_free(d);
        d = up;
    }
    g_free(d);
}

static bool
file_error(GError **err, const char *what, const char *path)
{
    int e = errno ? errno : EIO;

    g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "cannot %s %s: %s", what, path,
                g_strerror(e));
    return false;
}

bool
hf_atomic_file_open(struct hf_atomic_file *f, const char *path, GError **err)
{
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    int fd;

    memset(f, 0, sizeof(*f));
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        file_error(err, "create directory", dir);
        g_free(dir);
        g_free(base);
        return false;
    }
    f->path = g_strdup(path);
    f->tmp = g_strdup_printf("%s/.%s-XXXXXX", dir, base);
    g_free(dir);
    g_free(base);
    fd = g_mkstemp(f->tmp);
    if (fd < 0) {
        file_error(err, "create", f->tmp);
        hf_atomic_file_abort(f);
        return false;
    }
    fchmod(fd, 0644);
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        file_error(err, "open", f->tmp);
        close(fd);
        hf_atomic_file_abort(f);
        return false;
    }
    return true;
}

bool
hf_atomic_file_commit(struct hf_atomic_file *f, GError **err)
{
    bool ok = false;

    errno = 0;
    if (fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0) {
        file_error(err, "write", f->tmp);
    } else {
        int rc = fclose(f->fp);
        f->fp = NULL;
        if (rc != 0) {
            file_error(err, "close", f->tmp);
        } else if (rename(f->tmp, f->path) != 0) {
            file_error(err, "rename over", f->path);
        } else {
            char *dir = g_path_get_dirname(f->path);
            g_free(f->tmp);
            f->tmp = NULL;              /* it is path now: not to be removed */
            ok = hf_fsync_dir(dir, err);
            g_free(dir);
        }
    }
    hf_atomic_file_abort(f);
    return ok;
}

void
hf_atomic_file_abort(struct hf_atomic_file *f)
{
    if (f->fp)
        fclose(f->fp);
    if (f->tmp)
        unlink(f->tmp);
    g_free(f->tmp);
    g_free(f->path);
    memset(f, 0, sizeof(*f));
}
