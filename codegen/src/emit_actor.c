/*
 * Actor stubs: for every actor, its typed pid, handler table, spawn, one
 * location-transparent function per rpc (cp_call(): local calls never
 * serialize, remote ones use cproc's call protocol, docs/wire.md), one
 * typed send per `on` (the pointer handed over locally, serialized
 * remotely), and the installs of its `on` handlers, rpc handlers and
 * routes. The message helpers (typed futures) are emit_future.c's.
 * docs/codegen.md shows the output for the pingpong example.
 *
 * Naming (on top of protoc-c's): for actor pkg.Act, `Pkg__Act_Pid`,
 * `Pkg__Act_Handlers` and `pkg__act__*` functions; the single underscore
 * before the cproc part keeps clear of protoc-c's double-underscore names.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "emit.h"
#include "emit_pid.h"
#include "template.h"

typedef cpgen_var_t var_t;

static void emit(cpgen_out_t *out, const char *tmpl, const var_t *vars)
{
    cpgen_template(out, tmpl, vars);
}

/* ---- per actor: header ---------------------------------------------- */

static const char actor_h_open[] =
    "/* ---- actor ${full} ---- */\n"
    "\n";

/* After the typed pid (emit_pid.c). */
static const char actor_h_handlers[] =
    "/* What a ${full} does, filled in by you; any entry may be NULL. Each runs\n"
    " * inside the process, one at a time, with the `state` given to spawn\n"
    " * (also cp_process_data(self)). Messages are borrowed for the call (an\n"
    " * rpc request: until the returned future completes). */\n"
    "typedef struct ${C}_Handlers {\n"
    "    void (*initialize)(cp_process_t *self, void *state);\n"
    "    void (*finalize)(cp_process_t *self, void *state);\n"
    "    /* A process linked with cp_process_link() has ended. */\n"
    "    void (*exited)(cp_process_t *self, void *state, const cp_upid_t *pid);\n";

static const char actor_h_on[] =
    "    /* on ${mfull}: `from` is the sender (answer with <message>__reply). */\n"
    "    void (*${member})(cp_process_t *self, void *state, const cp_upid_t *from,\n"
    "        const ${mC} *msg);\n";

static const char actor_h_rpc[] =
    "    /* rpc ${rpc}(${qfull}) returns (${sfull}): `caller` is the calling\n"
    "     * process, local or remote (NULL when called from outside any process).\n"
    "     * Return e.g. ${sl}__future_ready(msg, ${sl}__free); a failed future's\n"
    "     * text reaches the caller; a discard of the call discards the future. */\n"
    "    ${sC}_Future (*${member})(cp_process_t *self, void *state, const cp_upid_t *caller,\n"
    "        const ${qC} *request);\n";

static const char actor_h_route[] =
    "    /* a route (see the actor's .actor file): return a future of a\n"
    "     * cp_http_response_t. */\n"
    "    cp_future_t *(*${member})(cp_process_t *self, void *state, const cp_http_request_t *req);\n";

static const char actor_h_close[] =
    "} ${C}_Handlers;\n"
    "\n"
    "/* Spawns a ${full} named `id` (NULL: generated). `handlers` is borrowed for\n"
    " * the process's life; `state` goes to every handler, is what\n"
    " * cp_process_data(self) returns, and at the end goes to state_free (may be\n"
    " * NULL). Its `on` handlers, rpcs and routes are installed before any\n"
    " * message arrives. Returns 0 or a CP_E* code (state stays yours on error). */\n"
    "int ${l}__spawn(const char *id, const ${C}_Handlers *handlers, void *state,\n"
    "    cp_free_fn state_free, ${C}_Pid *pid);\n"
    "\n"
    "/* Messages ${full} processes dropped because they did not unpack. */\n"
    "uint64_t ${l}__malformed_count(void);\n"
    "\n";

static const char actor_h_send[] =
    "/* Sends msg to the ${full} process `to`, for its ${member} handler, from the\n"
    " * calling process (the null UPID outside any process). Local: with\n"
    " * msg_free the handler gets this very msg, freed with msg_free after it\n"
    " * (also on error); without, msg is borrowed for this call and copied.\n"
    " * Remote: msg is serialized at once (then msg_free runs). Returns 0,\n"
    " * CP_ENOENT (no such local process) or another CP_E* code. */\n"
    "int ${l}__send_${x}(${C}_Pid to, const ${mC} *msg, cp_free_fn msg_free);\n"
    "#define ${l}__send_${x}(to, msg, msg_free) \\\n"
    "    ${l}__send_${x}((to), CPGEN_ARG(${mC}, (msg)), (msg_free))\n"
    "\n";

static const char actor_h_rpc_call[] =
    "/* Calls rpc ${rpc} on the ${full} process `pid`, local or remote, and\n"
    " * returns a future of its ${sfull}. The call always ends: READY, FAILED\n"
    " * (the handler's failure, no handler, no such process, its termination,\n"
    " * node unreachable, deadline) or DISCARDED (discarding it tells the\n"
    " * server). opts may be NULL: deadline cp_call_default_timeout_ns().\n"
    " * Request ownership as cp_call(): with request_free the call takes it\n"
    " * (a local handler gets this very pointer); without, it is borrowed for\n"
    " * this call only. */\n"
    "${sC}_Future ${l}__${member}(${C}_Pid pid, const ${qC} *request, cp_free_fn request_free,\n"
    "    const cp_call_opts_t *opts);\n"
    "#define ${l}__${member}(pid, request, request_free, opts) \\\n"
    "    ${l}__${member}((pid), CPGEN_ARG(${qC}, (request)), (request_free), (opts))\n"
    "\n";

/* ---- per actor: source ---------------------------------------------- */

static const char actor_c_open[] =
    "/* ---- actor ${full} ---- */\n"
    "\n"
    "/* The process's ctx (cp_process_spawn_ctx); `data` is the user's state. */\n"
    "typedef struct ${l}__self {\n"
    "    const void *kind; /* &${l}__ops: a ${full} */\n"
    "    const ${C}_Handlers *handlers;\n"
    "    void *state;\n"
    "    cp_free_fn state_free;\n"
    "} ${l}__self_t;\n"
    "\n"
    "static const cp_process_ops_t ${l}__ops;\n"
    "static _Atomic uint64_t ${l}__malformed;\n"
    "\n"
    "uint64_t ${l}__malformed_count(void)\n"
    "{\n"
    "    return ${l}__malformed;\n"
    "}\n"
    "\n"

    "/* The ${full} wrapper of self, or NULL when self is another kind of process\n"
    " * (a pid forged from a UPID). */\n"
    "static ${l}__self_t *${l}__self(cp_process_t *self)\n"
    "{\n"
    "    ${l}__self_t *s = cp_process_ctx(self);\n"
    "    return s != NULL && s->kind == &${l}__ops ? s : NULL;\n"
    "}\n"
    "\n";

/* Only for actors with an `on`: nothing else unpacks in the stubs. */
/* Per-method metrics (cproc/actor_metrics.h): one entry per `on`, then
 * one per rpc, registered at the first spawn. */
static const char actor_c_metrics_open[] =
    "static const char *const ${l}__Method_names[] = {\n";

static const char actor_c_metrics_on[] =
    "    \"on/${mfull}\",\n";

static const char actor_c_metrics_rpc[] =
    "    \"rpc/${rpc}\",\n";

static const char actor_c_metrics_close[] =
    "};\n"
    "static cp_method_metrics_t ${l}__Method_m[${n}];\n"
    "static cp_actor_metrics_t ${l}__Metrics = {\"${full}\", ${l}__Method_names, ${n},\n"
    "    ${l}__Method_m, 0};\n"
    "\n";

static const char actor_c_metrics_none[] =
    "static cp_actor_metrics_t ${l}__Metrics = {\"${full}\", NULL, 0, NULL, 0};\n"
    "\n";

static const char actor_c_drop_malformed[] =
    "static void ${l}__drop_malformed(const cp_message_t *msg)\n"
    "{\n"
    "    char from[CP_UPID_STRLEN];\n"
    "    cp_upid_format(msg->from, from, sizeof(from));\n"
    "    ${l}__malformed++;\n"
    "    cp_log(CP_LOG_WARN, \"${full}: dropped a malformed %s from %s (%zu bytes)\", msg->name,\n"
    "           from, msg->len);\n"
    "}\n"
    "\n";

static const char actor_c_on[] =
    "static void ${l}__receive_${member}(cp_process_t *self, const cp_message_t *msg, void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    uint64_t t0 = cp_method_start();\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    ${mC} *decoded = ${ml}__unpack(NULL, msg->len, (const uint8_t *)msg->body);\n"
    "    if (decoded == NULL) {\n"
    "        ${l}__drop_malformed(msg);\n"
    "        cp_method_done(&${l}__Method_m[${mi}], t0, CP_METHOD_FAILED);\n"
    "        return;\n"
    "    }\n"
    "    int outcome = CP_METHOD_DISCARDED;\n"
    "    if (s != NULL && s->handlers->${member} != NULL) {\n"
    "        s->handlers->${member}(self, s->state, msg->from, decoded);\n"
    "        outcome = CP_METHOD_OK;\n"
    "    }\n"
    "    ${ml}__free_unpacked(decoded, NULL);\n"
    "    cp_method_done(&${l}__Method_m[${mi}], t0, outcome);\n"
    "}\n"
    "\n"
    "typedef struct ${l}__${member}_args {\n"
    "    cp_upid_t from;\n"
    "    ${mC} *msg;\n"
    "    cp_free_fn msg_free;\n"
    "} ${l}__${member}_args_t;\n"
    "\n"
    "static void ${l}__dispatch_${member}(cp_process_t *self, void *args)\n"
    "{\n"
    "    uint64_t t0 = cp_method_start();\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    ${l}__${member}_args_t *a = args;\n"
    "    int outcome = CP_METHOD_DISCARDED;\n"
    "    if (s == NULL) {\n"
    "        cp_log(CP_LOG_WARN, \"${full}: %s is not a ${full}; ${mfull} dropped\",\n"
    "               cp_process_id(self));\n"
    "    } else if (s->handlers->${member} != NULL) {\n"
    "        s->handlers->${member}(self, s->state, &a->from, a->msg);\n"
    "        outcome = CP_METHOD_OK;\n"
    "    }\n"
    "    cp_method_done(&${l}__Method_m[${mi}], t0, outcome);\n"
    "}\n"
    "\n"
    "static void ${l}__${member}_args_free(void *args)\n"
    "{\n"
    "    ${l}__${member}_args_t *a = args;\n"
    "    if (a->msg_free != NULL)\n"
    "        a->msg_free(a->msg);\n"
    "}\n"
    "\n"
    "int (${l}__send_${x})(${C}_Pid to, const ${mC} *msg, cp_free_fn msg_free)\n"
    "{\n"
    "    cp_process_t *me = cp_process_current();\n"
    "    cp_upid_t from = me != NULL ? cp_process_pid(me) : CP_UPID_NULL;\n"
    "    if (msg_free != NULL && cp_process_exists(&to.upid)) {\n"
    "        ${l}__${member}_args_t a = {from, (${mC} *)msg, msg_free};\n"
    "        return cp_dispatch(&to.upid, ${l}__dispatch_${member}, &a, sizeof(a),\n"
    "                           ${l}__${member}_args_free);\n"
    "    }\n"
    "    int rc = ${ml}__send_from(&from, &to.upid, msg);\n"
    "    if (msg_free != NULL)\n"
    "        msg_free((void *)msg);\n"
    "    return rc;\n"
    "}\n"
    "\n";

static const char actor_c_rpc[] =
    "static const cp_rpc_def_t ${l}__rpc_${member} = {\n"
    "    \"${rpc}\", &${ql}__cproc_type, &${sl}__cproc_type,\n"
    "};\n"
    "\n"
    "static cp_future_t *${l}__serve_${member}(cp_process_t *self, const cp_upid_t *caller,\n"
    "    const void *request, void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    uint64_t t0 = cp_method_start();\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    cp_future_t *f;\n"
    "    if (s == NULL || s->handlers->${member} == NULL)\n"
    "        f = cp_future_failed(\"no handler for rpc ${rpc} in %s\", cp_process_id(self));\n"
    "    else\n"
    "        f = s->handlers->${member}(self, s->state, caller, (const ${qC} *)request).future;\n"
    "    cp_method_track(&${l}__Method_m[${mi}], t0, f);\n"
    "    return f;\n"
    "}\n"
    "\n"
    "${sC}_Future (${l}__${member})(${C}_Pid pid, const ${qC} *request, cp_free_fn request_free,\n"
    "    const cp_call_opts_t *opts)\n"
    "{\n"
    "    ${sC}_Future f = {\n"
    "        cp_call(&pid.upid, &${l}__rpc_${member}, (void *)request, request_free, opts)};\n"
    "    return f;\n"
    "}\n"
    "\n";

static const char actor_c_route[] =
    "static cp_future_t *${l}__${member}(cp_process_t *self, const cp_http_request_t *req,\n"
    "    void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    return s->handlers->${member}(self, s->state, req);\n"
    "}\n"
    "\n";

static const char actor_c_init_open[] =
    "static void ${l}__initialize(cp_process_t *self)\n"
    "{\n"
    "    ${l}__self_t *s = ${l}__self(self);\n";

static const char actor_c_install[] =
    "    cp_process_install(self, ${mU}__NAME, ${l}__receive_${member}, NULL, NULL);\n";

static const char actor_c_install_rpc[] =
    "    cp_process_install_rpc(self, &${l}__rpc_${member}, ${flags}, ${l}__serve_${member},\n"
    "                           NULL, NULL);\n";

static const char actor_c_install_route[] =
    "    if (s->handlers->${member} != NULL)\n"
    "        cp_http_route(self, \"${path}\", ${l}__${member}, NULL, NULL);\n";

/* `option loop_turns = true`: set before the user's initialize, which may
 * turn it off again. */
static const char actor_c_loop_turns[] =
    "    cp_process_set_loop_turns(self, true); /* option loop_turns */\n";

static const char actor_c_close[] =
    "    if (s->handlers->initialize != NULL)\n"
    "        s->handlers->initialize(self, s->state);\n"
    "}\n"
    "\n"
    "static void ${l}__finalize(cp_process_t *self)\n"
    "{\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    if (s->handlers->finalize != NULL)\n"
    "        s->handlers->finalize(self, s->state);\n"
    "}\n"
    "\n"
    "static void ${l}__exited(cp_process_t *self, const cp_upid_t *pid)\n"
    "{\n"
    "    ${l}__self_t *s = ${l}__self(self);\n"
    "    if (s->handlers->exited != NULL)\n"
    "        s->handlers->exited(self, s->state, pid);\n"
    "}\n"
    "\n"
    "static void ${l}__ctx_free(void *ctx)\n"
    "{\n"
    "    ${l}__self_t *s = ctx;\n"
    "    if (s->state_free != NULL)\n"
    "        s->state_free(s->state);\n"
    "    free(s);\n"
    "}\n"
    "\n"
    "static const cp_process_ops_t ${l}__ops = {\n"
    "    .initialize = ${l}__initialize,\n"
    "    .finalize = ${l}__finalize,\n"
    "    .exited = ${l}__exited,\n"
    "};\n"
    "\n"
    "int (${l}__spawn)(const char *id, const ${C}_Handlers *handlers, void *state,\n"
    "    cp_free_fn state_free, ${C}_Pid *pid)\n"
    "{\n"
    "    if (handlers == NULL)\n"
    "        return CP_EINVAL;\n"
    "    cp_actor_metrics_register(&${l}__Metrics);\n"
    "    ${l}__self_t *s = malloc(sizeof(*s));\n"
    "    if (s == NULL)\n"
    "        return CP_ENOMEM;\n"
    "    s->kind = &${l}__ops;\n"
    "    s->handlers = handlers;\n"
    "    s->state = state;\n"
    "    s->state_free = state_free;\n"
    "    cp_upid_t upid;\n"
    "    int rc = ${spawn_fn}(id, &${l}__ops, state, s, ${l}__ctx_free${bound}, &upid);\n"
    "    if (rc != 0) {\n"
    "        free(s);\n"
    "        return rc;\n"
    "    }\n"
    "    if (pid != NULL)\n"
    "        pid->upid = upid;\n"
    "    return 0;\n"
    "}\n"
    "\n";

/* True when the rpc's request is also an `on` message of the actor: a
 * plain message of that type (no call id) then goes to the `on` handler. */
static bool request_shadowed(const cpgen_actor_t *a, const cpgen_rpc_t *r)
{
    for (size_t i = 0; i < a->n_on; i++)
        if (strcmp(a->on[i].names.full, r->request.names.full) == 0)
            return true;
    return false;
}

/* The names of an actor, plus one handler's (message, rpc or route): at
 * most 24 names, and the NULL that ends the table. */
#define ACTOR_VARS 28

typedef struct actor_vars {
    var_t v[ACTOR_VARS];
} actor_vars_t;

static actor_vars_t actor_vars(const cpgen_actor_t *a)
{
    actor_vars_t av = {{
        {"full", a->names.full}, {"C", a->names.c}, {"l", a->names.lower}, {NULL, NULL},
    }};
    return av;
}

static void set(actor_vars_t *av, const char *name, const char *value)
{
    size_t i = 0;
    while (av->v[i].name != NULL && strcmp(av->v[i].name, name) != 0)
        i++;
    assert(i + 1 < ACTOR_VARS);
    av->v[i].name = name;
    av->v[i].value = value;
}

static void set_on(actor_vars_t *av, const cpgen_actor_msg_t *m)
{
    set(av, "member", m->member);
    set(av, "x", m->member + 3); /* "on_ping" -> "ping" */
    set(av, "mfull", m->names.full);
    set(av, "mC", m->names.c);
    set(av, "ml", m->names.lower);
    set(av, "mU", m->names.upper);
}

static void set_rpc(actor_vars_t *av, const cpgen_rpc_t *r)
{
    set(av, "member", r->member);
    set(av, "rpc", r->name);
    set(av, "qfull", r->request.names.full);
    set(av, "qC", r->request.names.c);
    set(av, "ql", r->request.names.lower);
    set(av, "qU", r->request.names.upper);
    set(av, "sfull", r->response.names.full);
    set(av, "sC", r->response.names.c);
    set(av, "sl", r->response.names.lower);
    set(av, "sU", r->response.names.upper);
}

/* True when an earlier rpc of the actor takes the same request type: the
 * type name then routes a libprocess client's request to the first. */
static bool request_taken(const cpgen_actor_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->rpcs[i].request.names.full, a->rpcs[n].request.names.full) == 0)
            return true;
    return false;
}

static void emit_actor(const cpgen_actor_t *a, cpgen_out_t *h, cpgen_out_t *c)
{
    actor_vars_t av = actor_vars(a);

    emit(h, actor_h_open, av.v);
    cpgen_emit_pid_h(a, h);
    emit(h, actor_h_handlers, av.v);
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        emit(h, actor_h_on, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        emit(h, actor_h_rpc, av.v);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        set(&av, "member", a->routes[i].member);
        emit(h, actor_h_route, av.v);
    }
    emit(h, actor_h_close, av.v);
    cpgen_emit_spawn_guard(a, h);
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        emit(h, actor_h_send, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        emit(h, actor_h_rpc_call, av.v);
    }
    cpgen_emit_send_selector(a, h);

    emit(c, actor_c_open, av.v);
    char n_methods[24], mi[24];
    snprintf(n_methods, sizeof n_methods, "%zu", a->n_on + a->n_rpcs);
    set(&av, "n", n_methods);
    if (a->n_on + a->n_rpcs == 0) {
        emit(c, actor_c_metrics_none, av.v);
    } else {
        emit(c, actor_c_metrics_open, av.v);
        for (size_t i = 0; i < a->n_on; i++) {
            set_on(&av, &a->on[i]);
            emit(c, actor_c_metrics_on, av.v);
        }
        for (size_t i = 0; i < a->n_rpcs; i++) {
            set_rpc(&av, &a->rpcs[i]);
            emit(c, actor_c_metrics_rpc, av.v);
        }
        emit(c, actor_c_metrics_close, av.v);
    }
    if (a->n_on > 0)
        emit(c, actor_c_drop_malformed, av.v);
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        snprintf(mi, sizeof mi, "%zu", i);
        set(&av, "mi", mi);
        emit(c, actor_c_on, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        snprintf(mi, sizeof mi, "%zu", a->n_on + i);
        set(&av, "mi", mi);
        emit(c, actor_c_rpc, av.v);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        set(&av, "member", a->routes[i].member);
        emit(c, actor_c_route, av.v);
    }

    emit(c, actor_c_init_open, av.v);
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        emit(c, actor_c_install, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        /* A libprocess client names only the request type: it reaches the
         * `on` handler of that type if any, else the first rpc taking it. */
        bool by_name = !request_shadowed(a, &a->rpcs[i]) && !request_taken(a, i);
        set(&av, "flags", by_name ? "CP_RPC_BY_TYPE_NAME" : "0");
        emit(c, actor_c_install_rpc, av.v);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        /* The path goes into a string literal: escape it. */
        cpgen_out_t path;
        cpgen_out_init(&path);
        cpgen_out_c_bytes(&path, (const unsigned char *)a->routes[i].path,
                          strlen(a->routes[i].path));
        set(&av, "member", a->routes[i].member);
        set(&av, "path", path.data != NULL ? path.data : "");
        emit(c, actor_c_install_route, av.v);
        cpgen_out_close(&path);
    }
    if (a->loop_turns)
        emit(c, actor_c_loop_turns, av.v);
    /* `option mailbox`: the spawn bounds the mailbox (cproc/mailbox.h). */
    char bound[64] = "";
    if (a->mailbox > 0)
        snprintf(bound, sizeof bound, ", %" PRIu32 ", %s", a->mailbox,
                 a->drop_oldest ? "CP_MAILBOX_DROP_OLDEST" : "CP_MAILBOX_REJECT");
    set(&av, "spawn_fn", a->mailbox > 0 ? "cp_process_spawn_ctx_bounded" : "cp_process_spawn_ctx");
    set(&av, "bound", bound);
    emit(c, actor_c_close, av.v);
}

void cpgen_emit_actors(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c)
{
    bool any = file->n_actors > 0;
    for (size_t i = 0; i < file->n_messages; i++)
        any |= !file->messages[i]->map_entry;
    if (!any)
        return;
    cpgen_out_puts(h, "#include <cproc/cproc.h>\n\n");
    cpgen_emit_arg_guard(h);
    cpgen_out_puts(c, "#include <stdlib.h>\n\n");
    for (size_t i = 0; i < file->n_messages; i++)
        if (!file->messages[i]->map_entry)
            cpgen_emit_message_helpers(file->messages[i], h, c);
    for (size_t i = 0; i < file->n_actors; i++)
        emit_actor(&file->actors[i], h, c);
}
