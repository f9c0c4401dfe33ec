/*
 * Internal to cproc-gen: the bridge from the IDL library (cpidl) to the
 * generator's model. It is the only part of codegen that includes cpidl
 * headers.
 */
#ifndef CPGEN_FRONTEND_H
#define CPGEN_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

typedef struct cpgen_options {
    const char **include_dirs; /* -I, in command-line order */
    size_t n_include_dirs;
    bool werror;
    bool print_names; /* --print-names (main.c only) */
} cpgen_options_t;

/* A list of file paths (the depfile's prerequisites). */
typedef struct cpgen_deps {
    char **paths;
    size_t n;
} cpgen_deps_t;

/* Parse and check `path` and the files it imports, printing diagnostics
 * (path:line:col: error: ...) to stderr. On success returns 0, stores a new
 * model the caller frees with cpgen_file_free() in *out, and appends every
 * file read (the input first, then imports) to `deps`, which the caller
 * frees with cpgen_deps_close(). Returns -1 on errors (or on warnings with
 * opts->werror); *out is then NULL. */
int cpgen_frontend_load(const cpgen_options_t *opts, const char *path, cpgen_file_t **out,
                        cpgen_deps_t *deps);

void cpgen_deps_close(cpgen_deps_t *deps);

#endif
