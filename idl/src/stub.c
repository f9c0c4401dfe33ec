/* Temporary: links the public API while the front end is written. */
#include "cpidl/cpidl.h"

#include <stdlib.h>

int cpidl_load(const cpidl_options_t *opts, const char *path, cpidl_program_t **out)
{
    (void)opts;
    (void)path;
    if (out != NULL)
        *out = NULL;
    return CPIDL_EFAIL;
}

int cpidl_load_buffer(const cpidl_options_t *opts, const char *name, const char *data,
                      size_t len, cpidl_program_t **out)
{
    (void)opts;
    (void)name;
    (void)data;
    (void)len;
    if (out != NULL)
        *out = NULL;
    return CPIDL_EFAIL;
}

void cpidl_program_free(cpidl_program_t *program)
{
    free(program);
}

const cpidl_message_t *cpidl_program_find_message(const cpidl_program_t *program,
                                                  const char *full_name)
{
    (void)program;
    (void)full_name;
    return NULL;
}

const cpidl_enum_t *cpidl_program_find_enum(const cpidl_program_t *program,
                                            const char *full_name)
{
    (void)program;
    (void)full_name;
    return NULL;
}

void cpidl_diags_close(cpidl_diags_t *diags)
{
    (void)diags;
}

const char *cpidl_type_name(cpidl_type_t type)
{
    (void)type;
    return "?";
}

const char *cpidl_strerror(int code)
{
    (void)code;
    return "not implemented";
}
