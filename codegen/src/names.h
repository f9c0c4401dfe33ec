/*
 * Internal to cproc-gen: protoc-c's naming rules, so generated code reads
 * like protoc-c's (see docs/codegen.md, "Names"). Every function returns a
 * fresh heap string the caller frees.
 */
#ifndef CPGEN_NAMES_H
#define CPGEN_NAMES_H

#include <stdbool.h>

#include "model.h"

/* "foo_bar" -> "FooBar": drop underscores, capitalise what follows them
 * and the first letter. */
char *cpgen_name_camel(const char *name);
/* "FooBar" -> "FOO_BAR", "HTTPThing" -> "HTTPTHING", "my_pkg" -> "MY_PKG". */
char *cpgen_name_upper(const char *name);
/* "FooBar" -> "foo_bar". */
char *cpgen_name_lower(const char *name);
/* True when `name` is a C keyword (C11, C23, GNU) or a lower-case macro of
 * the headers generated code includes: it cannot be a member name. */
bool cpgen_name_is_keyword(const char *name);
/* `name`, with "_" appended when cpgen_name_is_keyword(name). */
char *cpgen_name_escape(const char *name);
/* A handler member (an rpc's "get_stats"): escaped like cpgen_name_escape()
 * and also when it is a function-like macro such as `assert`, since the
 * stubs call it. */
char *cpgen_name_handler(const char *lower);
/* A field's C member: lower case, with "_" appended to C keywords. */
char *cpgen_name_member(const char *field_name);
/* The generated header of an imported file: "x.actor" -> "x.actor.h",
 * "x.proto" -> "x<proto_suffix>.h" (".pb-c" or ".pb-cproc"), else
 * "x.h". With `paths` the import path is kept ("google/protobuf/any.pb-c.h",
 * as protoc-c); otherwise the base name (outputs written flat). */
char *cpgen_name_import_header(const char *import, const char *proto_suffix, bool paths);
/* The include guard of a generated header: "ping.actor.h" ->
 * "CPGEN_PING_ACTOR_H" (every byte but letters and digits becomes '_'). */
char *cpgen_name_guard(const char *header_name);
/* The synthetic message name of a map field: "my_map" -> "MyMapEntry". */
char *cpgen_name_map_entry(const char *field_name);

/* Fill all names of a type whose dotted path inside the package is
 * `scoped` ("Outer.Inner"); `package` may be "". */
void cpgen_names_fill(cpgen_names_t *names, const char *package, const char *scoped);
void cpgen_names_close(cpgen_names_t *names);

#endif
