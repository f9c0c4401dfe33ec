/* Internal: the state of one cpidl_load() call shared by the loader,
 * parser, checker and diagnostics. */
#ifndef CPIDL_INTERNAL_H
#define CPIDL_INTERNAL_H

#include "arena.h"
#include "cpidl/cpidl.h"

/* Past this many errors a load stops reporting and parsing: a garbage
 * input must not produce megabytes of output. */
enum { CPIDL_MAX_ERRORS = 100, CPIDL_DEFAULT_DEPTH = 100, CPIDL_MAX_DEPTH = 1000 };

typedef struct cpidl_ctx {
    cpidl_arena_t arena; /* owns the whole program */
    const cpidl_options_t *opts;
    FILE *out;
    cpidl_diags_t *diags;
    unsigned n_errors;
    unsigned n_warnings;
    bool oom;
    bool too_many; /* CPIDL_MAX_ERRORS reached */
    unsigned max_depth;
    cpidl_vec_t files;   /* cpidl_file_t*, in completion (dependency) order */
    cpidl_vec_t loading; /* cpidl_file_t*, the import chain being loaded */
    cpidl_vec_t all;     /* cpidl_file_t*, every file started, for lookup by name */
    /* Rendered diagnostics not yet printed to `out` (malloc'd): printed
     * sorted by position by cpidl_diag_flush, each note after its error. */
    struct cpidl_pending *pending;
    size_t n_pending, cap_pending;
} cpidl_ctx_t;

/* Print the pending diagnostics to ctx->out sorted by (path, line, col),
 * stably, a note staying after the diagnostic it belongs to; frees them. */
void cpidl_diag_flush(cpidl_ctx_t *ctx);

/* Report a diagnostic at `pos` (pos.path may be NULL). Prints and/or
 * collects per the options. Warnings become errors under werror. */
void cpidl_diag(cpidl_ctx_t *ctx, cpidl_severity_t sev, cpidl_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define cpidl_error(ctx, pos, ...)   cpidl_diag((ctx), CPIDL_SEV_ERROR, (pos), __VA_ARGS__)
#define cpidl_warning(ctx, pos, ...) cpidl_diag((ctx), CPIDL_SEV_WARNING, (pos), __VA_ARGS__)
#define cpidl_note(ctx, pos, ...)    cpidl_diag((ctx), CPIDL_SEV_NOTE, (pos), __VA_ARGS__)

/* Parse `file->source` (NUL at source_len) into `file`. Imports are
 * recorded, not loaded. Errors are reported; the tree holds only
 * complete nodes. */
void cpidl_parse(cpidl_ctx_t *ctx, cpidl_file_t *file);

/* Resolve type names and check every file in ctx->files. */
void cpidl_check(cpidl_ctx_t *ctx);

/* Levenshtein distance, capped: returns limit+1 when larger. */
size_t cpidl_edit_distance(const char *a, const char *b, size_t limit);

#endif
