/* Internals shared by the filter's files (not for users of query/). */
#ifndef HOSTFLOW_QUERY_FILTER_INT_H
#define HOSTFLOW_QUERY_FILTER_INT_H

#include "filter.h"

/* nesting of parentheses and "not" the parser accepts (stack depth) */
#define HF_FILTER_MAX_DEPTH 200

enum hf_tok_type {
    HF_TOK_END,
    HF_TOK_WORD,        /* keyword, number, address, bare name */
    HF_TOK_STRING,      /* "..." or '...', escapes undone */
    HF_TOK_LPAREN,
    HF_TOK_RPAREN,
    HF_TOK_LBRACK,
    HF_TOK_RBRACK,
    HF_TOK_COMMA,
    HF_TOK_NOT,         /* ! */
    HF_TOK_AND,         /* && */
    HF_TOK_OR,          /* || */
    HF_TOK_CMP,         /* = == < > <= >= (cmp) */
};

struct hf_token {
    enum hf_tok_type type;
    enum hf_filter_cmp cmp;     /* HF_TOK_CMP */
    char *text;                 /* NUL-terminated copy (the value for strings) */
    size_t col;                 /* 1-based column of its first character */
};

/* filter_lex.c: the tokens of expr, ending with one HF_TOK_END (whose col
 * is one past the last character); NULL with *err on a lexical error. */
GArray *hf_filter_lex(const char *expr, GError **err);
void hf_filter_tokens_free(GArray *toks);

struct hf_filter {
    struct hf_filter_node *nodes;   /* nodes[0] is the root */
    size_t n_nodes;
    uint64_t fields;
    GPtrArray *owned;               /* strings and lists the nodes point to */
};

/* filter_eval.c */
/* One node of the AST (and its children) over r: what a back end that
 * pushed the rest of the filter elsewhere still evaluates itself. */
bool hf_filter_node_match(const struct hf_filter_node *n, const hf_flow_record_t *r,
                          const struct hf_filter_env *env);
uint64_t hf_filter_node_fields(const struct hf_filter_node *n);
/* case-insensitive glob (* and ?) of a lowercase pattern over s[0..len) */
bool hf_filter_glob(const char *pat, const uint8_t *s, size_t len);

/* filter_print.c */
void hf_filter_node_print(GString *out, const struct hf_filter_node *n);
const char *hf_filter_proto_name(unsigned proto);
/* protocol number of a name (case-insensitive), or -1 */
int hf_filter_proto_number(const char *name);

#endif
