/* Queries over a loaded program and small tables. */
#include "cpidl/cpidl.h"

#include <string.h>

static bool name_is(const char *full, const char *want)
{
    /* full always has the leading dot; want may not. */
    return strcmp(want[0] == '.' ? full : full + 1, want) == 0;
}

const cpidl_message_t *cpidl_program_find_message(const cpidl_program_t *program,
                                                  const char *full_name)
{
    if (program == NULL || full_name == NULL)
        return NULL;
    for (size_t i = 0; i < program->n_files; i++) {
        const cpidl_file_t *f = program->files[i];
        for (size_t j = 0; j < f->n_all_messages; j++) {
            if (name_is(f->all_messages[j]->full_name, full_name))
                return f->all_messages[j];
        }
    }
    return NULL;
}

const cpidl_enum_t *cpidl_program_find_enum(const cpidl_program_t *program, const char *full_name)
{
    if (program == NULL || full_name == NULL)
        return NULL;
    for (size_t i = 0; i < program->n_files; i++) {
        const cpidl_file_t *f = program->files[i];
        for (size_t j = 0; j < f->n_all_enums; j++) {
            if (name_is(f->all_enums[j]->full_name, full_name))
                return f->all_enums[j];
        }
    }
    return NULL;
}

const char *cpidl_type_name(cpidl_type_t type)
{
    switch (type) {
    case CPIDL_TYPE_DOUBLE:
        return "double";
    case CPIDL_TYPE_FLOAT:
        return "float";
    case CPIDL_TYPE_INT64:
        return "int64";
    case CPIDL_TYPE_UINT64:
        return "uint64";
    case CPIDL_TYPE_INT32:
        return "int32";
    case CPIDL_TYPE_FIXED64:
        return "fixed64";
    case CPIDL_TYPE_FIXED32:
        return "fixed32";
    case CPIDL_TYPE_BOOL:
        return "bool";
    case CPIDL_TYPE_STRING:
        return "string";
    case CPIDL_TYPE_GROUP:
        return "group";
    case CPIDL_TYPE_MESSAGE:
        return "message";
    case CPIDL_TYPE_BYTES:
        return "bytes";
    case CPIDL_TYPE_UINT32:
        return "uint32";
    case CPIDL_TYPE_ENUM:
        return "enum";
    case CPIDL_TYPE_SFIXED32:
        return "sfixed32";
    case CPIDL_TYPE_SFIXED64:
        return "sfixed64";
    case CPIDL_TYPE_SINT32:
        return "sint32";
    case CPIDL_TYPE_SINT64:
        return "sint64";
    }
    return "unknown";
}

const char *cpidl_strerror(int code)
{
    switch (code) {
    case CPIDL_OK:
        return "success";
    case CPIDL_EFAIL:
        return "the input has errors";
    case CPIDL_ENOMEM:
        return "out of memory";
    case CPIDL_EINVAL:
        return "invalid argument";
    }
    return "unknown error";
}
