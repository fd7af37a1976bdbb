/* Hourly roll-up of the flow store: see rollup.h. */
#include "rollup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "infomodel.h"
#include "ipfix_reader.h"
#include "ipfix_writer.h"
#include "store.h"

struct hf_rollup {
    char *dir;                  /* DIR/.hourly */
    char *store_dir;
    uint32_t slot_seconds;
    uint32_t max_age_days;
    fbInfoModel_t *model;
    struct hf_rollup_stats st;
    /* the background thread */
    GThread *thread;
    GMutex lock;
    GCond wake;
    volatile gint stop;
    uint32_t interval_s;
};

/* What a summary adds up; the rest of its record is the key. */
struct sum {
    hf_flow_record_t rec;       /* key fields; strings point into names */
    uint64_t octets, packets, flows;
};

/* One hour of one source being summarised. */
struct hour {
    GHashTable *sums;           /* struct sum* (key: its record) */
    GStringChunk *names;        /* interned strings: equal names, equal pointers */
};

/* Counters are read by the status writer while a pass runs. */
#define COUNT(r, field, n) do {                 \
        g_mutex_lock(&(r)->lock);               \
        (r)->st.field += (n);                   \
        g_mutex_unlock(&(r)->lock);             \
    } while (0)

/* ---- the key ------------------------------------------------------------ */

static guint
sum_hash(gconstpointer p)
{
    const hf_flow_record_t *r = p;
    guint h = r->ipVersion * 31u + r->protocolIdentifier;

    h = h * 31u + r->sourceTransportPort;
    h = h * 31u + r->destinationTransportPort;
    h = h * 31u + r->sourceIPv4Address;
    h = h * 31u + r->destinationIPv4Address;
    for (int i = 0; r->ipVersion == 6 && i < 16; i++)
        h = h * 31u + r->sourceIPv6Address[i] + r->destinationIPv6Address[i];
    for (int i = 0; i < 6; i++)
        h = h * 31u + r->sourceMacAddress[i] + r->destinationMacAddress[i];
    /* interned strings: the pointer is the name */
    h = h * 31u + (guint)(uintptr_t)r->hostflowHostname.buf;
    h = h * 31u + (guint)(uintptr_t)r->applicationName.buf;
    return h;
}

static gboolean
sum_equal(gconstpointer a, gconstpointer b)
{
    const hf_flow_record_t *x = a, *y = b;

    return x->ipVersion == y->ipVersion
        && x->protocolIdentifier == y->protocolIdentifier
        && x->sourceTransportPort == y->sourceTransportPort
        && x->destinationTransportPort == y->destinationTransportPort
        && x->sourceIPv4Address == y->sourceIPv4Address
        && x->destinationIPv4Address == y->destinationIPv4Address
        && memcmp(x->sourceIPv6Address, y->sourceIPv6Address, 16) == 0
        && memcmp(x->destinationIPv6Address, y->destinationIPv6Address, 16) == 0
        && memcmp(x->sourceMacAddress, y->sourceMacAddress, 6) == 0
        && memcmp(x->destinationMacAddress, y->destinationMacAddress, 6) == 0
        && x->hostflowHostname.buf == y->hostflowHostname.buf
        && x->applicationName.buf == y->applicationName.buf;
}

static bool
has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132 || proto == 33;
}

/* The name a record's flow went to: ours first, then what other probes
 * export (HTTP Host, TLS SNI, DNS query). */
static const fbVarfield_t *
flow_name(const hf_flow_record_t *r, uint8_t *source)
{
    if (r->hostflowHostname.len) {
        *source = r->hostflowNameSource;
        return &r->hostflowHostname;
    }
    if (r->httpRequestHost.len) {
        *source = HF_NAME_HTTP;
        return &r->httpRequestHost;
    }
    if (r->sslServerNameNtop.len) {
        *source = HF_NAME_TLS;
        return &r->sslServerNameNtop;
    }
    *source = r->dnsQueryNtop.len ? HF_NAME_DNS : HF_NAME_NONE;
    return &r->dnsQueryNtop;
}

static fbVarfield_t
intern(struct hour *h, const fbVarfield_t *v)
{
    fbVarfield_t out = { 0, NULL };
    char buf[256];
    size_t n = v->len < sizeof(buf) - 1 ? v->len : sizeof(buf) - 1;

    if (!n)
        return out;
    memcpy(buf, v->buf, n);
    buf[n] = 0;
    out.buf = (uint8_t *)g_string_chunk_insert_const(h->names, buf);
    out.len = strlen((char *)out.buf);
    return out;
}

/* The summary key of a flow record: see rollup.h. */
static void
key_of(struct hour *h, const hf_flow_record_t *r, hf_flow_record_t *k,
       uint64_t hour_s)
{
    bool from_service = has_ports(r->protocolIdentifier)
        && r->sourceTransportPort < r->destinationTransportPort;
    uint8_t name_source;
    const fbVarfield_t *name = flow_name(r, &name_source);

    memset(k, 0, sizeof(*k));
    k->ipVersion = r->ipVersion == 6 ? 6 : 4;
    k->protocolIdentifier = r->protocolIdentifier;
    if (from_service) {
        k->destinationIPv4Address = r->destinationIPv4Address;
        memcpy(k->destinationIPv6Address, r->destinationIPv6Address, 16);
        memcpy(k->destinationMacAddress, r->destinationMacAddress, 6);
        k->sourceTransportPort = r->sourceTransportPort;
    } else {
        k->sourceIPv4Address = r->sourceIPv4Address;
        memcpy(k->sourceIPv6Address, r->sourceIPv6Address, 16);
        memcpy(k->sourceMacAddress, r->sourceMacAddress, 6);
        k->destinationTransportPort = r->destinationTransportPort;
    }
    k->hostflowHostname = intern(h, name);
    k->hostflowNameSource = k->hostflowHostname.len ? name_source : HF_NAME_NONE;
    k->applicationName = intern(h, &r->applicationName);
    k->flowStartMilliseconds = hour_s * 1000;
    k->flowEndMilliseconds = (hour_s + 3600) * 1000 - 1;
}

static void
add_flow(struct hour *h, const hf_flow_record_t *r, uint64_t hour_s)
{
    uint64_t scale = r->samplingPacketInterval > 1 ? r->samplingPacketInterval : 1;
    hf_flow_record_t k;
    struct sum *s;

    key_of(h, r, &k, hour_s);
    s = g_hash_table_lookup(h->sums, &k);
    if (!s) {
        s = g_new0(struct sum, 1);
        s->rec = k;
        g_hash_table_add(h->sums, s);
    }
    s->octets += r->octetDeltaCount * scale;
    s->packets += r->packetDeltaCount * scale;
    s->flows += hf_flow_count(r);
    s->rec.tcpControlBits |= r->tcpControlBits;
}

/* ---- writing ------------------------------------------------------------ */

static int
vcmp(const fbVarfield_t *a, const fbVarfield_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->buf, b->buf, n) : 0;

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* A stable order, so that the same flows give the same file. */
static int
sum_cmp(const void *pa, const void *pb)
{
    const hf_flow_record_t *a = &(*(struct sum *const *)pa)->rec;
    const hf_flow_record_t *b = &(*(struct sum *const *)pb)->rec;
    int c;

    if (a->ipVersion != b->ipVersion)
        return a->ipVersion - b->ipVersion;
    if ((c = memcmp(a->sourceIPv6Address, b->sourceIPv6Address, 16))
        || (c = memcmp(a->destinationIPv6Address, b->destinationIPv6Address, 16)))
        return c;
    if (a->sourceIPv4Address != b->sourceIPv4Address)
        return a->sourceIPv4Address < b->sourceIPv4Address ? -1 : 1;
    if (a->destinationIPv4Address != b->destinationIPv4Address)
        return a->destinationIPv4Address < b->destinationIPv4Address ? -1 : 1;
    if (a->protocolIdentifier != b->protocolIdentifier)
        return a->protocolIdentifier - b->protocolIdentifier;
    if (a->sourceTransportPort != b->sourceTransportPort)
        return a->sourceTransportPort - b->sourceTransportPort;
    if (a->destinationTransportPort != b->destinationTransportPort)
        return a->destinationTransportPort - b->destinationTransportPort;
    if ((c = memcmp(a->sourceMacAddress, b->sourceMacAddress, 6))
        || (c = memcmp(a->destinationMacAddress, b->destinationMacAddress, 6))
        || (c = vcmp(&a->hostflowHostname, &b->hostflowHostname)))
        return c;
    return vcmp(&a->applicationName, &b->applicationName);
}

static bool
sync_path(const char *path, int flags, GError **err)
{
    int fd = open(path, flags | O_CLOEXEC);
    int rc;

    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot open %s: %s", path, g_strerror(errno));
        return false;
    }
    rc = fsync(fd);
    if (rc != 0 && errno != EINVAL && errno != EROFS) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot sync %s: %s", path, g_strerror(errno));
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

/* Writes the hour's summaries to path, through a temporary file renamed
 * into place (a summary is derived data: a newer one replaces it). */
static bool
write_hour(struct hf_rollup *r, struct hour *h, const char *path,
           uint64_t hour_s, GError **err)
{
    char *dir = g_path_get_dirname(path);
    char *tmp = NULL;
    fbSession_t *session = NULL;
    fBuf_t *fbuf = NULL;
    GPtrArray *rows = NULL;
    bool ok = false;
    int fd;

    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create directory %s: %s", dir, g_strerror(errno));
        goto out;
    }
    tmp = g_strdup_printf("%s/.hourly-XXXXXX", dir);
    fd = g_mkstemp(tmp);
    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create %s: %s", tmp, g_strerror(errno));
        goto out;
    }
    close(fd);
    chmod(tmp, 0644);
    session = hf_ipfix_flow_session(r->model, 0, HF_TMPL_FLOWS, err);
    if (!session)
        goto out_unlink;
    fbExporter_t *exporter = fbExporterAllocFile(tmp);
    fbuf = fBufAllocForExport(session, exporter);
    session = NULL;                 /* the buffer owns it */
    fBufSetExportTime(fbuf, (uint32_t)hour_s);
    if (!fbSessionExportTemplates(fBufGetSession(fbuf), err))
        goto out_unlink;

    rows = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, h->sums);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(rows, key);
    if (rows->len)
        qsort(rows->pdata, rows->len, sizeof(gpointer), sum_cmp);
    for (guint i = 0; i < rows->len; i++) {
        struct sum *s = g_ptr_array_index(rows, i);
        s->rec.octetDeltaCount = s->octets;
        s->rec.packetDeltaCount = s->packets;
        s->rec.deltaFlowCount = s->flows;
        if (!hf_ipfix_append_flow(fbuf, &s->rec, err))
            goto out_unlink;
    }
    if (!fBufEmit(fbuf, err))
        goto out_unlink;
    fBufFree(fbuf);                 /* closes the file */
    fbuf = NULL;
    if (!sync_path(tmp, O_RDONLY, err))
        goto out_unlink;
    if (rename(tmp, path) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot rename %s to %s: %s", tmp, path, g_strerror(errno));
        goto out_unlink;
    }
    ok = sync_path(dir, O_RDONLY | O_DIRECTORY, err);
    COUNT(r, summaries, rows->len);
    goto out;

out_unlink:
    if (fbuf)
        fBufFree(fbuf);
    unlink(tmp);
out:
    if (session)
        fbSessionFree(session);
    if (rows)
        g_ptr_array_unref(rows);
    g_free(tmp);
    g_free(dir);
    return ok;
}

/* ---- summary files ------------------------------------------------------ */

static char *
summary_path(const char *dir, const char *source, uint64_t hour_s)
{
    time_t t = (time_t)hour_s;
    struct tm tm;
    char name[96], ym[32];

    gmtime_r(&t, &tm);
    snprintf(ym, sizeof(ym), "%04d/%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    snprintf(name, sizeof(name), "hourly-%04d%02d%02d%02d.ipfix",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
    return g_build_filename(dir, source, ym, name, NULL);
}

/* "hourly-YYYYMMDDhh.ipfix" → its hour. */
static bool
parse_summary_name(const char *name, uint64_t *hour_s)
{
    struct tm tm = { 0 };
    int y, mo, d, h;
    char tail[8];
    time_t t;

    if (strlen(name) != strlen("hourly-2024010100.ipfix")
        || sscanf(name, "hourly-%4d%2d%2d%2d%6s", &y, &mo, &d, &h, tail) != 5
        || strcmp(tail, ".ipfix") != 0 || y < 1970 || mo < 1 || mo > 12
        || d < 1 || d > 31 || h < 0 || h > 23)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    t = timegm(&tm);
    if (t < 0)
        return false;
    *hour_s = (uint64_t)t;
    return true;
}

static void
rollup_file_free(gpointer p)
{
    struct hf_rollup_file *f = p;

    g_free(f->path);
    g_free(f->source);
    g_free(f);
}

static gint
rollup_file_cmp(gconstpointer a, gconstpointer b)
{
    const struct hf_rollup_file *x = *(struct hf_rollup_file *const *)a;
    const struct hf_rollup_file *y = *(struct hf_rollup_file *const *)b;

    if (x->hour_s != y->hour_s)
        return x->hour_s < y->hour_s ? -1 : 1;
    return strcmp(x->source, y->source);
}

/* Summary files under DIR/.hourly/SOURCE/YYYY/MM (dot names skipped). */
static void
walk_summaries(const char *path, const char *source, int depth,
               uint64_t from_s, uint64_t to_s, GPtrArray *out)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *child;
        struct stat st;
        uint64_t hour_s;

        if (name[0] == '.')
            continue;
        child = g_build_filename(path, name, NULL);
        if (lstat(child, &st) != 0) {
            /* vanished */
        } else if (S_ISDIR(st.st_mode) && depth < 3) {
            walk_summaries(child, depth == 0 ? name : source, depth + 1,
                           from_s, to_s, out);
        } else if (S_ISREG(st.st_mode) && depth == 3
                   && parse_summary_name(name, &hour_s)
                   && hour_s >= from_s && hour_s < to_s) {
            struct hf_rollup_file *f = g_new0(struct hf_rollup_file, 1);
            f->path = child;
            f->source = g_strdup(source);
            f->hour_s = hour_s;
            f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            g_ptr_array_add(out, f);
            continue;
        }
        g_free(child);
    }
    g_dir_close(d);
}

GPtrArray *
hf_rollup_list(const char *store_dir, const char *source, uint64_t from_ms,
               uint64_t to_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(rollup_file_free);
    char *dir;

    if (!store_dir || (source && (!source[0] || source[0] == '.'
                                  || strchr(source, '/'))))
        return out;
    dir = g_build_filename(store_dir, HF_ROLLUP_DIR, source, NULL);
    walk_summaries(dir, source, source ? 1 : 0, from_ms / 1000,
                   to_ms / 1000 + (to_ms % 1000 != 0), out);
    g_free(dir);
    g_ptr_array_sort(out, rollup_file_cmp);
    return out;
}

/* ---- passes ------------------------------------------------------------- */

struct hf_rollup *
hf_rollup_new(const struct hf_rollup_config *cfg, GError **err)
{
    struct hf_rollup *r = g_new0(struct hf_rollup, 1);

    r->model = hf_infomodel_new(err);
    if (!r->model) {
        g_free(r);
        return NULL;
    }
    r->store_dir = g_strdup(cfg->store_dir);
    r->dir = g_build_filename(cfg->store_dir, HF_ROLLUP_DIR, NULL);
    r->slot_seconds = cfg->slot_seconds ? cfg->slot_seconds : 300;
    r->max_age_days = cfg->max_age_days;
    g_mutex_init(&r->lock);
    g_cond_init(&r->wake);
    return r;
}

void
hf_rollup_free(struct hf_rollup *r)
{
    if (!r)
        return;
    hf_rollup_stop(r);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->wake);
    fbInfoModelFree(r->model);
    g_free(r->dir);
    g_free(r->store_dir);
    g_free(r);
}

struct hf_rollup_stats
hf_rollup_stats(const struct hf_rollup *r)
{
    struct hf_rollup_stats st;

    g_mutex_lock((GMutex *)&r->lock);
    st = r->st;
    g_mutex_unlock((GMutex *)&r->lock);
    return st;
}

static void
hour_init(struct hour *h)
{
    h->sums = g_hash_table_new_full(sum_hash, sum_equal, g_free, NULL);
    h->names = g_string_chunk_new(4096);
}

static void
hour_clear(struct hour *h)
{
    g_hash_table_unref(h->sums);
    g_string_chunk_free(h->names);
}

/* Summarises raw files [first, last) of one source and hour. */
static void
summarise(struct hf_rollup *r, GPtrArray *raw, guint first, guint last,
          const char *path, uint64_t hour_s)
{
    struct hour h;
    GError *err = NULL;

    hour_init(&h);
    for (guint i = first; i < last; i++) {
        const struct hf_store_file *f = g_ptr_array_index(raw, i);
        struct hf_ipfix_reader *rd = hf_ipfix_reader_open(f->path, &err);
        hf_flow_record_t rec;
        int rc = rd ? 0 : -1;
        uint64_t n = 0;

        while (rd && (rc = hf_ipfix_reader_next(rd, &rec, &err)) == 1) {
            add_flow(&h, &rec, hour_s);
            n++;
        }
        COUNT(r, flows_read, n);
        if (rc < 0) {
            /* what was readable is summarised; the store's recovery and
             * --stats speak for the file itself */
            COUNT(r, files_unreadable, 1);
            g_warning("roll-up: %s: %s", f->path, err ? err->message : "?");
            g_clear_error(&err);
        }
        hf_ipfix_reader_close(rd);
    }
    if (write_hour(r, &h, path, hour_s, &err)) {
        COUNT(r, hours_written, 1);
    } else {
        COUNT(r, write_errors, 1);
        g_warning("roll-up: %s", err ? err->message : "?");
        g_clear_error(&err);
    }
    hour_clear(&h);
}

static gint
by_source_then_start(gconstpointer a, gconstpointer b)
{
    const struct hf_store_file *x = *(struct hf_store_file *const *)a;
    const struct hf_store_file *y = *(struct hf_store_file *const *)b;
    int c = strcmp(x->source, y->source);

    if (c)
        return c;
    return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

static uint64_t
hour_of(uint64_t s)
{
    return s - s % 3600;
}

static void
expire(struct hf_rollup *r, uint64_t now_ms)
{
    uint64_t keep_s = (uint64_t)r->max_age_days * 86400, now_s = now_ms / 1000;
    GPtrArray *old;

    if (!r->max_age_days || now_s <= keep_s)
        return;
    old = hf_rollup_list(r->store_dir, NULL, 0, (now_s - keep_s) * 1000);
    for (guint i = 0; i < old->len; i++) {
        const struct hf_rollup_file *f = g_ptr_array_index(old, i);
        char *month = g_path_get_dirname(f->path);

        if (unlink(f->path) == 0) {
            COUNT(r, files_expired, 1);
            /* month, year, source: rmdir stops at the first not empty */
            for (int up = 0; up < 3 && rmdir(month) == 0; up++) {
                char *parent = g_path_get_dirname(month);
                g_free(month);
                month = parent;
            }
        } else if (errno != ENOENT) {
            COUNT(r, write_errors, 1);
        }
        g_free(month);
    }
    g_ptr_array_unref(old);
}

/* Temporary files of an interrupted pass (under the lock: none is live). */
static void
remove_stale(const char *path, int depth)
{
    GDir *d = g_dir_open(path, 0, NULL);
    const char *name;

    if (!d)
        return;
    while ((name = g_dir_read_name(d))) {
        char *child = g_build_filename(path, name, NULL);
        struct stat st;

        if (lstat(child, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 3 && name[0] != '.')
                remove_stale(child, depth + 1);
            else if (S_ISREG(st.st_mode) && g_str_has_prefix(name, ".hourly-"))
                unlink(child);
        }
        g_free(child);
    }
    g_dir_close(d);
}

bool
hf_rollup_run(struct hf_rollup *r, uint64_t now_ms, volatile gint *stop)
{
    int lock_fd;
    GPtrArray *raw, *done;
    GHashTable *have;            /* summary path -> its mtime */
    uint64_t now_s = now_ms / 1000;

    if (g_mkdir_with_parents(r->dir, 0755) != 0) {
        COUNT(r, write_errors, 1);
        return false;
    }
    /* a collector's thread and `hostflow-collector --rollup` may meet */
    lock_fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (lock_fd >= 0)
            close(lock_fd);
        return false;
    }
    COUNT(r, passes, 1);
    remove_stale(r->dir, 0);

    raw = hf_store_list(r->store_dir, NULL);
    done = hf_rollup_list(r->store_dir, NULL, 0, UINT64_MAX);
    have = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < done->len; i++) {
        struct hf_rollup_file *f = g_ptr_array_index(done, i);
        g_hash_table_insert(have, f->path, &f->mtime_ns);
    }
    /* runs of one source and hour */
    g_ptr_array_sort(raw, by_source_then_start);
    for (guint i = 0, j; i < raw->len && !(stop && g_atomic_int_get(stop)); i = j) {
        const struct hf_store_file *f = g_ptr_array_index(raw, i);
        uint64_t hour_s = hour_of(f->start_s);
        int64_t newest = f->mtime_ns;

        for (j = i + 1; j < raw->len; j++) {
            const struct hf_store_file *g = g_ptr_array_index(raw, j);
            if (hour_of(g->start_s) != hour_s || strcmp(g->source, f->source) != 0)
                break;
            if (g->mtime_ns > newest)
                newest = g->mtime_ns;
        }
        /* complete once the slot holding the hour's last second has closed */
        uint64_t last = hour_s + 3599;
        uint64_t closes = last - last % r->slot_seconds + r->slot_seconds;
        char *path = summary_path(r->dir, f->source, hour_s);
        int64_t *mt = g_hash_table_lookup(have, path);

        /* (an hour past the summaries' retention would only be removed) */
        bool wanted = !r->max_age_days
            || hour_s + (uint64_t)r->max_age_days * 86400 >= now_s;

        if (wanted && closes <= now_s && (!mt || *mt < newest))
            summarise(r, raw, i, j, path, hour_s);
        g_free(path);
    }
    g_hash_table_unref(have);
    g_ptr_array_unref(done);
    g_ptr_array_unref(raw);
    expire(r, now_ms);
    flock(lock_fd, LOCK_UN);
    close(lock_fd);
    return true;
}

/* ---- the background thread ---------------------------------------------- */

static gpointer
rollup_thread(gpointer data)
{
    struct hf_rollup *r = data;

    /* summaries wait; receiving and storing flows do not */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    g_mutex_lock(&r->lock);
    while (!g_atomic_int_get(&r->stop)) {
        g_mutex_unlock(&r->lock);
        hf_rollup_run(r, hf_wall_ms(), &r->stop);
        g_mutex_lock(&r->lock);
        gint64 until = g_get_monotonic_time() + (gint64)r->interval_s * G_TIME_SPAN_SECOND;
        while (!g_atomic_int_get(&r->stop)
               && g_cond_wait_until(&r->wake, &r->lock, until))
            ;
    }
    g_mutex_unlock(&r->lock);
    return NULL;
}

void
hf_rollup_start(struct hf_rollup *r, uint32_t interval_s)
{
    r->interval_s = interval_s ? interval_s : 60;
    g_atomic_int_set(&r->stop, 0);
    r->thread = g_thread_new("hf-rollup", rollup_thread, r);
}

void
hf_rollup_stop(struct hf_rollup *r)
{
    if (!r->thread)
        return;
    g_mutex_lock(&r->lock);
    g_atomic_int_set(&r->stop, 1);
    g_cond_signal(&r->wake);
    g_mutex_unlock(&r->lock);
    g_thread_join(r->thread);
    r->thread = NULL;
}
