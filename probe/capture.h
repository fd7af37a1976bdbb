/* Opening libpcap sources: a live interface or a capture file. */
#ifndef HOSTFLOW_CAPTURE_H
#define HOSTFLOW_CAPTURE_H

#include <pcap/pcap.h>
#include <stdbool.h>

/* Both return NULL and print why (missing interface, permission, unreadable
 * file, bad filter) on failure. */
pcap_t *hf_capture_open_live(const char *iface, int snaplen, bool promisc,
                             const char *filter);
pcap_t *hf_capture_open_file(const char *path, const char *filter);

/* Closes either kind (and frees a file's read buffer). */
void hf_capture_close(pcap_t *p);

/* Kernel + interface drops so far (live capture; 0 for files). */
unsigned long long hf_capture_drops(pcap_t *p);

#endif
