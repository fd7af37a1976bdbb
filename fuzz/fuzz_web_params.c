/* libFuzzer: the web view's request parameters (web/params.c): a raw
 * query string split and %-decoded, then checked as each page checks it. */
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "params.h"

static const unsigned masks[] = {
    0xffffffffu,                                            /* everything */
    HF_WP_SOURCE | HF_WP_FILTER | HF_WP_FROM | HF_WP_TO | HF_WP_ORDER | HF_WP_N | HF_WP_BY,
    HF_WP_PROFILE | HF_WP_SOURCE | HF_WP_WHAT | HF_WP_SPAN,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(struct hf_web_pair));
    GPtrArray *store = g_ptr_array_new_with_free_func(g_free);
    struct hf_web_params p;

    if (hf_web_query_split((const char *)data, size, pairs, store, NULL)) {
        for (size_t m = 0; m < G_N_ELEMENTS(masks); m++) {
            hf_web_params_parse((struct hf_web_pair *)(void *)pairs->data, pairs->len, masks[m],
                                1700000000000ull, &p, NULL);
            hf_web_params_clear(&p);
        }
    }
    g_array_unref(pairs);
    g_ptr_array_unref(store);
    return 0;
}
