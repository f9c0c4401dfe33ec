/*
 * Internal to cproc-gen: the ${name} templates the cproc stub emitters
 * (emit_actor.c, emit_future.c) write their C with, so that the emitted
 * text reads as the code it becomes.
 */
#ifndef CPGEN_TEMPLATE_H
#define CPGEN_TEMPLATE_H

#include "emit.h"

typedef struct cpgen_var {
    const char *name;
    const char *value;
} cpgen_var_t;

/* Appends `tmpl` with every ${name} replaced by its value in `vars`
 * (terminated by a NULL name). An unknown name is a bug in the emitter and
 * comes out as "<unknown placeholder>", which does not compile. */
void cpgen_template(cpgen_out_t *out, const char *tmpl, const cpgen_var_t *vars);

/* The cproc helpers of one message: its typed future and future
 * operations, its cp_msgtype_t, send/reply (emit_future.c). */
void cpgen_emit_message_helpers(const cpgen_message_t *m, cpgen_out_t *h, cpgen_out_t *c);

#endif
