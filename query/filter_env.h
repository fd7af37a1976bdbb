/* The filter's environment (hf_filter_env) over the names layer: the
 * domain of a record's hostname and the device names of its two sides,
 * as hostflow-report and the probe's --match both see them. */
#ifndef HOSTFLOW_QUERY_FILTER_ENV_H
#define HOSTFLOW_QUERY_FILTER_ENV_H

#include "filter.h"
#include "names.h"

/* Sets env's domain, device and ctx (source stays as it was); names may
 * be NULL (domains are then the last two labels, devices unknown). */
void hf_filter_env_names(struct hf_filter_env *env, const struct hf_names *names);

#endif
