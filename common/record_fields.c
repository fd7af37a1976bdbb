#include "record_fields.h"

#include <string.h>
#include "proto.h"

/* An IPv4 address's 4 bytes (network order) as a host-order number. */
static uint32_t
ipv4_of(const uint8_t a[16])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

void
hf_record_set_addresses(hf_flow_record_t *r, uint8_t ip_version,
                        const uint8_t src[16], const uint8_t dst[16])
{
    r->ipVersion = ip_version;
    if (ip_version == 6) {
        memcpy(r->sourceIPv6Address, src, 16);
        memcpy(r->destinationIPv6Address, dst, 16);
    } else {
        r->sourceIPv4Address = ipv4_of(src);
        r->destinationIPv4Address = ipv4_of(dst);
    }
}

void
hf_record_set_icmp_type_code(hf_flow_record_t *r, uint8_t proto,
                             uint16_t type_code)
{
    if (proto == HF_PROTO_ICMP)
        r->icmpTypeCodeIPv4 = type_code;
    else if (proto == HF_PROTO_ICMPV6)
        r->icmpTypeCodeIPv6 = type_code;
}
