/*
 * Internal to cproc-gen: the one table of every C identifier the emitters
 * generate for a declaration, and the check that refuses an input whose
 * generated identifiers would collide (with each other, across imported
 * headers, or with names the included headers reserve).
 *
 * A row is a template in the emitters' own `${var}` syntax. When an
 * emitter starts generating a new identifier, add a row here: the check
 * then covers it. The property test (tests/codegen/random_idl.py) compiles
 * random inputs with -Werror to catch a row that was forgotten.
 */
#ifndef CPGEN_GEN_NAMES_H
#define CPGEN_GEN_NAMES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "emit.h"
#include "model.h"
#include "template.h"

/* What produces a name; rows of a kind apply to every declaration of it. */
typedef enum cpgen_origin {
    CPGEN_N_MESSAGE,       /* every message, map entries included: C l U full base */
    CPGEN_N_MESSAGE_API,   /* messages other than map entries: C l U full */
    CPGEN_N_MESSAGE_PACK,  /* their pack helpers (also static inline fallbacks
                              for imported messages that lack them) */
    CPGEN_N_ENUM,          /* C l U */
    CPGEN_N_ENUM_VALUE,    /* cname */
    CPGEN_N_FIELD,         /* member ml */
    CPGEN_N_FIELD_REPEATED,
    CPGEN_N_FIELD_HAS,     /* optional scalar/enum/bytes outside a oneof */
    CPGEN_N_FIELD_DEFAULT, /* proto2 [default=...] */
    CPGEN_N_FIELD_DEFAULT_BYTES,
    CPGEN_N_ONEOF,         /* case_member case_type case_upper */
    CPGEN_N_ONEOF_FIELD,   /* case_upper FIELD */
    CPGEN_N_ACTOR,         /* C l full */
    CPGEN_N_ACTOR_ON,      /* l member (an actor with at least one `on`) */
    CPGEN_N_ON,            /* C l member x mC ml mU (x: member without "on_") */
    CPGEN_N_RPC,           /* C l member rpc */
    CPGEN_N_ROUTE,         /* C l member */
} cpgen_origin_t;

/* Where a name lives, i.e. what it must be unique in. */
typedef enum cpgen_ns {
    CPGEN_NS_GLOBAL, /* a file-scope identifier, tag or macro of the header */
    CPGEN_NS_STATIC, /* file scope in the generated .c only */
    CPGEN_NS_STRUCT, /* a member of the message's struct */
    CPGEN_NS_HANDLERS, /* a member of the actor's Handlers struct */
} cpgen_ns_t;

typedef struct cpgen_name_row {
    cpgen_origin_t origin;
    cpgen_ns_t ns;
    const char *tmpl; /* "${l}__spawn" */
} cpgen_name_row_t;

extern const cpgen_name_row_t cpgen_name_rows[];
extern const size_t cpgen_n_name_rows;

/* Reports one diagnostic; `note` is false for the error, true for the note
 * that follows it. */
typedef void (*cpgen_report_fn)(void *ctx, bool note, cpgen_pos_t pos, const char *fmt,
                                va_list ap);

/* Check the generated names of `main` together with those of `imports`
 * (the models of every file main's header includes, directly or not; only
 * their header names count). Reports each collision or reserved name once
 * through `report` and returns the number of errors. */
unsigned cpgen_check_names(const cpgen_file_t *main, const cpgen_file_t *const *imports,
                           size_t n_imports, cpgen_report_fn report, void *ctx);

/* Print every name the table gives `file`'s own declarations, one per
 * line: "global NAME", "static NAME" or "member STRUCT NAME" (cproc-gen
 * --print-names; the property test checks that the generated code declares
 * no file-scope name missing here). */
void cpgen_names_print(const cpgen_file_t *file, FILE *out);

#endif
