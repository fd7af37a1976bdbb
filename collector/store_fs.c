#include "store_fs.h"

#include <errno.h>
#include <fcntl.h>
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
