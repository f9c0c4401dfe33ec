/* Responses built by endpoint handlers, and their encoding. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cproc/error.h"
#include "cproc/http.h"
#include "transport/http_internal.h"
#include "transport/wire.h"

struct cp_http_response {
    int status;
    cp__buf_t headers; /* "Name: value\r\n" lines, NUL-terminated */
    void *body;
    size_t len;
};

cp_http_response_t *cp_http_response_new(int status, const char *content_type, const void *body,
                                         size_t len)
{
    if (status < 100 || status > 599 || (len && !body))
        return NULL;
    cp_http_response_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = status;
    cp__buf_init(&r->headers);
    if (cp__buf_append(&r->headers, "", 1))
        goto fail;
    r->headers.len = 0;
    if (len) {
        r->body = malloc(len);
        if (!r->body)
            goto fail;
        memcpy(r->body, body, len);
        r->len = len;
    }
    if (content_type && cp_http_response_add_header(r, "Content-Type", content_type))
        goto fail;
    return r;
fail:
    cp_http_response_free(r);
    return NULL;
}

static bool header_text_ok(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

int cp_http_response_add_header(cp_http_response_t *r, const char *name, const char *value)
{
    if (!r || !header_text_ok(name) || !header_text_ok(value) || !*name || strchr(name, ':') ||
        !strcasecmp(name, "Content-Length") || !strcasecmp(name, "Date"))
        return CP_EINVAL;
    size_t old = r->headers.len;
    int rc = cp__buf_append_str(&r->headers, name);
    if (!rc)
        rc = cp__buf_append(&r->headers, ": ", 2);
    if (!rc)
        rc = cp__buf_append_str(&r->headers, value);
    if (!rc)
        rc = cp__buf_append(&r->headers, "\r\n", 3);
    if (rc) {
        r->headers.len = old;
        return CP_ENOMEM;
    }
    r->headers.len--; /* keep the NUL out of the length */
    return 0;
}

void cp_http_response_free(void *p)
{
    cp_http_response_t *r = p;
    if (!r)
        return;
    cp__buf_close(&r->headers);
    free(r->body);
    free(r);
}

int cp__http_response_encode(const cp_http_response_t *r, cp__buf_t *out, bool close)
{
    return cp__wire_encode_response(out, r->status, r->headers.data, r->body, r->len, close);
}

const char *cp_http_request_header(const cp_http_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (!strcasecmp(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}
