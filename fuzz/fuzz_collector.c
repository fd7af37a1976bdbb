/* libFuzzer target: the collector's message decoder (NetFlow v5/v9, IPFIX,
 * sFlow v5).
 * The input is a sequence of messages, each prefixed by a 2-byte length and
 * a 1-byte exporter source-port selector, so templates from one message
 * meet data in the next, across ports of the same exporter.  Inputs of odd
 * length decode into a consumer's slot (hf_decoder_set_slot), handed out
 * full of junk, as the collector's pipeline does into its batches. */
#include <stdint.h>
#include <string.h>

#include "decoder.h"

static void
on_record(void *ctx, const struct hf_exporter_id *exp, const hf_flow_record_t *rec,
          uint64_t arrival_ms)
{
    (void)arrival_ms;
    (void)exp;
    /* touch every string so ASan sees any bad pointer */
    const fbVarfield_t *v[] = { &rec->hostflowHostname, &rec->hostflowDnsName,
        &rec->httpRequestHost, &rec->sslServerNameNtop, &rec->dnsQueryNtop,
        &rec->applicationName };
    size_t *sum = ctx;
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < v[i]->len; j++)
            *sum += v[i]->buf[j];
}

static hf_flow_record_t *
junk_slot(void *ctx)
{
    static hf_flow_record_t slot;

    (void)ctx;
    memset(&slot, 0xa5, sizeof(slot));
    return &slot;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static size_t sum;
    struct hf_decoder_config cfg = { .enterprise_number = 32473,
                                     .pending_max_bytes = 1 << 16 };
    struct hf_decoder *d = hf_decoder_new(&cfg, on_record, &sum);
    if (size % 2)
        hf_decoder_set_slot(d, junk_slot);
    struct hf_exporter_id id;
    uint64_t now = 1700000000000ULL;

    memset(&id, 0, sizeof(id));
    id.addr[10] = id.addr[11] = 0xff;
    id.addr[15] = 1;
    while (size >= 3) {
        size_t len = (size_t)data[0] << 8 | data[1];
        id.port = 1000 + (data[2] & 3);
        data += 3;
        size -= 3;
        if (len > size)
            len = size;
        hf_decoder_feed(d, &id, data, len, now);
        now += 1000;
        data += len;
        size -= len;
    }
    hf_decoder_tick(d, now + 3600 * 1000);
    hf_decoder_free(d);
    return 0;
}
