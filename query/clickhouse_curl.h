/* libcurl for the query engine's ClickHouse back end, loaded when a query
 * first asks ClickHouse (dlopen): hostflow-report and hostflow-web that
 * read files do not load it and its thirty libraries (their memory at
 * start: 3 MB instead of 9.5). */
#ifndef HOSTFLOW_QUERY_CLICKHOUSE_CURL_H
#define HOSTFLOW_QUERY_CLICKHOUSE_CURL_H

#include <curl/curl.h>
#include <glib.h>

struct hf_curl {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    void (*free)(void *);
    curl_mime *(*mime_init)(CURL *);
    curl_mimepart *(*mime_addpart)(curl_mime *);
    CURLcode (*mime_name)(curl_mimepart *, const char *);
    CURLcode (*mime_filename)(curl_mimepart *, const char *);
    CURLcode (*mime_data)(curl_mimepart *, const char *, size_t);
    void (*mime_free)(curl_mime *);
};

/* The functions, loaded once (thread-safe); NULL and err when libcurl
 * cannot be loaded. */
const struct hf_curl *hf_curl_load(GError **err);

#endif
