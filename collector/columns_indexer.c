/* See columns_indexer.h. */
#include "columns_indexer.h"

#include "columns.h"
#include "log.h"
#include "store.h"

struct hf_columns_indexer {
    char *store_dir;
    GAsyncQueue *paths;         /* char *; "" ends the thread */
    GThread *thread;
    volatile gint stop;
    struct hf_columns_indexer_stats st;
};

static void
build(const char *path, struct hf_columns_indexer_stats *st)
{
    GError *err = NULL;

    if (hf_columns_build(path, &err)) {
        st->built++;
        return;
    }
    st->failed++;
    hf_log(HF_LOG_WARNING, "columns of %s not written: %s", path, err->message);
    g_error_free(err);
}

struct hf_columns_indexer_stats
hf_columns_index_store(const char *store_dir, volatile gint *stop)
{
    struct hf_columns_indexer_stats st = {0};
    GPtrArray *all = hf_store_list(store_dir, NULL);

    for (guint i = 0; i < all->len && !(stop && g_atomic_int_get(stop)); i++) {
        const struct hf_store_file *f = g_ptr_array_index(all, i);
        if (!hf_columns_valid(f->path))
            build(f->path, &st);
    }
    g_ptr_array_unref(all);
    return st;
}

static gpointer
indexer_main(gpointer p)
{
    struct hf_columns_indexer *x = p;
    struct hf_columns_indexer_stats old = hf_columns_index_store(x->store_dir, &x->stop);
    char *path;

    x->st.built += old.built;
    x->st.failed += old.failed;
    while ((path = g_async_queue_pop(x->paths))) {
        bool end = path[0] == '\0';
        if (!end)
            build(path, &x->st);
        g_free(path);
        if (end)
            break;
    }
    return NULL;
}

struct hf_columns_indexer *
hf_columns_indexer_start(const char *store_dir)
{
    struct hf_columns_indexer *x = g_new0(struct hf_columns_indexer, 1);

    x->store_dir = g_strdup(store_dir);
    x->paths = g_async_queue_new_full(g_free);
    x->thread = g_thread_new("hf-columns", indexer_main, x);
    return x;
}

void
hf_columns_indexer_completed(void *indexer, const char *path)
{
    struct hf_columns_indexer *x = indexer;

    g_async_queue_push(x->paths, g_strdup(path));
}

void
hf_columns_indexer_stop(struct hf_columns_indexer *x)
{
    if (!x)
        return;
    g_atomic_int_set(&x->stop, 1);
    g_async_queue_push(x->paths, g_strdup(""));
    g_thread_join(x->thread);
    if (x->st.built || x->st.failed)
        hf_log(HF_LOG_INFO, "columns: %" G_GUINT64_FORMAT " side files written, %"
               G_GUINT64_FORMAT " slot files without", x->st.built, x->st.failed);
    g_async_queue_unref(x->paths);
    g_free(x->store_dir);
    g_free(x);
}
