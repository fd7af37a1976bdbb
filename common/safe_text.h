/* Untrusted byte strings (names any exporter can fill with any bytes) made
 * inert for output: terminals, CSV cells, JSON strings, HTML text.  The
 * store keeps names as received; every output goes through here.
 *
 * Each function appends to out the form of len bytes at s (NUL and any
 * other byte allowed; no length limit).  They share one strict UTF-8
 * decoding (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF); an invalid sequence is its maximal subpart (Unicode 15, 3.9;
 * what Python's and browsers' decoders replace with one U+FFFD).
 *
 * Text (hf_escape_text): printable ASCII and valid UTF-8 as is, except:
 *   backslash                                    \\
 *   C0 controls, DEL, C1 controls (U+0080-U+009F
 *   as UTF-8: each of their bytes), invalid bytes \xNN (lower-case hex)
 *   bidi controls U+061C U+200E U+200F U+202A-U+202E U+2066-U+2069 and
 *   the separators U+2028 U+2029                 \u{NNNN} (lower-case hex)
 * The escapes name bytes or code points exactly, so the original bytes can
 * always be recovered; the bidi controls are escaped because they reorder
 * what follows them on screen (a name could pose as another).
 *
 * CSV (hf_escape_csv_cell): the text form as one RFC 4180 cell.  A cell
 * that would begin with = + - @ (or their fullwidth forms U+FF1D U+FF0B
 * U+FF0D U+FF20), tab, CR or LF, which spreadsheets run as a formula, or
 * with ' gets a ' in front (so a leading ' always means one was added)
 * and is quoted; a cell holding a comma, double quote, CR or LF is quoted,
 * its double quotes doubled.  For string columns only: numbers are not
 * formulas.
 *
 * JSON (hf_escape_json_string): a JSON string with its quotes, always
 * valid UTF-8.  Each invalid sequence becomes U+FFFD (the bytes are only
 * in the text and CSV forms); " and \ are escaped; C0, DEL, C1, the bidi
 * controls and U+2028/U+2029 as \uNNNN; "</" as "<\/" and "<!--" as
 * "\u003c!--" so the string can sit inside an HTML script element.
 *
 * HTML (hf_escape_html): the text form with & < > " ' as &amp; &lt; &gt;
 * &quot; &#39;: safe as element content and as a quoted attribute value. */
#ifndef HOSTFLOW_SAFE_TEXT_H
#define HOSTFLOW_SAFE_TEXT_H

#include <stddef.h>
#include <glib.h>

void hf_escape_text(GString *out, const void *s, size_t len);
void hf_escape_csv_cell(GString *out, const void *s, size_t len);
void hf_escape_json_string(GString *out, const void *s, size_t len);
void hf_escape_html(GString *out, const void *s, size_t len);

#endif
