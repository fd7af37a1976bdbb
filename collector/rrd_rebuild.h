/* hostflow-collector --rebuild-rrd PROFILE: a profile's RRD files redrawn
 * from the stored flows (rrd_series.h). */
#ifndef HOSTFLOW_RRD_REBUILD_H
#define HOSTFLOW_RRD_REBUILD_H

#include "config.h"

/* Reads every slot file of the store with the query engine's reader, each
 * record counted in the slot of its file (its arrival slot), and writes
 * the profile's files into a fresh directory, then put in place of
 * STORE/.rrd/PROFILE.  A source gets a value for each slot it has a file
 * of (zero when none of its records match), _total for each slot any
 * source has; other slots are unknown.  Progress on stderr.  Exit code:
 * 0, 1 (write errors), 2 (no such profile). */
int hf_rrd_rebuild(const struct hf_collector_config *c, const char *profile);

#endif
