#include "infomodel.h"
#include "hf_config.h"

extern const char hf_ie_xml[];
extern const size_t hf_ie_xml_len;

const uint32_t hf_enterprise_number = HF_ENTERPRISE_NUMBER;

fbInfoModel_t *
hf_infomodel_new(GError **err)
{
    fbInfoModel_t *model = fbInfoModelAlloc();

    if (!fbInfoModelReadXMLData(model, hf_ie_xml, (gssize)hf_ie_xml_len, err)) {
        fbInfoModelFree(model);
        return NULL;
    }
    return model;
}
