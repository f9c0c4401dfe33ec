/*
 * The IDL parser: hand-written recursive descent over the re2c token
 * stream. Recursive descent keeps each construct's diagnostics next to its
 * grammar and makes recovery simple: a failed statement skips to the next
 * ';' or to the '}' closing its block (braces balanced), so one run reports
 * several errors. Nesting is bounded (ctx->max_depth) and a load gives up
 * after CPIDL_MAX_ERRORS, so no input makes it recurse or loop unbounded.
 *
 * Keywords are contextual, as in protoc: they are identifiers whose text the
 * parser matches where a keyword may stand.
 */
#include "parser.h"

#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

enum { FIELD_MAX = 536870911 };

typedef enum opt_kind {
    OPT_FILE,
    OPT_MESSAGE,
    OPT_FIELD,
    OPT_ONEOF,
    OPT_ENUM,
    OPT_VALUE,
    OPT_ACTOR,
    OPT_METHOD,
    OPT_RANGE,
} opt_kind_t;

typedef struct parser {
    cpidl_ctx_t *ctx;
    cpidl_file_t *file;
    cpidl_arena_t *A;
    cpidl_lexer_t lx;
    cpidl_token_t tok;
    char *tok_doc;      /* comment block attached to `tok` */
    char *doc;          /* comment block being gathered */
    uint32_t doc_end;   /* last line of `doc` */
    uint32_t prev_line; /* line where the previous token ended */
    unsigned depth;
    bool seen_statement;
    jmp_buf bail; /* out of memory, nesting too deep, too many errors */
    cpidl_vec_t imports, options, messages, enums, actors, all_messages, all_enums;
} parser_t;

#define SETV(dst, ndst, vec)                                                                       \
    do {                                                                                           \
        (dst) = (void *)(vec).items;                                                               \
        (ndst) = (vec).n;                                                                          \
    } while (0)

static void *palloc(parser_t *p, size_t size)
{
    void *m = cpidl_arena_alloc(p->A, size);
    if (m == NULL)
        longjmp(p->bail, 1);
    return m;
}

static char *pstrndup(parser_t *p, const char *s, size_t n)
{
    char *m = cpidl_arena_strndup(p->A, s, n);
    if (m == NULL)
        longjmp(p->bail, 1);
    return m;
}

static void push(parser_t *p, cpidl_vec_t *v, void *item)
{
    if (!cpidl_vec_push(p->A, v, item))
        longjmp(p->bail, 1);
}

#define NEW(p, T) ((T *)palloc((p), sizeof(T)))

static cpidl_pos_t tok_pos(parser_t *p, const cpidl_token_t *t)
{
    return (cpidl_pos_t){p->file->path, t->line, t->col};
}

static void check_bail(parser_t *p)
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
        char *m = palloc(p, old + n + 2);
        memcpy(m, p->doc, old);
        m[old] = '\n';
        memcpy(m + old + 1, s, n);
        p->doc = m;
    } else {
        p->doc = pstrndup(p, s, n);
    }
    p->doc_end = t->end_line;
}

static void advance(parser_t *p)
{
    check_bail(p);
    p->prev_line = p->tok.end_line;
    for (;;) {
        cpidl_token_t t = cpidl_lexer_next(&p->lx);
        if (t.kind == CPIDL_TOK_COMMENT) {
            take_comment(p, &t);
            continue;
        }
        if (t.kind == CPIDL_TOK_ERROR) {
            cpidl_pos_t pos = tok_pos(p, &t);
            unsigned char c = (unsigned char)t.text[0];
            if (c == '"' || c == '\'')
                cpidl_error(p->ctx, pos, "missing terminating %c character", c);
            else if (c == '/')
                cpidl_error(p->ctx, pos, "unterminated comment");
            else if (c >= 0x20 && c < 0x7f)
                cpidl_error(p->ctx, pos, "unexpected character '%c'", c);
            else
                cpidl_error(p->ctx, pos, "unexpected byte 0x%02x", c);
            check_bail(p);
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

static bool is_sym(parser_t *p, char c)
{
    return p->tok.kind == CPIDL_TOK_SYMBOL && p->tok.text[0] == c;
}

static bool is_kw(parser_t *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->tok.kind == CPIDL_TOK_IDENT && p->tok.len == n && memcmp(p->tok.text, kw, n) == 0;
}

/* A short printable rendering of the current token for messages. */
static const char *tok_desc(parser_t *p, char *buf, size_t size)
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

static void error_expected(parser_t *p, const char *what)
{
    char buf[48];
    cpidl_error(p->ctx, tok_pos(p, &p->tok), "expected %s, found %s", what,
                tok_desc(p, buf, sizeof buf));
}

static bool expect_sym(parser_t *p, char c)
{
    if (is_sym(p, c)) {
        advance(p);
        return true;
    }
    char what[4] = {'\'', c, '\'', '\0'};
    error_expected(p, what);
    return false;
}

/* Skip to the end of the broken statement: past the next ';' at this
 * level, past a balanced '{...}' block, or up to (not past) the '}' that
 * closes the enclosing block. */
static void sync(parser_t *p)
{
    size_t depth = 0;
    while (p->tok.kind != CPIDL_TOK_EOF) {
        if (is_sym(p, ';') && depth == 0) {
            advance(p);
            return;
        }
        if (is_sym(p, '{')) {
            depth++;
        } else if (is_sym(p, '}')) {
            if (depth == 0)
                return;
            if (--depth == 0) {
                advance(p);
                return;
            }
        }
        advance(p);
    }
}

static char *tok_str(parser_t *p)
{
    return pstrndup(p, p->tok.text, p->tok.len);
}

static bool expect_ident(parser_t *p, char **out, cpidl_pos_t *pos, const char *what)
{
    if (p->tok.kind != CPIDL_TOK_IDENT) {
        error_expected(p, what);
        return false;
    }
    *out = tok_str(p);
    if (pos != NULL)
        *pos = tok_pos(p, &p->tok);
    advance(p);
    return true;
}

static void enter(parser_t *p, cpidl_pos_t at)
{
    if (++p->depth > p->ctx->max_depth) {
        cpidl_error(p->ctx, at, "nesting is too deep (more than %u levels)",
                    p->ctx->max_depth);
        longjmp(p->bail, 1);
    }
}

/* ---- literals ---------------------------------------------------------- */

/* Decimal, octal (leading 0) or hex integer; false when malformed or above
 * UINT64_MAX. */
static bool int_value(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
        if (n == 2)
            return false;
    } else if (n >= 1 && s[0] == '0') {
        base = 8;
    }
    for (; i < n; i++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        if ((unsigned)d >= base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decode the escapes of the string token `t` (quotes included), appending
 * to out[*len]; out has room for t->len bytes (decoding never grows). */
static bool decode_string(parser_t *p, const cpidl_token_t *t, unsigned char *out, size_t *len)
{
    const char *s = t->text + 1, *end = t->text + t->len - 1;
    size_t o = *len;
    bool ok = true;
    while (s < end) {
        if (*s != '\\') {
            out[o++] = (unsigned char)*s++;
            continue;
        }
        const char *esc = s++;
        cpidl_pos_t pos = {p->file->path, t->line, t->col + (uint32_t)(esc - t->text)};
        char c = *s++;
        switch (c) {
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case '\\': case '\'': case '"': case '?': out[o++] = (unsigned char)c; break;
        case 'x': case 'X': {
            int v = 0, nd = 0;
            while (nd < 2 && s < end && hexval(*s) >= 0) {
                v = v * 16 + hexval(*s++);
                nd++;
            }
            if (nd == 0) {
                cpidl_error(p->ctx, pos, "\\x used with no following hex digits");
                ok = false;
            }
            out[o++] = (unsigned char)v;
            break;
        }
        case 'u': case 'U': {
            int want = c == 'u' ? 4 : 8, nd = 0;
            uint32_t v = 0;
            while (nd < want && s < end && hexval(*s) >= 0) {
                v = v * 16 + (uint32_t)hexval(*s++);
                nd++;
            }
            if (nd < want || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
                cpidl_error(p->ctx, pos, "invalid Unicode escape (\\%c needs %d hex digits naming a code point)", c, want);
                ok = false;
                break;
            }
            o += put_utf8(out + o, v);
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                unsigned v = (unsigned)(c - '0');
                for (int nd = 1; nd < 3 && s < end && *s >= '0' && *s <= '7'; nd++)
                    v = v * 8 + (unsigned)(*s++ - '0');
                if (v > 255) {
                    cpidl_error(p->ctx, pos, "octal escape is out of range (above \\377)");
                    ok = false;
                }
                out[o++] = (unsigned char)v;
            } else {
                unsigned char uc = (unsigned char)c;
                if (uc >= 0x20 && uc < 0x7f)
                    cpidl_error(p->ctx, pos, "unknown escape sequence '\\%c'", c);
                else
                    cpidl_error(p->ctx, pos, "unknown escape sequence (byte 0x%02x)", uc);
                ok = false;
            }
        }
    }
    *len = o;
    return ok;
}

/* One or more adjacent string literals, concatenated and decoded. */
static bool parse_string(parser_t *p, char **out, size_t *out_len, cpidl_pos_t *pos)
{
    if (p->tok.kind != CPIDL_TOK_STRING) {
        error_expected(p, "a string");
        return false;
    }
    if (pos != NULL)
        *pos = tok_pos(p, &p->tok);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = true;
    while (p->tok.kind == CPIDL_TOK_STRING) {
        if (len + p->tok.len + 1 > cap) {
            size_t ncap = (len + p->tok.len + 1) * 2;
            unsigned char *nb = palloc(p, ncap);
            if (len > 0)
                memcpy(nb, buf, len);
            buf = nb;
            cap = ncap;
        }
        ok = decode_string(p, &p->tok, buf, &len) && ok;
        advance(p);
    }
    buf[len] = '\0';
    *out = (char *)buf;
    if (out_len != NULL)
        *out_len = len;
    return ok;
}

/* A dotted name: ident ('.' ident)*, with an optional leading dot when
 * `allow_dot`. */
static bool parse_full_ident(parser_t *p, bool allow_dot, char **out, cpidl_pos_t *pos,
                             const char *what)
{
    *pos = tok_pos(p, &p->tok);
    const char *start = p->tok.text;
    if (allow_dot && is_sym(p, '.'))
        advance(p);
    if (p->tok.kind != CPIDL_TOK_IDENT) {
        error_expected(p, what);
        return false;
    }
    /* Rebuild without whitespace: tokens may be separated by spaces. */
    size_t cap = 64, n = 0;
    char *buf = palloc(p, cap);
    if (*start == '.')
        buf[n++] = '.';
    for (;;) {
        if (n + p->tok.len + 2 > cap) {
            size_t ncap = (n + p->tok.len + 2) * 2;
            char *nb = palloc(p, ncap);
            memcpy(nb, buf, n);
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + n, p->tok.text, p->tok.len);
        n += p->tok.len;
        advance(p);
        if (!is_sym(p, '.'))
            break;
        advance(p);
        if (p->tok.kind != CPIDL_TOK_IDENT) {
            error_expected(p, "an identifier after '.'");
            return false;
        }
        buf[n++] = '.';
    }
    buf[n] = '\0';
    *out = buf;
    return true;
}

/* A constant: [-+] number | [-+] inf/nan | identifier | strings | { aggregate }. */
static bool parse_constant(parser_t *p, cpidl_value_t *v)
{
    memset(v, 0, sizeof *v);
    v->pos = tok_pos(p, &p->tok);
    if (p->tok.kind == CPIDL_TOK_STRING) {
        v->kind = CPIDL_VALUE_STRING;
        return parse_string(p, &v->text, &v->len, NULL);
    }
    if (is_sym(p, '{')) {
        /* Aggregate (text format) value: skipped, braces balanced. */
        size_t depth = 0;
        do {
            if (is_sym(p, '{'))
                depth++;
            else if (is_sym(p, '}'))
                depth--;
            advance(p);
        } while (depth > 0 && p->tok.kind != CPIDL_TOK_EOF);
        if (depth > 0) {
            error_expected(p, "'}' closing the aggregate value");
            return false;
        }
        v->kind = CPIDL_VALUE_AGGREGATE;
        v->text = pstrndup(p, "{...}", 5);
        v->len = 5;
        return true;
    }
    bool neg = false, sign = false;
    if (is_sym(p, '-') || is_sym(p, '+')) {
        neg = is_sym(p, '-');
        sign = true;
        advance(p);
    }
    if (p->tok.kind == CPIDL_TOK_IDENT && !sign) {
        cpidl_pos_t pos;
        if (!parse_full_ident(p, false, &v->text, &pos, "a value"))
            return false;
        v->kind = CPIDL_VALUE_IDENT;
        v->len = strlen(v->text);
        if (strcmp(v->text, "inf") == 0)
            v->float_value = INFINITY;
        else if (strcmp(v->text, "nan") == 0)
            v->float_value = NAN;
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_IDENT && (is_kw(p, "inf") || is_kw(p, "nan"))) {
        v->kind = CPIDL_VALUE_FLOAT;
        v->negative = neg;
        v->float_value = is_kw(p, "inf") ? INFINITY : NAN;
        if (neg)
            v->float_value = -v->float_value;
        v->text = neg ? pstrndup(p, is_kw(p, "inf") ? "-inf" : "-nan", 4) : tok_str(p);
        v->len = strlen(v->text);
        advance(p);
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_INT) {
        v->kind = CPIDL_VALUE_INT;
        v->negative = neg;
        if (!int_value(p->tok.text, p->tok.len, &v->uint_value)) {
            char buf[48];
            cpidl_error(p->ctx, tok_pos(p, &p->tok),
                        "invalid integer literal %s (malformed or above 2^64-1)",
                        tok_desc(p, buf, sizeof buf));
            advance(p);
            return false;
        }
        v->float_value = neg ? -(double)v->uint_value : (double)v->uint_value;
        v->text = tok_str(p);
        if (neg) {
            /* "- 5" is written with a space sometimes; keep "-5". */
            char *t = palloc(p, p->tok.len + 2);
            t[0] = '-';
            memcpy(t + 1, p->tok.text, p->tok.len);
            v->text = t;
        }
        v->len = strlen(v->text);
        advance(p);
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_FLOAT) {
        v->kind = CPIDL_VALUE_FLOAT;
        v->negative = neg;
        char *t = palloc(p, p->tok.len + 2);
        size_t o = 0;
        if (neg)
            t[o++] = '-';
        memcpy(t + o, p->tok.text, p->tok.len);
        v->text = t;
        v->len = strlen(t);
        v->float_value = strtod(t, NULL);
        advance(p);
        return true;
    }
    error_expected(p, "a constant");
    return false;
}

/* ---- options ----------------------------------------------------------- */

static const char *const known_file[] = {
    "java_package", "java_outer_classname", "java_multiple_files", "java_generate_equals_and_hash",
    "java_string_check_utf8", "optimize_for", "go_package", "cc_generic_services",
    "java_generic_services", "py_generic_services", "php_generic_services", "deprecated",
    "cc_enable_arenas", "objc_class_prefix", "csharp_namespace", "swift_prefix",
    "php_class_prefix", "php_namespace", "php_metadata_namespace", "ruby_package", NULL};
static const char *const known_message[] = {
    "message_set_wire_format", "no_standard_descriptor_accessor", "deprecated", "map_entry",
    "deprecated_legacy_json_field_conflicts", NULL};
static const char *const known_field[] = {
    "ctype", "packed", "jstype", "lazy", "unverified_lazy", "deprecated", "weak", "default",
    "json_name", "debug_redact", "retention", "targets", NULL};
static const char *const known_enum[] = {"allow_alias", "deprecated",
                                         "deprecated_legacy_json_field_conflicts", NULL};
static const char *const known_value[] = {"deprecated", "debug_redact", NULL};
static const char *const known_actor[] = {"deprecated", NULL};
static const char *const known_method[] = {"deprecated", "idempotency_level", NULL};
static const char *const known_none[] = {NULL};

static const char *const *known_for(opt_kind_t k, const char **what)
{
    switch (k) {
    case OPT_FILE: *what = "file"; return known_file;
    case OPT_MESSAGE: *what = "message"; return known_message;
    case OPT_FIELD: *what = "field"; return known_field;
    case OPT_ONEOF: *what = "oneof"; return known_none;
    case OPT_ENUM: *what = "enum"; return known_enum;
    case OPT_VALUE: *what = "enum value"; return known_value;
    case OPT_ACTOR: *what = "actor"; return known_actor;
    case OPT_METHOD: *what = "rpc"; return known_method;
    case OPT_RANGE: *what = "extension range"; return known_none;
    }
    *what = "";
    return known_none;
}

/* name '=' constant, the part shared by `option` and `[...]`. */
static cpidl_option_t *parse_option_body(parser_t *p, opt_kind_t kind)
{
    cpidl_option_t *o = NEW(p, cpidl_option_t);
    o->pos = tok_pos(p, &p->tok);
    char buf[256];
    size_t n = 0;
    /* Option names: simple, dotted, or (extension.name) followed by .sub. */
    for (;;) {
        const char *part = NULL;
        size_t plen = 0;
        char *ext = NULL;
        if (is_sym(p, '(')) {
            advance(p);
            cpidl_pos_t pos;
            if (!parse_full_ident(p, true, &ext, &pos, "an extension name"))
                return NULL;
            if (!expect_sym(p, ')'))
                return NULL;
            if (n == 0)
                o->is_extension = true;
            if (n + strlen(ext) + 3 < sizeof buf) {
                buf[n++] = '(';
                memcpy(buf + n, ext, strlen(ext));
                n += strlen(ext);
                buf[n++] = ')';
            }
        } else if (p->tok.kind == CPIDL_TOK_IDENT) {
            part = p->tok.text;
            plen = p->tok.len;
            if (n + plen + 1 < sizeof buf) {
                memcpy(buf + n, part, plen);
                n += plen;
            }
            advance(p);
        } else {
            error_expected(p, "an option name");
            return NULL;
        }
        if (!is_sym(p, '.'))
            break;
        advance(p);
        if (n + 1 < sizeof buf)
            buf[n++] = '.';
    }
    buf[n] = '\0';
    o->name = pstrndup(p, buf, n);
    if (!expect_sym(p, '='))
        return NULL;
    if (!parse_constant(p, &o->value))
        return NULL;
    if (!o->is_extension) {
        const char *what;
        const char *const *known = known_for(kind, &what);
        bool found = false;
        for (size_t i = 0; known[i] != NULL && !found; i++)
            found = strcmp(known[i], o->name) == 0;
        if (!found)
            cpidl_warning(p->ctx, o->pos, "unknown %s option '%s' is ignored", what, o->name);
    }
    return o;
}

/* `option name = value;` (the keyword is the current token). */
static bool parse_option_stmt(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts)
{
    advance(p);
    cpidl_option_t *o = parse_option_body(p, kind);
    if (o == NULL)
        return false;
    if (!expect_sym(p, ';'))
        return false;
    push(p, opts, o);
    return true;
}

/* `[a = 1, b = 2]` if present. */
static bool parse_option_list(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts)
{
    if (!is_sym(p, '['))
        return true;
    advance(p);
    for (;;) {
        cpidl_option_t *o = parse_option_body(p, kind);
        if (o == NULL)
            return false;
        push(p, opts, o);
        if (is_sym(p, ','))
            advance(p);
        else
            break;
    }
    return expect_sym(p, ']');
}

static bool option_bool(parser_t *p, const cpidl_option_t *o, bool *out)
{
    if (o->value.kind == CPIDL_VALUE_IDENT &&
        (strcmp(o->value.text, "true") == 0 || strcmp(o->value.text, "false") == 0)) {
        *out = o->value.text[0] == 't';
        return true;
    }
    cpidl_error(p->ctx, o->value.pos, "option '%s' must be true or false", o->name);
    return false;
}

/* Apply the known options in `opts` whose name is `name` as a bool. */
static void apply_bool(parser_t *p, const cpidl_vec_t *opts, const char *name, bool *out)
{
    for (size_t i = 0; i < opts->n; i++) {
        const cpidl_option_t *o = opts->items[i];
        if (!o->is_extension && strcmp(o->name, name) == 0)
            option_bool(p, o, out);
    }
}

/* ---- types ------------------------------------------------------------- */

static const struct {
    const char *name;
    cpidl_type_t type;
} scalars[] = {
    {"double", CPIDL_TYPE_DOUBLE},     {"float", CPIDL_TYPE_FLOAT},
    {"int64", CPIDL_TYPE_INT64},       {"uint64", CPIDL_TYPE_UINT64},
    {"int32", CPIDL_TYPE_INT32},       {"fixed64", CPIDL_TYPE_FIXED64},
    {"fixed32", CPIDL_TYPE_FIXED32},   {"bool", CPIDL_TYPE_BOOL},
    {"string", CPIDL_TYPE_STRING},     {"bytes", CPIDL_TYPE_BYTES},
    {"uint32", CPIDL_TYPE_UINT32},     {"sfixed32", CPIDL_TYPE_SFIXED32},
    {"sfixed64", CPIDL_TYPE_SFIXED64}, {"sint32", CPIDL_TYPE_SINT32},
    {"sint64", CPIDL_TYPE_SINT64},
};

cpidl_type_t cpidl_scalar_type(const char *name)
{
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (strcmp(scalars[i].name, name) == 0)
            return scalars[i].type;
    }
    return (cpidl_type_t)0;
}

char *cpidl_json_name(cpidl_arena_t *arena, const char *name)
{
    size_t n = strlen(name);
    char *out = cpidl_arena_alloc(arena, n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    bool up = false;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '_') {
            up = true;
            continue;
        }
        out[o++] = up ? (char)toupper((unsigned char)name[i]) : name[i];
        up = false;
    }
    out[o] = '\0';
    return out;
}

/* A field type: a scalar name or a (possibly dotted) message/enum name. */
static bool parse_type(parser_t *p, cpidl_field_t *f)
{
    if (!parse_full_ident(p, true, &f->type_name, &f->type_pos, "a type"))
        return false;
    f->type = cpidl_scalar_type(f->type_name);
    if (strcmp(f->type_name, "group") == 0) {
        cpidl_error(p->ctx, f->type_pos, "groups are not supported; use a nested message");
        return false;
    }
    return true;
}

/* ---- messages ---------------------------------------------------------- */

typedef struct msg_build {
    cpidl_message_t *m;
    cpidl_vec_t fields, oneofs, messages, enums, ranges, names, ext, options;
} msg_build_t;

static void finish_message(msg_build_t *b)
{
    cpidl_message_t *m = b->m;
    SETV(m->fields, m->n_fields, b->fields);
    SETV(m->oneofs, m->n_oneofs, b->oneofs);
    SETV(m->messages, m->n_messages, b->messages);
    SETV(m->enums, m->n_enums, b->enums);
    SETV(m->reserved_ranges, m->n_reserved_ranges, b->ranges);
    SETV(m->reserved_names, m->n_reserved_names, b->names);
    SETV(m->extension_ranges, m->n_extension_ranges, b->ext);
    SETV(m->options, m->n_options, b->options);
}

static bool parse_message(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into);
static bool parse_enum(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into);

/* reserved / extensions ranges: `1, 3 to 5, 9 to max`. */
static bool parse_ranges(parser_t *p, cpidl_vec_t *ranges, int64_t lo, int64_t max, bool allow_neg,
                         const char *what)
{
    for (;;) {
        cpidl_range_t *r = NEW(p, cpidl_range_t);
        r->pos = tok_pos(p, &p->tok);
        int64_t vals[2];
        for (int k = 0; k < 2; k++) {
            if (k == 1 && is_kw(p, "max")) {
                vals[1] = max;
                advance(p);
                break;
            }
            bool neg = false;
            if (allow_neg && is_sym(p, '-')) {
                neg = true;
                advance(p);
            }
            uint64_t u;
            cpidl_pos_t pos = tok_pos(p, &p->tok);
            if (p->tok.kind != CPIDL_TOK_INT) {
                error_expected(p, k == 0 ? "a number" : "a number or 'max'");
                return false;
            }
            if (!int_value(p->tok.text, p->tok.len, &u) || u > (uint64_t)INT32_MAX + 1) {
                cpidl_error(p->ctx, pos, "%s number is out of range (%lld..%lld)", what,
                            (long long)lo, (long long)max);
                return false;
            }
            advance(p);
            vals[k] = neg ? -(int64_t)u : (int64_t)u;
            if (vals[k] < lo || vals[k] > max) {
                cpidl_error(p->ctx, pos, "%s number %lld is out of range (%lld..%lld)", what,
                            (long long)vals[k], (long long)lo, (long long)max);
                return false;
            }
            if (k == 0) {
                vals[1] = vals[0];
                if (!is_kw(p, "to"))
                    break;
                advance(p);
            }
        }
        r->start = vals[0];
        r->end = vals[1];
        if (r->end < r->start) {
            cpidl_error(p->ctx, r->pos, "%s range end %lld is before its start %lld", what,
                        (long long)r->end, (long long)r->start);
            return false;
        }
        push(p, ranges, r);
        if (!is_sym(p, ','))
            return true;
        advance(p);
    }
}

static bool parse_reserved(parser_t *p, cpidl_vec_t *ranges, cpidl_vec_t *names, int64_t lo,
                           int64_t max, bool allow_neg)
{
    advance(p); /* reserved */
    if (p->tok.kind == CPIDL_TOK_STRING || p->tok.kind == CPIDL_TOK_IDENT) {
        for (;;) {
            cpidl_reserved_name_t *rn = NEW(p, cpidl_reserved_name_t);
            if (p->tok.kind == CPIDL_TOK_IDENT) {
                rn->pos = tok_pos(p, &p->tok);
                rn->name = tok_str(p);
                advance(p);
            } else {
                size_t len;
                if (!parse_string(p, &rn->name, &len, &rn->pos))
                    return false;
            }
            push(p, names, rn);
            if (!is_sym(p, ','))
                break;
            advance(p);
        }
    } else if (!parse_ranges(p, ranges, lo, max, allow_neg, "reserved")) {
        return false;
    }
    return expect_sym(p, ';');
}

/* Synthesize protoc's map entry: message FooEntry { K key = 1; V value = 2; }. */
static cpidl_message_t *map_entry(parser_t *p, msg_build_t *b, cpidl_field_t *f,
                                  cpidl_field_t *key, cpidl_field_t *value)
{
    cpidl_message_t *e = NEW(p, cpidl_message_t);
    size_t n = strlen(f->name);
    char *name = palloc(p, n + 6);
    size_t o = 0;
    bool up = true;
    for (size_t i = 0; i < n; i++) {
        if (f->name[i] == '_') {
            up = true;
            continue;
        }
        name[o++] = up ? (char)toupper((unsigned char)f->name[i]) : f->name[i];
        up = false;
    }
    memcpy(name + o, "Entry", 6);
    e->name = name;
    e->pos = f->pos;
    e->file = p->file;
    e->parent = b->m;
    e->map_entry = true;
    cpidl_field_t **fs = palloc(p, 2 * sizeof *fs);
    fs[0] = key;
    fs[1] = value;
    key->name = pstrndup(p, "key", 3);
    value->name = pstrndup(p, "value", 5);
    key->json_name = key->name;
    value->json_name = value->name;
    key->number = 1;
    value->number = 2;
    key->number_pos = value->number_pos = f->number_pos;
    key->pos = key->type_pos;
    value->pos = value->type_pos;
    key->label = value->label = CPIDL_LABEL_OPTIONAL;
    key->parent = value->parent = e;
    key->oneof_index = value->oneof_index = -1;
    e->fields = fs;
    e->n_fields = 2;
    push(p, &b->messages, e);
    push(p, &p->all_messages, e);
    return e;
}

/* A field, map field, or the label-less member of a oneof. */
static bool parse_field(parser_t *p, msg_build_t *b, cpidl_oneof_t *oneof, cpidl_vec_t *oneof_fields)
{
    cpidl_field_t *f = NEW(p, cpidl_field_t);
    f->leading_comment = p->tok_doc;
    f->parent = b->m;
    f->oneof_index = -1;
    cpidl_pos_t label_pos = tok_pos(p, &p->tok);
    bool labeled = false;
    if (is_kw(p, "optional") || is_kw(p, "required") || is_kw(p, "repeated")) {
        f->label = is_kw(p, "optional")   ? CPIDL_LABEL_OPTIONAL
                   : is_kw(p, "required") ? CPIDL_LABEL_REQUIRED
                                          : CPIDL_LABEL_REPEATED;
        labeled = true;
        if (f->label == CPIDL_LABEL_REQUIRED && p->file->syntax == CPIDL_SYNTAX_PROTO3)
            cpidl_error(p->ctx, label_pos, "required fields are not allowed in proto3");
        advance(p);
        if (oneof != NULL) {
            cpidl_error(p->ctx, label_pos, "fields in a oneof cannot have a label");
            return false;
        }
    }
    cpidl_field_t *key = NULL, *value = NULL;
    if (is_kw(p, "map")) {
        cpidl_pos_t map_pos = tok_pos(p, &p->tok);
        advance(p);
        if (is_sym(p, '<')) {
            if (labeled) {
                cpidl_error(p->ctx, label_pos, "map fields cannot have a label (they are repeated already)");
                return false;
            }
            if (oneof != NULL) {
                cpidl_error(p->ctx, map_pos, "map fields are not allowed in a oneof");
                return false;
            }
            advance(p);
            key = NEW(p, cpidl_field_t);
            value = NEW(p, cpidl_field_t);
            if (!parse_type(p, key) || !expect_sym(p, ','))
                return false;
            if (is_kw(p, "map")) {
                cpidl_error(p->ctx, tok_pos(p, &p->tok), "map value cannot be a map; wrap it in a message");
                return false;
            }
            if (!parse_type(p, value) || !expect_sym(p, '>'))
                return false;
            f->is_map = true;
            f->label = CPIDL_LABEL_REPEATED;
            f->type = CPIDL_TYPE_MESSAGE;
            f->type_pos = map_pos;
            f->type_name = cpidl_arena_printf(p->A, "map<%s, %s>", key->type_name, value->type_name);
            if (f->type_name == NULL)
                longjmp(p->bail, 1);
        } else {
            /* A type called `map`: let resolution report it if unknown. */
            f->type_name = pstrndup(p, "map", 3);
            f->type_pos = map_pos;
        }
    } else if (!parse_type(p, f)) {
        return false;
    }
    if (!expect_ident(p, &f->name, &f->pos, "a field name"))
        return false;
    if (!expect_sym(p, '='))
        return false;
    f->number_pos = tok_pos(p, &p->tok);
    uint64_t num;
    if (is_sym(p, '-') || p->tok.kind != CPIDL_TOK_INT) {
        error_expected(p, "a field number");
        return false;
    }
    if (!int_value(p->tok.text, p->tok.len, &num)) {
        char buf[48];
        cpidl_error(p->ctx, f->number_pos, "invalid field number %s", tok_desc(p, buf, sizeof buf));
        return false;
    }
    if (num < 1 || num > FIELD_MAX) {
        cpidl_error(p->ctx, f->number_pos, "field number %llu is out of range (1..536870911)",
                    (unsigned long long)num);
        return false;
    }
    f->number = (int32_t)num;
    advance(p);
    cpidl_vec_t opts = {0};
    if (!parse_option_list(p, OPT_FIELD, &opts))
        return false;
    if (!expect_sym(p, ';'))
        return false;
    SETV(f->options, f->n_options, opts);
    apply_bool(p, &opts, "deprecated", &f->deprecated);
    for (size_t i = 0; i < opts.n; i++) {
        cpidl_option_t *o = opts.items[i];
        if (o->is_extension)
            continue;
        if (strcmp(o->name, "default") == 0 && p->file->syntax == CPIDL_SYNTAX_PROTO3) {
            cpidl_error(p->ctx, o->pos, "explicit default values are not allowed in proto3");
            continue;
        }
        if (strcmp(o->name, "packed") == 0) {
            if (option_bool(p, o, &f->packed))
                f->packed_explicit = true;
        } else if (strcmp(o->name, "default") == 0) {
            f->has_default = true;
            f->default_value = o->value;
        } else if (strcmp(o->name, "json_name") == 0) {
            if (o->value.kind != CPIDL_VALUE_STRING)
                cpidl_error(p->ctx, o->value.pos, "option 'json_name' must be a string");
            else
                f->json_name = o->value.text;
        }
    }
    if (f->json_name == NULL && (f->json_name = cpidl_json_name(p->A, f->name)) == NULL)
        longjmp(p->bail, 1);
    if (p->file->syntax == CPIDL_SYNTAX_PROTO2 && !labeled && oneof == NULL && !f->is_map) {
        cpidl_error(p->ctx, f->type_pos,
                    "missing label: proto2 fields need 'optional', 'required' or 'repeated'");
    }
    if (p->file->syntax == CPIDL_SYNTAX_PROTO3 && f->label == CPIDL_LABEL_OPTIONAL && labeled)
        f->proto3_optional = true;
    if (oneof != NULL) {
        f->label = CPIDL_LABEL_OPTIONAL;
        f->oneof = oneof;
        f->oneof_index = oneof->index;
        push(p, oneof_fields, f);
    }
    if (f->is_map)
        f->message = map_entry(p, b, f, key, value);
    push(p, &b->fields, f);
    return true;
}

static bool parse_oneof(parser_t *p, msg_build_t *b)
{
    advance(p); /* oneof */
    cpidl_oneof_t *o = NEW(p, cpidl_oneof_t);
    o->parent = b->m;
    o->index = (int)b->oneofs.n;
    if (!expect_ident(p, &o->name, &o->pos, "a oneof name") || !expect_sym(p, '{'))
        return false;
    enter(p, o->pos);
    cpidl_vec_t fields = {0}, opts = {0};
    while (!is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok;
        if (is_sym(p, ';')) {
            advance(p);
            continue;
        }
        if (is_kw(p, "option"))
            ok = parse_option_stmt(p, OPT_ONEOF, &opts);
        else
            ok = parse_field(p, b, o, &fields);
        if (!ok)
            sync(p);
    }
    p->depth--;
    SETV(o->fields, o->n_fields, fields);
    SETV(o->options, o->n_options, opts);
    push(p, &b->oneofs, o);
    return expect_sym(p, '}');
}

/* `extend Foo { ... }`: parsed only far enough to skip it. */
static bool parse_extend(parser_t *p)
{
    cpidl_pos_t pos = tok_pos(p, &p->tok);
    advance(p);
    char *name;
    cpidl_pos_t npos;
    if (!parse_full_ident(p, true, &name, &npos, "a message name"))
        return false;
    if (!is_sym(p, '{')) {
        error_expected(p, "'{'");
        return false;
    }
    cpidl_warning(p->ctx, pos, "extensions are not supported; 'extend %s' is ignored", name);
    size_t depth = 0;
    do {
        if (is_sym(p, '{'))
            depth++;
        else if (is_sym(p, '}'))
            depth--;
        advance(p);
    } while (depth > 0 && p->tok.kind != CPIDL_TOK_EOF);
    if (depth > 0) {
        error_expected(p, "'}'");
        return false;
    }
    return true;
}

static bool parse_message_body_item(parser_t *p, msg_build_t *b)
{
    if (is_kw(p, "message"))
        return parse_message(p, b->m, &b->messages);
    if (is_kw(p, "enum"))
        return parse_enum(p, b->m, &b->enums);
    if (is_kw(p, "oneof"))
        return parse_oneof(p, b);
    if (is_kw(p, "option"))
        return parse_option_stmt(p, OPT_MESSAGE, &b->options);
    if (is_kw(p, "reserved"))
        return parse_reserved(p, &b->ranges, &b->names, 1, FIELD_MAX, false);
    if (is_kw(p, "extensions")) {
        advance(p);
        if (!parse_ranges(p, &b->ext, 1, FIELD_MAX, false, "extension"))
            return false;
        cpidl_vec_t opts = {0};
        if (!parse_option_list(p, OPT_RANGE, &opts))
            return false;
        return expect_sym(p, ';');
    }
    if (is_kw(p, "extend"))
        return parse_extend(p);
    if (p->tok.kind == CPIDL_TOK_IDENT || is_sym(p, '.'))
        return parse_field(p, b, NULL, NULL);
    error_expected(p, "a field, 'message', 'enum', 'oneof', 'option' or 'reserved'");
    return false;
}

static bool parse_message(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into)
{
    msg_build_t b = {0};
    b.m = NEW(p, cpidl_message_t);
    b.m->leading_comment = p->tok_doc;
    b.m->file = p->file;
    b.m->parent = parent;
    advance(p); /* message */
    if (!expect_ident(p, &b.m->name, &b.m->pos, "a message name"))
        return false;
    if (!expect_sym(p, '{'))
        return false;
    enter(p, b.m->pos);
    push(p, into, b.m);
    push(p, &p->all_messages, b.m);
    while (!is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        if (is_sym(p, ';')) {
            advance(p);
            continue;
        }
        if (!parse_message_body_item(p, &b))
            sync(p);
        finish_message(&b); /* keep the node consistent if we bail */
    }
    p->depth--;
    finish_message(&b);
    apply_bool(p, &b.options, "deprecated", &b.m->deprecated);
    return expect_sym(p, '}');
}

/* ---- enums ------------------------------------------------------------- */

static bool parse_enum_value(parser_t *p, cpidl_enum_t *e, cpidl_vec_t *values)
{
    cpidl_enum_value_t *v = NEW(p, cpidl_enum_value_t);
    v->leading_comment = p->tok_doc;
    v->parent = e;
    if (!expect_ident(p, &v->name, &v->pos, "an enum value name") || !expect_sym(p, '='))
        return false;
    bool neg = false;
    if (is_sym(p, '-')) {
        neg = true;
        advance(p);
    }
    cpidl_pos_t npos = tok_pos(p, &p->tok);
    uint64_t u;
    if (p->tok.kind != CPIDL_TOK_INT) {
        error_expected(p, "an enum value number");
        return false;
    }
    if (!int_value(p->tok.text, p->tok.len, &u) || u > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
        cpidl_error(p->ctx, npos, "enum value '%s' is out of range for int32", v->name);
        return false;
    }
    advance(p);
    v->number = neg ? (int32_t)(-(int64_t)u) : (int32_t)u;
    cpidl_vec_t opts = {0};
    if (!parse_option_list(p, OPT_VALUE, &opts) || !expect_sym(p, ';'))
        return false;
    SETV(v->options, v->n_options, opts);
    apply_bool(p, &opts, "deprecated", &v->deprecated);
    push(p, values, v);
    return true;
}

static bool parse_enum(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into)
{
    cpidl_enum_t *e = NEW(p, cpidl_enum_t);
    e->leading_comment = p->tok_doc;
    e->file = p->file;
    e->parent = parent;
    advance(p); /* enum */
    if (!expect_ident(p, &e->name, &e->pos, "an enum name") || !expect_sym(p, '{'))
        return false;
    enter(p, e->pos);
    push(p, into, e);
    push(p, &p->all_enums, e);
    cpidl_vec_t values = {0}, ranges = {0}, names = {0}, opts = {0};
    while (!is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok;
        if (is_sym(p, ';')) {
            advance(p);
            continue;
        }
        if (is_kw(p, "option"))
            ok = parse_option_stmt(p, OPT_ENUM, &opts);
        else if (is_kw(p, "reserved"))
            ok = parse_reserved(p, &ranges, &names, INT32_MIN, INT32_MAX, true);
        else
            ok = parse_enum_value(p, e, &values);
        if (!ok)
            sync(p);
        SETV(e->values, e->n_values, values);
    }
    p->depth--;
    SETV(e->values, e->n_values, values);
    SETV(e->reserved_ranges, e->n_reserved_ranges, ranges);
    SETV(e->reserved_names, e->n_reserved_names, names);
    SETV(e->options, e->n_options, opts);
    apply_bool(p, &opts, "allow_alias", &e->allow_alias);
    apply_bool(p, &opts, "deprecated", &e->deprecated);
    return expect_sym(p, '}');
}

/* ---- actors and services ----------------------------------------------- */

static bool parse_rpc_type(parser_t *p, char **name, cpidl_pos_t *pos, bool *stream)
{
    if (!expect_sym(p, '('))
        return false;
    if (is_kw(p, "stream")) {
        cpidl_pos_t spos = tok_pos(p, &p->tok);
        advance(p);
        if (p->tok.kind == CPIDL_TOK_IDENT || is_sym(p, '.')) {
            *stream = true;
            cpidl_error(p->ctx, spos,
                        "streaming rpc is not supported: a cproc rpc is one request and one response");
        } else {
            *name = pstrndup(p, "stream", 6);
            *pos = spos;
            return expect_sym(p, ')');
        }
    }
    if (!parse_full_ident(p, true, name, pos, "a message type"))
        return false;
    return expect_sym(p, ')');
}

static bool parse_rpc(parser_t *p, cpidl_actor_t *a, cpidl_vec_t *methods)
{
    cpidl_method_t *m = NEW(p, cpidl_method_t);
    m->leading_comment = p->tok_doc;
    m->parent = a;
    advance(p); /* rpc */
    if (!expect_ident(p, &m->name, &m->pos, "an rpc name"))
        return false;
    if (!parse_rpc_type(p, &m->input_type_name, &m->input_pos, &m->client_streaming))
        return false;
    if (!is_kw(p, "returns")) {
        error_expected(p, "'returns'");
        return false;
    }
    advance(p);
    if (!parse_rpc_type(p, &m->output_type_name, &m->output_pos, &m->server_streaming))
        return false;
    cpidl_vec_t opts = {0};
    if (is_sym(p, '{')) {
        advance(p);
        while (!is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
            if (is_sym(p, ';')) {
                advance(p);
                continue;
            }
            if (!is_kw(p, "option")) {
                error_expected(p, "'option' or '}'");
                return false;
            }
            if (!parse_option_stmt(p, OPT_METHOD, &opts))
                return false;
        }
        if (!expect_sym(p, '}'))
            return false;
        if (is_sym(p, ';'))
            advance(p);
    } else if (!expect_sym(p, ';')) {
        return false;
    }
    SETV(m->options, m->n_options, opts);
    apply_bool(p, &opts, "deprecated", &m->deprecated);
    if (m->client_streaming || m->server_streaming)
        return true; /* reported; keep it out of the checked tree */
    push(p, methods, m);
    return true;
}

static bool parse_actor(parser_t *p, cpidl_actor_kind_t kind)
{
    cpidl_actor_t *a = NEW(p, cpidl_actor_t);
    a->leading_comment = p->tok_doc;
    a->file = p->file;
    a->kind = kind;
    const char *kw = kind == CPIDL_ACTOR ? "actor" : "service";
    advance(p);
    if (!expect_ident(p, &a->name, &a->pos, kind == CPIDL_ACTOR ? "an actor name" : "a service name") ||
        !expect_sym(p, '{'))
        return false;
    enter(p, a->pos);
    push(p, &p->actors, a);
    cpidl_vec_t handlers = {0}, methods = {0}, routes = {0}, opts = {0};
    while (!is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok = true;
        if (is_sym(p, ';')) {
            advance(p);
            continue;
        }
        if (is_kw(p, "option")) {
            ok = parse_option_stmt(p, OPT_ACTOR, &opts);
        } else if (is_kw(p, "rpc")) {
            ok = parse_rpc(p, a, &methods);
        } else if (is_kw(p, "on") || is_kw(p, "route")) {
            bool on = is_kw(p, "on");
            if (kind == CPIDL_SERVICE) {
                cpidl_error(p->ctx, tok_pos(p, &p->tok),
                            "'%s' is not allowed in a service; declare an actor instead",
                            on ? "on" : "route");
                ok = false;
            } else if (on) {
                cpidl_handler_t *h = NEW(p, cpidl_handler_t);
                h->leading_comment = p->tok_doc;
                h->parent = a;
                advance(p);
                ok = parse_full_ident(p, true, &h->type_name, &h->pos, "a message type") &&
                     expect_sym(p, ';');
                if (ok)
                    push(p, &handlers, h);
            } else {
                cpidl_route_t *r = NEW(p, cpidl_route_t);
                r->leading_comment = p->tok_doc;
                r->parent = a;
                advance(p);
                size_t len;
                ok = parse_string(p, &r->path, &len, &r->pos) && expect_sym(p, ';');
                if (ok && (len == 0 || r->path[0] != '/')) {
                    cpidl_error(p->ctx, r->pos, "route path must start with '/'");
                    ok = false;
                    continue; /* the ';' is consumed */
                }
                if (ok && strlen(r->path) != len) {
                    cpidl_error(p->ctx, r->pos, "route path must not contain NUL bytes");
                    continue;
                }
                if (ok)
                    push(p, &routes, r);
            }
        } else {
            char what[64];
            snprintf(what, sizeof what, "%s in %s",
                     kind == CPIDL_ACTOR ? "'on', 'rpc', 'route' or 'option'" : "'rpc' or 'option'", kw);
            error_expected(p, what);
            ok = false;
        }
        if (!ok)
            sync(p);
    }
    p->depth--;
    SETV(a->handlers, a->n_handlers, handlers);
    SETV(a->methods, a->n_methods, methods);
    SETV(a->routes, a->n_routes, routes);
    SETV(a->options, a->n_options, opts);
    apply_bool(p, &opts, "deprecated", &a->deprecated);
    return expect_sym(p, '}');
}

/* ---- file -------------------------------------------------------------- */

static bool parse_syntax(parser_t *p)
{
    cpidl_pos_t pos = tok_pos(p, &p->tok);
    bool edition = is_kw(p, "edition");
    advance(p);
    if (!expect_sym(p, '='))
        return false;
    char *s;
    size_t len;
    cpidl_pos_t spos;
    if (!parse_string(p, &s, &len, &spos))
        return false;
    if (!expect_sym(p, ';'))
        return false;
    if (edition) {
        cpidl_error(p->ctx, pos, "editions are not supported; use syntax = \"proto2\" or \"proto3\"");
        return true;
    }
    if (p->seen_statement)
        cpidl_error(p->ctx, pos, "the syntax statement must be the first statement of the file");
    if (strcmp(s, "proto2") == 0 && len == 6) {
        p->file->syntax = CPIDL_SYNTAX_PROTO2;
    } else if (strcmp(s, "proto3") == 0 && len == 6) {
        p->file->syntax = CPIDL_SYNTAX_PROTO3;
    } else {
        char shown[40];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 4 < sizeof shown; i++)
            shown[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        shown[n] = '\0';
        cpidl_error(p->ctx, spos, "unknown syntax \"%s\"; expected \"proto2\" or \"proto3\"", shown);
        return true;
    }
    p->file->has_syntax = true;
    return true;
}

static bool parse_import(parser_t *p)
{
    advance(p);
    cpidl_import_t *im = NEW(p, cpidl_import_t);
    if (is_kw(p, "public") || is_kw(p, "weak")) {
        im->kind = is_kw(p, "public") ? CPIDL_IMPORT_PUBLIC : CPIDL_IMPORT_WEAK;
        advance(p);
    }
    size_t len;
    if (!parse_string(p, &im->name, &len, &im->pos) || !expect_sym(p, ';'))
        return false;
    if (len == 0 || strlen(im->name) != len) {
        cpidl_error(p->ctx, im->pos, "import name must be a non-empty path without NUL bytes");
        return true;
    }
    push(p, &p->imports, im);
    return true;
}

static bool parse_package(parser_t *p)
{
    cpidl_pos_t pos = tok_pos(p, &p->tok);
    advance(p);
    char *name;
    cpidl_pos_t npos;
    if (!parse_full_ident(p, false, &name, &npos, "a package name") || !expect_sym(p, ';'))
        return false;
    if (p->file->package_pos.line != 0) {
        cpidl_error(p->ctx, pos, "a file can have only one package statement");
        cpidl_note(p->ctx, p->file->package_pos, "the first package statement is here");
        return true;
    }
    p->file->package = name;
    p->file->package_pos = npos;
    return true;
}

static bool parse_top(parser_t *p)
{
    if (is_kw(p, "syntax") || is_kw(p, "edition"))
        return parse_syntax(p);
    p->seen_statement = true;
    if (is_kw(p, "package"))
        return parse_package(p);
    if (is_kw(p, "import"))
        return parse_import(p);
    if (is_kw(p, "option"))
        return parse_option_stmt(p, OPT_FILE, &p->options);
    if (is_kw(p, "message"))
        return parse_message(p, NULL, &p->messages);
    if (is_kw(p, "enum"))
        return parse_enum(p, NULL, &p->enums);
    if (is_kw(p, "actor"))
        return parse_actor(p, CPIDL_ACTOR);
    if (is_kw(p, "service"))
        return parse_actor(p, CPIDL_SERVICE);
    if (is_kw(p, "extend"))
        return parse_extend(p);
    error_expected(p, "'message', 'enum', 'actor', 'service', 'import', 'package', 'option' or 'syntax'");
    return false;
}

void cpidl_parse(cpidl_ctx_t *ctx, cpidl_file_t *file)
{
    parser_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        ctx->oom = true;
        return;
    }
    p->ctx = ctx;
    p->file = file;
    p->A = &ctx->arena;
    file->syntax = CPIDL_SYNTAX_PROTO2;
    if (file->package == NULL)
        file->package = "";
    cpidl_lexer_init(&p->lx, file->source, file->source_len);
    if (setjmp(p->bail) == 0) {
        advance(p);
        while (p->tok.kind != CPIDL_TOK_EOF) {
            if (is_sym(p, ';')) {
                advance(p);
                continue;
            }
            if (!parse_top(p)) {
                sync(p);
                if (is_sym(p, '}')) {
                    cpidl_error(ctx, tok_pos(p, &p->tok), "unbalanced '}'");
                    advance(p);
                }
            }
        }
    }
    if (p->A->failed)
        ctx->oom = true;
    SETV(file->imports, file->n_imports, p->imports);
    SETV(file->options, file->n_options, p->options);
    SETV(file->messages, file->n_messages, p->messages);
    SETV(file->enums, file->n_enums, p->enums);
    SETV(file->actors, file->n_actors, p->actors);
    SETV(file->all_messages, file->n_all_messages, p->all_messages);
    SETV(file->all_enums, file->n_all_enums, p->all_enums);
    free(p);
}
