/* The information model: libfixbuf's IANA elements plus hostflow-ie.xml. */
#ifndef HOSTFLOW_INFOMODEL_H
#define HOSTFLOW_INFOMODEL_H

#include <fixbuf/public.h>

/* hostflow's private enterprise number (meson option enterprise_number). */
extern const uint32_t hf_enterprise_number;

/* A new model with every element hostflow uses; NULL and err on failure.
 * Models are made and freed one at a time (libfixbuf shares state between
 * them): free them with hf_infomodel_free, from any thread. */
fbInfoModel_t *hf_infomodel_new(GError **err);
void hf_infomodel_free(fbInfoModel_t *model);

#endif
