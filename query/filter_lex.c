/* The filter's tokenizer: words (keywords, numbers, addresses, bare names
 * and globs), quoted strings, ( ) [ ] , ! && || and comparators.  A '#'
 * starts a comment to the end of the line, as in nfdump. */
#include <string.h>

#include "filter_int.h"

G_DEFINE_QUARK(hf-filter-error-quark, hf_filter_error)

/* characters that end a word */
static bool
is_special(char c)
{
    return c == '\0' || strchr(" \t\r\n\f\v()[],!&|<>=\"'#", c) != NULL;
}

static void
push(GArray *toks, enum hf_tok_type type, enum hf_filter_cmp cmp, char *text, size_t col)
{
    struct hf_token t = { .type = type, .cmp = cmp, .text = text, .col = col };
    g_array_append_val(toks, t);
}

void
hf_filter_tokens_free(GArray *toks)
{
    if (!toks)
        return;
    for (guint i = 0; i < toks->len; i++)
        g_free(g_array_index(toks, struct hf_token, i).text);
    g_array_free(toks, TRUE);
}

GArray *
hf_filter_lex(const char *expr, GError **err)
{
    GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct hf_token));
    size_t i = 0;

    for (;;) {
        char c = expr[i];
        size_t col = i + 1;

        if (c == '\0') {
            push(toks, HF_TOK_END, HF_CMP_EQ, NULL, col);
            return toks;
        }
        if (strchr(" \t\r\n\f\v", c)) {
            i++;
            continue;
        }
        if (c == '#') {
            while (expr[i] && expr[i] != '\n')
                i++;
            continue;
        }
        switch (c) {
        case '(': push(toks, HF_TOK_LPAREN, HF_CMP_EQ, g_strdup("("), col); i++; continue;
        case ')': push(toks, HF_TOK_RPAREN, HF_CMP_EQ, g_strdup(")"), col); i++; continue;
        case '[': push(toks, HF_TOK_LBRACK, HF_CMP_EQ, g_strdup("["), col); i++; continue;
        case ']': push(toks, HF_TOK_RBRACK, HF_CMP_EQ, g_strdup("]"), col); i++; continue;
        case ',': push(toks, HF_TOK_COMMA, HF_CMP_EQ, g_strdup(","), col); i++; continue;
        case '!': push(toks, HF_TOK_NOT, HF_CMP_EQ, g_strdup("!"), col); i++; continue;
        case '&':
        case '|':
            if (expr[i + 1] != c) {
                g_set_error(err, HF_FILTER_ERROR, HF_FILTER_ERROR_SYNTAX,
                            "unexpected character '%c' at column %zu; did you mean '%c%c'?",
                            c, col, c, c);
                hf_filter_tokens_free(toks);
                return NULL;
            }
            push(toks, c == '&' ? HF_TOK_AND : HF_TOK_OR, HF_CMP_EQ,
                 g_strdup(c == '&' ? "&&" : "||"), col);
            i += 2;
            continue;
        case '=':
            i += expr[i + 1] == '=' ? 2 : 1;
            push(toks, HF_TOK_CMP, HF_CMP_EQ, g_strndup(expr + col - 1, i - col + 1), col);
            continue;
        case '<':
        case '>': {
            bool eq = expr[i + 1] == '=';
            enum hf_filter_cmp cmp = c == '<' ? (eq ? HF_CMP_LE : HF_CMP_LT)
                                              : (eq ? HF_CMP_GE : HF_CMP_GT);
            i += eq ? 2 : 1;
            push(toks, HF_TOK_CMP, cmp, g_strndup(expr + col - 1, i - col + 1), col);
            continue;
        }
        case '"':
        case '\'': {
            GString *s = g_string_new(NULL);
            i++;
            while (expr[i] && expr[i] != c) {
                if (expr[i] == '\\' && expr[i + 1])
                    i++;
                g_string_append_c(s, expr[i]);
                i++;
            }
            if (!expr[i]) {
                g_string_free(s, TRUE);
                g_set_error(err, HF_FILTER_ERROR, HF_FILTER_ERROR_SYNTAX,
                            "unterminated quote at column %zu", col);
                hf_filter_tokens_free(toks);
                return NULL;
            }
            i++;
            push(toks, HF_TOK_STRING, HF_CMP_EQ, g_string_free(s, FALSE), col);
            continue;
        }
        default:
            break;
        }
        size_t start = i;
        while (!is_special(expr[i]))
            i++;
        push(toks, HF_TOK_WORD, HF_CMP_EQ, g_strndup(expr + start, i - start), col);
    }
}
