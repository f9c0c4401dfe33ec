/* The IDL lexer. re2c turns this into lexer.c at build time
 * (re2c -W --no-generation-date); the output is never committed.
 * Keywords are not tokens: protobuf keywords are contextual (a field may be
 * called `message`), so the parser matches identifier text. */
#include "lexer.h"

void cpidl_lexer_init(cpidl_lexer_t *lx, const char *data, size_t len)
{
    lx->cur = data;
    lx->lim = data + len;
    lx->line_start = data;
    lx->line = 1;
}

/* Count newlines in [from, to) so multi-line tokens keep positions right. */
static void lexer_lines(cpidl_lexer_t *lx, const char *from, const char *to)
{
    for (const char *p = from; p < to; p++) {
        if (*p == '\n') {
            lx->line++;
            lx->line_start = p + 1;
        }
    }
}

cpidl_token_t cpidl_lexer_next(cpidl_lexer_t *lx)
{
    cpidl_token_t t;
    const char *mar;
    for (;;) {
        const char *start = lx->cur;
        t.text = start;
        t.line = lx->line;
        t.col = (uint32_t)(start - lx->line_start) + 1;
        /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "lx->cur";
        re2c:define:YYLIMIT = "lx->lim";
        re2c:define:YYMARKER = "mar";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;
        re2c:api:style = free-form;
        re2c:define:YYPEEK = "(unsigned char)*lx->cur";
        re2c:define:YYSKIP = "++lx->cur;";
        re2c:define:YYBACKUP = "mar = lx->cur;";
        re2c:define:YYRESTORE = "lx->cur = mar;";
        re2c:define:YYLESSTHAN = "lx->lim - lx->cur < 1";

        dec = [0-9];
        hex = [0-9a-fA-F];
        letter = [a-zA-Z_];
        exp = [eE] [+-]? dec+;

        $ { t.kind = CPIDL_TOK_EOF; t.len = 0; t.end_line = t.line; return t; }

        [ \t\r\v\f]+ { continue; }
        "\n" { lx->line++; lx->line_start = lx->cur; continue; }

        "//" [^\n\x00]* {
            t.kind = CPIDL_TOK_COMMENT;
            goto done;
        }
        "/*" ([^*\x00] | "*"+ [^*/\x00])* "*"+ "/" {
            t.kind = CPIDL_TOK_COMMENT;
            lexer_lines(lx, start, lx->cur);
            goto done;
        }
        "/*" {
            /* Unterminated (or holds a NUL): swallow the rest so the parser
             * reports it once. */
            lx->cur = lx->lim;
            t.kind = CPIDL_TOK_ERROR;
            t.len = 2;
            t.end_line = t.line;
            return t;
        }

        letter (letter | dec)* { t.kind = CPIDL_TOK_IDENT; goto done; }

        dec+ "." dec* exp? | dec+ exp | "." dec+ exp? { t.kind = CPIDL_TOK_FLOAT; goto done; }
        "0" [xX] hex+ | "0" [0-7]* | [1-9] dec* { t.kind = CPIDL_TOK_INT; goto done; }
        /* Malformed numbers (09, 0x, 12ab) become one INT token the parser
         * rejects, rather than a confusing number-then-identifier pair. */
        dec (letter | dec)* { t.kind = CPIDL_TOK_INT; goto done; }

        ["] ([^"\\\n\x00] | "\\" [^\n\x00])* ["] { t.kind = CPIDL_TOK_STRING; goto done; }
        ['] ([^'\\\n\x00] | "\\" [^\n\x00])* ['] { t.kind = CPIDL_TOK_STRING; goto done; }
        ["'] {
            /* Unterminated string: report at the quote, resume after it. */
            t.kind = CPIDL_TOK_ERROR;
            goto done;
        }

        [{}()[\]<>;,.=+:/-] { t.kind = CPIDL_TOK_SYMBOL; goto done; }

        * { t.kind = CPIDL_TOK_ERROR; goto done; }
        */
    }
done:
    t.len = (size_t)(lx->cur - t.text);
    t.end_line = lx->line;
    return t;
}
