/*
 * Actor stubs: for every message, typed futures and send/reply helpers; for
 * every actor, its handler table, spawn, typed local dispatch (no
 * serialization), typed remote rpc (libprocess Protocol style through
 * cp_request()), the installs of its `on` handlers and rpc servers, and its
 * routes. docs/codegen.md shows the output for the pingpong example.
 *
 * Naming (on top of protoc-c's): for message pkg.Msg, the future type is
 * `Pkg__Msg_Future` and the helpers `pkg__msg__future_*`, `pkg__msg__send`,
 * `pkg__msg__reply`; for actor pkg.Act, `Pkg__Act_Pid`, `Pkg__Act_Handlers`
 * and `pkg__act__*` functions. The single underscore before the cproc part
 * keeps clear of protoc-c's double-underscore names.
 *
 * The C is written as templates with ${name} placeholders, filled from a
 * small table of names, so the emitted text reads as the code it becomes.
 */
#include <assert.h>
#include <string.h>

#include "emit.h"
#include "emit_pid.h"

typedef struct var {
    const char *name;
    const char *value;
} var_t;

/* Appends `tmpl` with every ${name} replaced by its value in `vars`
 * (terminated by a NULL name). An unknown name is a bug in this file. */
static void emit(cpgen_out_t *out, const char *tmpl, const var_t *vars)
{
    const char *p = tmpl;
    while (*p != '\0') {
        const char *open = strstr(p, "${");
        if (open == NULL) {
            cpgen_out_puts(out, p);
            return;
        }
        cpgen_out_printf(out, "%.*s", (int)(open - p), p);
        const char *close = strchr(open, '}');
        size_t len = (size_t)(close - open - 2);
        const var_t *v = vars;
        while (v->name != NULL && (strlen(v->name) != len || memcmp(v->name, open + 2, len) != 0))
            v++;
        cpgen_out_puts(out, v->name != NULL ? v->value : "<unknown placeholder>");
        p = close + 1;
    }
}

/* ---- per message ---------------------------------------------------- */

static const char message_h[] =
    "/* ---- cproc helpers for ${full} ---- */\n"
    "\n"
    "/* The message's full proto name: the name it travels under. */\n"
    "#define ${U}__NAME \"${full}\"\n"
    "\n"
    "/* A future of a ${full}: its own type, so passing a future of another\n"
    " * message is a compile error. A reference-counted cp_future_t inside; the\n"
    " * message belongs to the future. */\n"
    "typedef struct ${C}_Future {\n"
    "    cp_future_t *future;\n"
    "} ${C}_Future;\n"
    "\n"
    "/* The message of a READY future (borrowed while the future is held), else NULL. */\n"
    "const ${C} *${l}__future_value(${C}_Future f);\n"
    "/* Drops the caller's reference. */\n"
    "void ${l}__future_unref(${C}_Future f);\n"
    "/* A READY future holding msg. Takes ownership: msg is freed with free_msg\n"
    " * (${l}__free for unpacked or wholly heap-built messages; NULL leaves it). */\n"
    "${C}_Future ${l}__future_ready(${C} *msg, cp_free_fn free_msg);\n"
    "/* A FAILED future with the message `why` (copied). */\n"
    "${C}_Future ${l}__future_failed(const char *why);\n"
    "/* Runs cb(self, value or NULL, f, arg) inside process `pid` once f\n"
    " * completes; arg_free(arg) runs once afterwards. Returns 0 or a CP_E* code. */\n"
    "int ${l}__future_defer(${C}_Future f, const cp_upid_t *pid,\n"
    "    void (*cb)(cp_process_t *self, const ${C} *value, cp_future_t *f, void *arg),\n"
    "    void *arg, cp_free_fn arg_free);\n"
    "/* Frees a message unpacked by protobuf-c (or built wholly with malloc). */\n"
    "void ${l}__free(void *msg);\n"
    "/* Serializes msg and sends it as \"${full}\" from process `self` to `to`\n"
    " * (local or remote). msg is borrowed for the call. Returns 0 or a CP_E* code. */\n"
    "int ${l}__send(cp_process_t *self, const cp_upid_t *to, const ${C} *msg);\n"
    "/* Like ${l}__send, from any thread, naming the sender `from`. */\n"
    "int ${l}__send_from(const cp_upid_t *from, const cp_upid_t *to, const ${C} *msg);\n"
    "/* Answers the sender `from` of the message being handled. */\n"
    "int ${l}__reply(cp_process_t *self, const cp_upid_t *from, const ${C} *msg);\n"
    "\n";

static const char message_c[] =
    "/* ---- cproc helpers for ${full} ---- */\n"
    "\n"
    "const ${C} *${l}__future_value(${C}_Future f)\n"
    "{\n"
    "    return (const ${C} *)cp_future_value(f.future);\n"
    "}\n"
    "\n"
    "void ${l}__future_unref(${C}_Future f)\n"
    "{\n"
    "    cp_future_unref(f.future);\n"
    "}\n"
    "\n"
    "${C}_Future (${l}__future_ready)(${C} *msg, cp_free_fn free_msg)\n"
    "{\n"
    "    ${C}_Future f = {cp_future_ready(msg, free_msg)};\n"
    "    return f;\n"
    "}\n"
    "\n"
    "${C}_Future ${l}__future_failed(const char *why)\n"
    "{\n"
    "    ${C}_Future f = {cp_future_failed(\"%s\", why)};\n"
    "    return f;\n"
    "}\n"
    "\n"
    "typedef struct ${l}__deferred {\n"
    "    void (*cb)(cp_process_t *self, const ${C} *value, cp_future_t *f, void *arg);\n"
    "    void *arg;\n"
    "    cp_free_fn arg_free;\n"
    "} ${l}__deferred_t;\n"
    "\n"
    "static void ${l}__deferred_run(cp_process_t *self, cp_future_t *f, void *arg)\n"
    "{\n"
    "    ${l}__deferred_t *d = arg;\n"
    "    d->cb(self, (const ${C} *)cp_future_value(f), f, d->arg);\n"
    "}\n"
    "\n"
    "static void ${l}__deferred_free(void *arg)\n"
    "{\n"
    "    ${l}__deferred_t *d = arg;\n"
    "    if (d->arg_free != NULL)\n"
    "        d->arg_free(d->arg);\n"
    "    free(d);\n"
    "}\n"
    "\n"
    "int ${l}__future_defer(${C}_Future f, const cp_upid_t *pid,\n"
    "    void (*cb)(cp_process_t *self, const ${C} *value, cp_future_t *f, void *arg),\n"
    "    void *arg, cp_free_fn arg_free)\n"
    "{\n"
    "    ${l}__deferred_t *d = malloc(sizeof(*d));\n"
    "    if (d == NULL) {\n"
    "        if (arg_free != NULL)\n"
    "            arg_free(arg);\n"
    "        return CP_ENOMEM;\n"
    "    }\n"
    "    d->cb = cb;\n"
    "    d->arg = arg;\n"
    "    d->arg_free = arg_free;\n"
    "    return cp_future_on_any_defer(f.future, pid, ${l}__deferred_run, d, ${l}__deferred_free);\n"
    "}\n"
    "\n"
    "void ${l}__free(void *msg)\n"
    "{\n"
    "    if (msg != NULL)\n"
    "        protobuf_c_message_free_unpacked((ProtobufCMessage *)msg, NULL);\n"
    "}\n"
    "\n"
    "void *${l}__decode(const void *body, size_t len)\n"
    "{\n"
    "    return ${l}__unpack(NULL, len, (const uint8_t *)body);\n"
    "}\n"
    "\n"
    "int (${l}__send_from)(const cp_upid_t *from, const cp_upid_t *to, const ${C} *msg)\n"
    "{\n"
    "    uint8_t small[256], *heap = NULL, *bytes = small;\n"
    "    size_t len = ${l}__get_packed_size(msg);\n"
    "    if (len > sizeof(small) && (bytes = heap = malloc(len)) == NULL)\n"
    "        return CP_ENOMEM;\n"
    "    ${l}__pack(msg, bytes);\n"
    "    int rc = cp_send(from, to, ${U}__NAME, bytes, len);\n"
    "    free(heap);\n"
    "    return rc;\n"
    "}\n"
    "\n"
    "int (${l}__send)(cp_process_t *self, const cp_upid_t *to, const ${C} *msg)\n"
    "{\n"
    "    cp_upid_t from = cp_process_pid(self);\n"
    "    return ${l}__send_from(&from, to, msg);\n"
    "}\n"
    "\n"
    "int (${l}__reply)(cp_process_t *self, const cp_upid_t *from, const ${C} *msg)\n"
    "{\n"
    "    return ${l}__send(self, from, msg);\n"
    "}\n"
    "\n";

/* A decoder usable with cp_request(); declared for the actor stubs of any
 * file that imports this one. */
static const char message_decode_h[] =
    "/* Unpacks a ${full} (NULL if malformed); cp_decode_fn for cp_request(). */\n"
    "void *${l}__decode(const void *body, size_t len);\n"
    "\n";

static void emit_message(const cpgen_message_t *m, cpgen_out_t *h, cpgen_out_t *c)
{
    const var_t vars[] = {
        {"full", m->names.full}, {"C", m->names.c}, {"l", m->names.lower},
        {"U", m->names.upper},   {NULL, NULL},
    };
    emit(h, message_h, vars);
    cpgen_emit_message_guards(m, h);
    emit(h, message_decode_h, vars);
    emit(c, message_c, vars);
}

/* ---- per actor: header ---------------------------------------------- */

static const char actor_h_open[] =
    "/* ---- actor ${full} ---- */\n"
    "\n";

static const char actor_h_handlers[] =
    "/* What a ${full} does, filled in by you; any entry may be NULL. Each runs\n"
    " * inside the process, one at a time, with the `state` given to spawn.\n"
    " * Messages are borrowed for the call (an rpc request: until the returned\n"
    " * future completes). */\n"
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
    "    /* rpc ${rpc}(${qfull}) returns (${sfull}): `from` is the remote caller,\n"
    "     * NULL for a local dispatch. Return e.g. ${sl}__future_ready(msg, ${sl}__free). */\n"
    "    ${sC}_Future (*${member})(cp_process_t *self, void *state, const cp_upid_t *from,\n"
    "        const ${qC} *request);\n";

static const char actor_h_route[] =
    "    /* a route (see the actor's .actor file): return a future of a\n"
    "     * cp_http_response_t. */\n"
    "    cp_future_t *(*${member})(cp_process_t *self, void *state, const cp_http_request_t *req);\n";

static const char actor_h_close[] =
    "} ${C}_Handlers;\n"
    "\n"
    "/* Spawns a ${full} named `id` (NULL: generated). `handlers` is borrowed for\n"
    " * the process's life; `state` goes to every handler and, at the end, to\n"
    " * state_free (may be NULL). Its `on` handlers, rpc servers and routes are\n"
    " * installed before any message arrives. Returns 0 or a CP_E* code (state\n"
    " * stays yours on error). */\n"
    "int ${l}__spawn(const char *id, const ${C}_Handlers *handlers, void *state,\n"
    "    cp_free_fn state_free, ${C}_Pid *pid);\n"
    "\n"
    "/* Messages ${full} processes dropped because they did not unpack. */\n"
    "uint64_t ${l}__malformed_count(void);\n"
    "\n";

static const char actor_h_on_dispatch[] =
    "/* Hands msg to a local process's ${member} handler without serializing.\n"
    " * With msg_free, takes ownership of msg (freed after the handler, or at\n"
    " * once on error); without, msg must outlive the handler's call. Returns\n"
    " * 0, CP_ENOENT (no such local process) or another CP_E* code. */\n"
    "int ${l}__${member}(const ${C}_Pid *pid, const cp_upid_t *from, ${mC} *msg,\n"
    "    cp_free_fn msg_free);\n"
    "\n";

static const char actor_h_rpc_calls[] =
    "/* Calls rpc ${rpc} on a local process, passing the request by pointer:\n"
    " * it must stay valid until the returned future completes. The future is\n"
    " * abandoned if the process is gone. */\n"
    "${sC}_Future ${l}__${member}(const ${C}_Pid *pid, const ${qC} *request);\n"
    "\n"
    "/* Calls rpc ${rpc} on a process anywhere: sends \"${qfull}\" from a\n"
    " * temporary process and completes with the \"${sfull}\" sent back. Fails\n"
    " * when the server terminates or the connection to its node breaks; add a\n"
    " * timeout with cp_future_after(). The request is serialized in the call. */\n"
    "${sC}_Future ${l}__${member}_remote(const ${C}_Pid *pid, const ${qC} *request);\n"
    "\n";

/* ---- per actor: source ---------------------------------------------- */

static const char actor_c_open[] =
    "/* ---- actor ${full} ---- */\n"
    "\n"
    "typedef struct ${l}__self {\n"
    "    const ${C}_Handlers *handlers;\n"
    "    void *state;\n"
    "    cp_free_fn state_free;\n"
    "} ${l}__self_t;\n"
    "\n"
    "static _Atomic uint64_t ${l}__malformed;\n"
    "\n"
    "uint64_t ${l}__malformed_count(void)\n"
    "{\n"
    "    return ${l}__malformed;\n"
    "}\n"
    "\n"
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
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    ${mC} *decoded = ${ml}__unpack(NULL, msg->len, (const uint8_t *)msg->body);\n"
    "    if (decoded == NULL) {\n"
    "        ${l}__drop_malformed(msg);\n"
    "        return;\n"
    "    }\n"
    "    if (s->handlers->${member} != NULL)\n"
    "        s->handlers->${member}(self, s->state, msg->from, decoded);\n"
    "    ${ml}__free_unpacked(decoded, NULL);\n"
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
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    ${l}__${member}_args_t *a = args;\n"
    "    if (s->handlers->${member} != NULL)\n"
    "        s->handlers->${member}(self, s->state, &a->from, a->msg);\n"
    "}\n"
    "\n"
    "static void ${l}__${member}_args_free(void *args)\n"
    "{\n"
    "    ${l}__${member}_args_t *a = args;\n"
    "    if (a->msg_free != NULL)\n"
    "        a->msg_free(a->msg);\n"
    "}\n"
    "\n"
    "int ${l}__${member}(const ${C}_Pid *pid, const cp_upid_t *from, ${mC} *msg,\n"
    "    cp_free_fn msg_free)\n"
    "{\n"
    "    ${l}__${member}_args_t a = {from != NULL ? *from : CP_UPID_NULL, msg, msg_free};\n"
    "    return cp_dispatch(&pid->upid, ${l}__dispatch_${member}, &a, sizeof(a),\n"
    "                       ${l}__${member}_args_free);\n"
    "}\n"
    "\n";

/* The server side of an rpc called remotely: unpack, call the handler,
 * send its response back to the caller's temporary process. */
static const char actor_c_rpc_server[] =
    "typedef struct ${l}__${member}_call {\n"
    "    cp_upid_t self;\n"
    "    cp_upid_t from;\n"
    "    ${qC} *request;\n"
    "} ${l}__${member}_call_t;\n"
    "\n"
    "static void ${l}__${member}_answer(cp_future_t *f, void *arg)\n"
    "{\n"
    "    ${l}__${member}_call_t *call = arg;\n"
    "    const ${sC} *response = cp_future_value(f);\n"
    "    if (response != NULL)\n"
    "        ${sl}__send_from(&call->self, &call->from, response);\n"
    "    else\n"
    "        cp_log(CP_LOG_WARN, \"${full}.${rpc}: no response sent: %s\",\n"
    "               cp_future_is_failed(f) ? cp_future_failure(f) : \"discarded\");\n"
    "}\n"
    "\n"
    "static void ${l}__${member}_call_free(void *arg)\n"
    "{\n"
    "    ${l}__${member}_call_t *call = arg;\n"
    "    ${ql}__free_unpacked(call->request, NULL);\n"
    "    free(call);\n"
    "}\n"
    "\n"
    "static void ${l}__serve_${member}(cp_process_t *self, const cp_message_t *msg, void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    ${qC} *request = ${ql}__unpack(NULL, msg->len, (const uint8_t *)msg->body);\n"
    "    if (request == NULL) {\n"
    "        ${l}__drop_malformed(msg);\n"
    "        return;\n"
    "    }\n"
    "    ${l}__${member}_call_t *call = malloc(sizeof(*call));\n"
    "    if (call == NULL || s->handlers->${member} == NULL) {\n"
    "        free(call);\n"
    "        ${ql}__free_unpacked(request, NULL);\n"
    "        return;\n"
    "    }\n"
    "    call->self = cp_process_pid(self);\n"
    "    call->from = *msg->from;\n"
    "    call->request = request;\n"
    "    ${sC}_Future f = s->handlers->${member}(self, s->state, msg->from, request);\n"
    "    if (f.future == NULL) {\n"
    "        ${l}__${member}_call_free(call);\n"
    "        return;\n"
    "    }\n"
    "    cp_future_on_any(f.future, ${l}__${member}_answer, call, ${l}__${member}_call_free);\n"
    "    cp_future_unref(f.future);\n"
    "}\n"
    "\n";

static const char actor_c_rpc_calls[] =
    "static cp_future_t *${l}__dispatch_${member}(cp_process_t *self, void *args)\n"
    "{\n"
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    const ${qC} *request = *(const ${qC} **)args;\n"
    "    if (s->handlers->${member} == NULL)\n"
    "        return cp_future_failed(\"${full} has no handler for rpc ${rpc}\");\n"
    "    return s->handlers->${member}(self, s->state, NULL, request).future;\n"
    "}\n"
    "\n"
    "${sC}_Future ${l}__${member}(const ${C}_Pid *pid, const ${qC} *request)\n"
    "{\n"
    "    ${sC}_Future f = {\n"
    "        cp_dispatch_future(&pid->upid, ${l}__dispatch_${member}, &request, sizeof(request), NULL)};\n"
    "    return f;\n"
    "}\n"
    "\n"
    "${sC}_Future ${l}__${member}_remote(const ${C}_Pid *pid, const ${qC} *request)\n"
    "{\n"
    "    uint8_t small[256], *heap = NULL, *bytes = small;\n"
    "    size_t len = ${ql}__get_packed_size(request);\n"
    "    if (len > sizeof(small) && (bytes = heap = malloc(len)) == NULL)\n"
    "        return ${sl}__future_failed(\"out of memory\");\n"
    "    ${ql}__pack(request, bytes);\n"
    "    ${sC}_Future f = {cp_request(&pid->upid, ${qU}__NAME, bytes, len, ${sU}__NAME,\n"
    "                                 ${sl}__decode, ${sl}__free)};\n"
    "    free(heap);\n"
    "    return f;\n"
    "}\n"
    "\n";

static const char actor_c_route[] =
    "static cp_future_t *${l}__${member}(cp_process_t *self, const cp_http_request_t *req,\n"
    "    void *arg)\n"
    "{\n"
    "    (void)arg;\n"
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    return s->handlers->${member}(self, s->state, req);\n"
    "}\n"
    "\n";

static const char actor_c_init_open[] =
    "static void ${l}__initialize(cp_process_t *self)\n"
    "{\n"
    "    ${l}__self_t *s = cp_process_data(self);\n";

static const char actor_c_install[] =
    "    cp_process_install(self, ${mU}__NAME, ${l}__${fn}_${member}, NULL, NULL);\n";

static const char actor_c_install_route[] =
    "    if (s->handlers->${member} != NULL)\n"
    "        cp_http_route(self, \"${path}\", ${l}__${member}, NULL, NULL);\n";

static const char actor_c_close[] =
    "    if (s->handlers->initialize != NULL)\n"
    "        s->handlers->initialize(self, s->state);\n"
    "}\n"
    "\n"
    "static void ${l}__finalize(cp_process_t *self)\n"
    "{\n"
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    if (s->handlers->finalize != NULL)\n"
    "        s->handlers->finalize(self, s->state);\n"
    "}\n"
    "\n"
    "static void ${l}__exited(cp_process_t *self, const cp_upid_t *pid)\n"
    "{\n"
    "    ${l}__self_t *s = cp_process_data(self);\n"
    "    if (s->handlers->exited != NULL)\n"
    "        s->handlers->exited(self, s->state, pid);\n"
    "}\n"
    "\n"
    "static void ${l}__destroy(void *data)\n"
    "{\n"
    "    ${l}__self_t *s = data;\n"
    "    if (s->state_free != NULL)\n"
    "        s->state_free(s->state);\n"
    "    free(s);\n"
    "}\n"
    "\n"
    "static const cp_process_ops_t ${l}__ops = {\n"
    "    .initialize = ${l}__initialize,\n"
    "    .finalize = ${l}__finalize,\n"
    "    .exited = ${l}__exited,\n"
    "    .destroy = ${l}__destroy,\n"
    "};\n"
    "\n"
    "int (${l}__spawn)(const char *id, const ${C}_Handlers *handlers, void *state,\n"
    "    cp_free_fn state_free, ${C}_Pid *pid)\n"
    "{\n"
    "    if (handlers == NULL)\n"
    "        return CP_EINVAL;\n"
    "    ${l}__self_t *s = malloc(sizeof(*s));\n"
    "    if (s == NULL)\n"
    "        return CP_ENOMEM;\n"
    "    s->handlers = handlers;\n"
    "    s->state = state;\n"
    "    s->state_free = state_free;\n"
    "    cp_upid_t upid;\n"
    "    int rc = cp_process_spawn(id, &${l}__ops, s, &upid);\n"
    "    if (rc != 0) {\n"
    "        free(s);\n"
    "        return rc;\n"
    "    }\n"
    "    if (pid != NULL)\n"
    "        pid->upid = upid;\n"
    "    return 0;\n"
    "}\n"
    "\n";

/* True when the rpc's request is also an `on` message of the actor: the
 * `on` handler then receives it and no rpc server is installed for it. */
static bool request_shadowed(const cpgen_actor_t *a, const cpgen_rpc_t *r)
{
    for (size_t i = 0; i < a->n_on; i++)
        if (strcmp(a->on[i].names.full, r->request.names.full) == 0)
            return true;
    return false;
}

/* The names of an actor, plus one handler's (message, rpc or route): at
 * most 19 names, and the NULL that ends the table. */
#define ACTOR_VARS 24

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
        emit(h, actor_h_on_dispatch, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        emit(h, actor_h_rpc_calls, av.v);
    }

    emit(c, actor_c_open, av.v);
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        emit(c, actor_c_on, av.v);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        set_rpc(&av, &a->rpcs[i]);
        if (!request_shadowed(a, &a->rpcs[i]))
            emit(c, actor_c_rpc_server, av.v);
        emit(c, actor_c_rpc_calls, av.v);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        set(&av, "member", a->routes[i].member);
        emit(c, actor_c_route, av.v);
    }

    emit(c, actor_c_init_open, av.v);
    set(&av, "fn", "receive");
    for (size_t i = 0; i < a->n_on; i++) {
        set_on(&av, &a->on[i]);
        emit(c, actor_c_install, av.v);
    }
    set(&av, "fn", "serve");
    for (size_t i = 0; i < a->n_rpcs; i++) {
        if (request_shadowed(a, &a->rpcs[i]))
            continue;
        set_rpc(&av, &a->rpcs[i]);
        set(&av, "mU", a->rpcs[i].request.names.upper);
        emit(c, actor_c_install, av.v);
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
            emit_message(file->messages[i], h, c);
    for (size_t i = 0; i < file->n_actors; i++)
        emit_actor(&file->actors[i], h, c);
}
