#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

static bool
apply_filter(pcap_t *p, const char *src, const char *filter)
{
    struct bpf_program prog;

    if (!filter || !*filter)
        return true;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        fprintf(stderr, "hostflow-probe: bad filter '%s': %s\n", filter,
                pcap_geterr(p));
        return false;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
        fprintf(stderr, "hostflow-probe: %s: cannot set filter: %s\n", src,
                pcap_geterr(p));
        return false;
    }
    return true;
}

pcap_t *
hf_capture_open_live(const char *iface, int snaplen, bool promisc,
                     const char *filter)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, errbuf);

    if (!p) {
        fprintf(stderr, "hostflow-probe: %s: %s\n", iface, errbuf);
        return NULL;
    }
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc);
    /* packets reach the flow table promptly, and a 64 MiB ring rides out
     * bursts without kernel drops */
    pcap_set_immediate_mode(p, 1);
    pcap_set_buffer_size(p, 64 << 20);
    pcap_set_timeout(p, 250);
    int rc = pcap_activate(p);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                        : rc == PCAP_ERROR_PERM_DENIED ? "permission denied (run as root or give CAP_NET_RAW)"
                        : pcap_geterr(p);
        fprintf(stderr, "hostflow-probe: cannot capture on %s: %s\n", iface, why);
        pcap_close(p);
        return NULL;
    }
    if (rc > 0)
        fprintf(stderr, "hostflow-probe: %s: warning: %s\n", iface, pcap_geterr(p));
    if (pcap_setnonblock(p, 0, errbuf) < 0 || !apply_filter(p, iface, filter)) {
        pcap_close(p);
        return NULL;
    }
    return p;
}

/* libpcap reads a file through stdio, a few fread()s per packet: with the
 * default 4 KiB buffer a third of the probe's time went to read() system
 * calls.  A bigger buffer, set before the first read, cuts their number
 * 16 times (big-200: 0.68 -> 0.51 s CPU; 128 KiB and more cost more
 * system time again, the buffer no longer stays in the cache).  glibc
 * takes the size only with a buffer of ours, which must outlive the
 * stream: kept here until hf_capture_close(). */
#define FILE_READ_BUFFER (64 << 10)
static GHashTable *read_buffers;    /* pcap_t * -> its stdio buffer */

pcap_t *
hf_capture_open_file(const char *path, const char *filter)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    pcap_t *p = NULL;

    if (!fp) {
        snprintf(errbuf, sizeof(errbuf), "%s", strerror(errno));
    } else {
        char *buf = g_malloc(FILE_READ_BUFFER);
        setvbuf(fp, buf, _IOFBF, FILE_READ_BUFFER);
        /* pcap_close() closes fp (not stdin) */
        p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        if (p) {
            if (!read_buffers)
                read_buffers = g_hash_table_new_full(NULL, NULL, NULL, g_free);
            g_hash_table_insert(read_buffers, p, buf);
        } else {
            if (!is_stdin)
                fclose(fp);
            else
                setvbuf(fp, NULL, _IONBF, 0);   /* stdin must not keep buf */
            g_free(buf);
        }
    }
    if (!p) {
        fprintf(stderr, "hostflow-probe: cannot read %s: %s\n", path, errbuf);
        return NULL;
    }
    if (!apply_filter(p, path, filter)) {
        hf_capture_close(p);
        return NULL;
    }
    return p;
}

void
hf_capture_close(pcap_t *p)
{
    char *buf = NULL;

    if (!p)
        return;
    if (read_buffers && g_hash_table_steal_extended(read_buffers, p, NULL, (gpointer *)&buf)
        && pcap_file(p) == stdin)
        setvbuf(stdin, NULL, _IONBF, 0);    /* stdin outlives the capture */
    pcap_close(p);
    g_free(buf);
    if (read_buffers && g_hash_table_size(read_buffers) == 0)
        g_clear_pointer(&read_buffers, g_hash_table_destroy);
}

unsigned long long
hf_capture_drops(pcap_t *p)
{
    struct pcap_stat st;

    if (pcap_stats(p, &st) < 0)
        return 0;
    return (unsigned long long)st.ps_drop + st.ps_ifdrop;
}
