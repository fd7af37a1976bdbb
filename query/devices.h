/* Device names by MAC and IP address, from
 *   - the [devices] group of a key file: "NAME = ADDRESS[;ADDRESS...]",
 *     each address a MAC (00:11:22:33:44:55), an IPv4 or an IPv6 address;
 *   - ethers files (ethers(5): "MAC NAME" lines; a line whose second field
 *     is an IP address names nothing and is skipped);
 *   - DHCP lease files, dnsmasq's ("EXPIRY MAC IP HOSTNAME CLIENT-ID",
 *     hostname "*" = none; its DHCPv6 lines carry an IAID instead of the
 *     MAC) and OpenWrt odhcpd's ("# IFACE DUID IAID HOSTNAME VALID ID
 *     PREFIXLEN ADDR/LEN..." for DHCPv6, "# IFACE MAC ipv4 HOSTNAME VALID
 *     ID 32 ADDR/32" for DHCPv4; hostname "-" = none), told apart per line.
 *
 * Whatever is added later wins: load ethers, then leases (later lines and
 * files win), then the configuration.  Lines that do not parse are skipped
 * and counted, never fatal.  IPv4 addresses are keyed as records store
 * them (host byte order), IPv6 by their 16 bytes, MACs by their 6 bytes.
 * Lookups allocate nothing. */
#ifndef HOSTFLOW_QUERY_DEVICES_H
#define HOSTFLOW_QUERY_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "conf_file.h"

struct hf_devices;

struct hf_devices *hf_devices_new(void);
void hf_devices_free(struct hf_devices *d);

/* Lines skipped as malformed are added to *malformed (may be NULL); false
 * with err set when the file cannot be read.  load_config returns the
 * number of [devices] addresses that are neither a MAC nor an IP. */
bool hf_devices_load_ethers(struct hf_devices *d, const char *path,
                            unsigned *malformed, GError **err);
bool hf_devices_load_leases(struct hf_devices *d, const char *path,
                            unsigned *malformed, GError **err);
unsigned hf_devices_load_config(struct hf_devices *d, GKeyFile *kf);
/* Every [devices] address is a MAC or an IP address; false with err
 * naming file, line and device otherwise. */
bool hf_devices_check_config(const struct hf_conf *cf, GError **err);

/* Text forms, for callers that parse their own sources. */
void hf_devices_parse_ethers(struct hf_devices *d, const char *text,
                             size_t len, unsigned *malformed);
void hf_devices_parse_leases(struct hf_devices *d, const char *text,
                             size_t len, unsigned *malformed);

unsigned hf_devices_macs(const struct hf_devices *d);
unsigned hf_devices_ips(const struct hf_devices *d);

const char *hf_devices_by_mac(const struct hf_devices *d, const uint8_t mac[6]);
const char *hf_devices_by_ipv4(const struct hf_devices *d, uint32_t addr);
const char *hf_devices_by_ipv6(const struct hf_devices *d, const uint8_t addr[16]);

/* "00:11:22:33:44:55", "0:11:22:33:44:55" (ether_ntoa), '-' separators,
 * or 12 hex digits; false for anything else. */
bool hf_parse_mac(const char *s, uint8_t mac[6]);

#endif
