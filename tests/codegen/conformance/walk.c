/*
 * Prints every field of every descriptor in walk_list (made by
 * conformance.py from the generated headers) as text, one item a line, so
 * the output for protoc-c's code and for cproc-gen's can be diffed.
 * Pointers are never printed: a referenced descriptor is named by its
 * names, a default by its value, a message's INIT state by each member.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

extern const void *const walk_list[];
extern const char *const walk_names[];

static const char *str(const char *s)
{
    return s ? s : "(null)";
}

static void put_bytes(const char *what, const uint8_t *p, size_t len)
{
    printf("%s %zu:", what, len);
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void put_string(const char *what, const char *s)
{
    if (s == NULL) {
        printf("%s NULL\n", what);
        return;
    }
    put_bytes(what, (const uint8_t *)s, strlen(s));
}

/* One value of field f stored at p (not repeated, not a pointer unless a
 * string or message). */
static void put_value(const char *what, const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        printf("%s %" PRId32 "\n", what, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        printf("%s %" PRIu32 "\n", what, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        printf("%s %" PRId64 "\n", what, *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        printf("%s %" PRIu64 "\n", what, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        printf("%s %.9g\n", what, (double)*(const float *)p);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        printf("%s %.17g\n", what, *(const double *)p);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        printf("%s %d\n", what, (int)*(const protobuf_c_boolean *)p);
        break;
    case PROTOBUF_C_TYPE_STRING:
        put_string(what, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        if (b->data == NULL)
            printf("%s %zu:NULL\n", what, b->len);
        else
            put_bytes(what, b->data, b->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        printf("%s %s\n", what, *(void *const *)p ? "set" : "NULL");
        break;
    }
}

static void walk_enum(const ProtobufCEnumDescriptor *e)
{
    printf("enum name=%s short=%s c=%s package=%s\n", str(e->name), str(e->short_name),
           str(e->c_name), str(e->package_name));
    printf("  n_values=%u\n", e->n_values);
    for (unsigned i = 0; i < e->n_values; i++)
        printf("  value %s %s %d\n", str(e->values[i].name), str(e->values[i].c_name),
               e->values[i].value);
    printf("  n_value_names=%u\n", e->n_value_names);
    for (unsigned i = 0; i < e->n_value_names; i++)
        printf("  by_name %s %u\n", str(e->values_by_name[i].name), e->values_by_name[i].index);
    printf("  n_value_ranges=%u\n", e->n_value_ranges);
    for (unsigned i = 0; i <= e->n_value_ranges && e->value_ranges; i++)
        printf("  range %d %u\n", e->value_ranges[i].start_value, e->value_ranges[i].orig_index);
}

static void walk_message(const ProtobufCMessageDescriptor *m)
{
    printf("message name=%s short=%s c=%s package=%s sizeof=%zu\n", str(m->name),
           str(m->short_name), str(m->c_name), str(m->package_name), m->sizeof_message);
    printf("  n_fields=%u\n", m->n_fields);
    for (unsigned i = 0; i < m->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->fields[i];
        printf("  field %s id=%u label=%d type=%d quantifier_offset=%u offset=%u flags=%u\n",
               str(f->name), f->id, (int)f->label, (int)f->type, f->quantifier_offset,
               f->offset, f->flags);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessageDescriptor *d = f->descriptor;
            printf("    descriptor message %s %s %zu\n", str(d->name), str(d->c_name),
                   d->sizeof_message);
        } else if (f->type == PROTOBUF_C_TYPE_ENUM) {
            const ProtobufCEnumDescriptor *d = f->descriptor;
            printf("    descriptor enum %s %s %u\n", str(d->name), str(d->c_name), d->n_values);
        } else {
            printf("    descriptor %s\n", f->descriptor ? "set" : "NULL");
        }
        if (f->default_value == NULL)
            printf("    default NULL\n");
        else if (f->type == PROTOBUF_C_TYPE_STRING)
            put_string("    default", f->default_value);
        else
            put_value("    default", f, f->default_value);
    }
    if (m->fields_sorted_by_name)
        for (unsigned i = 0; i < m->n_fields; i++)
            printf("  by_name %u\n", m->fields_sorted_by_name[i]);
    else
        printf("  by_name NULL\n");
    printf("  n_field_ranges=%u\n", m->n_field_ranges);
    for (unsigned i = 0; i <= m->n_field_ranges && m->field_ranges; i++)
        printf("  range %d %u\n", m->field_ranges[i].start_value, m->field_ranges[i].orig_index);
    printf("  init %s\n", m->message_init ? "set" : "NULL");
    if (m->message_init == NULL)
        return;
    /* The INIT state, member by member. */
    uint8_t *msg = calloc(1, m->sizeof_message);
    if (msg == NULL)
        abort();
    m->message_init((ProtobufCMessage *)msg);
    printf("  init.descriptor %s\n", ((ProtobufCMessage *)msg)->descriptor == m ? "self" : "OTHER");
    for (unsigned i = 0; i < m->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &m->fields[i];
        const uint8_t *q = msg + f->quantifier_offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            printf("  init.%s n=%zu list=%s\n", str(f->name), *(const size_t *)q,
                   *(void *const *)(msg + f->offset) ? "set" : "NULL");
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            printf("  init.%s case=%" PRIu32 "\n", str(f->name), *(const uint32_t *)q);
        else if (f->quantifier_offset)
            printf("  init.%s has=%d\n", str(f->name), (int)*(const protobuf_c_boolean *)q);
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            char what[256];
            snprintf(what, sizeof what, "  init.%s", str(f->name));
            put_value(what, f, msg + f->offset);
        }
    }
    free(msg);
}

static void walk_service(const ProtobufCServiceDescriptor *s)
{
    printf("service name=%s short=%s c=%s package=%s\n", str(s->name), str(s->short_name),
           str(s->c_name), str(s->package));
    printf("  n_methods=%u\n", s->n_methods);
    for (unsigned i = 0; i < s->n_methods; i++)
        printf("  method %s %s %s\n", str(s->methods[i].name), str(s->methods[i].input->c_name),
               str(s->methods[i].output->c_name));
    if (s->method_indices_by_name)
        for (unsigned i = 0; i < s->n_methods; i++)
            printf("  by_name %u\n", s->method_indices_by_name[i]);
    else
        printf("  by_name NULL\n");
}

int main(void)
{
    for (size_t i = 0; walk_list[i] != NULL; i++) {
        uint32_t magic;
        memcpy(&magic, walk_list[i], sizeof magic);
        printf("== %s\n", walk_names[i]);
        if (magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
            walk_message(walk_list[i]);
        else if (magic == PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC)
            walk_enum(walk_list[i]);
        else if (magic == PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC)
            walk_service(walk_list[i]);
        else
            printf("bad magic %08" PRIx32 "\n", magic);
    }
    return 0;
}
