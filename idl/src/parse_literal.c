/* Literals: integers, strings with escapes, dotted names and constants. */
#include "parse_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- literals ---------------------------------------------------------- */

/* Decimal, octal (leading 0) or hex integer; false when malformed or above
 * UINT64_MAX. */
bool cpidl_p_int_value(const char *s, size_t n, uint64_t *out)
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
        case 'a':
            out[o++] = '\a';
            break;
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'v':
            out[o++] = '\v';
            break;
        case '\\':
        case '\'':
        case '"':
        case '?':
            out[o++] = (unsigned char)c;
            break;
        case 'x':
        case 'X': {
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
        case 'u':
        case 'U': {
            int want = c == 'u' ? 4 : 8, nd = 0;
            uint32_t v = 0;
            while (nd < want && s < end && hexval(*s) >= 0) {
                v = v * 16 + (uint32_t)hexval(*s++);
                nd++;
            }
            if (nd < want || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
                cpidl_error(p->ctx, pos,
                            "invalid Unicode escape (\\%c needs %d hex digits naming a code point)",
                            c, want);
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
bool cpidl_p_parse_string(parser_t *p, char **out, size_t *out_len, cpidl_pos_t *pos)
{
    if (p->tok.kind != CPIDL_TOK_STRING) {
        cpidl_p_error_expected(p, "a string");
        return false;
    }
    if (pos != NULL)
        *pos = cpidl_p_tok_pos(p, &p->tok);
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = true;
    while (p->tok.kind == CPIDL_TOK_STRING) {
        if (len + p->tok.len + 1 > cap) {
            size_t ncap = (len + p->tok.len + 1) * 2;
            unsigned char *nb = cpidl_p_palloc(p, ncap);
            if (len > 0)
                memcpy(nb, buf, len);
            buf = nb;
            cap = ncap;
        }
        ok = decode_string(p, &p->tok, buf, &len) && ok;
        cpidl_p_advance(p);
    }
    buf[len] = '\0';
    *out = (char *)buf;
    if (out_len != NULL)
        *out_len = len;
    return ok;
}

/* A dotted name: ident ('.' ident)*, with an optional leading dot when
 * `allow_dot`. */
bool cpidl_p_parse_full_ident(parser_t *p, bool allow_dot, char **out, cpidl_pos_t *pos,
                              const char *what)
{
    *pos = cpidl_p_tok_pos(p, &p->tok);
    const char *start = p->tok.text;
    if (allow_dot && cpidl_p_is_sym(p, '.'))
        cpidl_p_advance(p);
    if (p->tok.kind != CPIDL_TOK_IDENT) {
        cpidl_p_error_expected(p, what);
        return false;
    }
    /* Rebuild without whitespace: tokens may be separated by spaces. */
    size_t cap = 64, n = 0;
    char *buf = cpidl_p_palloc(p, cap);
    if (*start == '.')
        buf[n++] = '.';
    for (;;) {
        if (n + p->tok.len + 2 > cap) {
            size_t ncap = (n + p->tok.len + 2) * 2;
            char *nb = cpidl_p_palloc(p, ncap);
            memcpy(nb, buf, n);
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + n, p->tok.text, p->tok.len);
        n += p->tok.len;
        cpidl_p_advance(p);
        if (!cpidl_p_is_sym(p, '.'))
            break;
        cpidl_p_advance(p);
        if (p->tok.kind != CPIDL_TOK_IDENT) {
            cpidl_p_error_expected(p, "an identifier after '.'");
            return false;
        }
        buf[n++] = '.';
    }
    buf[n] = '\0';
    *out = buf;
    return true;
}

/* A constant: [-+] number | [-+] inf/nan | identifier | strings | { aggregate }. */
bool cpidl_p_parse_constant(parser_t *p, cpidl_value_t *v)
{
    memset(v, 0, sizeof *v);
    v->pos = cpidl_p_tok_pos(p, &p->tok);
    if (p->tok.kind == CPIDL_TOK_STRING) {
        v->kind = CPIDL_VALUE_STRING;
        return cpidl_p_parse_string(p, &v->text, &v->len, NULL);
    }
    if (cpidl_p_is_sym(p, '{')) {
        /* Aggregate (text format) value: skipped, braces balanced. */
        size_t depth = 0;
        do {
            if (cpidl_p_is_sym(p, '{'))
                depth++;
            else if (cpidl_p_is_sym(p, '}'))
                depth--;
            cpidl_p_advance(p);
        } while (depth > 0 && p->tok.kind != CPIDL_TOK_EOF);
        if (depth > 0) {
            cpidl_p_error_expected(p, "'}' closing the aggregate value");
            return false;
        }
        v->kind = CPIDL_VALUE_AGGREGATE;
        v->text = cpidl_p_pstrndup(p, "{...}", 5);
        v->len = 5;
        return true;
    }
    bool neg = false, sign = false;
    if (cpidl_p_is_sym(p, '-') || cpidl_p_is_sym(p, '+')) {
        neg = cpidl_p_is_sym(p, '-');
        sign = true;
        cpidl_p_advance(p);
    }
    if (p->tok.kind == CPIDL_TOK_IDENT && !sign) {
        cpidl_pos_t pos;
        if (!cpidl_p_parse_full_ident(p, false, &v->text, &pos, "a value"))
            return false;
        v->kind = CPIDL_VALUE_IDENT;
        v->len = strlen(v->text);
        if (strcmp(v->text, "inf") == 0)
            v->float_value = INFINITY;
        else if (strcmp(v->text, "nan") == 0)
            v->float_value = NAN;
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_IDENT && (cpidl_p_is_kw(p, "inf") || cpidl_p_is_kw(p, "nan"))) {
        v->kind = CPIDL_VALUE_FLOAT;
        v->negative = neg;
        v->float_value = cpidl_p_is_kw(p, "inf") ? INFINITY : NAN;
        if (neg)
            v->float_value = -v->float_value;
        v->text = neg ? cpidl_p_pstrndup(p, cpidl_p_is_kw(p, "inf") ? "-inf" : "-nan", 4)
                      : cpidl_p_tok_str(p);
        v->len = strlen(v->text);
        cpidl_p_advance(p);
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_INT) {
        v->kind = CPIDL_VALUE_INT;
        v->negative = neg;
        if (!cpidl_p_int_value(p->tok.text, p->tok.len, &v->uint_value)) {
            char buf[48];
            cpidl_error(p->ctx, cpidl_p_tok_pos(p, &p->tok),
                        "invalid integer literal %s (malformed or above 2^64-1)",
                        cpidl_p_tok_desc(p, buf, sizeof buf));
            cpidl_p_advance(p);
            return false;
        }
        v->float_value = neg ? -(double)v->uint_value : (double)v->uint_value;
        v->text = cpidl_p_tok_str(p);
        if (neg) {
            /* "- 5" is written with a space sometimes; keep "-5". */
            char *t = cpidl_p_palloc(p, p->tok.len + 2);
            t[0] = '-';
            memcpy(t + 1, p->tok.text, p->tok.len);
            v->text = t;
        }
        v->len = strlen(v->text);
        cpidl_p_advance(p);
        return true;
    }
    if (p->tok.kind == CPIDL_TOK_FLOAT) {
        v->kind = CPIDL_VALUE_FLOAT;
        v->negative = neg;
        char *t = cpidl_p_palloc(p, p->tok.len + 2);
        size_t o = 0;
        if (neg)
            t[o++] = '-';
        memcpy(t + o, p->tok.text, p->tok.len);
        v->text = t;
        v->len = strlen(t);
        v->float_value = strtod(t, NULL);
        cpidl_p_advance(p);
        return true;
    }
    cpidl_p_error_expected(p, "a constant");
    return false;
}
