/*
 * Internal to cproc-gen: protoc-c's naming rules, so generated code reads
 * like protoc-c's (see docs/codegen.md, "Names"). Every function returns a
 * fresh heap string the caller frees.
 */
#ifndef CPGEN_NAMES_H
#define CPGEN_NAMES_H

#include "model.h"

/* "foo_bar" -> "FooBar": drop underscores, capitalise what follows them
 * and the first letter. */
char *cpgen_name_camel(const char *name);
/* "FooBar" -> "FOO_BAR", "HTTPThing" -> "HTTPTHING", "my_pkg" -> "MY_PKG". */
char *cpgen_name_upper(const char *name);
/* "FooBar" -> "foo_bar". */
char *cpgen_name_lower(const char *name);
/* A field's C member: lower case, with "_" appended to C keywords. */
char *cpgen_name_member(const char *field_name);
/* The synthetic message name of a map field: "my_map" -> "MyMapEntry". */
char *cpgen_name_map_entry(const char *field_name);

/* Fill all names of a type whose dotted path inside the package is
 * `scoped` ("Outer.Inner"); `package` may be "". */
void cpgen_names_fill(cpgen_names_t *names, const char *package, const char *scoped);
void cpgen_names_close(cpgen_names_t *names);

#endif
