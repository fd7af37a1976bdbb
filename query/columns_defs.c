/* Which field of hf_flow_record_t each column holds (columns_format.h). */
#include "columns.h"
#include "columns_format.h"

#include <string.h>
#include "store.h"

#define INT(field, group) \
    { HF_COL_INT, sizeof(((hf_flow_record_t *)0)->field), offsetof(hf_flow_record_t, field), group }
#define RAW(field, group) \
    { HF_COL_RAW, sizeof(((hf_flow_record_t *)0)->field), offsetof(hf_flow_record_t, field), group }
#define DICT(field) \
    { HF_COL_DICT, 0, offsetof(hf_flow_record_t, field), HF_COLS_NAMES }

const struct hf_col_def hf_col_defs[HF_C_COUNT] = {
    [HF_C_START]     = INT(flowStartMilliseconds, HF_COLS_TIME),
    [HF_C_END]       = INT(flowEndMilliseconds, HF_COLS_TIME),
    [HF_C_OCTETS]    = INT(octetDeltaCount, HF_COLS_COUNT),
    [HF_C_PACKETS]   = INT(packetDeltaCount, HF_COLS_COUNT),
    [HF_C_FLOWS]     = INT(deltaFlowCount, HF_COLS_COUNT),
    [HF_C_SAMPLING]  = INT(samplingPacketInterval, HF_COLS_COUNT),
    [HF_C_IPVER]     = INT(ipVersion, HF_COLS_PROTO),
    [HF_C_PROTO]     = INT(protocolIdentifier, HF_COLS_PROTO),
    [HF_C_SRC4]      = INT(sourceIPv4Address, HF_COLS_SRC),
    [HF_C_DST4]      = INT(destinationIPv4Address, HF_COLS_DST),
    [HF_C_SRC6]      = RAW(sourceIPv6Address, HF_COLS_SRC),
    [HF_C_DST6]      = RAW(destinationIPv6Address, HF_COLS_DST),
    [HF_C_SPORT]     = INT(sourceTransportPort, HF_COLS_PORT),
    [HF_C_DPORT]     = INT(destinationTransportPort, HF_COLS_PORT),
    [HF_C_ICMP4]     = INT(icmpTypeCodeIPv4, HF_COLS_PORT),
    [HF_C_ICMP6]     = INT(icmpTypeCodeIPv6, HF_COLS_PORT),
    [HF_C_IN_IF]     = INT(ingressInterface, HF_COLS_IF),
    [HF_C_OUT_IF]    = INT(egressInterface, HF_COLS_IF),
    [HF_C_TCPFLAGS]  = INT(tcpControlBits, HF_COLS_MISC),
    [HF_C_TOS]       = INT(ipClassOfService, HF_COLS_MISC),
    [HF_C_VLAN]      = INT(vlanId, HF_COLS_MISC),
    [HF_C_ENDREASON] = INT(flowEndReason, HF_COLS_MISC),
    [HF_C_SRCMAC]    = RAW(sourceMacAddress, HF_COLS_MAC),
    [HF_C_DSTMAC]    = RAW(destinationMacAddress, HF_COLS_MAC),
    [HF_C_NAMESRC]   = INT(hostflowNameSource, HF_COLS_NAMES),
    [HF_C_HOSTNAME]  = DICT(hostflowHostname),
    [HF_C_DNSNAME]   = DICT(hostflowDnsName),
    [HF_C_HTTPHOST]  = DICT(httpRequestHost),
    [HF_C_SNI]       = DICT(sslServerNameNtop),
    [HF_C_DNSQUERY]  = DICT(dnsQueryNtop),
    [HF_C_APPNAME]   = DICT(applicationName),
};

char *
hf_columns_path(const char *ipfix_path)
{
    return hf_store_side_path(ipfix_path, HF_STORE_COLUMNS_EXT);
}
