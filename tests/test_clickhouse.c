/* The ClickHouse sink's parts that need no server: the RowBinary encoder
 * (read back here by a small decoder that follows the column types), the
 * spool's order and bounds across a reopen, and the schema's version
 * rules.  collector_clickhouse.py runs the whole sink against real
 * servers. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "check.h"
#include "clickhouse_config.h"
#include "clickhouse_rowbinary.h"
#include "clickhouse_schema.h"
#include "clickhouse_spool.h"

/* One column's value as read back: an integer, or bytes. */
struct value {
    uint64_t u;
    const uint8_t *bytes;
    size_t len;
};

struct reader {
    const uint8_t *p, *end;
    bool ok;
};

static uint64_t
read_le(struct reader *r, unsigned size)
{
    uint64_t v = 0;
    if ((size_t)(r->end - r->p) < size) {
        r->ok = false;
        return 0;
    }
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += size;
    return v;
}

static void
read_bytes(struct reader *r, size_t len, struct value *v)
{
    if ((size_t)(r->end - r->p) < len) {
        r->ok = false;
        return;
    }
    v->bytes = r->p;
    v->len = len;
    r->p += len;
}

/* Decodes one row by the column table's types: the encoder and the
 * table must agree, which is what the INSERT's column list promises. */
static bool
decode_row(struct reader *r, struct value *out)
{
    for (unsigned i = 0; i < hf_ch_ncolumns && r->ok; i++) {
        const char *t = hf_ch_columns[i].type;
        struct value *v = &out[i];
        memset(v, 0, sizeof(*v));
        if (strcmp(t, "String") == 0) {
            uint64_t len = 0;
            for (unsigned shift = 0; r->ok; shift += 7) {
                uint64_t b = read_le(r, 1);
                len |= (b & 0x7f) << shift;
                if (!(b & 0x80))
                    break;
            }
            read_bytes(r, len, v);
        } else if (strcmp(t, "FixedString(16)") == 0) {
            read_bytes(r, 16, v);
        } else if (strcmp(t, "Date") == 0 || strcmp(t, "UInt16") == 0) {
            v->u = read_le(r, 2);
        } else if (strcmp(t, "DateTime") == 0 || strcmp(t, "UInt32") == 0) {
            v->u = read_le(r, 4);
        } else if (strcmp(t, "UInt8") == 0) {
            v->u = read_le(r, 1);
        } else if (strcmp(t, "UInt64") == 0) {
            v->u = read_le(r, 8);
        } else {
            CHECK(false, "column %s: type %s unknown to the test", hf_ch_columns[i].name, t);
            return false;
        }
    }
    return r->ok;
}

static const struct value *
col(const struct value *row, const char *name)
{
    for (unsigned i = 0; i < hf_ch_ncolumns; i++)
        if (strcmp(hf_ch_columns[i].name, name) == 0)
            return &row[i];
    CHECK(false, "no column %s", name);
    static const struct value none;
    return &none;
}

static bool
text_is(const struct value *v, const void *s, size_t len)
{
    return v->len == len && (len == 0 || memcmp(v->bytes, s, len) == 0);
}

static void
set_name(fbVarfield_t *f, const char *s)
{
    f->buf = (uint8_t *)s;
    f->len = strlen(s);
}

static void
test_rowbinary(void)
{
    hf_flow_record_t v4 = {0}, v6 = {0};
    char *longname = g_strnfill(30000, 'n');   /* a 3-byte LEB128 length */
    static const char sql[] = "'); DROP TABLE flows; --.example";

    v4.flowStartMilliseconds = UINT64_C(1700000000123);
    v4.flowEndMilliseconds = UINT64_C(1700086400999);   /* the next day */
    v4.octetDeltaCount = UINT64_C(5000000000);
    v4.packetDeltaCount = 7;
    v4.sourceIPv4Address = 0xc0000201;                  /* 192.0.2.1 */
    v4.destinationIPv4Address = 0x0a000001;
    v4.ipVersion = 4;
    v4.sourceTransportPort = 40001;
    v4.destinationTransportPort = 443;
    v4.protocolIdentifier = 6;
    v4.tcpControlBits = 0x1b;
    v4.samplingPacketInterval = 0;                      /* unsampled: 1 */
    v4.ingressInterface = 3;
    v4.egressInterface = 70000;
    v4.vlanId = 4094;
    memcpy(v4.sourceMacAddress, "\x02\x00\x00\x00\x07\x10", 6);
    v4.hostflowNameSource = 2;
    set_name(&v4.hostflowHostname, sql);
    set_name(&v4.applicationName, "tls");

    v6 = v4;
    v6.ipVersion = 0;                                   /* v9 exports may omit it */
    v6.sourceIPv4Address = v6.destinationIPv4Address = 0;
    memcpy(v6.sourceIPv6Address, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    v6.samplingPacketInterval = 100;
    v6.deltaFlowCount = 12;
    set_name(&v6.hostflowHostname, longname);
    set_name(&v6.applicationName, "");

    GByteArray *out = g_byte_array_new();
    hf_ch_encode_row(out, &v4, "router-1", "collector-a");
    guint first_len = out->len;
    hf_ch_encode_row(out, &v6, "exp-2001:db8::1", "collector-a");

    struct value row[64];
    struct reader r = { out->data, out->data + out->len, true };
    CHECK(hf_ch_ncolumns <= G_N_ELEMENTS(row), "%u columns", hf_ch_ncolumns);
    CHECK(decode_row(&r, row), "the IPv4 row decodes");
    CHECK(r.p == out->data + first_len, "the IPv4 row is %u bytes, decoded %td",
          first_len, r.p - out->data);
    CHECK(col(row, "date")->u == 1700086400 / 86400, "date: days of the flow's end");
    CHECK(col(row, "time_end")->u == 1700086400, "time_end: seconds");
    CHECK(col(row, "start_ms")->u == v4.flowStartMilliseconds, "start_ms");
    CHECK(col(row, "end_ms")->u == v4.flowEndMilliseconds, "end_ms");
    CHECK(text_is(col(row, "collector"), "collector-a", 11), "collector");
    CHECK(text_is(col(row, "source"), "router-1", 8), "source");
    CHECK(col(row, "ip_version")->u == 4, "ip_version 4");
    CHECK(text_is(col(row, "src_addr"), "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", 16),
          "src_addr: ::ffff:192.0.2.1");
    CHECK(text_is(col(row, "dst_addr"), "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x00\x00\x01", 16),
          "dst_addr: ::ffff:10.0.0.1");
    CHECK(col(row, "src_port")->u == 40001 && col(row, "dst_port")->u == 443, "ports");
    CHECK(col(row, "proto")->u == 6 && col(row, "tcp_flags")->u == 0x1b, "proto, flags");
    CHECK(col(row, "bytes")->u == UINT64_C(5000000000) && col(row, "packets")->u == 7,
          "counters past 32 bits");
    CHECK(col(row, "flows")->u == 1 && col(row, "sampling")->u == 1, "one flow, unsampled");
    CHECK(col(row, "in_if")->u == 3 && col(row, "out_if")->u == 70000, "interfaces");
    CHECK(col(row, "src_mac")->u == UINT64_C(0x020000000710), "src_mac as MACNumToString reads it");
    CHECK(col(row, "vlan")->u == 4094, "vlan");
    CHECK(col(row, "name_source")->u == 2, "name_source");
    CHECK(text_is(col(row, "hostname"), sql, strlen(sql)), "the SQL hostname, byte for byte");
    CHECK(text_is(col(row, "app"), "tls", 3), "app");
    CHECK(col(row, "dns_name")->len == 0 && col(row, "sni")->len == 0, "absent names: empty");

    CHECK(decode_row(&r, row), "the IPv6 row decodes");
    CHECK(r.p == r.end, "two rows, nothing after: %td bytes left", r.end - r.p);
    CHECK(col(row, "ip_version")->u == 6, "no ipVersion and IPv6 addresses: 6");
    CHECK(text_is(col(row, "src_addr"), v6.sourceIPv6Address, 16), "src_addr IPv6 as is");
    CHECK(text_is(col(row, "hostname"), longname, 30000), "a 30000-byte name");
    CHECK(col(row, "sampling")->u == 100 && col(row, "flows")->u == 12, "sampling, flows");
    CHECK(col(row, "app")->len == 0, "an empty name");

    char *list = hf_ch_column_list();
    CHECK(g_str_has_prefix(list, "(date, time_end, ") && g_str_has_suffix(list, ", app)"),
          "the INSERT's column list: %s", list);
    g_free(list);
    g_byte_array_free(out, TRUE);
    g_free(longname);
}

static struct hf_ch_block *
block_of(const char *source, unsigned records, uint8_t fill)
{
    struct hf_ch_block *b = hf_ch_block_new();
    uint8_t bytes[100];

    memset(bytes, fill, sizeof(bytes));
    for (unsigned i = 0; i < records; i++) {
        g_byte_array_append(b->rows, bytes, sizeof(bytes));
        hf_ch_block_count(b, g_intern_string(source));
    }
    b->first_ms = 1000 + fill;
    return b;
}

static void
test_spool(void)
{
    char *dir = g_dir_make_tmp("hf-spool-XXXXXX", NULL);
    struct hf_ch_spool *s = hf_ch_spool_open(dir, 1000, NULL);
    struct hf_ch_block *b;

    CHECK(s && hf_ch_spool_empty(s), "a new spool is empty");
    b = block_of("a", 3, 1);
    CHECK(hf_ch_spool_put(s, b, false), "300 bytes fit in 1000");
    hf_ch_block_free(b);
    b = block_of("b", 4, 2);
    CHECK(hf_ch_spool_put(s, b, false), "700 bytes fit in 1000");
    hf_ch_block_free(b);
    b = block_of("c", 4, 3);
    CHECK(!hf_ch_spool_put(s, b, false), "1100 bytes do not fit in 1000");
    hf_ch_block_free(b);
    b = block_of("z", 2, 9);
    CHECK(hf_ch_spool_put(s, b, true), "a block put back in front (900 bytes)");
    hf_ch_block_free(b);
    struct hf_ch_spool_stats st = hf_ch_spool_stats(s);
    CHECK(st.blocks == 3 && st.bytes == 900 && st.records == 9,
          "held: %" G_GUINT64_FORMAT " blocks, %" G_GUINT64_FORMAT " bytes, %"
          G_GUINT64_FORMAT " records", st.blocks, st.bytes, st.records);
    hf_ch_spool_close(s);

    /* a file that does not read back: set aside, never sent */
    char *junk = g_build_filename(dir, "00000000000000000001.rb", NULL);
    g_file_set_contents(junk, "HFCHSP01 truncated", -1, NULL);
    s = hf_ch_spool_open(dir, 1000, NULL);
    st = hf_ch_spool_stats(s);
    CHECK(st.blocks == 3 && st.damaged == 1, "reopened: 3 blocks, 1 damaged set aside");
    const uint8_t order[] = {9, 1, 2};
    const char *sources[] = {"z", "a", "b"};
    for (unsigned i = 0; i < 3; i++) {
        b = hf_ch_spool_oldest(s);
        CHECK(b && b->rows->len && b->rows->data[0] == order[i] && b->first_ms == 1000u + order[i],
              "block %u in order", i);
        if (!b)
            break;
        CHECK(b->sources->len == 1
              && g_array_index(b->sources, struct hf_ch_source_count, 0).source
                 == g_intern_string(sources[i])
              && g_array_index(b->sources, struct hf_ch_source_count, 0).records == b->records,
              "block %u: its exporter's count read back", i);
        struct hf_ch_block *again = hf_ch_spool_oldest(s);
        CHECK(again && again->spool_seq == b->spool_seq, "the oldest stays until removed");
        hf_ch_block_free(again);
        hf_ch_spool_remove(s, b->spool_seq);
        hf_ch_block_free(b);
    }
    CHECK(hf_ch_spool_empty(s) && hf_ch_spool_oldest(s) == NULL, "empty after three");
    char *bad = g_build_filename(dir, "00000000000000000001.bad", NULL);
    CHECK(g_file_test(bad, G_FILE_TEST_EXISTS), "the damaged file kept as .bad");
    g_unlink(bad);
    hf_ch_spool_close(s);
    CHECK(g_rmdir(dir) == 0, "nothing else left in the spool directory");
    g_free(bad);
    g_free(junk);
    g_free(dir);
}

static void
test_schema(void)
{
    unsigned major = 0, minor = 0;
    struct hf_clickhouse_config c;

    CHECK(hf_ch_version_parse("18.16.1", &major, &minor) && major == 18 && minor == 16,
          "18.16.1");
    CHECK(hf_ch_version_parse("19.6", &major, &minor) && major == 19 && minor == 6, "19.6");
    CHECK(!hf_ch_version_parse("new", &major, &minor) && !hf_ch_version_parse("19.x", &major, &minor)
          && !hf_ch_version_parse("", &major, &minor), "not versions");
    hf_clickhouse_config_defaults(&c);
    c.retention_days = 30;
    char *old = hf_ch_schema(&c, 18, 16), *cur = hf_ch_schema(&c, 19, 6);
    CHECK(!strstr(old, " LowCardinality(String) COMMENT") && strstr(old, "hostname String")
          && strstr(old, "\n-- TTL date + INTERVAL 30 DAY"),
          "18.16: String names, the TTL commented out");
    CHECK(strstr(cur, "hostname LowCardinality(String)") && strstr(cur, "\nTTL date + INTERVAL 30 DAY"),
          "19.6: LowCardinality names and the TTL");
    CHECK(strstr(cur, "PARTITION BY date") && strstr(cur, "ENGINE = Distributed(hostflow, hostflow, flows_local"),
          "partitioned by day; Distributed over cluster hostflow");
    g_free(old);
    g_free(cur);
    hf_clickhouse_config_clear(&c);
}

int
main(void)
{
    test_rowbinary();
    test_spool();
    test_schema();
    return check_summary();
}
