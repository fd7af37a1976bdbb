/* HTTP/1.x Host: the name in a client's first request.
 *
 * The request line must start with a known method and a space, so anything
 * else is NOT_MINE within its first bytes (at most 8 for every method up to
 * PROPFIND).  The line must end in an HTTP/d.d version (RTSP and SIP share
 * methods but not that).  The Host header is looked for up to the blank line
 * ending the headers; a name is returned as soon as its line is complete.
 * CONNECT names its host in the request line; an absolute-form target
 * (proxy requests) stands in for a missing Host.  Headers not complete
 * within HTTP_HEADER_CAP bytes give NO_NAME.  Bounds-checked reads
 * (extract.h), and scans kept within the cursor's length; nothing
 * allocates. */
#include "app_parse.h"

#include <stdbool.h>
#include <string.h>

#include "extract.h"

/* The flow inspector buffers this much (flow_names.c INSPECT_BUF). */
#define HTTP_HEADER_CAP 8192u

/* A byte range [off, end) of the request. */
struct span {
    uint32_t off, end;
};

static uint8_t lower(uint8_t ch)
{
    return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + ('a' - 'A')) : ch;
}

static bool is_ows(uint8_t ch)
{
    return ch == ' ' || ch == '\t';
}

static uint8_t at(const struct hf_cursor *c, uint32_t off)
{
    uint8_t ch = 0;

    hf_cur_u8(c, off, &ch);
    return ch;
}

/* ---- the request line ---------------------------------------------------- */

static const char *const methods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT",
    "TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
    "UNLOCK", "REPORT", "SEARCH", "MKCALENDAR", "ACL", "BIND", "UNBIND",
    "REBIND", "MERGE", "CHECKOUT", "MKACTIVITY", "VERSION-CONTROL", "QUERY",
};

/* NAME with *len = method + space, MORE while the bytes are a prefix of
 * one, else NOT_MINE. */
static enum hf_parse_status match_method(const struct hf_cursor *c,
                                         uint32_t *len, bool *is_connect)
{
    bool prefix = false;

    /* every method is upper-case letters: TLS, QUIC and the rest of the
     * binary protocols leave at their first byte */
    if (c->len && (at(c, 0) < 'A' || at(c, 0) > 'Z'))
        return HF_PARSE_NOT_MINE;
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        const char *s = methods[m];
        uint32_t i = 0;
        while (s[i] && i < c->len && at(c, i) == (uint8_t)s[i])
            i++;
        if (s[i] == '\0' && i < c->len && at(c, i) == ' ') {
            *len = i + 1;
            *is_connect = strcmp(s, "CONNECT") == 0;
            return HF_PARSE_NAME;
        }
        if (i == c->len)
            prefix = true;
    }
    return prefix ? HF_PARSE_MORE : HF_PARSE_NOT_MINE;
}

/* The line starting at off: [off, end) without its CR LF; *next is the
 * following line.  False if the LF is not in c yet. */
static bool line_at(const struct hf_cursor *c, uint32_t off,
                    struct span *line, uint32_t *next)
{
    /* memchr over the cursor's bytes: a header block is scanned again as
     * each packet adds to it, byte by byte through at() that was a tenth
     * of name extraction */
    const uint8_t *lf = off < c->len ? memchr(c->p + off, '\n', c->len - off) : NULL;

    if (!lf)
        return false;
    uint32_t i = (uint32_t)(lf - c->p);
    line->off = off;
    line->end = i > off && c->p[i - 1] == '\r' ? i - 1 : i;
    *next = i + 1;
    return true;
}

/* Control bytes (other than CR, LF) do not occur in a request line. */
static bool has_control(const struct hf_cursor *c, uint32_t off, uint32_t end)
{
    if (end > c->len)
        end = c->len;
    for (uint32_t i = off; i < end; i++) {
        uint8_t ch = c->p[i];
        if ((ch < 0x20 && ch != '\r' && ch != '\n') || ch == 0x7f)
            return true;
    }
    return false;
}

/* "HTTP/" DIGIT "." DIGIT */
static bool is_http_version(const struct hf_cursor *c, struct span v)
{
    static const char http[] = "HTTP/";

    if (v.end - v.off != 8)
        return false;
    for (uint32_t i = 0; i < 5; i++)
        if (at(c, v.off + i) != (uint8_t)http[i])
            return false;
    return at(c, v.off + 5) >= '0' && at(c, v.off + 5) <= '9' &&
           at(c, v.off + 6) == '.' &&
           at(c, v.off + 7) >= '0' && at(c, v.off + 7) <= '9';
}

/* ---- the host ------------------------------------------------------------ */

/* host [":" port] or "[" IPv6 "]" [":" port], OWS around it: the host,
 * validated (1..255 printable, no space) and copied lower-cased. */
static enum hf_parse_status copy_host(const struct hf_cursor *c,
                                      struct span a, char name[HF_NAME_MAX])
{
    struct span host;
    uint32_t colons = 0, last_colon = 0, port;

    while (a.off < a.end && is_ows(at(c, a.off)))
        a.off++;
    while (a.end > a.off && is_ows(at(c, a.end - 1)))
        a.end--;
    if (a.off < a.end && at(c, a.off) == '[') {
        host.off = a.off + 1;
        host.end = host.off;
        while (host.end < a.end && at(c, host.end) != ']')
            host.end++;
        if (host.end == a.end)
            return HF_PARSE_NO_NAME;
        port = host.end + 1;
        if (port < a.end && at(c, port++) != ':')
            return HF_PARSE_NO_NAME;
    } else {
        for (uint32_t i = a.off; i < a.end; i++)
            if (at(c, i) == ':') {
                colons++;
                last_colon = i;
            }
        host = a;
        port = a.end;
        if (colons == 1) {              /* more: a bare IPv6 address */
            host.end = last_colon;
            port = last_colon + 1;
        }
    }
    for (; port < a.end; port++)
        if (at(c, port) < '0' || at(c, port) > '9')
            return HF_PARSE_NO_NAME;

    uint32_t n = host.end - host.off;
    if (n == 0 || n > HF_NAME_MAX - 1)
        return HF_PARSE_NO_NAME;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ch = at(c, host.off + i);
        if (ch <= 0x20 || ch >= 0x7f)
            return HF_PARSE_NO_NAME;
        name[i] = (char)lower(ch);
    }
    name[n] = '\0';
    return HF_PARSE_NAME;
}

/* The authority of an absolute-form target ("http://user@host:port/x"). */
static enum hf_parse_status absolute_target_host(const struct hf_cursor *c,
                                                 struct span t,
                                                 char name[HF_NAME_MAX])
{
    struct span a = { t.end, t.end };

    for (uint32_t i = t.off; i + 2 < t.end; i++)
        if (at(c, i) == ':' && at(c, i + 1) == '/' && at(c, i + 2) == '/') {
            a.off = a.end = i + 3;
            break;
        }
    if (a.off == t.end)
        return HF_PARSE_NO_NAME;        /* origin form: "/path" */
    while (a.end < t.end && at(c, a.end) != '/' && at(c, a.end) != '?' &&
           at(c, a.end) != '#')
        a.end++;
    for (uint32_t i = a.off; i < a.end; i++)
        if (at(c, i) == '@')            /* userinfo */
            a.off = i + 1;
    return copy_host(c, a, name);
}

/* "Host" OWS ":" value: the value's span. */
static bool host_header(const struct hf_cursor *c, struct span line,
                        struct span *value)
{
    static const char host[] = "host";
    uint32_t i = line.off;

    for (uint32_t k = 0; k < 4; k++, i++)
        if (i >= line.end || lower(at(c, i)) != (uint8_t)host[k])
            return false;
    while (i < line.end && is_ows(at(c, i)))
        i++;
    if (i >= line.end || at(c, i) != ':')
        return false;
    value->off = i + 1;
    value->end = line.end;
    return true;
}

enum hf_parse_status hf_http_host(const uint8_t *stream, size_t len,
                                  char name[HF_NAME_MAX])
{
    struct hf_cursor c = hf_cur_make(stream, len > HTTP_HEADER_CAP
                                                 ? HTTP_HEADER_CAP
                                                 : (uint32_t)len);
    /* with the cap reached, an unfinished request never will be */
    enum hf_parse_status incomplete =
        c.len == HTTP_HEADER_CAP ? HF_PARSE_NO_NAME : HF_PARSE_MORE;
    struct span line, target, version;
    uint32_t method_len = 0, next;
    bool is_connect = false;
    enum hf_parse_status st = match_method(&c, &method_len, &is_connect);

    if (st != HF_PARSE_NAME)
        return st;
    if (!line_at(&c, 0, &line, &next))
        return has_control(&c, method_len, c.len) ? HF_PARSE_NOT_MINE
                                                  : incomplete;
    if (has_control(&c, method_len, line.end))
        return HF_PARSE_NOT_MINE;

    /* method SP target SP version; the last space, as some clients send
     * unencoded spaces in the target */
    target.off = method_len;
    target.end = line.end;
    while (target.end > target.off && at(&c, target.end - 1) != ' ')
        target.end--;
    if (target.end == target.off)
        return HF_PARSE_NO_NAME;        /* HTTP/0.9 "GET /path": no headers */
    version.off = target.end;
    version.end = line.end;
    target.end--;
    if (!is_http_version(&c, version))
        return HF_PARSE_NOT_MINE;
    if (is_connect)                     /* CONNECT host:port */
        return copy_host(&c, target, name);

    while (line_at(&c, next, &line, &next)) {
        struct span value;
        if (line.off == line.end)       /* end of the headers */
            return absolute_target_host(&c, target, name);
        if (host_header(&c, line, &value))
            return copy_host(&c, value, name);
    }
    return incomplete;
}
