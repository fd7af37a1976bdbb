#include "infomodel.h"
#include "hf_config.h"

extern const char hf_ie_xml[];
extern const size_t hf_ie_xml_len;

const uint32_t hf_enterprise_number = HF_ENTERPRISE_NUMBER;

/* libfixbuf's XML reader keeps state of its own across models: two
 * threads reading the model at once (the collector's store and its
 * columns thread) corrupted its heap under ASan.  One at a time. */
static GMutex model_lock;

fbInfoModel_t *
hf_infomodel_new(GError **err)
{
    g_mutex_lock(&model_lock);
    fbInfoModel_t *model = fbInfoModelAlloc();

    if (!fbInfoModelReadXMLData(model, hf_ie_xml, (gssize)hf_ie_xml_len, err)) {
        fbInfoModelFree(model);
        model = NULL;
    }
    g_mutex_unlock(&model_lock);
    return model;
}

void
hf_infomodel_free(fbInfoModel_t *model)
{
    if (!model)
        return;
    g_mutex_lock(&model_lock);
    fbInfoModelFree(model);
    g_mutex_unlock(&model_lock);
}
