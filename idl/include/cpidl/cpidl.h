/*
 * cpidl — the IDL front end: loads a .actor or .proto file and the files it
 * imports, checks them, and returns the checked AST (ast.h).
 *
 * The library has no global state; distinct loads may run on distinct
 * threads at once. It knows nothing of C output.
 */
#ifndef CPIDL_CPIDL_H
#define CPIDL_CPIDL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ast.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    CPIDL_OK = 0,
    CPIDL_EFAIL = -1,  /* the input has errors (or warnings under werror); see the diagnostics */
    CPIDL_ENOMEM = -2, /* out of memory */
    CPIDL_EINVAL = -3, /* a NULL or malformed argument */
};

typedef enum cpidl_severity {
    CPIDL_SEV_ERROR = 0,
    CPIDL_SEV_WARNING = 1,
    CPIDL_SEV_NOTE = 2,
} cpidl_severity_t;

/* One diagnostic. `path` is NULL (and line/col 0) for a diagnostic not tied
 * to a place, e.g. "no such file". `message` has no prefix and no newline. */
typedef struct cpidl_diag {
    cpidl_severity_t severity;
    char *path;
    unsigned line;
    unsigned col;
    char *message;
} cpidl_diag_t;

/* A list the caller owns and releases with cpidl_diags_close(). Initialize
 * with `cpidl_diags_t d = {0};`. */
typedef struct cpidl_diags {
    cpidl_diag_t *items;
    size_t n;
    size_t cap;
    unsigned n_errors; /* warnings promoted by werror count here */
    unsigned n_warnings;
} cpidl_diags_t;

/* An in-memory file: `name` is what an import statement (or the load call)
 * names; `data` need not be NUL-terminated. Borrowed for the call. */
typedef struct cpidl_source {
    const char *name;
    const char *data;
    size_t len;
} cpidl_source_t;

typedef struct cpidl_options {
    /* Directories searched, in order, for imports (and for the main file
     * when it is not found as given). Borrowed. */
    const char *const *include_dirs;
    size_t n_include_dirs;
    /* Warnings count as errors: cpidl_load() fails when any is reported
     * and they are printed as "error: ... [-Werror]". */
    bool werror;
    /* When non-NULL, diagnostics are printed here compiler-style
     * (path:line:col: severity: message, the source line, a caret) followed
     * by a count line ("2 errors, 1 warning generated.") when any. */
    FILE *diag_out;
    /* When non-NULL, every diagnostic is also appended here. */
    cpidl_diags_t *diags;
    /* In-memory files, looked up by name before the file system. */
    const cpidl_source_t *sources;
    size_t n_sources;
    /* Never read the file system: only `sources` (the fuzzer sets this). */
    bool no_disk;
    /* Maximum nesting of messages/blocks before the parser gives up on a
     * file (0 means the default, 100; values above 1000 count as 1000). */
    unsigned max_depth;
} cpidl_options_t;

/* Load `path` (a file name; looked up in opts->sources, then as given, then
 * under each include dir), every file it imports transitively (each once),
 * resolve names and check everything.
 *
 * On success returns CPIDL_OK and stores a new program in *out, which the
 * caller frees with cpidl_program_free(). When the input has errors (or
 * warnings with opts->werror) returns CPIDL_EFAIL and stores NULL; the
 * diagnostics went to opts->diag_out and/or opts->diags. CPIDL_ENOMEM and
 * CPIDL_EINVAL as listed above. `opts` may be NULL (defaults: no include
 * dirs, print to stderr). Borrowed arguments only. */
int cpidl_load(const cpidl_options_t *opts, const char *path, cpidl_program_t **out);

/* As cpidl_load(), with the main file given in memory: `name` is its
 * virtual path (used in diagnostics), `data`/`len` its bytes (borrowed, no
 * NUL needed; more than 64 MiB is refused with a diagnostic). Imports are
 * looked up as for cpidl_load(). */
int cpidl_load_buffer(const cpidl_options_t *opts, const char *name, const char *data, size_t len,
                      cpidl_program_t **out);

/* Free a program and its whole AST. NULL is allowed. */
void cpidl_program_free(cpidl_program_t *program);

/* Find a message or enum of the program by full name, with or without the
 * leading dot (".pkg.Outer.Inner" or "pkg.Outer.Inner"). NULL if none. */
const cpidl_message_t *cpidl_program_find_message(const cpidl_program_t *program,
                                                  const char *full_name);
const cpidl_enum_t *cpidl_program_find_enum(const cpidl_program_t *program, const char *full_name);

/* Print one diagnostic about a place in a loaded program's sources to
 * `out`, in the form cpidl_load() prints its own (path:line:col:
 * severity: message, then the source line and a caret under the column),
 * for a back end that checks more than the IDL does (cproc-gen's
 * generated-name check). `pos` comes from the program's AST (pos.path NULL:
 * no place). Prints no count line. Borrowed arguments only. */
void cpidl_program_diag(const cpidl_program_t *program, FILE *out, cpidl_severity_t sev,
                        cpidl_pos_t pos, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cpidl_program_vdiag(const cpidl_program_t *program, FILE *out, cpidl_severity_t sev,
                         cpidl_pos_t pos, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Release the diagnostics in `diags` and reset it to empty. */
void cpidl_diags_close(cpidl_diags_t *diags);

/* The proto name of a scalar type ("int32", "bytes"); "message", "enum",
 * "group" for the others. Static storage. */
const char *cpidl_type_name(cpidl_type_t type);

/* A sentence for a CPIDL_* status code. Static storage. */
const char *cpidl_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
