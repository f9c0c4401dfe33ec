/* The parser's token layer: advancing over comments (gathered as doc
 * comments), matching, error reporting and recovery. */
#include "parse_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void *cpidl_p_palloc(parser_t *p, size_t size)
{
    void *m = cpidl_arena_alloc(p->A, size);
    if (m == NULL)
        longjmp(p->bail, 1);
    return m;
}

char *cpidl_p_pstrndup(parser_t *p, const char *s, size_t n)
{
    char *m = cpidl_arena_strndup(p->A, s, n);
    if (m == NULL)
        longjmp(p->bail, 1);
    return m;
}

void cpidl_p_push(parser_t *p, cpidl_vec_t *v, void *item)
{
    if (!cpidl_vec_push(p->A, v, item))
        longjmp(p->bail, 1);
}

cpidl_pos_t cpidl_p_tok_pos(parser_t *p, const cpidl_token_t *t)
{
    return (cpidl_pos_t){p->file->path, t->line, t->col};
}

void cpidl_p_check_bail(parser_t *p)
{
    if (p->ctx->too_many || p->ctx->oom)
        longjmp(p->bail, 1);
}

/* Turn a comment token into plain text and gather consecutive lines. */
static void take_comment(parser_t *p, const cpidl_token_t *t)
{
    if (t->line == p->prev_line && p->prev_line != 0) {
        return; /* trailing comment of the previous token */
    }
    const char *s = t->text;
    size_t n = t->len;
    if (n >= 2 && s[1] == '/') {
        s += 2;
        n -= 2;
        if (n > 0 && *s == ' ') {
            s++;
            n--;
        }
    } else if (n >= 4) {
        s += 2;
        n -= 4;
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
    }
    if (p->doc != NULL && t->line == p->doc_end + 1) {
        size_t old = strlen(p->doc);
        char *m = cpidl_p_palloc(p, old + n + 2);
        memcpy(m, p->doc, old);
        m[old] = '\n';
        memcpy(m + old + 1, s, n);
        p->doc = m;
    } else {
        p->doc = cpidl_p_pstrndup(p, s, n);
    }
    p->doc_end = t->end_line;
}

void cpidl_p_advance(parser_t *p)
{
    cpidl_p_check_bail(p);
    p->prev_line = p->tok.end_line;
    for (;;) {
        cpidl_token_t t = cpidl_lexer_next(&p->lx);
        if (t.kind == CPIDL_TOK_COMMENT) {
            take_comment(p, &t);
            continue;
        }
        if (t.kind == CPIDL_TOK_ERROR) {
            cpidl_pos_t pos = cpidl_p_tok_pos(p, &t);
            unsigned char c = (unsigned char)t.text[0];
            if (c == '"' || c == '\'')
                cpidl_error(p->ctx, pos, "missing terminating %c character", c);
            else if (c == '/')
                cpidl_error(p->ctx, pos, "unterminated comment");
            else if (c >= 0x20 && c < 0x7f)
                cpidl_error(p->ctx, pos, "unexpected character '%c'", c);
            else
                cpidl_error(p->ctx, pos, "unexpected byte 0x%02x", c);
            cpidl_p_check_bail(p);
            continue;
        }
        if (p->doc != NULL && t.line > p->doc_end + 1)
            p->doc = NULL;
        p->tok = t;
        p->tok_doc = p->doc;
        p->doc = NULL;
        return;
    }
}

bool cpidl_p_is_sym(parser_t *p, char c)
{
    return p->tok.kind == CPIDL_TOK_SYMBOL && p->tok.text[0] == c;
}

bool cpidl_p_is_kw(parser_t *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->tok.kind == CPIDL_TOK_IDENT && p->tok.len == n && memcmp(p->tok.text, kw, n) == 0;
}

/* A short printable rendering of the current token for messages. */
const char *cpidl_p_tok_desc(parser_t *p, char *buf, size_t size)
{
    if (p->tok.kind == CPIDL_TOK_EOF)
        return "end of file";
    size_t n = p->tok.len < 24 ? p->tok.len : 24;
    size_t o = 0;
    buf[o++] = '\'';
    for (size_t i = 0; i < n && o + 5 < size; i++) {
        unsigned char c = (unsigned char)p->tok.text[i];
        buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (p->tok.len > n && o + 5 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

void cpidl_p_error_expected(parser_t *p, const char *what)
{
    char buf[48];
    cpidl_error(p->ctx, cpidl_p_tok_pos(p, &p->tok), "expected %s, found %s", what,
                cpidl_p_tok_desc(p, buf, sizeof buf));
}

bool cpidl_p_expect_sym(parser_t *p, char c)
{
    if (cpidl_p_is_sym(p, c)) {
        cpidl_p_advance(p);
        return true;
    }
    char what[4] = {'\'', c, '\'', '\0'};
    cpidl_p_error_expected(p, what);
    return false;
}

/* Skip to the end of the broken statement: past the next ';' at this
 * level, past a balanced '{...}' block, or up to (not past) the '}' that
 * closes the enclosing block. */
void cpidl_p_sync(parser_t *p)
{
    size_t depth = 0;
    while (p->tok.kind != CPIDL_TOK_EOF) {
        if (cpidl_p_is_sym(p, ';') && depth == 0) {
            cpidl_p_advance(p);
            return;
        }
        if (cpidl_p_is_sym(p, '{')) {
            depth++;
        } else if (cpidl_p_is_sym(p, '}')) {
            if (depth == 0)
                return;
            if (--depth == 0) {
                cpidl_p_advance(p);
                return;
            }
        }
        cpidl_p_advance(p);
    }
}

char *cpidl_p_tok_str(parser_t *p)
{
    return cpidl_p_pstrndup(p, p->tok.text, p->tok.len);
}

bool cpidl_p_expect_ident(parser_t *p, char **out, cpidl_pos_t *pos, const char *what)
{
    if (p->tok.kind != CPIDL_TOK_IDENT) {
        cpidl_p_error_expected(p, what);
        return false;
    }
    *out = cpidl_p_tok_str(p);
    if (pos != NULL)
        *pos = cpidl_p_tok_pos(p, &p->tok);
    cpidl_p_advance(p);
    return true;
}

void cpidl_p_enter(parser_t *p, cpidl_pos_t at)
{
    if (++p->depth > p->ctx->max_depth) {
        cpidl_error(p->ctx, at, "nesting is too deep (more than %u levels)", p->ctx->max_depth);
        longjmp(p->bail, 1);
    }
}
