/*
 * Internal to cproc-gen: typed pids and the compile-time guards of the
 * generated actor API (emit_pid.c). Every identifier emitted here has a
 * row in gen_names.c.
 */
#ifndef CPGEN_EMIT_PID_H
#define CPGEN_EMIT_PID_H

#include "emit.h"
#include "model.h"

/* The guard macros (once per header, #ifndef-protected): CPGEN_ARG(T, x)
 * is x when it points to a T or const T, CPGEN_OUT(T, x) x when it is a
 * T * or NULL; anything else is a compile error. */
void cpgen_emit_arg_guard(cpgen_out_t *h);

/* `typedef struct Pkg__Act_Pid { cp_upid_t upid; } Pkg__Act_Pid;` and the
 * static inline `Pkg__Act_Pid pkg__act__pid(cp_upid_t upid)`. Header only. */
void cpgen_emit_pid_h(const cpgen_actor_t *a, cpgen_out_t *h);

/* After a message's cproc helpers: same-named macros that guard the msg
 * argument of __future_ready, __send, __send_from and __reply with
 * CPGEN_ARG. Their definitions must parenthesize the name. */
void cpgen_emit_message_guards(const cpgen_message_t *m, cpgen_out_t *h);

/* After the spawn prototype: a same-named macro guarding `handlers`
 * (CPGEN_ARG) and the out-pid (CPGEN_OUT: the actor's pid or NULL). */
void cpgen_emit_spawn_guard(const cpgen_actor_t *a, cpgen_out_t *h);

/* For an actor with at least one `on`: the macro
 * `pkg__act__send(pid, msg, msg_free)` that picks `pkg__act__send_<x>` (on
 * member `on_<x>`) by msg's type with `_Generic` and no default, so a
 * message the actor does not declare is a compile error. Header only; the
 * per-`on` functions are emit_actor.c's. */
void cpgen_emit_send_selector(const cpgen_actor_t *a, cpgen_out_t *h);

#endif
