/* cp_request: a temporary process per request, as libprocess's
 * ReqResProcess does. */
#include "cproc/protocol.h"

#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"
#include "cproc/message.h"
#include "cproc/process.h"

typedef struct call {
    cp_promise_t *promise;
    cp_upid_t server;
    char *request_name;
    char *response_name;
    void *body; /* sent by initialize, then freed */
    size_t len;
    cp_decode_fn decode;
    cp_free_fn free_response;
} call_t;

static void call_free(void *p)
{
    call_t *c = p;
    /* Completes nothing if a response already came; otherwise the caller
     * learns why there will be none. */
    cp_future_t *f = cp_promise_future(c->promise);
    if (cp_future_has_discard(f)) {
        cp_promise_discard(c->promise);
    } else {
        char server[CP_UPID_STRLEN];
        cp_upid_format(&c->server, server, sizeof(server));
        cp_promise_fail(c->promise, "request %s to %s: ended before a response arrived",
                        c->request_name, server);
    }
    cp_future_unref(f);
    cp_promise_free(c->promise);
    free(c->request_name);
    free(c->response_name);
    free(c->body);
    free(c);
}

static void end(cp_process_t *self)
{
    cp_upid_t me = cp_process_pid(self);
    cp_process_terminate(&me, false);
}

static void on_response(cp_process_t *self, const cp_message_t *msg, void *arg)
{
    call_t *c = cp_process_data(self);
    void *value = c->decode(msg->body, msg->len);
    if (value == NULL) {
        cp_promise_fail(c->promise, "malformed %s in response to %s", c->response_name,
                        c->request_name);
    } else if (cp_promise_set(c->promise, value) != 0 && c->free_response != NULL) {
        c->free_response(value);
    }
    end(self);
}

static void on_initialize(cp_process_t *self)
{
    call_t *c = cp_process_data(self);
    int rc = cp_process_install(self, c->response_name, on_response, NULL, NULL);
    if (rc == 0)
        rc = cp_process_link(self, &c->server);
    if (rc == 0)
        rc = cp_process_send(self, &c->server, c->request_name, c->body, c->len);
    free(c->body);
    c->body = NULL;
    if (rc != 0) {
        cp_promise_fail(c->promise, "request %s: %s", c->request_name, cp_strerror(rc));
        end(self);
    }
}

static void on_exited(cp_process_t *self, const cp_upid_t *pid)
{
    call_t *c = cp_process_data(self);
    char text[CP_UPID_STRLEN];
    cp_upid_format(pid, text, sizeof(text));
    cp_promise_fail(c->promise, "request %s: %s terminated or its connection broke",
                    c->request_name, text);
    end(self);
}

static void on_discard(cp_future_t *f, void *arg)
{
    cp_process_terminate(arg, false);
}

static const cp_process_ops_t call_ops = {
    .initialize = on_initialize,
    .exited = on_exited,
    .destroy = call_free,
};

cp_future_t *cp_request(const cp_upid_t *to, const char *request_name, const void *body,
                        size_t len, const char *response_name, cp_decode_fn decode,
                        cp_free_fn free_response)
{
    call_t *c = calloc(1, sizeof(*c));
    cp_promise_t *promise = cp_promise_new(free_response);
    if (c == NULL || promise == NULL) {
        free(c);
        cp_promise_free(promise);
        return cp_future_failed("request %s: out of memory", request_name);
    }
    c->promise = promise;
    c->server = *to;
    c->request_name = strdup(request_name);
    c->response_name = strdup(response_name);
    c->body = len > 0 ? malloc(len) : NULL;
    c->len = len;
    c->decode = decode;
    c->free_response = free_response;
    cp_future_t *result = cp_promise_future(promise);
    if (c->request_name == NULL || c->response_name == NULL || (len > 0 && c->body == NULL)) {
        call_free(c);
        return result;
    }
    if (len > 0)
        memcpy(c->body, body, len);

    char id[64];
    cp_process_id_generate("__req_res__", id, sizeof(id));
    cp_upid_t *pid = malloc(sizeof(*pid));
    int rc = pid == NULL ? CP_ENOMEM : cp_process_spawn(id, &call_ops, c, pid);
    if (rc != 0) {
        free(pid);
        cp_promise_fail(promise, "request %s: cannot spawn: %s", request_name, cp_strerror(rc));
        call_free(c);
        return result;
    }
    cp_future_on_discard(result, on_discard, pid, free);
    return result;
}
