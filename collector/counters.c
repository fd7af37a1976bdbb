/* Counters: the names of malformations, summing sessions' counters, and
 * exporters as text for log lines. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decoder_int.h"

static const char *malformed_names[HF_BAD_COUNT] = {
    "short", "version", "length", "set", "template", "record",
    "template_mismatch", "field",
};

const char *
hf_malformed_name(enum hf_malformed m)
{
    return m < HF_BAD_COUNT ? malformed_names[m] : "?";
}

void
hf_exporter_addr_str(const uint8_t addr[16], char *buf, size_t len)
{
    static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

    if (memcmp(addr, mapped, 12) == 0)
        inet_ntop(AF_INET, addr + 12, buf, len);
    else
        inet_ntop(AF_INET6, addr, buf, len);
}

void
hf_session_str(const struct hf_exporter_id *id, char *buf, size_t len)
{
    char addr[64];

    hf_exporter_addr_str(id->addr, addr, sizeof(addr));
    snprintf(buf, len, "%s port %u domain %u", addr, id->port, id->domain);
}

void
hf_exporter_stats_add(struct hf_exporter_stats *t, const struct hf_exporter_stats *s)
{
    t->messages += s->messages;
    t->records += s->records;
    t->options_records += s->options_records;
    t->templates += s->templates;
    t->template_withdrawals += s->template_withdrawals;
    t->sequence_lost += s->sequence_lost;
    t->sequence_reorder += s->sequence_reorder;
    t->pending_decoded += s->pending_decoded;
    t->pending_dropped += s->pending_dropped;
    t->pending_refused += s->pending_refused;
    t->templates_refused += s->templates_refused;
    for (int i = 0; i < HF_BAD_COUNT; i++)
        t->malformed[i] += s->malformed[i];
}
