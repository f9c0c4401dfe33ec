/*
 * Name resolution and semantic checks over every loaded file.
 *
 * Pass 1 gives every message, enum, enum value, field, oneof and actor its
 * full name (".pkg.Outer.Inner") and enters it in one symbol table, which
 * reports duplicates. Pass 2 resolves type references with protobuf's
 * scoping (innermost scope outward) and checks fields, enums and actors.
 */
#include "parser.h"

#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef enum sym_kind {
    SYM_PACKAGE,
    SYM_MESSAGE,
    SYM_ENUM,
    SYM_VALUE,
    SYM_FIELD,
    SYM_ONEOF,
    SYM_ACTOR,
} sym_kind_t;

static const char *const sym_kind_names[] = {"package", "message", "enum", "enum value",
                                             "field",   "oneof",   "actor"};

typedef struct sym {
    const char *name; /* full name with leading dot */
    sym_kind_t kind;
    const void *node;
    cpidl_pos_t pos;
    const cpidl_file_t *file;
} sym_t;

typedef struct checker {
    cpidl_ctx_t *ctx;
    cpidl_arena_t *A;
    sym_t *table; /* open addressing; name == NULL marks a free slot */
    size_t cap;
    size_t n;
    jmp_buf bail;
    const cpidl_file_t *cur_file; /* the file being declared or checked */
    /* Files whose names cur_file may use: itself, its imports, and what
     * those re-export with `import public`, transitively. */
    const cpidl_file_t **visible;
    size_t n_visible;
    size_t cap_visible;
} checker_t;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static sym_t *sym_find(checker_t *c, const char *name)
{
    if (c->cap == 0)
        return NULL;
    for (size_t i = hash_str(name) & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        if (c->table[i].name == NULL)
            return NULL;
        if (strcmp(c->table[i].name, name) == 0)
            return &c->table[i];
    }
}

static void sym_grow(checker_t *c)
{
    size_t cap = c->cap ? c->cap * 2 : 256;
    sym_t *t = calloc(cap, sizeof *t);
    if (t == NULL)
        longjmp(c->bail, 1);
    for (size_t i = 0; i < c->cap; i++) {
        if (c->table[i].name == NULL)
            continue;
        size_t j = hash_str(c->table[i].name) & (cap - 1);
        while (t[j].name != NULL)
            j = (j + 1) & (cap - 1);
        t[j] = c->table[i];
    }
    free(c->table);
    c->table = t;
    c->cap = cap;
}

/* Enter a symbol; reports a duplicate (packages may repeat). */
static void sym_add(checker_t *c, const char *name, sym_kind_t kind, const void *node,
                    cpidl_pos_t pos)
{
    sym_t *old = sym_find(c, name);
    if (old != NULL) {
        if (old->kind == SYM_PACKAGE && kind == SYM_PACKAGE)
            return;
        if (kind == SYM_VALUE || old->kind == SYM_VALUE) {
            cpidl_error(
                c->ctx, pos,
                "'%s' is already defined (enum values are siblings of their enum, as in C++)",
                name + 1);
        } else if (old->kind == SYM_PACKAGE || kind == SYM_PACKAGE) {
            cpidl_error(c->ctx, pos, "'%s' is already defined as a %s", name + 1,
                        sym_kind_names[old->kind]);
        } else {
            cpidl_error(c->ctx, pos, "'%s' is already defined", name + 1);
        }
        if (old->pos.path != NULL)
            cpidl_note(c->ctx, old->pos, "previous definition of '%s' is here", name + 1);
        return;
    }
    if ((c->n + 1) * 2 > c->cap)
        sym_grow(c);
    size_t i = hash_str(name) & (c->cap - 1);
    while (c->table[i].name != NULL)
        i = (i + 1) & (c->cap - 1);
    c->table[i] = (sym_t){name, kind, node, pos, c->cur_file};
    c->n++;
}

static char *join(checker_t *c, const char *scope, const char *name)
{
    char *s = cpidl_arena_printf(c->A, "%s.%s", scope, name);
    if (s == NULL)
        longjmp(c->bail, 1);
    return s;
}

/* ---- pass 1: names ----------------------------------------------------- */

static void declare_enum(checker_t *c, cpidl_enum_t *e, const char *scope)
{
    e->full_name = join(c, scope, e->name);
    sym_add(c, e->full_name, SYM_ENUM, e, e->pos);
    for (size_t i = 0; i < e->n_values; i++) {
        cpidl_enum_value_t *v = e->values[i];
        sym_add(c, join(c, scope, v->name), SYM_VALUE, v, v->pos);
    }
}

static void declare_message(checker_t *c, cpidl_message_t *m, const char *scope)
{
    m->full_name = join(c, scope, m->name);
    sym_add(c, m->full_name, SYM_MESSAGE, m, m->pos);
    for (size_t i = 0; i < m->n_fields; i++) {
        cpidl_field_t *f = m->fields[i];
        sym_add(c, join(c, m->full_name, f->name), SYM_FIELD, f, f->pos);
    }
    for (size_t i = 0; i < m->n_oneofs; i++) {
        cpidl_oneof_t *o = m->oneofs[i];
        sym_add(c, join(c, m->full_name, o->name), SYM_ONEOF, o, o->pos);
    }
    for (size_t i = 0; i < m->n_messages; i++)
        declare_message(c, m->messages[i], m->full_name);
    for (size_t i = 0; i < m->n_enums; i++)
        declare_enum(c, m->enums[i], m->full_name);
}

static const char *file_scope(checker_t *c, const cpidl_file_t *f)
{
    if (f->package[0] == '\0')
        return "";
    char *s = cpidl_arena_printf(c->A, ".%s", f->package);
    if (s == NULL)
        longjmp(c->bail, 1);
    return s;
}

static void declare_file(checker_t *c, cpidl_file_t *f)
{
    c->cur_file = f;
    const char *scope = file_scope(c, f);
    /* Each package prefix is a symbol so a message cannot take its name. */
    for (const char *dot = scope + 1; *scope != '\0'; dot++) {
        if (*dot == '.' || *dot == '\0') {
            char *pkg = cpidl_arena_strndup(c->A, scope, (size_t)(dot - scope));
            if (pkg == NULL)
                longjmp(c->bail, 1);
            sym_add(c, pkg, SYM_PACKAGE, f, f->package_pos);
            if (*dot == '\0')
                break;
        }
    }
    for (size_t i = 0; i < f->n_messages; i++)
        declare_message(c, f->messages[i], scope);
    for (size_t i = 0; i < f->n_enums; i++)
        declare_enum(c, f->enums[i], scope);
    for (size_t i = 0; i < f->n_actors; i++) {
        cpidl_actor_t *a = f->actors[i];
        a->full_name = join(c, scope, a->name);
        sym_add(c, a->full_name, SYM_ACTOR, a, a->pos);
    }
}

/* ---- pass 2: resolution ------------------------------------------------ */

static bool is_type(const sym_t *s)
{
    return s != NULL && (s->kind == SYM_MESSAGE || s->kind == SYM_ENUM);
}

/* protobuf scoping: the first component is looked up from the innermost
 * scope outward; the rest must then name a type inside what it found. */
static const sym_t *resolve(checker_t *c, const char *scope, const char *name)
{
    if (name[0] == '.') {
        const sym_t *s = sym_find(c, name);
        return is_type(s) ? s : NULL;
    }
    const char *dot = strchr(name, '.');
    size_t first_len = dot ? (size_t)(dot - name) : strlen(name);
    size_t slen = strlen(scope);
    char *buf = malloc(slen + strlen(name) + 2);
    if (buf == NULL)
        longjmp(c->bail, 1);
    const sym_t *found = NULL;
    for (;;) {
        memcpy(buf, scope, slen);
        buf[slen] = '.';
        memcpy(buf + slen + 1, name, first_len);
        buf[slen + 1 + first_len] = '\0';
        const sym_t *s = sym_find(c, buf);
        if (dot == NULL ? is_type(s)
                        : (s != NULL && (s->kind == SYM_PACKAGE || s->kind == SYM_MESSAGE))) {
            if (dot == NULL) {
                found = s;
                break;
            }
            strcpy(buf + slen + 1, name);
            const sym_t *t = sym_find(c, buf);
            if (is_type(t)) {
                found = t;
                break;
            }
        }
        if (slen == 0)
            break;
        do {
            slen--;
        } while (slen > 0 && scope[slen] != '.');
    }
    free(buf);
    return found;
}

/* Report an unknown type, suggesting the closest message or enum name. */
static void report_unknown(checker_t *c, const cpidl_file_t *file, cpidl_pos_t pos,
                           const char *name)
{
    const char *last = strrchr(name, '.');
    last = last ? last + 1 : name;
    size_t len = strlen(last);
    size_t limit = len < 4 ? 1 : len / 3 + 1;
    size_t best = limit + 1;
    const sym_t *best_sym = NULL;
    for (size_t i = 0; i < c->cap; i++) {
        const sym_t *s = &c->table[i];
        if (s->name == NULL || !is_type(s))
            continue;
        const char *sl = strrchr(s->name, '.') + 1;
        size_t d = cpidl_edit_distance(last, sl, limit);
        if (d < best || (d == best && best_sym != NULL && strcmp(s->name, best_sym->name) < 0)) {
            best = d;
            best_sym = s;
        }
    }
    if (best_sym == NULL) {
        cpidl_error(c->ctx, pos, "unknown type '%s'", name);
        return;
    }
    /* Show the suggestion relative to the file's package when inside it. */
    const char *shown = best_sym->name + 1;
    size_t plen = strlen(file->package);
    if (plen > 0 && strncmp(shown, file->package, plen) == 0 && shown[plen] == '.')
        shown += plen + 1;
    cpidl_error(c->ctx, pos, "unknown type '%s'; did you mean '%s'?", name, shown);
}

static const sym_t *resolve_or_report(checker_t *c, const cpidl_file_t *file, const char *scope,
                                      const char *name, cpidl_pos_t pos)
{
    const sym_t *s = resolve(c, scope, name);
    if (s == NULL) {
        report_unknown(c, file, pos, name);
        return NULL;
    }
    for (size_t i = 0; i < c->n_visible; i++) {
        if (c->visible[i] == s->file)
            return s;
    }
    cpidl_error(c->ctx, pos, "'%s' is defined in '%s', which '%s' does not import", s->name + 1,
                s->file->name, file->name);
    return NULL;
}

static void add_visible(checker_t *c, const cpidl_file_t *f)
{
    for (size_t i = 0; i < c->n_visible; i++) {
        if (c->visible[i] == f)
            return;
    }
    if (c->n_visible == c->cap_visible) {
        size_t cap = c->cap_visible ? c->cap_visible * 2 : 16;
        const cpidl_file_t **v = realloc(c->visible, cap * sizeof *v);
        if (v == NULL)
            longjmp(c->bail, 1);
        c->visible = v;
        c->cap_visible = cap;
    }
    c->visible[c->n_visible++] = f;
    /* What f re-exports is visible too; the list is the worklist. */
    for (size_t i = 0; i < f->n_imports; i++) {
        if (f->imports[i]->kind == CPIDL_IMPORT_PUBLIC && f->imports[i]->file != NULL)
            add_visible(c, f->imports[i]->file);
    }
}

static void compute_visible(checker_t *c, const cpidl_file_t *f)
{
    c->n_visible = 0;
    add_visible(c, f);
    for (size_t i = 0; i < f->n_imports; i++) {
        if (f->imports[i]->file != NULL)
            add_visible(c, f->imports[i]->file);
    }
}

static void resolve_field(checker_t *c, cpidl_field_t *f, const char *scope)
{
    if (f->type != 0 || f->is_map)
        return;
    const sym_t *s = resolve_or_report(c, f->parent->file, scope, f->type_name, f->type_pos);
    if (s == NULL)
        return;
    f->type_full_name = (char *)s->name;
    if (s->kind == SYM_MESSAGE) {
        f->type = CPIDL_TYPE_MESSAGE;
        f->message = s->node;
    } else {
        f->type = CPIDL_TYPE_ENUM;
        f->enumeration = s->node;
    }
}

static bool packable(cpidl_type_t t)
{
    return t != 0 && t != CPIDL_TYPE_STRING && t != CPIDL_TYPE_BYTES && t != CPIDL_TYPE_MESSAGE &&
           t != CPIDL_TYPE_GROUP;
}

static void check_default(checker_t *c, cpidl_field_t *f)
{
    const cpidl_value_t *v = &f->default_value;
    if (f->label == CPIDL_LABEL_REPEATED) {
        cpidl_error(c->ctx, v->pos, "default values are not allowed on repeated fields");
        return;
    }
    const char *want = NULL;
    switch (f->type) {
    case CPIDL_TYPE_MESSAGE:
        cpidl_error(c->ctx, v->pos, "default values are not allowed on message fields");
        return;
    case CPIDL_TYPE_BOOL:
        if (v->kind != CPIDL_VALUE_IDENT ||
            (strcmp(v->text, "true") != 0 && strcmp(v->text, "false") != 0))
            want = "true or false";
        break;
    case CPIDL_TYPE_STRING:
    case CPIDL_TYPE_BYTES:
        if (v->kind != CPIDL_VALUE_STRING)
            want = "a string";
        break;
    case CPIDL_TYPE_ENUM:
        if (v->kind != CPIDL_VALUE_IDENT) {
            want = "an enum value name";
            break;
        }
        for (size_t i = 0; i < f->enumeration->n_values; i++) {
            if (strcmp(f->enumeration->values[i]->name, v->text) == 0) {
                f->default_enum_value = f->enumeration->values[i];
                return;
            }
        }
        cpidl_error(c->ctx, v->pos, "default value '%s' is not a value of enum '%s'", v->text,
                    f->enumeration->full_name + 1);
        return;
    case CPIDL_TYPE_FLOAT:
    case CPIDL_TYPE_DOUBLE:
        if (v->kind == CPIDL_VALUE_IDENT &&
            (strcmp(v->text, "inf") == 0 || strcmp(v->text, "nan") == 0))
            break;
        if (v->kind != CPIDL_VALUE_INT && v->kind != CPIDL_VALUE_FLOAT)
            want = "a number, inf or nan";
        break;
    case CPIDL_TYPE_INT32:
    case CPIDL_TYPE_SINT32:
    case CPIDL_TYPE_SFIXED32:
        if (v->kind != CPIDL_VALUE_INT ||
            v->uint_value > (v->negative ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX))
            want = "an integer in the int32 range";
        break;
    case CPIDL_TYPE_UINT32:
    case CPIDL_TYPE_FIXED32:
        if (v->kind != CPIDL_VALUE_INT || (v->negative && v->uint_value != 0) ||
            v->uint_value > UINT32_MAX)
            want = "an integer in the uint32 range";
        break;
    case CPIDL_TYPE_INT64:
    case CPIDL_TYPE_SINT64:
    case CPIDL_TYPE_SFIXED64:
        if (v->kind != CPIDL_VALUE_INT ||
            v->uint_value > (v->negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
            want = "an integer in the int64 range";
        break;
    case CPIDL_TYPE_UINT64:
    case CPIDL_TYPE_FIXED64:
        if (v->kind != CPIDL_VALUE_INT || (v->negative && v->uint_value != 0))
            want = "an integer in the uint64 range";
        break;
    default:
        return; /* unresolved type: already reported */
    }
    if (want != NULL)
        cpidl_error(c->ctx, v->pos, "invalid default value for field '%s': expected %s", f->name,
                    want);
}

static int cmp_field_number(const void *a, const void *b)
{
    const cpidl_field_t *x = *(cpidl_field_t *const *)a, *y = *(cpidl_field_t *const *)b;
    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return x->pos.line != y->pos.line ? (x->pos.line < y->pos.line ? -1 : 1)
                                      : (x->pos.col < y->pos.col ? -1 : x->pos.col > y->pos.col);
}

static void check_numbers(checker_t *c, cpidl_message_t *m)
{
    if (m->n_fields < 2)
        return;
    cpidl_field_t **sorted = malloc(m->n_fields * sizeof *sorted);
    if (sorted == NULL)
        longjmp(c->bail, 1);
    memcpy(sorted, m->fields, m->n_fields * sizeof *sorted);
    qsort(sorted, m->n_fields, sizeof *sorted, cmp_field_number);
    for (size_t i = 1; i < m->n_fields; i++) {
        size_t first = i - 1;
        while (first > 0 && sorted[first - 1]->number == sorted[i]->number)
            first--;
        if (sorted[i]->number == sorted[first]->number) {
            cpidl_error(c->ctx, sorted[i]->number_pos, "field number %d is already used by '%s'",
                        sorted[i]->number, sorted[first]->name);
            cpidl_note(c->ctx, sorted[first]->number_pos, "'%s' is declared here",
                       sorted[first]->name);
        }
    }
    free(sorted);
}

static void check_field(checker_t *c, cpidl_message_t *m, cpidl_field_t *f)
{
    const cpidl_file_t *file = m->file;
    if (f->is_map) {
        if (f->message == NULL || f->message->n_fields < 2)
            return;
        const cpidl_field_t *key = f->message->fields[0];
        switch ((int)key->type) {
        case 0: /* unknown: already reported */
        case CPIDL_TYPE_INT32:
        case CPIDL_TYPE_INT64:
        case CPIDL_TYPE_UINT32:
        case CPIDL_TYPE_UINT64:
        case CPIDL_TYPE_SINT32:
        case CPIDL_TYPE_SINT64:
        case CPIDL_TYPE_FIXED32:
        case CPIDL_TYPE_FIXED64:
        case CPIDL_TYPE_SFIXED32:
        case CPIDL_TYPE_SFIXED64:
        case CPIDL_TYPE_BOOL:
        case CPIDL_TYPE_STRING:
            break;
        default:
            cpidl_error(c->ctx, key->type_pos,
                        "map key type must be an integer type, bool or string, not '%s'",
                        key->type_name);
        }
        return;
    }
    if (f->number >= 19000 && f->number <= 19999)
        cpidl_error(c->ctx, f->number_pos,
                    "field number %d is reserved for the protobuf implementation (19000..19999)",
                    f->number);
    for (size_t i = 0; i < m->n_reserved_ranges; i++) {
        const cpidl_range_t *r = m->reserved_ranges[i];
        if (f->number >= r->start && f->number <= r->end) {
            cpidl_error(c->ctx, f->number_pos, "field '%s' uses reserved number %d", f->name,
                        f->number);
            cpidl_note(c->ctx, r->pos, "reserved here");
            break;
        }
    }
    for (size_t i = 0; i < m->n_extension_ranges; i++) {
        const cpidl_range_t *r = m->extension_ranges[i];
        if (f->number >= r->start && f->number <= r->end) {
            cpidl_error(c->ctx, f->number_pos, "field '%s' uses number %d of an extension range",
                        f->name, f->number);
            cpidl_note(c->ctx, r->pos, "extension range declared here");
            break;
        }
    }
    for (size_t i = 0; i < m->n_reserved_names; i++) {
        const cpidl_reserved_name_t *r = m->reserved_names[i];
        if (strcmp(r->name, f->name) == 0) {
            cpidl_error(c->ctx, f->pos, "field name '%s' is reserved", f->name);
            cpidl_note(c->ctx, r->pos, "reserved here");
            break;
        }
    }
    if (f->packed_explicit && f->packed &&
        (f->label != CPIDL_LABEL_REPEATED || !packable(f->type)) && f->type != 0) {
        cpidl_error(
            c->ctx, f->pos,
            "[packed = true] applies only to repeated fields of numeric, bool or enum type");
    }
    if (!f->packed_explicit && file->syntax == CPIDL_SYNTAX_PROTO3 &&
        f->label == CPIDL_LABEL_REPEATED && packable(f->type))
        f->packed = true;
    if (f->has_default)
        check_default(c, f);
}

static void check_enum(checker_t *c, cpidl_enum_t *e)
{
    if (e->n_values == 0) {
        cpidl_error(c->ctx, e->pos, "enum '%s' must have at least one value", e->name);
        return;
    }
    if (e->file->syntax == CPIDL_SYNTAX_PROTO3 && e->values[0]->number != 0)
        cpidl_error(c->ctx, e->values[0]->pos, "the first enum value must be zero in proto3");
    bool aliased = false;
    for (size_t i = 0; i < e->n_values; i++) {
        const cpidl_enum_value_t *v = e->values[i];
        for (size_t j = 0; j < e->n_reserved_ranges; j++) {
            const cpidl_range_t *r = e->reserved_ranges[j];
            if (v->number >= r->start && v->number <= r->end) {
                cpidl_error(c->ctx, v->pos, "enum value '%s' uses reserved number %d", v->name,
                            v->number);
                cpidl_note(c->ctx, r->pos, "reserved here");
                break;
            }
        }
        for (size_t j = 0; j < e->n_reserved_names; j++) {
            if (strcmp(e->reserved_names[j]->name, v->name) == 0) {
                cpidl_error(c->ctx, v->pos, "enum value name '%s' is reserved", v->name);
                cpidl_note(c->ctx, e->reserved_names[j]->pos, "reserved here");
                break;
            }
        }
        if (e->allow_alias) {
            for (size_t j = 0; j < i && j < 4096 && !aliased; j++)
                aliased = e->values[j]->number == v->number;
            continue;
        }
        /* Enums are small; quadratic is fine and keeps reports in order. */
        for (size_t j = 0; j < i && j < 4096; j++) {
            if (e->values[j]->number == v->number) {
                cpidl_error(c->ctx, v->pos,
                            "enum value number %d of '%s' is already used by '%s'; set 'option "
                            "allow_alias = true;' to allow aliases",
                            v->number, v->name, e->values[j]->name);
                cpidl_note(c->ctx, e->values[j]->pos, "'%s' is declared here", e->values[j]->name);
                break;
            }
        }
    }
    if (e->allow_alias && !aliased)
        cpidl_error(
            c->ctx, e->pos,
            "enum '%s' sets allow_alias but no two values share a number; remove the option",
            e->name);
}

static const cpidl_message_t *want_message(checker_t *c, const cpidl_file_t *file,
                                           const char *scope, const char *name, cpidl_pos_t pos,
                                           const char *what, char **full)
{
    const sym_t *s = resolve_or_report(c, file, scope, name, pos);
    if (s == NULL)
        return NULL;
    if (s->kind != SYM_MESSAGE) {
        cpidl_error(c->ctx, pos, "%s must be a message type; '%s' is an enum", what, s->name + 1);
        return NULL;
    }
    const cpidl_message_t *m = s->node;
    if (m->map_entry) {
        /* The synthetic entry of a map field is no message of its own: it
         * has no name on the wire that a peer would send. */
        cpidl_error(c->ctx, pos, "%s must be a message type; '%s' is the entry of a map field",
                    what, s->name + 1);
        return NULL;
    }
    *full = (char *)s->name;
    return s->node;
}

/* The first byte of a route path that cannot be routed, or NULL. */
static const char *route_bad_char(const char *path)
{
    for (const char *p = path; *p != '\0'; p++)
        if (*p == '?' || *p == '#' || (unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return p;
    return NULL;
}

/* The runtime routes "/a/" as "/a". */
static bool same_route(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 1 && a[la - 1] == '/')
        la--;
    if (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

static void check_actor(checker_t *c, cpidl_actor_t *a)
{
    const cpidl_file_t *file = a->file;
    for (size_t i = 0; i < a->n_handlers; i++) {
        cpidl_handler_t *h = a->handlers[i];
        h->message = want_message(c, file, a->full_name, h->type_name, h->pos, "the type of 'on'",
                                  &h->type_full_name);
        if (h->message == NULL)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (a->handlers[j]->message == h->message) {
                cpidl_error(c->ctx, h->pos, "duplicate handler for '%s' in actor '%s'",
                            h->type_full_name + 1, a->name);
                cpidl_note(c->ctx, a->handlers[j]->pos, "the first handler for '%s' is here",
                           h->type_full_name + 1);
                break;
            }
        }
    }
    for (size_t i = 0; i < a->n_methods; i++) {
        cpidl_method_t *m = a->methods[i];
        m->input = want_message(c, file, a->full_name, m->input_type_name, m->input_pos,
                                "the rpc request type", &m->input_full_name);
        m->output = want_message(c, file, a->full_name, m->output_type_name, m->output_pos,
                                 "the rpc response type", &m->output_full_name);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(a->methods[j]->name, m->name) == 0) {
                cpidl_error(c->ctx, m->pos, "rpc '%s' is already defined in %s '%s'", m->name,
                            a->kind == CPIDL_ACTOR ? "actor" : "service", a->name);
                cpidl_note(c->ctx, a->methods[j]->pos, "previous definition of '%s' is here",
                           m->name);
                break;
            }
        }
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        const cpidl_route_t *r = a->routes[i];
        const char *bad = route_bad_char(r->path);
        if (bad != NULL) {
            /* The runtime refuses such a path (or no request can name it). */
            if (*bad == '?' || *bad == '#')
                cpidl_error(c->ctx, r->pos, "route path must not contain '%c'", *bad);
            else
                cpidl_error(c->ctx, r->pos,
                            "route path must be printable ASCII without spaces; byte 0x%02x is not",
                            (unsigned char)*bad);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(a->routes[j]->path, r->path) == 0) {
                cpidl_error(c->ctx, r->pos, "route '%s' is already declared in actor '%s'", r->path,
                            a->name);
                cpidl_note(c->ctx, a->routes[j]->pos, "the first declaration is here");
                break;
            }
            if (same_route(a->routes[j]->path, r->path)) {
                cpidl_error(c->ctx, r->pos,
                            "route '%s' is the same endpoint as '%s' (a trailing '/' is ignored)",
                            r->path, a->routes[j]->path);
                cpidl_note(c->ctx, a->routes[j]->pos, "the first declaration is here");
                break;
            }
        }
    }
}

static void check_file(checker_t *c, cpidl_file_t *f)
{
    compute_visible(c, f);
    for (size_t i = 0; i < f->n_all_messages; i++) {
        cpidl_message_t *m = f->all_messages[i];
        if (m->full_name == NULL)
            continue; /* not declared: the parser gave up inside it */
        for (size_t j = 0; j < m->n_fields; j++)
            resolve_field(c, m->fields[j], m->full_name);
    }
    for (size_t i = 0; i < f->n_all_messages; i++) {
        cpidl_message_t *m = f->all_messages[i];
        if (m->full_name == NULL)
            continue;
        check_numbers(c, m);
        for (size_t j = 0; j < m->n_fields; j++)
            check_field(c, m, m->fields[j]);
    }
    for (size_t i = 0; i < f->n_all_enums; i++) {
        if (f->all_enums[i]->full_name != NULL)
            check_enum(c, f->all_enums[i]);
    }
    for (size_t i = 0; i < f->n_actors; i++)
        check_actor(c, f->actors[i]);
}

void cpidl_check(cpidl_ctx_t *ctx)
{
    checker_t c = {.ctx = ctx, .A = &ctx->arena};
    if (setjmp(c.bail) == 0) {
        for (size_t i = 0; i < ctx->files.n; i++)
            declare_file(&c, ctx->files.items[i]);
        for (size_t i = 0; i < ctx->files.n; i++)
            check_file(&c, ctx->files.items[i]);
    } else {
        ctx->oom = true;
    }
    free(c.table);
    free(c.visible);
}
