/* hostflow-probe: capture → decode → flow table → IPFIX. */
#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "proto.h"
#include "clock.h"
#include "events.h"
#include "exporter.h"
#include "flow_fill.h"
#include "flow_names.h"
#include "flow_table.h"
#include "ip_frag.h"
#include "log.h"
#include "options.h"
#include "names.h"
#include "packet.h"

struct probe {
    struct hf_probe_options opt;
    struct hf_exporter *exporter; /* NULL: events only */
    struct hf_events *events;     /* NULL: no --events/--exec */
    struct hf_names *query_names; /* domains and devices for events */
    struct hf_events_stats event_stats;
    struct hf_flow_table *flows;
    struct hf_namer *names;       /* NULL with --no-names */
    struct hf_frag_table *frags;
    pcap_t *pcap;
    int dlt;
    uint32_t ifindex;
    bool live;
    uint64_t packets;
    uint64_t reasons[HF_DECODE_REASON_COUNT];
    uint64_t trunc_transport;
    uint64_t kernel_drops;
    uint64_t start_ms;
    struct hf_export_stats logged;  /* the counters the last info line showed */
    gint64 logged_us;               /* ...and when (monotonic) */
    uint64_t now_us;              /* latest packet time */
    uint64_t next_stats_us, next_tmpl_us;
    uint64_t export_errors;
    uint64_t files_truncated;     /* capture files that ended in an error */
    bool fatal;                   /* output lost (TCP closed, disk full) */
};

static volatile sig_atomic_t stop_requested;
static pcap_t *volatile current_pcap;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (current_pcap)
        pcap_breakloop(current_pcap);
}

static void
note_export_error(struct probe *pr, GError *err)
{
    /* UDP: a collector not listening yet is routine; keep metering.
     * TCP and files: the output is gone, stop with an error. */
    if (pr->opt.export.kind == HF_EXPORT_UDP) {
        if (pr->export_errors++ == 0)
            hf_log(HF_LOG_WARNING, "export to %s:%s failed: %s (counting further failures)",
                   pr->opt.export.host, pr->opt.export.port, err ? err->message : "?");
    } else if (!pr->fatal) {
        hf_log(HF_LOG_ERROR, "export failed: %s", err ? err->message : "?");
        pr->fatal = true;
        stop_requested = 1;
    }
    g_clear_error(&err);
}

static void
emit_flow(const struct hf_flow *f, uint8_t reason, void *ctx)
{
    struct probe *pr = ctx;
    hf_flow_record_t rec;
    GError *err = NULL;

    hf_flow_fill_record(f, reason, pr->names != NULL, &rec);
    if (pr->exporter && !hf_exporter_add(pr->exporter, &rec, &err))
        note_export_error(pr, err);
    if (pr->events)
        hf_events_end(pr->events, f, &rec);
}

static void
release_flow(struct hf_flow *f, void *ctx)
{
    struct probe *pr = ctx;

    if (pr->names)
        hf_namer_release(pr->names, f);
}

static void
send_stats(struct probe *pr)
{
    struct hf_flow_stats fs = hf_flow_table_stats(pr->flows);
    struct hf_export_stats st = {
        .start_ms = pr->start_ms,
        .packets_seen = pr->packets,
        .kernel_drops = pr->kernel_drops,
        .flows_exported = fs.exported,
        .flows_evicted = fs.evicted,
        .event_drops = pr->events ? hf_events_dropped(pr->events) : pr->event_stats.queue_drops
                                                                    + pr->event_stats.sink.lost,
    };
    GError *err = NULL;

    for (int r = 1; r < HF_DECODE_REASON_COUNT; r++) {
        st.ignored += pr->reasons[r];
        if (r != HF_DECODE_NOT_IP)
            st.malformed += pr->reasons[r];
    }
    if (pr->exporter && !hf_exporter_add_stats(pr->exporter, &st, &err))
        note_export_error(pr, err);
    if (pr->live) {
        /* what the interval did, in the journal (the same counters as the
         * statistics record, as differences) */
        struct hf_export_stats *l = &pr->logged;
        gint64 now = g_get_monotonic_time();
        double secs = pr->logged_us ? (double)(now - pr->logged_us) / 1e6
                                    : (double)pr->opt.stats_interval_s;
        hf_log(HF_LOG_INFO, "last %.0f s: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
               " flows exported, %" G_GUINT64_FORMAT " evicted; %" G_GUINT64_FORMAT
               " kernel drops, %" G_GUINT64_FORMAT " not IP or malformed, %" G_GUINT64_FORMAT
               " events dropped", secs, st.packets_seen - l->packets_seen,
               st.flows_exported - l->flows_exported, st.flows_evicted - l->flows_evicted,
               st.kernel_drops - l->kernel_drops, st.ignored - l->ignored,
               st.event_drops - l->event_drops);
        *l = st;
        pr->logged_us = now;
    }
}

/* Statistics and (UDP) template re-sends, on packet time offline and on the
 * clock live, so a file gives the same output every run. */
static void
periodic(struct probe *pr, uint64_t now_us)
{
    GError *err = NULL;

    if (pr->next_stats_us == 0) {
        pr->next_stats_us = now_us + (uint64_t)pr->opt.stats_interval_s * 1000000;
        pr->next_tmpl_us = now_us + (uint64_t)pr->opt.template_interval_s * 1000000;
    }
    if (now_us >= pr->next_stats_us) {
        if (pr->live)
            pr->kernel_drops = hf_capture_drops(pr->pcap);
        send_stats(pr);
        pr->next_stats_us = now_us + (uint64_t)pr->opt.stats_interval_s * 1000000;
    }
    if (now_us >= pr->next_tmpl_us) {
        if (pr->exporter && pr->opt.export.kind == HF_EXPORT_UDP
            && !hf_exporter_send_templates(pr->exporter, &err))
            note_export_error(pr, err);
        pr->next_tmpl_us = now_us + (uint64_t)pr->opt.template_interval_s * 1000000;
    }
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct probe *pr = (struct probe *)user;
    struct hf_packet pkt;

    pr->packets++;
    pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
    pkt.caplen = h->caplen;
    pkt.wirelen = h->len;
    enum hf_decode_result r = hf_decode_packet(pr->dlt, bytes, h->caplen, &pkt);
    if (r != HF_DECODE_OK) {
        pr->reasons[r]++;
        return;
    }
    pr->reasons[HF_DECODE_OK]++;
    if (pkt.transport_truncated)
        pr->trunc_transport++;
    if (pkt.is_fragment)
        hf_frag_update(pr->frags, &pkt);
    if (pkt.ts_us > pr->now_us) {
        /* offline, messages carry packet time so a file always gives the
         * same output; the clock only matters once a second */
        if (!pr->live && pkt.ts_us / 1000000 != pr->now_us / 1000000) {
            if (pr->exporter)
                hf_exporter_set_time(pr->exporter, (uint32_t)(pkt.ts_us / 1000000));
            periodic(pr, pkt.ts_us);
        }
        pr->now_us = pkt.ts_us;
    }
    bool created;
    struct hf_flow *f = hf_flow_table_add(pr->flows, &pkt, pr->ifindex, &created);
    if (pr->names)
        hf_namer_packet(pr->names, f, created, &pkt, pr->ifindex);
    if (pr->events)
        hf_events_packet(pr->events, f, created, &pkt);
}

/* Runs one source to its end (file) or to a stop request (live). */
static int
run_source(struct probe *pr, pcap_t *p)
{
    pr->pcap = p;
    pr->dlt = pcap_datalink(p);
    if (!hf_decode_link_supported(pr->dlt))
        hf_log(HF_LOG_WARNING, "link type %s (%d) is not decoded; its packets are counted as "
               "unknown_link", pcap_datalink_val_to_name(pr->dlt)
               ? pcap_datalink_val_to_name(pr->dlt) : "?", pr->dlt);
    current_pcap = p;
    int rc = 0;
    while (!stop_requested) {
        rc = pcap_dispatch(p, pr->live ? -1 : 4096, on_packet, (u_char *)pr);
        if (pr->events)
            hf_events_publish(pr->events);     /* the batch's events to the writer */
        if (rc == PCAP_ERROR && !pr->live) {
            /* a cut or corrupt file ends its input; what came before counts */
            hf_log(HF_LOG_WARNING, "%s; flows up to here are exported", pcap_geterr(p));
            pr->files_truncated++;
            rc = 0;
            break;
        }
        if (rc == PCAP_ERROR) {
            hf_log(HF_LOG_ERROR, "capture error: %s", pcap_geterr(p));
            break;
        }
        if (!pr->live) {
            if (rc == 0)
                break;      /* end of file */
            continue;
        }
        uint64_t now = hf_wall_us();
        hf_flow_table_expire(pr->flows, now);
        if (pr->events)
            hf_events_publish(pr->events);     /* the flows it ended */
        periodic(pr, now);
        GError *err = NULL;
        if (pr->exporter && !hf_exporter_flush(pr->exporter, &err))
            note_export_error(pr, err);
    }
    current_pcap = NULL;
    if (pr->live)
        pr->kernel_drops = hf_capture_drops(p);
    return rc == PCAP_ERROR ? -1 : 0;
}

/* Events: the names layer for domains and devices, then the writer. */
static bool
open_events(struct probe *pr)
{
    GError *err = NULL;
    struct hf_names_config nc = {
        .ethers = (const char *const *)pr->opt.ethers,
        .leases = (const char *const *)pr->opt.leases,
        /* domains only for --match; lines name devices alone */
        .devices_only = !pr->opt.match,
    };

    pr->query_names = hf_names_load(&nc, &err);
    if (!pr->query_names) {
        hf_log(HF_LOG_ERROR, "device and domain names: %s", err->message);
        g_clear_error(&err);
        return false;
    }
    struct hf_events_config ec = {
        .sink = { .target = pr->opt.events_target, .exec_cmd = pr->opt.events_exec },
        .queue_size = pr->opt.event_queue, .match = pr->opt.match,
        .with_names = pr->names != NULL, .names = pr->query_names,
    };
    pr->events = hf_events_open(&ec, pr->flows, &err);
    if (!pr->events) {
        hf_log(HF_LOG_ERROR, "events: %s", err->message);
        g_clear_error(&err);
        hf_names_free(pr->query_names);
        pr->query_names = NULL;
        return false;
    }
    return true;
}

static bool
drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);

    if (!pw) {
        hf_log(HF_LOG_ERROR, "no such user: %s", user);
        return false;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
        || setuid(pw->pw_uid) < 0) {
        hf_log(HF_LOG_ERROR, "cannot become %s: %s", user, strerror(errno));
        return false;
    }
    return true;
}

static void
print_counters(const struct probe *pr)
{
    struct hf_flow_stats fs = hf_flow_table_stats(pr->flows);
    struct hf_frag_stats gs = hf_frag_stats(pr->frags);
    uint64_t skipped = 0;

    for (int r = 1; r < HF_DECODE_REASON_COUNT; r++)
        skipped += pr->reasons[r];
    fprintf(stderr, "packets %" G_GUINT64_FORMAT " ip %" G_GUINT64_FORMAT
            " skipped %" G_GUINT64_FORMAT " kernel_drops %" G_GUINT64_FORMAT
            " flows %" G_GUINT64_FORMAT " records %" G_GUINT64_FORMAT
            " evicted %" G_GUINT64_FORMAT " peak_flows %" G_GUINT64_FORMAT
            " export_errors %" G_GUINT64_FORMAT " files_truncated %" G_GUINT64_FORMAT "\n",
            pr->packets, pr->reasons[HF_DECODE_OK], skipped, pr->kernel_drops,
            fs.created, fs.exported, fs.evicted, fs.peak, pr->export_errors,
            pr->files_truncated);
    if (pr->opt.events) {
        const struct hf_events_stats *es = &pr->event_stats;
        fprintf(stderr, "events %" G_GUINT64_FORMAT " delivered %" G_GUINT64_FORMAT
                " queue_drops %" G_GUINT64_FORMAT " write_lost %" G_GUINT64_FORMAT
                " consumer_restarts %" G_GUINT64_FORMAT " kernel_drops %" G_GUINT64_FORMAT
                " parse_errors %" G_GUINT64_FORMAT "\n",
                es->events, es->sink.delivered, es->queue_drops, es->sink.lost,
                es->sink.restarts, pr->kernel_drops, skipped - pr->reasons[HF_DECODE_NOT_IP]);
    }
    if (pr->names) {
        struct hf_namer_stats ns = hf_namer_stats(pr->names);
        fprintf(stderr, "names dns_responses %" G_GUINT64_FORMAT " dns_addresses %" G_GUINT64_FORMAT
                " named_dns %" G_GUINT64_FORMAT " named_app %" G_GUINT64_FORMAT
                " cache_entries %" G_GUINT64_FORMAT " cache_bytes %" G_GUINT64_FORMAT
                " cache_evictions %" G_GUINT64_FORMAT " buffers_refused %" G_GUINT64_FORMAT "\n",
                ns.dns_responses, ns.dns_addresses, ns.named_dns, ns.named_app,
                ns.cache.entries, ns.cache.bytes, ns.cache.evictions, ns.buffers_refused);
    }
    if (pr->opt.verbose < 2)
        return;
    for (int r = 1; r < HF_DECODE_REASON_COUNT; r++)
        if (pr->reasons[r])
            fprintf(stderr, "  skipped %-16s %" G_GUINT64_FORMAT "\n",
                    hf_decode_name(r), pr->reasons[r]);
    fprintf(stderr, "  trunc_transport  %" G_GUINT64_FORMAT "\n", pr->trunc_transport);
    fprintf(stderr, "  fragments first %" G_GUINT64_FORMAT " resolved %" G_GUINT64_FORMAT
            " unresolved %" G_GUINT64_FORMAT " evicted %" G_GUINT64_FORMAT "\n",
            gs.first_seen, gs.resolved, gs.unresolved, gs.evicted);
}

int
main(int argc, char **argv)
{
    struct probe pr;
    int status = 0;
    GError *err = NULL;

    memset(&pr, 0, sizeof(pr));
    if (!hf_probe_parse_options(argc, argv, &pr.opt, &status)) {
        hf_probe_options_free(&pr.opt);     /* --check-config, --version, errors */
        return status;
    }

    /* open the capture first: a wrong interface or file is the likely error */
    pcap_t *first = NULL;
    pr.live = pr.opt.interface != NULL;
    if (pr.live) {
        first = hf_capture_open_live(pr.opt.interface, pr.opt.snaplen,
                                     !pr.opt.no_promisc, pr.opt.filter);
        pr.ifindex = if_nametoindex(pr.opt.interface);
    } else {
        first = hf_capture_open_file(pr.opt.read_files[0], pr.opt.filter);
    }
    if (!first) {
        hf_probe_options_free(&pr.opt);
        return 1;
    }

    if (!pr.opt.no_export)
        pr.exporter = hf_exporter_open(&pr.opt.export, &err);
    if (!pr.exporter && !pr.opt.no_export) {
        hf_log(HF_LOG_ERROR, "cannot open the export: %s", err ? err->message : "?");
        g_clear_error(&err);
        hf_capture_close(first);
        hf_probe_options_free(&pr.opt);
        return 1;
    }
    if (pr.opt.user && !drop_privileges(pr.opt.user)) {
        hf_capture_close(first);
        hf_exporter_close(pr.exporter, NULL);
        hf_probe_options_free(&pr.opt);
        return 1;
    }

    pr.flows = hf_flow_table_new(&pr.opt.flow, emit_flow, release_flow, &pr);
    if (!pr.opt.no_names)
        pr.names = hf_namer_new(&pr.opt.names, pr.flows);
    if (pr.opt.events && !open_events(&pr)) {
        hf_capture_close(first);
        hf_exporter_close(pr.exporter, NULL);
        hf_flow_table_free(pr.flows);
        hf_namer_free(pr.names);
        hf_probe_options_free(&pr.opt);
        return 1;
    }
    pr.frags = hf_frag_new(pr.opt.max_frags, pr.opt.flow.idle_us);
    pr.start_ms = hf_wall_ms();

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 0;
    if (run_source(&pr, first) < 0)
        rc = 1;
    hf_capture_close(first);
    for (int i = 1; !pr.live && pr.opt.read_files[i] && !stop_requested; i++) {
        pcap_t *p = hf_capture_open_file(pr.opt.read_files[i], pr.opt.filter);
        if (!p) {
            rc = 1;
            continue;
        }
        if (run_source(&pr, p) < 0)
            rc = 1;
        hf_capture_close(p);
    }

    /* end of input or a signal: everything still open is reported */
    hf_flow_table_flush(pr.flows, HF_END_FORCED);
    if (pr.events) {
        /* the last statistics record counts the drops of the final drain */
        hf_events_close(pr.events, &pr.event_stats);
        pr.events = NULL;
    }
    send_stats(&pr);
    hf_names_free(pr.query_names);
    if (!hf_exporter_close(pr.exporter, &err)) {
        note_export_error(&pr, err);
        err = NULL;
    }
    if (pr.opt.verbose)
        print_counters(&pr);
    hf_flow_table_free(pr.flows);
    hf_namer_free(pr.names);
    hf_frag_free(pr.frags);
    hf_probe_options_free(&pr.opt);
    return pr.fatal ? 1 : rc;
}
