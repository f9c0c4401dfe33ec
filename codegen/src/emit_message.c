/*
 * Message emitter: for every message of the file, the protobuf-c struct,
 * its INIT macro, its descriptor tables and the typed wrappers around
 * protobuf_c_message_pack/unpack/free_unpacked, named as protoc-c names
 * them (docs/codegen.md). The struct lists fields in source order, then
 * each oneof as a case member plus an anonymous union; the descriptor
 * lists fields by number, which is what libprotobuf-c requires.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "names.h"

static const char *const type_enum[] = {
    [CPGEN_TYPE_INT32] = "INT32",       [CPGEN_TYPE_SINT32] = "SINT32",
    [CPGEN_TYPE_SFIXED32] = "SFIXED32", [CPGEN_TYPE_INT64] = "INT64",
    [CPGEN_TYPE_SINT64] = "SINT64",     [CPGEN_TYPE_SFIXED64] = "SFIXED64",
    [CPGEN_TYPE_UINT32] = "UINT32",     [CPGEN_TYPE_FIXED32] = "FIXED32",
    [CPGEN_TYPE_UINT64] = "UINT64",     [CPGEN_TYPE_FIXED64] = "FIXED64",
    [CPGEN_TYPE_FLOAT] = "FLOAT",       [CPGEN_TYPE_DOUBLE] = "DOUBLE",
    [CPGEN_TYPE_BOOL] = "BOOL",         [CPGEN_TYPE_ENUM] = "ENUM",
    [CPGEN_TYPE_STRING] = "STRING",     [CPGEN_TYPE_BYTES] = "BYTES",
    [CPGEN_TYPE_MESSAGE] = "MESSAGE",
};

static const char *const label_enum[] = {
    [CPGEN_LABEL_NONE] = "NONE",
    [CPGEN_LABEL_OPTIONAL] = "OPTIONAL",
    [CPGEN_LABEL_REQUIRED] = "REQUIRED",
    [CPGEN_LABEL_REPEATED] = "REPEATED",
};

/* The C type of one value of the field (without the repeated pointer). */
static const char *value_ctype(const cpgen_field_t *f)
{
    switch (f->type) {
    case CPGEN_TYPE_INT32:
    case CPGEN_TYPE_SINT32:
    case CPGEN_TYPE_SFIXED32:
        return "int32_t";
    case CPGEN_TYPE_INT64:
    case CPGEN_TYPE_SINT64:
    case CPGEN_TYPE_SFIXED64:
        return "int64_t";
    case CPGEN_TYPE_UINT32:
    case CPGEN_TYPE_FIXED32:
        return "uint32_t";
    case CPGEN_TYPE_UINT64:
    case CPGEN_TYPE_FIXED64:
        return "uint64_t";
    case CPGEN_TYPE_FLOAT:
        return "float";
    case CPGEN_TYPE_DOUBLE:
        return "double";
    case CPGEN_TYPE_BOOL:
        return "protobuf_c_boolean";
    case CPGEN_TYPE_ENUM:
        return f->enumeration->names.c;
    case CPGEN_TYPE_STRING:
        return "char";
    case CPGEN_TYPE_BYTES:
        return "ProtobufCBinaryData";
    case CPGEN_TYPE_MESSAGE:
        return f->message->names.c;
    }
    return "void";
}

/* Strings and messages are pointers (presence = non-NULL). */
static int is_pointer(const cpgen_field_t *f)
{
    return f->type == CPGEN_TYPE_STRING || f->type == CPGEN_TYPE_MESSAGE;
}

/* protobuf-c tracks presence of optional scalars, enums and bytes in a
 * `has_` flag; oneof members use the case member instead. */
static int has_flag(const cpgen_field_t *f)
{
    return f->label == CPGEN_LABEL_OPTIONAL && f->oneof < 0 && !is_pointer(f);
}

static const char *base_member(const cpgen_message_t *m)
{
    return m->base ? m->base : "base";
}

static char *default_name(const cpgen_message_t *m, const cpgen_field_t *f)
{
    return cpgen_xasprintf("%s__%s__default_value", m->names.lower, f->member);
}

static void print_number(cpgen_out_t *out, const cpgen_field_t *f)
{
    const char *t = f->default_text;
    switch (f->type) {
    case CPGEN_TYPE_FLOAT:
    case CPGEN_TYPE_DOUBLE:
        if (strcmp(t, "inf") == 0)
            cpgen_out_puts(out, "INFINITY");
        else if (strcmp(t, "-inf") == 0)
            cpgen_out_puts(out, "-INFINITY");
        else if (strcmp(t, "nan") == 0 || strcmp(t, "-nan") == 0)
            cpgen_out_puts(out, "NAN");
        else
            cpgen_out_puts(out, t);
        break;
    case CPGEN_TYPE_INT64:
    case CPGEN_TYPE_SINT64:
    case CPGEN_TYPE_SFIXED64:
        /* The literal 9223372036854775808 does not fit any signed type. */
        if (strcmp(t, "-9223372036854775808") == 0)
            cpgen_out_puts(out, "INT64_MIN");
        else
            cpgen_out_printf(out, "INT64_C(%s)", t);
        break;
    case CPGEN_TYPE_UINT64:
    case CPGEN_TYPE_FIXED64:
        cpgen_out_printf(out, "UINT64_C(%s)", t);
        break;
    case CPGEN_TYPE_UINT32:
    case CPGEN_TYPE_FIXED32:
        cpgen_out_printf(out, "%su", t);
        break;
    case CPGEN_TYPE_INT32:
    case CPGEN_TYPE_SINT32:
    case CPGEN_TYPE_SFIXED32:
        if (strcmp(t, "-2147483648") == 0)
            cpgen_out_puts(out, "INT32_MIN");
        else
            cpgen_out_puts(out, t);
        break;
    case CPGEN_TYPE_BOOL:
        cpgen_out_puts(out, strcmp(t, "true") == 0 ? "1" : "0");
        break;
    default:
        cpgen_out_puts(out, t);
        break;
    }
}

static const char *enum_value_c_name(const cpgen_enum_t *e, const char *name)
{
    for (size_t i = 0; i < e->n_values; i++)
        if (strcmp(e->values[i].name, name) == 0)
            return e->values[i].c_name;
    return e->n_values ? e->values[0].c_name : "0";
}

/* The INIT-macro value of a non-repeated field. */
static void print_init_value(cpgen_out_t *out, const cpgen_message_t *m, const cpgen_field_t *f)
{
    switch (f->type) {
    case CPGEN_TYPE_MESSAGE:
        cpgen_out_puts(out, "NULL");
        return;
    case CPGEN_TYPE_STRING:
        if (f->has_default) {
            char *d = default_name(m, f);
            cpgen_out_puts(out, d);
            free(d);
        } else if (f->label == CPGEN_LABEL_NONE) {
            cpgen_out_puts(out, m->const_strings ? "(const char *)protobuf_c_empty_string"
                                                 : "(char *)protobuf_c_empty_string");
        } else {
            cpgen_out_puts(out, "NULL");
        }
        return;
    case CPGEN_TYPE_BYTES:
        if (f->has_default) {
            char *d = default_name(m, f);
            cpgen_out_printf(out, "{ %zu, %s_data }", f->default_len, d);
            free(d);
        } else {
            cpgen_out_puts(out, "{ 0, NULL }");
        }
        return;
    case CPGEN_TYPE_ENUM:
        cpgen_out_puts(out, enum_value_c_name(f->enumeration,
                                              f->has_default ? f->default_text : ""));
        return;
    default:
        if (f->has_default)
            print_number(out, f);
        else
            cpgen_out_puts(out, "0");
        return;
    }
}

static void emit_oneof_case_enum(const cpgen_message_t *m, size_t k, cpgen_out_t *h)
{
    const cpgen_oneof_t *o = &m->oneofs[k];
    cpgen_out_printf(h, "/* Which member of %s.%s is set (0: none). */\n", m->names.full, o->name);
    cpgen_out_puts(h, "typedef enum {\n");
    cpgen_out_printf(h, "    %s__NOT_SET = 0", o->case_upper);
    for (size_t i = 0; i < m->n_fields; i++) {
        const cpgen_field_t *f = &m->fields[i];
        if (f->oneof != (int)k)
            continue;
        char *upper = cpgen_name_upper(f->name);
        cpgen_out_printf(h, ",\n    %s_%s = %ld", o->case_upper, upper, (long)f->number);
        free(upper);
    }
    cpgen_out_printf(h, "\n    PROTOBUF_C__FORCE_ENUM_TO_BE_INT_SIZE(%s__CASE)\n", o->case_upper);
    cpgen_out_printf(h, "} %s;\n\n", o->case_type);
}

static void emit_member(cpgen_out_t *h, const cpgen_message_t *m, const cpgen_field_t *f,
                        const char *indent)
{
    if (f->comment)
        cpgen_out_comment(h, indent, f->comment);
    const char *t = value_ctype(f);
    const char *star = is_pointer(f) ? "*" : "";
    const char *cst = m->const_strings && f->type == CPGEN_TYPE_STRING ? "const " : "";
    /* protoc-c marks every member of a deprecated field. */
    const char *dep = f->deprecated ? " PROTOBUF_C__DEPRECATED" : "";
    if (f->label == CPGEN_LABEL_REPEATED) {
        cpgen_out_printf(h, "%ssize_t n_%s%s;\n", indent, f->member, dep);
        cpgen_out_printf(h, "%s%s%s %s*%s%s;\n", indent, cst, t, star, f->member, dep);
        return;
    }
    if (has_flag(f))
        cpgen_out_printf(h, "%sprotobuf_c_boolean has_%s%s;\n", indent, f->member, dep);
    cpgen_out_printf(h, "%s%s%s %s%s%s;\n", indent, cst, t, star, f->member, dep);
}

static void emit_struct(const cpgen_message_t *m, cpgen_out_t *h)
{
    for (size_t k = 0; k < m->n_oneofs; k++)
        emit_oneof_case_enum(m, k, h);

    if (m->comment)
        cpgen_out_comment(h, "", m->comment);
    cpgen_out_printf(h, "/* message %s%s */\n", m->names.full,
                     m->map_entry ? " (one entry of a map field)" : "");
    cpgen_out_printf(h, "struct %s {\n    ProtobufCMessage %s;\n", m->names.c, base_member(m));
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].oneof < 0)
            emit_member(h, m, &m->fields[i], "    ");
    for (size_t k = 0; k < m->n_oneofs; k++) {
        cpgen_out_printf(h, "    %s %s;\n    union {\n", m->oneofs[k].case_type,
                         m->oneofs[k].case_member);
        for (size_t i = 0; i < m->n_fields; i++)
            if (m->fields[i].oneof == (int)k)
                emit_member(h, m, &m->fields[i], "        ");
        cpgen_out_puts(h, "    };\n");
    }
    cpgen_out_puts(h, "};\n");

    for (size_t i = 0; i < m->n_fields; i++) {
        const cpgen_field_t *f = &m->fields[i];
        if (!f->has_default || f->label == CPGEN_LABEL_REPEATED)
            continue;
        char *d = default_name(m, f);
        if (f->type == CPGEN_TYPE_STRING)
            cpgen_out_printf(h, "extern char %s[];\n", d);
        else if (f->type == CPGEN_TYPE_BYTES)
            cpgen_out_printf(h, "extern uint8_t %s_data[];\n", d);
        free(d);
    }

    /* One member per line, in struct order, so a wrong default is easy to
     * spot in review. */
    cpgen_out_printf(h, "#define %s__INIT { \\\n    PROTOBUF_C_MESSAGE_INIT(&%s__descriptor)",
                     m->names.upper, m->names.lower);
    for (size_t i = 0; i < m->n_fields; i++) {
        const cpgen_field_t *f = &m->fields[i];
        if (f->oneof >= 0)
            continue;
        cpgen_out_puts(h, ", \\\n    ");
        if (f->label == CPGEN_LABEL_REPEATED) {
            cpgen_out_puts(h, "0, NULL");
            continue;
        }
        if (has_flag(f))
            cpgen_out_puts(h, "0, ");
        print_init_value(h, m, f);
    }
    for (size_t k = 0; k < m->n_oneofs; k++) {
        /* The union's first member gets the zero; a struct needs braces. */
        const char *zero = "{ 0 }";
        for (size_t i = 0; i < m->n_fields; i++) {
            if (m->fields[i].oneof == (int)k) {
                if (m->fields[i].type == CPGEN_TYPE_BYTES)
                    zero = "{ { 0, NULL } }";
                break;
            }
        }
        cpgen_out_printf(h, ", \\\n    %s__NOT_SET, %s", m->oneofs[k].case_upper, zero);
    }
    cpgen_out_puts(h, " \\\n}\n\n");
}

static void emit_prototypes(const cpgen_message_t *m, cpgen_out_t *h)
{
    const char *c = m->names.c, *l = m->names.lower;
    if (!m->skip_init)
        cpgen_out_printf(h, "/* %s: set *message to %s__INIT (defaults, nothing owned). */\n"
                            "void %s__init(%s *message);\n",
                         m->names.full, m->names.upper, l, c);
    if (m->skip_pack) {
        if (!m->skip_init)
            cpgen_out_puts(h, "\n");
        return;
    }
    cpgen_out_printf(h,
        "/* Size in bytes of the serialized message. */\n"
        "size_t %s__get_packed_size(const %s *message);\n"
        "/* Serialize into `out`, which has room for get_packed_size() bytes;\n"
        " * returns the number of bytes written. */\n"
        "size_t %s__pack(const %s *message, uint8_t *out);\n"
        "/* Serialize by appending to `buffer`; returns the bytes appended. */\n"
        "size_t %s__pack_to_buffer(const %s *message, ProtobufCBuffer *buffer);\n"
        "/* Parse `len` bytes at `data`. Returns a new message the caller owns and\n"
        " * releases with %s__free_unpacked(), or NULL when the bytes are not a\n"
        " * valid %s or memory runs out. `allocator` may be NULL (malloc). */\n"
        "%s *%s__unpack(ProtobufCAllocator *allocator, size_t len, const uint8_t *data);\n"
        "/* Free a message returned by %s__unpack(), with the same allocator.\n"
        " * NULL is allowed. Never call it on a message you built yourself. */\n"
        "void %s__free_unpacked(%s *message, ProtobufCAllocator *allocator);\n\n",
        l, c, l, c, l, c, l, m->names.full, c, l, l, l, c);
}

void cpgen_emit_pack_functions(const cpgen_message_t *m, const char *storage, cpgen_out_t *c)
{
    const char *t = m->names.c, *l = m->names.lower, *b = base_member(m);
    cpgen_out_printf(c,
        "%ssize_t %s__get_packed_size(const %s *message)\n{\n"
        "    assert(message->%s.descriptor == &%s__descriptor);\n"
        "    return protobuf_c_message_get_packed_size((const ProtobufCMessage *)message);\n}\n\n",
        storage, l, t, b, l);
    cpgen_out_printf(c,
        "%ssize_t %s__pack(const %s *message, uint8_t *out)\n{\n"
        "    assert(message->%s.descriptor == &%s__descriptor);\n"
        "    return protobuf_c_message_pack((const ProtobufCMessage *)message, out);\n}\n\n",
        storage, l, t, b, l);
    cpgen_out_printf(c,
        "%ssize_t %s__pack_to_buffer(const %s *message, ProtobufCBuffer *buffer)\n{\n"
        "    assert(message->%s.descriptor == &%s__descriptor);\n"
        "    return protobuf_c_message_pack_to_buffer((const ProtobufCMessage *)message, buffer);\n}\n\n",
        storage, l, t, b, l);
    cpgen_out_printf(c,
        "%s%s *%s__unpack(ProtobufCAllocator *allocator, size_t len, const uint8_t *data)\n{\n"
        "    return (%s *)protobuf_c_message_unpack(&%s__descriptor, allocator, len, data);\n}\n\n",
        storage, t, l, t, l);
    cpgen_out_printf(c,
        "%svoid %s__free_unpacked(%s *message, ProtobufCAllocator *allocator)\n{\n"
        "    if (!message)\n        return;\n"
        "    assert(message->%s.descriptor == &%s__descriptor);\n"
        "    protobuf_c_message_free_unpacked((ProtobufCMessage *)message, allocator);\n}\n\n",
        storage, l, t, b, l);
}

static void emit_functions(const cpgen_message_t *m, cpgen_out_t *c)
{
    const char *t = m->names.c, *l = m->names.lower;
    if (!m->skip_init)
        cpgen_out_printf(c,
            "void %s__init(%s *message)\n{\n"
            "    static const %s init_value = %s__INIT;\n"
            "    *message = init_value;\n}\n\n"
            "static void %s__init_generic(ProtobufCMessage *message)\n{\n"
            "    %s__init((%s *)message);\n}\n\n",
            l, t, t, m->names.upper, l, l, t);
    if (!m->skip_pack)
        cpgen_emit_pack_functions(m, "", c);
}

static void emit_default_values(const cpgen_message_t *m, cpgen_out_t *c)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const cpgen_field_t *f = &m->fields[i];
        if (!f->has_default || f->label == CPGEN_LABEL_REPEATED)
            continue;
        char *d = default_name(m, f);
        switch (f->type) {
        case CPGEN_TYPE_STRING:
            cpgen_out_printf(c, "char %s[] = \"", d);
            cpgen_out_c_bytes(c, f->default_bytes, f->default_len);
            cpgen_out_puts(c, "\";\n");
            break;
        case CPGEN_TYPE_BYTES:
            cpgen_out_printf(c, "uint8_t %s_data[] = \"", d);
            cpgen_out_c_bytes(c, f->default_bytes, f->default_len);
            cpgen_out_puts(c, "\";\n");
            cpgen_out_printf(c, "static const ProtobufCBinaryData %s = { %zu, %s_data };\n", d,
                             f->default_len, d);
            break;
        case CPGEN_TYPE_MESSAGE:
            break;
        default:
            cpgen_out_printf(c, "static const %s %s = ", value_ctype(f), d);
            print_init_value(c, m, f);
            cpgen_out_puts(c, ";\n");
            break;
        }
        free(d);
    }
}

static int by_number(const void *a, const void *b)
{
    const cpgen_field_t *x = *(const cpgen_field_t *const *)a;
    const cpgen_field_t *y = *(const cpgen_field_t *const *)b;
    return (x->number > y->number) - (x->number < y->number);
}

typedef struct name_index {
    const char *name;
    size_t index;
} name_index_t;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const name_index_t *)a)->name, ((const name_index_t *)b)->name);
}

static void emit_field_descriptor(const cpgen_message_t *m, const cpgen_field_t *f, cpgen_out_t *c)
{
    const char *t = m->names.c;
    if (m->code_size)
        cpgen_out_puts(c, "    {\n        NULL, /* CODE_SIZE */\n");
    else
        cpgen_out_printf(c, "    {\n        \"%s\",\n", f->desc_name ? f->desc_name : f->name);
    cpgen_out_printf(c, "        %ld,\n        PROTOBUF_C_LABEL_%s,\n        PROTOBUF_C_TYPE_%s,\n",
                     (long)f->number, label_enum[f->label], type_enum[f->type]);
    if (f->label == CPGEN_LABEL_REPEATED)
        cpgen_out_printf(c, "        offsetof(%s, n_%s),\n", t, f->member);
    else if (f->oneof >= 0)
        cpgen_out_printf(c, "        offsetof(%s, %s),\n", t, m->oneofs[f->oneof].case_member);
    else if (has_flag(f))
        cpgen_out_printf(c, "        offsetof(%s, has_%s),\n", t, f->member);
    else
        cpgen_out_puts(c, "        0, /* no quantifier */\n");
    cpgen_out_printf(c, "        offsetof(%s, %s),\n", t, f->member);
    if (f->type == CPGEN_TYPE_MESSAGE)
        cpgen_out_printf(c, "        &%s__descriptor,\n", f->message->names.lower);
    else if (f->type == CPGEN_TYPE_ENUM)
        cpgen_out_printf(c, "        &%s__descriptor,\n", f->enumeration->names.lower);
    else
        cpgen_out_puts(c, "        NULL,\n");
    if (f->has_default && f->label != CPGEN_LABEL_REPEATED) {
        char *d = default_name(m, f);
        cpgen_out_printf(c, "        &%s,\n", d);
        free(d);
    } else if (f->type == CPGEN_TYPE_STRING &&
               (f->label == CPGEN_LABEL_NONE || (m->proto3 && f->label == CPGEN_LABEL_REPEATED))) {
        /* Must equal the INIT value so free_unpacked never frees it (and
         * protoc-c gives proto3's repeated strings the same). */
        cpgen_out_puts(c, "        &protobuf_c_empty_string,\n");
    } else {
        cpgen_out_puts(c, "        NULL,\n");
    }
    cpgen_out_printf(c, "        0%s%s%s,\n", f->packed ? " | PROTOBUF_C_FIELD_FLAG_PACKED" : "",
                     f->deprecated ? " | PROTOBUF_C_FIELD_FLAG_DEPRECATED" : "",
                     f->oneof >= 0 ? " | PROTOBUF_C_FIELD_FLAG_ONEOF" : "");
    cpgen_out_puts(c, "        0, NULL, NULL\n    },\n");
}

static void emit_descriptor(const cpgen_message_t *m, cpgen_out_t *c)
{
    const char *l = m->names.lower;
    size_t n = m->n_fields, n_ranges = 0;
    const cpgen_field_t **sorted = cpgen_xcalloc(n, sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = &m->fields[i];
    qsort(sorted, n, sizeof *sorted, by_number);

    if (n > 0) {
        cpgen_out_printf(c, "static const ProtobufCFieldDescriptor %s__field_descriptors[%zu] = {\n",
                         l, n);
        for (size_t i = 0; i < n; i++)
            emit_field_descriptor(m, sorted[i], c);
        cpgen_out_puts(c, "};\n");

        /* CODE_SIZE drops the by-name index (as protoc-c); it is sorted by
         * the field names even when use_oneof_field_name renames them. */
        name_index_t *names = m->code_size ? NULL : cpgen_xcalloc(n, sizeof *names);
        if (names) {
            for (size_t i = 0; i < n; i++) {
                names[i].name = sorted[i]->name;
                names[i].index = i;
            }
            qsort(names, n, sizeof *names, by_name);
            cpgen_out_printf(c, "static const unsigned %s__field_indices_by_name[] = {\n", l);
            for (size_t i = 0; i < n; i++)
                cpgen_out_printf(c, "    %zu, /* %s */\n", names[i].index, names[i].name);
            cpgen_out_puts(c, "};\n");
            free(names);
        }

        cpgen_out_printf(c, "static const ProtobufCIntRange %s__number_ranges[] = {\n", l);
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || sorted[i]->number != sorted[i - 1]->number + 1) {
                cpgen_out_printf(c, "    { %ld, %zu },\n", (long)sorted[i]->number, i);
                n_ranges++;
            }
        }
        cpgen_out_printf(c, "    { 0, %zu }\n};\n", n);
    }
    free(sorted);

    cpgen_out_printf(c, "const ProtobufCMessageDescriptor %s__descriptor = {\n", l);
    cpgen_out_puts(c, "    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,\n");
    if (m->code_size)
        cpgen_out_puts(c, "    NULL, NULL, NULL, NULL, /* CODE_SIZE */\n");
    else
        cpgen_out_printf(c, "    \"%s\",\n    \"%s\",\n    \"%s\",\n    \"%s\",\n",
                         m->names.full, m->names.short_name, m->names.c, m->package);
    cpgen_out_printf(c, "    sizeof(%s),\n    %zu,\n", m->names.c, n);
    if (n > 0 && m->code_size)
        cpgen_out_printf(c, "    %s__field_descriptors,\n    NULL, /* CODE_SIZE */\n"
                            "    %zu,\n    %s__number_ranges,\n", l, n_ranges, l);
    else if (n > 0)
        cpgen_out_printf(c, "    %s__field_descriptors,\n    %s__field_indices_by_name,\n"
                            "    %zu,\n    %s__number_ranges,\n", l, l, n_ranges, l);
    else
        cpgen_out_puts(c, "    NULL,\n    NULL,\n    0,\n    NULL,\n");
    if (m->skip_init)
        cpgen_out_puts(c, "    NULL, /* gen_init_helpers = false */\n    NULL, NULL, NULL\n};\n\n");
    else
        cpgen_out_printf(c, "    %s__init_generic,\n    NULL, NULL, NULL\n};\n\n", l);
}

void cpgen_emit_messages(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c)
{
    if (file->n_messages == 0)
        return;
    cpgen_out_puts(h, "/* --- messages --- */\n\n");
    for (size_t i = 0; i < file->n_messages; i++)
        cpgen_out_printf(h, "typedef struct %s %s;\n", file->messages[i]->names.c,
                         file->messages[i]->names.c);
    cpgen_out_puts(h, "\n");
    for (size_t i = 0; i < file->n_messages; i++)
        emit_struct(file->messages[i], h);

    cpgen_out_puts(h, "/* --- message functions --- */\n\n");
    cpgen_out_puts(c, "/* --- messages --- */\n\n");
    for (size_t i = 0; i < file->n_messages; i++) {
        emit_prototypes(file->messages[i], h);
        emit_functions(file->messages[i], c);
    }
    for (size_t i = 0; i < file->n_messages; i++) {
        emit_default_values(file->messages[i], c);
        emit_descriptor(file->messages[i], c);
    }

    cpgen_out_puts(h, "/* --- per-message closures (protobuf-c's service API) --- */\n\n");
    for (size_t i = 0; i < file->n_messages; i++)
        cpgen_out_printf(h, "typedef void (*%s_Closure)(const %s *message, void *closure_data);\n",
                         file->messages[i]->names.c, file->messages[i]->names.c);
    cpgen_out_puts(h, "\n");

    cpgen_out_puts(h, "/* --- message descriptors --- */\n\n");
    for (size_t i = 0; i < file->n_messages; i++)
        cpgen_out_printf(h, "extern const ProtobufCMessageDescriptor %s__descriptor;\n",
                         file->messages[i]->names.lower);
    cpgen_out_puts(h, "\n");
}
