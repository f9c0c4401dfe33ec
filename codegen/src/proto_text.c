/* FileDescriptorProto -> .proto source (proto_text.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_text.h"

typedef Google__Protobuf__FileDescriptorProto file_t;
typedef Google__Protobuf__DescriptorProto message_t;
typedef Google__Protobuf__FieldDescriptorProto field_t;
typedef Google__Protobuf__EnumDescriptorProto enum_t;

/* FieldDescriptorProto.Type -> keyword (messages, enums: the type name). */
static const char *const scalar_names[] = {
    [1] = "double",   [2] = "float",    [3] = "int64",   [4] = "uint64",  [5] = "int32",
    [6] = "fixed64",  [7] = "fixed32",  [8] = "bool",    [9] = "string",  [12] = "bytes",
    [13] = "uint32",  [15] = "sfixed32", [16] = "sfixed64", [17] = "sint32", [18] = "sint64",
};

/* FieldDescriptorProto.Type and .Label values (compared as ints). */
#define TYPE_STRING 9
#define TYPE_GROUP 10
#define TYPE_MESSAGE 11
#define TYPE_BYTES 12
#define TYPE_ENUM 14
#define LABEL_REQUIRED 2
#define LABEL_REPEATED 3

/* ---- protobuf-c's options: extension 1019 kept as an unknown field ---- */

typedef struct pbc_option {
    uint32_t number;
    const char *name;
    bool is_string;
} pbc_option_t;

static const pbc_option_t file_options[] = {
    {1, "no_generate", false},    {2, "gen_pack_helpers", false},
    {3, "gen_init_helpers", false}, {4, "const_strings", false},
    {5, "use_oneof_field_name", false}, {6, "c_package", true}, {0, NULL, false},
};
static const pbc_option_t message_options[] = {
    {1, "gen_pack_helpers", false}, {2, "gen_init_helpers", false},
    {3, "base_field_name", true}, {0, NULL, false},
};
static const pbc_option_t field_options[] = {
    {1, "string_as_bytes", false}, {0, NULL, false},
};

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

static void put_quoted(cpgen_out_t *out, const uint8_t *bytes, size_t len)
{
    cpgen_out_puts(out, "\"");
    cpgen_out_c_bytes(out, bytes, len);
    cpgen_out_puts(out, "\"");
}

/* Writes each protobuf-c option found in `base`'s unknown fields as
 * `before(ext).name = value after`; in a bracket list (empty `after`)
 * `before` opens the list only while *first is true, then ", " is used. */
static void pbc_options(cpgen_out_t *out, const ProtobufCMessage *base, const char *ext,
                        const pbc_option_t *table, const char *before, const char *after,
                        bool *first)
{
    if (base == NULL)
        return;
    for (unsigned u = 0; u < base->n_unknown_fields; u++) {
        const ProtobufCMessageUnknownField *uf = &base->unknown_fields[u];
        if (uf->tag != 1019 || uf->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            continue;
        /* libprotobuf-c keeps a length-prefixed unknown field with its
         * length varint in front. */
        const uint8_t *p = uf->data, *end = uf->data + uf->len;
        uint64_t inner;
        if (!read_varint(&p, end, &inner) || inner != (uint64_t)(end - p))
            continue;
        while (p < end) {
            uint64_t key, v;
            if (!read_varint(&p, end, &key))
                return;
            const pbc_option_t *o = table;
            while (o->name != NULL && o->number != (key >> 3))
                o++;
            if ((key & 7) == 0) {
                if (!read_varint(&p, end, &v))
                    return;
                if (o->name == NULL || o->is_string)
                    continue;
                cpgen_out_printf(out, "%s(%s).%s = %s%s", *first ? before : ", ", ext, o->name,
                                 v ? "true" : "false", after);
            } else if ((key & 7) == 2) {
                if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                    return;
                if (o->name != NULL && o->is_string) {
                    cpgen_out_printf(out, "%s(%s).%s = ", *first ? before : ", ", ext, o->name);
                    put_quoted(out, p, (size_t)v);
                    cpgen_out_puts(out, after);
                }
                p += v;
            } else {
                return; /* not protobuf-c's options */
            }
            /* A bracket list ("after" empty) continues with ", "; option
             * statements each start with `before`. */
            *first = after[0] != '\0';
        }
    }
}

/* ---- source order and comments (source_code_info) -------------------- */

/* Where an element is: its path in the FileDescriptorProto (field numbers
 * and indexes, as in SourceCodeInfo.Location.path). */
typedef struct path {
    int32_t p[64];
    size_t n;
} path_t;

typedef struct ctx {
    const Google__Protobuf__SourceCodeInfo *info; /* NULL: none sent */
    cpgen_out_t *out;
    bool proto3;
} ctx_t;

static path_t child(const path_t *parent, int32_t field, int32_t index)
{
    path_t c = *parent;
    if (c.n + 2 <= sizeof c.p / sizeof c.p[0]) {
        c.p[c.n++] = field;
        c.p[c.n++] = index;
    }
    return c;
}

static const Google__Protobuf__SourceCodeInfo__Location *locate(const ctx_t *cx, const path_t *at)
{
    if (cx->info == NULL)
        return NULL;
    for (size_t i = 0; i < cx->info->n_location; i++) {
        const Google__Protobuf__SourceCodeInfo__Location *l = cx->info->location[i];
        if (l->n_path == at->n && memcmp(l->path, at->p, at->n * sizeof *at->p) == 0)
            return l;
    }
    return NULL;
}

/* The line an element starts on, or -1 when unknown. */
static int32_t line_of(const ctx_t *cx, const path_t *at)
{
    const Google__Protobuf__SourceCodeInfo__Location *l = locate(cx, at);
    return l && l->n_span > 0 ? l->span[0] : -1;
}

static void indent(cpgen_out_t *out, int depth)
{
    for (int i = 0; i < depth; i++)
        cpgen_out_puts(out, "  ");
}

/* The element's leading comment, as `//` lines (protoc keeps the text
 * after the slashes, so this gives back what was written). */
static void comment(const ctx_t *cx, const path_t *at, int depth)
{
    const Google__Protobuf__SourceCodeInfo__Location *l = locate(cx, at);
    if (l == NULL || l->leading_comments == NULL)
        return;
    const char *p = l->leading_comments;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        indent(cx->out, depth);
        cpgen_out_printf(cx->out, "//%.*s\n", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* Items of one scope sorted into source order. */
typedef struct item {
    int kind; /* order when lines are unknown */
    size_t index;
    int32_t line;
} item_t;

static void sort_items(item_t *items, size_t n)
{
    /* Insertion sort: stable, and scopes are small. */
    for (size_t i = 1; i < n; i++) {
        item_t x = items[i];
        size_t j = i;
        while (j > 0 && items[j - 1].line > x.line && x.line >= 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
}

/* ---- shape checks (protoc always sends these; a hand-made request may not) */

static bool valid_message(const message_t *m)
{
    if (m->name == NULL)
        return false;
    for (size_t i = 0; i < m->n_field; i++) {
        const field_t *f = m->field[i];
        if (f->name == NULL || (f->has_oneof_index && (f->oneof_index < 0 ||
                                                       (size_t)f->oneof_index >= m->n_oneof_decl)))
            return false;
        if (((int)f->type == TYPE_MESSAGE || (int)f->type == TYPE_ENUM) && f->type_name == NULL)
            return false;
    }
    for (size_t i = 0; i < m->n_oneof_decl; i++)
        if (m->oneof_decl[i]->name == NULL)
            return false;
    for (size_t i = 0; i < m->n_nested_type; i++)
        if (!valid_message(m->nested_type[i]))
            return false;
    for (size_t i = 0; i < m->n_enum_type; i++)
        if (m->enum_type[i]->name == NULL)
            return false;
    return true;
}

static bool valid_file(const file_t *fd)
{
    for (size_t i = 0; i < fd->n_message_type; i++)
        if (!valid_message(fd->message_type[i]))
            return false;
    for (size_t i = 0; i < fd->n_enum_type; i++) {
        if (fd->enum_type[i]->name == NULL)
            return false;
        for (size_t j = 0; j < fd->enum_type[i]->n_value; j++)
            if (fd->enum_type[i]->value[j]->name == NULL)
                return false;
    }
    for (size_t i = 0; i < fd->n_service; i++) {
        const Google__Protobuf__ServiceDescriptorProto *s = fd->service[i];
        if (s->name == NULL)
            return false;
        for (size_t j = 0; j < s->n_method; j++)
            if (!s->method[j]->name || !s->method[j]->input_type || !s->method[j]->output_type)
                return false;
    }
    for (size_t i = 0; i < fd->n_dependency; i++)
        if (fd->dependency[i] == NULL)
            return false;
    return true;
}

/* ---- messages ------------------------------------------------------- */

static const char *type_of(const field_t *f)
{
    int t = (int)f->type;
    if (t == TYPE_MESSAGE || t == TYPE_ENUM)
        return f->type_name;
    return t > 0 && (size_t)t < sizeof scalar_names / sizeof *scalar_names && scalar_names[t]
               ? scalar_names[t]
               : "bytes";
}

/* The nested map entry a repeated message field names, or NULL. */
static const message_t *map_entry_of(const message_t *m, const field_t *f)
{
    if ((int)f->label != LABEL_REPEATED || (int)f->type != TYPE_MESSAGE || f->type_name == NULL)
        return NULL;
    const char *dot = strrchr(f->type_name, '.');
    const char *last = dot ? dot + 1 : f->type_name;
    for (size_t i = 0; i < m->n_nested_type; i++) {
        const message_t *n = m->nested_type[i];
        if (n->options && n->options->map_entry && strcmp(n->name, last) == 0)
            return n;
    }
    return NULL;
}

/* default_value is read as bytes (codegen/meson.build marks it
 * string_as_bytes), so a string default keeps its NUL bytes. */
static void emit_default(cpgen_out_t *out, const field_t *f)
{
    const ProtobufCBinaryData *d = &f->default_value;
    if ((int)f->type == TYPE_STRING)
        put_quoted(out, d->data, d->len);
    else if ((int)f->type == TYPE_BYTES) /* protoc gives bytes defaults C-escaped */
        cpgen_out_printf(out, "\"%.*s\"", (int)d->len, (const char *)d->data);
    else
        cpgen_out_printf(out, "%.*s", (int)d->len, (const char *)d->data);
}

static void emit_field(const ctx_t *cx, const message_t *m, const path_t *mpath, size_t fi,
                       bool in_oneof, int depth)
{
    cpgen_out_t *out = cx->out;
    const field_t *f = m->field[fi];
    path_t at = child(mpath, 2, (int32_t)fi);
    comment(cx, &at, depth);
    indent(out, depth);
    const message_t *entry = map_entry_of(m, f);
    if (entry != NULL && entry->n_field == 2) {
        cpgen_out_printf(out, "map<%s, %s> %s = %d", type_of(entry->field[0]),
                         type_of(entry->field[1]), f->name, f->number);
    } else {
        const char *label = "";
        if (!in_oneof) {
            if ((int)f->label == LABEL_REPEATED)
                label = "repeated ";
            else if ((int)f->label == LABEL_REQUIRED)
                label = "required ";
            else if (!cx->proto3 || f->proto3_optional)
                label = "optional ";
        }
        cpgen_out_printf(out, "%s%s %s = %d", label, type_of(f), f->name, f->number);
    }
    bool first = true;
    const Google__Protobuf__FieldOptions *o = f->options;
    if (f->has_default_value) {
        cpgen_out_puts(out, " [default = ");
        emit_default(out, f);
        first = false;
    }
    if (o && o->has_packed) {
        cpgen_out_printf(out, "%spacked = %s", first ? " [" : ", ", o->packed ? "true" : "false");
        first = false;
    }
    if (o && o->has_deprecated && o->deprecated) {
        cpgen_out_printf(out, "%sdeprecated = true", first ? " [" : ", ");
        first = false;
    }
    pbc_options(out, o ? &o->base : NULL, "pb_c_field", field_options, " [", "", &first);
    cpgen_out_puts(out, first ? ";\n" : "];\n");
}

static void emit_enum(const ctx_t *cx, const enum_t *e, const path_t *at, int depth)
{
    cpgen_out_t *out = cx->out;
    comment(cx, at, depth);
    indent(out, depth);
    cpgen_out_printf(out, "enum %s {\n", e->name);
    if (e->options && e->options->has_allow_alias) {
        indent(out, depth + 1);
        cpgen_out_printf(out, "option allow_alias = %s;\n",
                         e->options->allow_alias ? "true" : "false");
    }
    for (size_t i = 0; i < e->n_value; i++) {
        const Google__Protobuf__EnumValueDescriptorProto *v = e->value[i];
        path_t vat = child(at, 2, (int32_t)i);
        comment(cx, &vat, depth + 1);
        indent(out, depth + 1);
        bool dep = v->options && v->options->has_deprecated && v->options->deprecated;
        cpgen_out_printf(out, "%s = %d%s;\n", v->name, v->number, dep ? " [deprecated = true]" : "");
    }
    indent(out, depth);
    cpgen_out_puts(out, "}\n");
}

enum { ITEM_ENUM, ITEM_MESSAGE, ITEM_FIELD, ITEM_SERVICE };

static int emit_message(const ctx_t *cx, const message_t *m, const path_t *at, int depth,
                        const char **why)
{
    cpgen_out_t *out = cx->out;
    comment(cx, at, depth);
    indent(out, depth);
    cpgen_out_printf(out, "message %s {\n", m->name);
    const Google__Protobuf__MessageOptions *mo = m->options;
    if (mo && mo->has_deprecated && mo->deprecated) {
        indent(out, depth + 1);
        cpgen_out_puts(out, "option deprecated = true;\n");
    }
    bool first = true;
    pbc_options(out, mo ? &mo->base : NULL, "pb_c_msg", message_options, "  option ", ";\n",
                &first);

    size_t n = m->n_enum_type + m->n_nested_type + m->n_field, k = 0;
    item_t *items = cpgen_xcalloc(n, sizeof *items);
    for (size_t i = 0; i < m->n_enum_type; i++) {
        path_t p = child(at, 4, (int32_t)i);
        items[k++] = (item_t){ ITEM_ENUM, i, line_of(cx, &p) };
    }
    for (size_t i = 0; i < m->n_nested_type; i++) {
        if (m->nested_type[i]->options && m->nested_type[i]->options->map_entry)
            continue; /* written as the map<K, V> field */
        path_t p = child(at, 3, (int32_t)i);
        items[k++] = (item_t){ ITEM_MESSAGE, i, line_of(cx, &p) };
    }
    for (size_t i = 0; i < m->n_field; i++) {
        path_t p = child(at, 2, (int32_t)i);
        items[k++] = (item_t){ ITEM_FIELD, i, line_of(cx, &p) };
    }
    sort_items(items, k);

    int rc = 0;
    for (size_t it = 0; it < k && rc == 0; it++) {
        size_t i = items[it].index;
        if (items[it].kind == ITEM_ENUM) {
            path_t p = child(at, 4, (int32_t)i);
            emit_enum(cx, m->enum_type[i], &p, depth + 1);
            continue;
        }
        if (items[it].kind == ITEM_MESSAGE) {
            path_t p = child(at, 3, (int32_t)i);
            rc = emit_message(cx, m->nested_type[i], &p, depth + 1, why);
            continue;
        }
        const field_t *f = m->field[i];
        if ((int)f->type == TYPE_GROUP) {
            *why = "groups are not supported";
            rc = -1;
            break;
        }
        if (!f->has_oneof_index || f->proto3_optional) {
            emit_field(cx, m, at, i, false, depth + 1);
            continue;
        }
        /* A real oneof: written whole at its first member. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = m->field[j]->has_oneof_index && m->field[j]->oneof_index == f->oneof_index;
        if (seen)
            continue;
        path_t op = child(at, 8, f->oneof_index);
        comment(cx, &op, depth + 1);
        indent(out, depth + 1);
        cpgen_out_printf(out, "oneof %s {\n", m->oneof_decl[f->oneof_index]->name);
        for (size_t j = i; j < m->n_field; j++)
            if (m->field[j]->has_oneof_index && m->field[j]->oneof_index == f->oneof_index &&
                !m->field[j]->proto3_optional)
                emit_field(cx, m, at, j, true, depth + 2);
        indent(out, depth + 1);
        cpgen_out_puts(out, "}\n");
    }
    free(items);
    indent(out, depth);
    cpgen_out_puts(out, "}\n");
    return rc;
}

static void emit_service(const ctx_t *cx, const Google__Protobuf__ServiceDescriptorProto *s,
                         const path_t *at)
{
    cpgen_out_t *out = cx->out;
    comment(cx, at, 0);
    cpgen_out_printf(out, "service %s {\n", s->name);
    for (size_t j = 0; j < s->n_method; j++) {
        const Google__Protobuf__MethodDescriptorProto *r = s->method[j];
        path_t rp = child(at, 2, (int32_t)j);
        comment(cx, &rp, 1);
        cpgen_out_printf(out, "  rpc %s (%s%s) returns (%s%s);\n", r->name,
                         r->client_streaming ? "stream " : "", r->input_type,
                         r->server_streaming ? "stream " : "", r->output_type);
    }
    cpgen_out_puts(out, "}\n");
}

int cpgen_proto_text(const file_t *fd, cpgen_out_t *out, const char **why)
{
    if (!valid_file(fd)) {
        *why = "malformed FileDescriptorProto (a name or an index is missing)";
        return -1;
    }
    ctx_t cx = { fd->source_code_info, out, fd->syntax && strcmp(fd->syntax, "proto3") == 0 };
    cpgen_out_printf(out, "syntax = \"%s\";\n", cx.proto3 ? "proto3" : "proto2");
    if (fd->package && fd->package[0])
        cpgen_out_printf(out, "package %s;\n", fd->package);
    for (size_t i = 0; i < fd->n_dependency; i++) {
        bool pub = false, weak = false;
        for (size_t j = 0; j < fd->n_public_dependency; j++)
            pub |= fd->public_dependency[j] == (int32_t)i;
        for (size_t j = 0; j < fd->n_weak_dependency; j++)
            weak |= fd->weak_dependency[j] == (int32_t)i;
        cpgen_out_printf(out, "import %s\"%s\";\n", pub ? "public " : weak ? "weak " : "",
                         fd->dependency[i]);
    }
    const Google__Protobuf__FileOptions *fo = fd->options;
    if (fo && fo->has_optimize_for)
        cpgen_out_printf(out, "option optimize_for = %s;\n",
                         (int)fo->optimize_for == 2   ? "CODE_SIZE"
                         : (int)fo->optimize_for == 3 ? "LITE_RUNTIME"
                                                      : "SPEED");
    bool first = true;
    pbc_options(out, fo ? &fo->base : NULL, "pb_c_file", file_options, "option ", ";\n", &first);

    path_t root = { { 0 }, 0 };
    size_t n = fd->n_enum_type + fd->n_message_type + fd->n_service, k = 0;
    item_t *items = cpgen_xcalloc(n, sizeof *items);
    for (size_t i = 0; i < fd->n_enum_type; i++) {
        path_t p = child(&root, 5, (int32_t)i);
        items[k++] = (item_t){ ITEM_ENUM, i, line_of(&cx, &p) };
    }
    for (size_t i = 0; i < fd->n_message_type; i++) {
        path_t p = child(&root, 4, (int32_t)i);
        items[k++] = (item_t){ ITEM_MESSAGE, i, line_of(&cx, &p) };
    }
    for (size_t i = 0; i < fd->n_service; i++) {
        path_t p = child(&root, 6, (int32_t)i);
        items[k++] = (item_t){ ITEM_SERVICE, i, line_of(&cx, &p) };
    }
    sort_items(items, k);
    int rc = 0;
    for (size_t it = 0; it < k && rc == 0; it++) {
        size_t i = items[it].index;
        if (items[it].kind == ITEM_ENUM) {
            path_t p = child(&root, 5, (int32_t)i);
            emit_enum(&cx, fd->enum_type[i], &p, 0);
        } else if (items[it].kind == ITEM_MESSAGE) {
            path_t p = child(&root, 4, (int32_t)i);
            rc = emit_message(&cx, fd->message_type[i], &p, 0, why);
        } else {
            path_t p = child(&root, 6, (int32_t)i);
            emit_service(&cx, fd->service[i], &p);
        }
    }
    free(items);
    return rc;
}
