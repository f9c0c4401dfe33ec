/* Internal: pieces of the parser shared with the checker. */
#ifndef CPIDL_PARSER_H
#define CPIDL_PARSER_H

#include "internal.h"

/* The scalar type named `name`, or 0 when it names none. */
cpidl_type_t cpidl_scalar_type(const char *name);

/* protoc's default json_name: underscores dropped, the next letter upper-cased. */
char *cpidl_json_name(cpidl_arena_t *arena, const char *name);

#endif
