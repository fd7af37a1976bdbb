/* hostflow-probe's command line. */
#ifndef HOSTFLOW_PROBE_OPTIONS_H
#define HOSTFLOW_PROBE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "exporter.h"
#include "flow_names.h"
#include "flow_table.h"

struct hf_probe_options {
    char    *interface;      /* -i: live capture */
    char   **read_files;     /* -r: capture files ("-" = stdin), NULL-ended */
    char    *filter;         /* -f: BPF expression */
    int      snaplen;
    bool     no_promisc;
    char    *user;           /* -u: drop privileges */
    struct hf_export_config export;
    bool     no_export;           /* --events alone: no IPFIX */
    /* live events (--events, --exec, --match) */
    bool     events;
    char    *events_target;       /* NULL/"-" stdout, FILE, unix:PATH */
    char    *events_exec;         /* --exec CMD */
    char    *match;               /* --match EXPR */
    uint32_t event_queue;         /* --event-queue N */
    char   **ethers, **leases;    /* device names for events */
    struct hf_flow_config flow;
    uint32_t max_frags;
    bool     no_names;            /* --no-names: no DNS pairing, no payload */
    struct hf_namer_config names;
    uint32_t stats_interval_s;    /* options record period */
    uint32_t template_interval_s; /* UDP template re-send period */
    int      verbose;
};

/* Parses argv; on a usage error prints it and returns false with *status
 * set (2), on --help/--version returns false with *status 0. */
bool hf_probe_parse_options(int argc, char **argv,
                            struct hf_probe_options *o, int *status);
void hf_probe_options_free(struct hf_probe_options *o);

#endif
