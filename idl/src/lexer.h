/* Internal: the token stream of one IDL file (lexer.re, compiled by re2c). */
#ifndef CPIDL_LEXER_H
#define CPIDL_LEXER_H

#include <stddef.h>
#include <stdint.h>

typedef enum cpidl_tok_kind {
    CPIDL_TOK_EOF,
    CPIDL_TOK_IDENT,
    CPIDL_TOK_INT,
    CPIDL_TOK_FLOAT,
    CPIDL_TOK_STRING,  /* quotes included; escapes undecoded */
    CPIDL_TOK_SYMBOL,  /* one punctuation byte: { } ( ) [ ] < > ; , . = - + : / */
    CPIDL_TOK_COMMENT, /* // or block comment, text included */
    CPIDL_TOK_ERROR,   /* a byte that starts no token, or an unterminated string/comment */
} cpidl_tok_kind_t;

typedef struct cpidl_token {
    cpidl_tok_kind_t kind;
    const char *text;
    size_t len;
    uint32_t line;
    uint32_t col;
    uint32_t end_line; /* line of the last byte (comments span lines) */
} cpidl_token_t;

/* `data[len]` must be a NUL byte (the sentinel); NULs inside are errors. */
typedef struct cpidl_lexer {
    const char *cur;
    const char *lim;
    const char *line_start;
    uint32_t line;
} cpidl_lexer_t;

void cpidl_lexer_init(cpidl_lexer_t *lx, const char *data, size_t len);
/* The next token; after the end, CPIDL_TOK_EOF forever. */
cpidl_token_t cpidl_lexer_next(cpidl_lexer_t *lx);

#endif
