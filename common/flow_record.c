#include "flow_record.h"

/* Field order and sizes mirror hf_flow_record_t exactly. */
fbInfoElementSpec_t hf_flow_spec[] = {
    {"flowStartMilliseconds",    8, 0},
    {"flowEndMilliseconds",      8, 0},
    {"octetDeltaCount",          8, 0},
    {"packetDeltaCount",         8, 0},
    {"deltaFlowCount",           8, HF_TMPL_FLOWS},
    {"sourceIPv6Address",       16, HF_TMPL_V6},
    {"destinationIPv6Address",  16, HF_TMPL_V6},
    {"sourceIPv4Address",        4, HF_TMPL_V4},
    {"destinationIPv4Address",   4, HF_TMPL_V4},
    {"ingressInterface",         4, 0},
    {"egressInterface",          4, 0},
    {"samplingPacketInterval",   4, HF_TMPL_SAMPLED},
    {"sourceTransportPort",      2, 0},
    {"destinationTransportPort", 2, 0},
    {"vlanId",                   2, 0},
    {"icmpTypeCodeIPv4",         2, HF_TMPL_V4},
    {"icmpTypeCodeIPv6",         2, HF_TMPL_V6},
    {"tcpControlBits",           2, 0},
    {"protocolIdentifier",       1, 0},
    {"ipClassOfService",         1, 0},
    {"flowEndReason",            1, 0},
    {"ipVersion",                1, 0},
    {"sourceMacAddress",         6, 0},
    {"destinationMacAddress",    6, 0},
    {"hostflowNameSource",       1, HF_TMPL_NAMESRC},
    {"paddingOctets",            7, HF_TMPL_LAYOUT},
    {"hostflowHostname",         FB_IE_VARLEN, HF_TMPL_NAMES},
    {"hostflowDnsName",          FB_IE_VARLEN, HF_TMPL_NAMES},
    {"httpRequestHost",          FB_IE_VARLEN, HF_TMPL_NAMES},
    {"SSL_SERVER_NAME",          FB_IE_VARLEN, HF_TMPL_NAMES},
    {"DNS_QUERY",                FB_IE_VARLEN, HF_TMPL_NAMES},
    {"applicationName",          FB_IE_VARLEN, HF_TMPL_NAMES},
    FB_IESPEC_NULL
};

fbTemplate_t *
hf_flow_template(fbInfoModel_t *model, uint32_t flags, GError **err)
{
    fbTemplate_t *tmpl = fbTemplateAlloc(model);

    if (!fbTemplateAppendSpecArray(tmpl, hf_flow_spec, flags, err)) {
        fbTemplateFreeUnused(tmpl);
        return NULL;
    }
    return tmpl;
}

const uint32_t hf_flow_variants[HF_FLOW_VARIANTS] = {
    HF_TMPL_V4, HF_TMPL_V6,
    HF_TMPL_V4 | HF_TMPL_NAMES | HF_TMPL_NAMESRC,
    HF_TMPL_V6 | HF_TMPL_NAMES | HF_TMPL_NAMESRC,
    HF_TMPL_V4 | HF_TMPL_SAMPLED, HF_TMPL_V6 | HF_TMPL_SAMPLED,
    HF_TMPL_V4 | HF_TMPL_NAMES | HF_TMPL_NAMESRC | HF_TMPL_SAMPLED,
    HF_TMPL_V6 | HF_TMPL_NAMES | HF_TMPL_NAMESRC | HF_TMPL_SAMPLED,
};

