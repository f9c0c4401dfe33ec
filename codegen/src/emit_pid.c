/*
 * Typed pids and the compile-time guards of the actor API (emit_pid.h).
 *
 * Misuse must be a hard error with gcc 12 and clang 14 at their default
 * flags, where passing a pointer of the wrong type is only a warning and
 * so is calling an undeclared function. So a typed pid is a struct passed
 * by value (another actor's pid is then an incompatible argument type),
 * pointer arguments of generated types go through CPGEN_ARG (a `_Generic`
 * with no default), and the one-way send of an actor selects its per-`on`
 * function by the message's type, again with no default.
 */
#include "emit_pid.h"

#include <string.h>

#include "gen_names.h"

static const char arg_guard_h[] =
    "#ifndef CPGEN_ARG\n"
    "/* Evaluates to x when x points to a T (const or not); anything else,\n"
    " * NULL included, is a compile error. Guards the pointer arguments of the\n"
    " * generated functions, since a mismatched pointer is only a warning. */\n"
    "#define CPGEN_ARG(T, x) _Generic((x), T *: (x), const T *: (x))\n"
    "#endif\n"
    "#ifndef CPGEN_OUT\n"
    "/* Evaluates to x when x is a T * or NULL (a void *): an out-parameter. */\n"
    "#define CPGEN_OUT(T, x) _Generic((x), T *: (x), void *: (x))\n"
    "#endif\n"
    "\n";

void cpgen_emit_arg_guard(cpgen_out_t *h)
{
    cpgen_out_puts(h, arg_guard_h);
}

static const char pid_h[] =
    "/* The pid of a ${full} process: a cp_upid_t with the actor's type, passed\n"
    " * by value, so handing it to another actor's functions is a compile error.\n"
    " * The UPID itself is the member `upid`. */\n"
    "typedef struct ${C}_Pid {\n"
    "    cp_upid_t upid;\n"
    "} ${C}_Pid;\n"
    "\n"
    "/* Views a UPID (say, parsed from text or received in a message) as a\n"
    " * ${full} pid. Nothing is checked: the caller vouches for the type. */\n"
    "static inline ${C}_Pid ${l}__pid(cp_upid_t upid)\n"
    "{\n"
    "    ${C}_Pid pid = {upid};\n"
    "    return pid;\n"
    "}\n"
    "\n";

void cpgen_emit_pid_h(const cpgen_actor_t *a, cpgen_out_t *h)
{
    const cpgen_var_t vars[] = {
        {"full", a->names.full}, {"C", a->names.c}, {"l", a->names.lower}, {NULL, NULL}};
    cpgen_template(h, pid_h, vars);
}

static const char message_guards_h[] =
    "/* The same functions, with msg checked to be a ${C} at compile time. */\n"
    "#define ${l}__future_ready(msg, free_msg) \\\n"
    "    ${l}__future_ready(CPGEN_ARG(${C}, (msg)), (free_msg))\n"
    "#define ${l}__send(self, to, msg) ${l}__send((self), (to), CPGEN_ARG(${C}, (msg)))\n"
    "#define ${l}__send_from(from, to, msg) \\\n"
    "    ${l}__send_from((from), (to), CPGEN_ARG(${C}, (msg)))\n"
    "#define ${l}__reply(self, from, msg) ${l}__reply((self), (from), CPGEN_ARG(${C}, (msg)))\n"
    "\n";

void cpgen_emit_message_guards(const cpgen_message_t *m, cpgen_out_t *h)
{
    const cpgen_var_t vars[] = {{"C", m->names.c}, {"l", m->names.lower}, {NULL, NULL}};
    cpgen_template(h, message_guards_h, vars);
}

static const char spawn_guard_h[] =
    "/* The same, with handlers and pid checked to be ${full}'s at compile time. */\n"
    "#define ${l}__spawn(id, handlers, state, state_free, pid) \\\n"
    "    ${l}__spawn((id), CPGEN_ARG(${C}_Handlers, (handlers)), (state), (state_free), \\\n"
    "                CPGEN_OUT(${C}_Pid, (pid)))\n"
    "\n";

void cpgen_emit_spawn_guard(const cpgen_actor_t *a, cpgen_out_t *h)
{
    const cpgen_var_t vars[] = {
        {"full", a->names.full}, {"C", a->names.c}, {"l", a->names.lower}, {NULL, NULL}};
    cpgen_template(h, spawn_guard_h, vars);
}

void cpgen_emit_send_selector(const cpgen_actor_t *a, cpgen_out_t *h)
{
    if (a->n_on == 0)
        return;
    const cpgen_var_t vars[] = {
        {"full", a->names.full}, {"C", a->names.c}, {"l", a->names.lower}, {NULL, NULL}};
    cpgen_template(h,
                 "/* Sends msg to a ${full} process, local or remote, through the\n"
                 " * ${l}__send_<message> function of msg's type. A message the actor has\n"
                 " * no `on` for, or a pid of another actor, is a compile error. */\n"
                 "#define ${l}__send(pid, msg, msg_free) _Generic((msg)",
                 vars);
    for (size_t i = 0; i < a->n_on; i++) {
        const cpgen_actor_msg_t *m = &a->on[i];
        const char *x = strncmp(m->member, "on_", 3) == 0 ? m->member + 3 : m->member;
        const cpgen_var_t mv[] = {
            {"l", a->names.lower}, {"mC", m->names.c}, {"x", x}, {NULL, NULL}};
        cpgen_template(h, ", \\\n    ${mC} *: ${l}__send_${x}, const ${mC} *: ${l}__send_${x}", mv);
    }
    cpgen_out_puts(h, ")((pid), (msg), (msg_free))\n\n");
}
