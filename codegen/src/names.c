#include "names.h"

#include <ctype.h>
#include <stdbool.h>
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

/* Identifiers a generated member or handler name may not be: every C
 * keyword up to C23 and the GNU ones, and the lower-case macros that the
 * headers generated code includes (or the compiler in GNU mode) define,
 * which would rewrite the member. Member names are lower case, so only
 * lower-case entries can match; the others are kept for completeness. */
static const char *const c_keywords[] = {
    /* C11 */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic", "_Bool",
    "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
    "_Pragma",
    /* C23 */
    "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert",
    "thread_local", "true", "typeof", "typeof_unqual", "_BitInt", "_Decimal32", "_Decimal64",
    "_Decimal128",
    /* GNU */
    "asm", "fortran",
    /* object-like macros: <stddef.h>, <assert.h>, <errno.h>, gcc -std=gnu* */
    "NULL", "errno", "linux", "unix", "i386",
    /* the ProtobufCMessage member every generated struct starts with */
    "base",
};

bool cpgen_name_is_keyword(const char *name)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(name, c_keywords[i]) == 0)
            return true;
    return false;
}

char *cpgen_name_escape(const char *name)
{
    return cpgen_name_is_keyword(name) ? cpgen_xasprintf("%s_", name) : cpgen_xstrdup(name);
}

/* Function-like macros of the headers generated code includes (<assert.h>,
 * <stddef.h>, <math.h>): harmless as a struct member, but a handler is
 * called as `handlers->name(...)`, which such a macro would rewrite. */
static const char *const c_function_macros[] = {
    "assert", "offsetof", "isnan", "isinf", "isfinite", "isnormal", "signbit", "fpclassify",
    "isgreater", "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered",
};

char *cpgen_name_handler(const char *lower)
{
    for (size_t i = 0; i < sizeof c_function_macros / sizeof c_function_macros[0]; i++)
        if (strcmp(lower, c_function_macros[i]) == 0)
            return cpgen_xasprintf("%s_", lower);
    return cpgen_name_escape(lower);
}

char *cpgen_name_member(const char *field_name)
{
    size_t len = strlen(field_name);
    char *lower = cpgen_xmalloc(len + 1);
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)field_name[i]);
    char *rv = cpgen_name_escape(lower);
    free(lower);
    return rv;
}

char *cpgen_name_import_header(const char *import, const char *proto_suffix, bool paths)
{
    const char *name = import;
    if (!paths) {
        const char *slash = strrchr(import, '/');
        name = slash ? slash + 1 : import;
    }
    size_t len = strlen(name);
    if (len > 6 && strcmp(name + len - 6, ".proto") == 0)
        return cpgen_xasprintf("%.*s%s.h", (int)(len - 6), name, proto_suffix);
    if (len > 6 && strcmp(name + len - 6, ".actor") == 0)
        return cpgen_xasprintf("%.*s.actor.h", (int)(len - 6), name);
    return cpgen_xasprintf("%s.h", name);
}

char *cpgen_name_guard(const char *header_name)
{
    char *g = cpgen_xasprintf("CPGEN_%s", header_name);
    for (char *p = g; *p; p++)
        *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    return g;
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
