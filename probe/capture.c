#include "capture.h"

#include <stdio.h>
#include <string.h>

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

pcap_t *
hf_capture_open_file(const char *path, const char *filter)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path,
                    PCAP_TSTAMP_PRECISION_MICRO, errbuf);

    if (!p) {
        fprintf(stderr, "hostflow-probe: cannot read %s: %s\n", path, errbuf);
        return NULL;
    }
    if (!apply_filter(p, path, filter)) {
        pcap_close(p);
        return NULL;
    }
    return p;
}

unsigned long long
hf_capture_drops(pcap_t *p)
{
    struct pcap_stat st;

    if (pcap_stats(p, &st) < 0)
        return 0;
    return (unsigned long long)st.ps_drop + st.ps_ifdrop;
}
