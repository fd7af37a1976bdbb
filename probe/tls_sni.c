/* TLS ClientHello server_name: from a TCP stream's first records
 * (hf_tls_sni) or from a bare handshake message (hf_tls_clienthello_sni,
 * for QUIC CRYPTO data).
 *
 * The ClientHello may be fragmented over several handshake records (some
 * clients and DPI-evasion tools split it; post-quantum key shares make it
 * longer): its fragments are gathered into a stack buffer, then parsed as
 * one message.  Answers need the whole message, so a prefix is MORE until
 * it is complete.  Every read goes through extract.h; nothing allocates.
 *
 * Encrypted Client Hello (extension 0xfe0d): the name an observer can see
 * is the outer ClientHello's server_name, the ECH provider's public name
 * (the real one is inside the encrypted inner hello).  It is returned like
 * any other SNI: it is the host the client connects to on the network. */
#include "app_parse.h"

#include "extract.h"

enum {
    TLS_CONTENT_HANDSHAKE = 22,
    TLS_RECORD_HDR = 5,
    /* plaintext is at most 2^14; allow the TLS 1.2 ciphertext bound */
    TLS_RECORD_MAX = 16384 + 2048,

    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_HDR = 4,
    /* version, random, session id<0>, cipher_suites<2>, compression<1> */
    TLS_HELLO_MIN = 2 + 32 + 1 + 2 + 2 + 1 + 1,
    /* larger ClientHellos are absurd (browsers send < 3 KB); also the
     * gather buffer's size */
    TLS_HELLO_MAX = 16384,
    TLS_SESSION_ID_MAX = 32,

    TLS_EXT_SERVER_NAME = 0,
    TLS_SNI_HOST_NAME = 0,
};

/* ---- the name ------------------------------------------------------------ */

/* A host_name entry: 1..255 printable bytes, no space; copied lower-cased. */
static enum hf_parse_status copy_host_name(const struct hf_cursor *c,
                                           uint32_t off, uint32_t n,
                                           char name[HF_NAME_MAX])
{
    uint8_t ch;

    if (n == 0 || n > HF_NAME_MAX - 1 || !hf_cur_has_at(c, off, n))
        return HF_PARSE_NO_NAME;
    for (uint32_t i = 0; i < n; i++)
        if (!hf_cur_u8(c, off + i, &ch) || ch <= 0x20 || ch >= 0x7f)
            return HF_PARSE_NO_NAME;
    for (uint32_t i = 0; i < n; i++) {
        hf_cur_u8(c, off + i, &ch);
        name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
    }
    name[n] = '\0';
    return HF_PARSE_NAME;
}

/* The server_name extension's body: a list of (type, name) entries; the
 * first host_name one counts.  The hello around it is well formed, so a
 * broken list is TLS without a usable name. */
static enum hf_parse_status server_name_ext(struct hf_cursor ext,
                                            char name[HF_NAME_MAX])
{
    uint16_t list_len, n;
    uint8_t type;

    if (!hf_cur_u16(&ext, 0, &list_len) || !hf_cur_skip(&ext, 2) ||
        !hf_cur_has(&ext, list_len))
        return HF_PARSE_NO_NAME;
    hf_cur_limit(&ext, list_len);
    while (hf_cur_u8(&ext, 0, &type) && hf_cur_u16(&ext, 1, &n)) {
        if (type == TLS_SNI_HOST_NAME)
            return copy_host_name(&ext, 3, n, name);
        if (!hf_cur_skip(&ext, 3u + n))
            break;
    }
    return HF_PARSE_NO_NAME;
}

/* ---- the ClientHello ----------------------------------------------------- */

/* Checks as much of a handshake header as hs holds: NOT_MINE as soon as it
 * is not a plausible ClientHello, MORE while incomplete, else NAME with
 * *total set to the message's length including the header. */
static enum hf_parse_status hello_header(const struct hf_cursor *hs,
                                         uint32_t *total)
{
    uint8_t type, len_hi;
    uint32_t word;

    if (!hf_cur_u8(hs, 0, &type))
        return HF_PARSE_MORE;
    if (type != TLS_HS_CLIENT_HELLO)
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u8(hs, 1, &len_hi))
        return HF_PARSE_MORE;
    if (len_hi != 0)                    /* ≥ 64 KiB */
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u32(hs, 0, &word))
        return HF_PARSE_MORE;
    word &= 0xffffff;
    if (word < TLS_HELLO_MIN || word > TLS_HELLO_MAX)
        return HF_PARSE_NOT_MINE;
    *total = TLS_HS_HDR + word;
    return HF_PARSE_NAME;
}

/* A complete ClientHello message (header included, exactly its length).
 * Malformed fields before the extensions mean these are not TLS bytes. */
static enum hf_parse_status parse_hello(struct hf_cursor c,
                                        char name[HF_NAME_MAX])
{
    uint16_t version, suites_len, exts_len, ext_type, ext_len;
    uint8_t sid_len, comp_len;

    if (!hf_cur_skip(&c, TLS_HS_HDR) || !hf_cur_u16(&c, 0, &version) ||
        version >> 8 != 3 || !hf_cur_skip(&c, 2 + 32))
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u8(&c, 0, &sid_len) || sid_len > TLS_SESSION_ID_MAX ||
        !hf_cur_skip(&c, 1u + sid_len))
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u16(&c, 0, &suites_len) || suites_len == 0 ||
        suites_len % 2 != 0 || !hf_cur_skip(&c, 2u + suites_len))
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u8(&c, 0, &comp_len) || comp_len == 0 ||
        !hf_cur_skip(&c, 1u + comp_len))
        return HF_PARSE_NOT_MINE;
    if (c.len == 0)                     /* no extensions (SSL 3, old TLS) */
        return HF_PARSE_NO_NAME;
    if (!hf_cur_u16(&c, 0, &exts_len) || !hf_cur_skip(&c, 2) ||
        !hf_cur_has(&c, exts_len))
        return HF_PARSE_NOT_MINE;
    hf_cur_limit(&c, exts_len);

    while (c.len > 0) {
        if (!hf_cur_u16(&c, 0, &ext_type) || !hf_cur_u16(&c, 2, &ext_len) ||
            !hf_cur_skip(&c, 4) || !hf_cur_has(&c, ext_len))
            return HF_PARSE_NOT_MINE;
        if (ext_type == TLS_EXT_SERVER_NAME) {
            struct hf_cursor ext = c;
            hf_cur_limit(&ext, ext_len);
            return server_name_ext(ext, name);
        }
        hf_cur_skip(&c, ext_len);
    }
    return HF_PARSE_NO_NAME;
}

/* The callers' lengths are size_t; nothing here needs more than 32 bits. */
static uint32_t clamp_len(size_t len)
{
    return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

enum hf_parse_status hf_tls_clienthello_sni(const uint8_t *hs, size_t len,
                                            char name[HF_NAME_MAX])
{
    struct hf_cursor c = hf_cur_make(hs, clamp_len(len));
    uint32_t total = 0;
    enum hf_parse_status st = hello_header(&c, &total);

    if (st != HF_PARSE_NAME)
        return st;
    if (!hf_cur_has(&c, total))
        return HF_PARSE_MORE;
    hf_cur_limit(&c, total);
    return parse_hello(c, name);
}

/* ---- the record layer ---------------------------------------------------- */

/* The next handshake record's fragment (as much of it as the stream
 * holds); the stream cursor moves past it.  NOT_MINE at the first byte
 * that cannot be a handshake record header. */
static enum hf_parse_status next_record(struct hf_cursor *in,
                                        struct hf_cursor *frag)
{
    uint8_t type, major, minor;
    uint16_t len;

    if (!hf_cur_u8(in, 0, &type))
        return HF_PARSE_MORE;
    if (type != TLS_CONTENT_HANDSHAKE)  /* also SSLv2 hellos (0x80...) */
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u8(in, 1, &major))
        return HF_PARSE_MORE;
    if (major != 3)
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u8(in, 2, &minor))
        return HF_PARSE_MORE;
    if (minor > 4)                      /* SSL 3.0 .. TLS 1.3 */
        return HF_PARSE_NOT_MINE;
    if (!hf_cur_u16(in, 3, &len))
        return HF_PARSE_MORE;
    if (len == 0 || len > TLS_RECORD_MAX)
        return HF_PARSE_NOT_MINE;
    hf_cur_skip(in, TLS_RECORD_HDR);
    *frag = *in;
    hf_cur_limit(frag, len);
    hf_cur_skip(in, frag->len);
    return HF_PARSE_NAME;
}

enum hf_parse_status hf_tls_sni(const uint8_t *stream, size_t len,
                                char name[HF_NAME_MAX])
{
    uint8_t hello[TLS_HS_HDR + TLS_HELLO_MAX];
    struct hf_cursor in = hf_cur_make(stream, clamp_len(len));
    struct hf_cursor frag;
    uint32_t have = 0, total = 0;   /* total: 0 until the header is in */
    enum hf_parse_status st;

    for (;;) {
        st = next_record(&in, &frag);
        if (st != HF_PARSE_NAME)
            return st;
        while (frag.len > 0) {
            uint32_t want = (total ? total : TLS_HS_HDR) - have;
            uint32_t take = frag.len < want ? frag.len : want;
            hf_cur_copy(&frag, 0, hello + have, take);
            hf_cur_skip(&frag, take);
            have += take;
            if (!total) {
                /* judged byte by byte: a header may span records */
                struct hf_cursor hs = hf_cur_make(hello, have);
                st = hello_header(&hs, &total);
                if (st == HF_PARSE_NOT_MINE)
                    return st;
            }
            if (total && have == total)
                return parse_hello(hf_cur_make(hello, total), name);
        }
    }
}
