#include "names.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

char *cpgen_name_camel(const char *name)
{
    char *rv = cpgen_xmalloc(strlen(name) + 1);
    size_t n = 0;
    int next_upper = 1;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            next_upper = 1;
        } else if (next_upper) {
            rv[n++] = (char)toupper((unsigned char)*p);
            next_upper = 0;
        } else {
            rv[n++] = *p;
        }
    }
    rv[n] = '\0';
    return rv;
}

/* protoc-c inserts "_" before an upper-case letter that follows anything
 * but an upper-case letter, so acronyms stay in one piece. */
static char *case_split(const char *name, int (*conv)(int))
{
    char *rv = cpgen_xmalloc(2 * strlen(name) + 1);
    size_t n = 0;
    int was_upper = 1;
    for (const char *p = name; *p; p++) {
        int is_upper = isupper((unsigned char)*p) != 0;
        if (is_upper && !was_upper)
            rv[n++] = '_';
        rv[n++] = (char)conv((unsigned char)*p);
        was_upper = is_upper;
    }
    rv[n] = '\0';
    return rv;
}

char *cpgen_name_upper(const char *name)
{
    return case_split(name, toupper);
}

char *cpgen_name_lower(const char *name)
{
    return case_split(name, tolower);
}

static const char *const c_keywords[] = {
    "auto", "bool", "break", "case", "char", "const", "continue", "default",
    "do", "double", "else", "enum", "extern", "false", "float", "for", "goto",
    "if", "inline", "int", "long", "register", "restrict", "return", "short",
    "signed", "sizeof", "static", "struct", "switch", "true", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
    "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
    "_Static_assert", "_Thread_local", "asm", "typeof", "NULL",
    /* the ProtobufCMessage member every generated struct starts with */
    "base",
};

char *cpgen_name_member(const char *field_name)
{
    size_t len = strlen(field_name);
    char *rv = cpgen_xmalloc(len + 2);
    for (size_t i = 0; i <= len; i++)
        rv[i] = (char)tolower((unsigned char)field_name[i]);
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++) {
        if (strcmp(rv, c_keywords[i]) == 0) {
            rv[len] = '_';
            rv[len + 1] = '\0';
            break;
        }
    }
    return rv;
}

char *cpgen_name_map_entry(const char *field_name)
{
    char *camel = cpgen_name_camel(field_name);
    char *rv = cpgen_xasprintf("%sEntry", camel);
    free(camel);
    return rv;
}

/* Apply `conv` to each dot-separated piece of `dotted` and join with "__". */
static char *join_pieces(const char *dotted, char *(*conv)(const char *))
{
    cpgen_out_t out;
    cpgen_out_init(&out);
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len > 0) {
            char *piece = cpgen_xmalloc(len + 1);
            memcpy(piece, p, len);
            piece[len] = '\0';
            char *converted = conv(piece);
            if (out.len > 0)
                cpgen_out_puts(&out, "__");
            cpgen_out_puts(&out, converted);
            free(converted);
            free(piece);
        }
        p += len;
        if (*p == '.')
            p++;
    }
    if (!out.data)
        cpgen_out_puts(&out, "");
    return out.data;
}

void cpgen_names_fill(cpgen_names_t *names, const char *package, const char *scoped)
{
    names->full = package[0] ? cpgen_xasprintf("%s.%s", package, scoped)
                             : cpgen_xstrdup(scoped);
    const char *last = strrchr(scoped, '.');
    names->short_name = cpgen_xstrdup(last ? last + 1 : scoped);
    names->c = join_pieces(names->full, cpgen_name_camel);
    names->upper = join_pieces(names->full, cpgen_name_upper);
    names->lower = join_pieces(names->full, cpgen_name_lower);
}

void cpgen_names_close(cpgen_names_t *names)
{
    free(names->full);
    free(names->short_name);
    free(names->c);
    free(names->upper);
    free(names->lower);
}
