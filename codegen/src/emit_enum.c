/*
 * Enum emitter: the C enum type and its ProtobufCEnumDescriptor, laid out
 * the way libprotobuf-c searches them (values by number without aliases,
 * value ranges, every name sorted by name).
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

typedef struct value_index {
    int32_t number;
    size_t source;    /* position in the source */
    size_t unique;    /* index in values_by_number */
    const char *name;
} value_index_t;

static int by_number_then_source(const void *a, const void *b)
{
    const value_index_t *x = a, *y = b;
    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return x->source < y->source ? -1 : x->source > y->source;
}

static int by_name(const void *a, const void *b)
{
    const value_index_t *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static void emit_enum_header(const cpgen_enum_t *e, cpgen_out_t *h)
{
    if (e->comment)
        cpgen_out_comment(h, "", e->comment);
    cpgen_out_printf(h, "/* enum %s */\n", e->names.full);
    cpgen_out_printf(h, "typedef enum _%s {\n", e->names.c);
    for (size_t i = 0; i < e->n_values; i++)
        cpgen_out_printf(h, "    %s = %ld%s\n", e->values[i].c_name,
                         (long)e->values[i].number, i + 1 < e->n_values ? "," : "");
    /* C has no empty enums; the checker rejects them, but stay compilable. */
    if (e->n_values == 0)
        cpgen_out_printf(h, "    %s___NO_VALUES = 0\n", e->names.upper);
    cpgen_out_printf(h, "    PROTOBUF_C__FORCE_ENUM_TO_BE_INT_SIZE(%s)\n", e->names.upper);
    cpgen_out_printf(h, "} %s;\n\n", e->names.c);
}

static void emit_enum_source(const cpgen_enum_t *e, cpgen_out_t *c)
{
    const char *l = e->names.lower;
    size_t n = e->n_values;
    value_index_t *idx = cpgen_xcalloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        idx[i].number = e->values[i].number;
        idx[i].source = i;
        idx[i].name = e->values[i].name;
    }
    qsort(idx, n, sizeof *idx, by_number_then_source);

    /* Aliases share a number: only the first one is listed by number. */
    size_t n_unique = 0, n_ranges = 0;
    if (n > 0) {
        cpgen_out_printf(c, "static const ProtobufCEnumValue %s__enum_values_by_number[] = {\n", l);
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && idx[i].number == idx[i - 1].number) {
                idx[i].unique = n_unique - 1;
                continue;
            }
            idx[i].unique = n_unique++;
            const cpgen_enum_value_t *v = &e->values[idx[i].source];
            if (e->code_size)
                cpgen_out_printf(c, "    { NULL, NULL, %ld }, /* CODE_SIZE */\n", (long)v->number);
            else
                cpgen_out_printf(c, "    { \"%s\", \"%s\", %ld },\n", v->name, v->c_name,
                                 (long)v->number);
        }
        cpgen_out_puts(c, "};\n");

        cpgen_out_printf(c, "static const ProtobufCIntRange %s__value_ranges[] = {\n", l);
        int64_t prev = 0;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && idx[i].number == idx[i - 1].number)
                continue;
            if (n_ranges == 0 || (int64_t)idx[i].number != prev + 1) {
                cpgen_out_printf(c, "    { %ld, %zu },\n", (long)idx[i].number, idx[i].unique);
                n_ranges++;
            }
            prev = idx[i].number;
        }
        cpgen_out_printf(c, "    { 0, %zu }\n};\n", n_unique);

        qsort(idx, n, sizeof *idx, by_name);
        if (!e->code_size)
            cpgen_out_printf(c, "static const ProtobufCEnumValueIndex %s__enum_values_by_name[] = {\n", l);
        for (size_t i = 0; i < n && !e->code_size; i++)
            cpgen_out_printf(c, "    { \"%s\", %zu },\n", idx[i].name, idx[i].unique);
        if (!e->code_size)
            cpgen_out_puts(c, "};\n");
    }

    cpgen_out_printf(c, "const ProtobufCEnumDescriptor %s__descriptor = {\n", l);
    cpgen_out_puts(c, "    PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC,\n");
    if (e->code_size)
        cpgen_out_puts(c, "    NULL, NULL, NULL, NULL, /* CODE_SIZE */\n");
    else
        cpgen_out_printf(c, "    \"%s\",\n    \"%s\",\n    \"%s\",\n    \"%s\",\n",
                         e->names.full, e->names.short_name, e->names.c, e->package);
    if (n > 0) {
        cpgen_out_printf(c, "    %zu,\n    %s__enum_values_by_number,\n", n_unique, l);
        if (e->code_size)
            cpgen_out_puts(c, "    0, NULL, /* CODE_SIZE */\n");
        else
            cpgen_out_printf(c, "    %zu,\n    %s__enum_values_by_name,\n", n, l);
        cpgen_out_printf(c, "    %zu,\n    %s__value_ranges,\n", n_ranges, l);
    } else {
        cpgen_out_puts(c, "    0, NULL, 0, NULL, 0, NULL,\n");
    }
    cpgen_out_puts(c, "    NULL, NULL, NULL, NULL\n};\n\n");
    free(idx);
}

void cpgen_emit_enums(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c)
{
    if (file->n_enums == 0)
        return;
    cpgen_out_puts(h, "/* --- enums --- */\n\n");
    cpgen_out_puts(c, "/* --- enums --- */\n\n");
    for (size_t i = 0; i < file->n_enums; i++) {
        emit_enum_header(file->enums[i], h);
        emit_enum_source(file->enums[i], c);
    }
    for (size_t i = 0; i < file->n_enums; i++)
        cpgen_out_printf(h, "/* Descriptor of %s, for protobuf_c_enum_descriptor_get_value(). */\n"
                            "extern const ProtobufCEnumDescriptor %s__descriptor;\n",
                         file->enums[i]->names.full, file->enums[i]->names.lower);
    cpgen_out_puts(h, "\n");
}
