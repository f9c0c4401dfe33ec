/* GET /__processes__: every live process as JSON, sorted by id. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "cproc/error.h"
#include "cproc/process.h"
#include "transport/endpoints.h"

typedef struct entry {
    char *id;
    int state;
    bool queued;
    uint64_t events; /* run so far */
} entry_t;

typedef struct collect {
    entry_t *v;
    size_t n, cap;
    bool oom;
} collect_t;

static void gather(void *arg, const char *id, size_t id_len, int state, bool queued,
                   uint64_t events)
{
    collect_t *c = arg;
    if (c->oom)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        entry_t *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    char *s = strndup(id, id_len);
    if (!s) {
        c->oom = true;
        return;
    }
    c->v[c->n++] = (entry_t){s, state, queued, events};
}

static void collect_free(collect_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].id);
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->id, ((const entry_t *)b)->id);
}

static const char *state_name(int s)
{
    switch (s) {
    case CP_PROCESS_BOTTOM: return "BOTTOM";
    case CP_PROCESS_READY: return "READY";
    case CP_PROCESS_BLOCKED: return "BLOCKED";
    case CP_PROCESS_TERMINATING: return "TERMINATING";
    default: return "UNKNOWN";
    }
}

/* Ids may hold any byte but '@' and '/': escape what JSON needs. */
static int append_json_string(cp__buf_t *out, const char *s)
{
    int rc = cp__buf_append(out, "\"", 1);
    for (; !rc && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            rc = cp__buf_append(out, e, 2);
        } else if (ch < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", ch);
            rc = cp__buf_append(out, e, 6);
        } else {
            rc = cp__buf_append(out, s, 1);
        }
    }
    return rc ? rc : cp__buf_append(out, "\"", 1);
}

/* Every live process, sorted by id; CP_ENOMEM leaves nothing to free. */
static int collect_sorted(collect_t *c)
{
    cp__processes_each(gather, c);
    if (c->oom) {
        collect_free(c);
        return CP_ENOMEM;
    }
    if (c->n > 1) /* qsort wants a valid pointer even for 0 entries */
        qsort(c->v, c->n, sizeof *c->v, by_id);
    return 0;
}

int cp__processes_json(cp__buf_t *out)
{
    collect_t c = {0};
    int rc = collect_sorted(&c);
    if (!rc)
        rc = cp__buf_append(out, "[", 1);
    for (size_t i = 0; !rc && i < c.n; i++) {
        /* The mailbox keeps no count, only whether it is empty; "events"
         * is 0 or 1 accordingly. */
        char tail[128];
        int n = snprintf(tail, sizeof tail,
                         ",\"state\":\"%s\",\"events\":%d,\"handled\":%" PRIu64 "}",
                         state_name(c.v[i].state), c.v[i].queued ? 1 : 0, c.v[i].events);
        rc = cp__buf_append_str(out, i ? ",{\"id\":" : "{\"id\":");
        if (!rc)
            rc = append_json_string(out, c.v[i].id);
        if (!rc)
            rc = cp__buf_append(out, tail, (size_t)n);
    }
    if (!rc)
        rc = cp__buf_append(out, "]", 1);
    collect_free(&c);
    return rc;
}

/* A process's type is its id without a generated "(N)" suffix, so that
 * "__req_res__(3)" and "__req_res__(9)" count together. */
static size_t type_len(const char *id)
{
    size_t n = strlen(id);
    if (n > 0 && id[n - 1] == ')') {
        const char *open = strrchr(id, '(');
        if (open != NULL && open != id)
            return (size_t)(open - id);
    }
    return n;
}

static int append_metric(cp__buf_t *out, bool *first, const char *type, size_t len,
                         const char *what, uint64_t v)
{
    int rc = cp__buf_append_str(out, *first ? "\"processes/" : ",\"processes/");
    *first = false;
    char *name = strndup(type, len);
    if (name == NULL)
        return CP_ENOMEM;
    /* The key is a JSON string: escape the type, drop its quotes. */
    cp__buf_t esc;
    cp__buf_init(&esc);
    if (!rc)
        rc = append_json_string(&esc, name);
    free(name);
    if (!rc)
        rc = cp__buf_append(out, esc.data + 1, esc.len - 2);
    cp__buf_close(&esc);
    char tail[64];
    int n = snprintf(tail, sizeof tail, "/%s\":%" PRIu64, what, v);
    return rc ? rc : cp__buf_append(out, tail, (size_t)n);
}

static int by_type(const void *a, const void *b)
{
    const char *x = ((const entry_t *)a)->id, *y = ((const entry_t *)b)->id;
    size_t nx = type_len(x), ny = type_len(y);
    int c = memcmp(x, y, nx < ny ? nx : ny);
    return c != 0 ? c : (nx > ny) - (nx < ny);
}

int cp__process_metrics_json(cp__buf_t *out, bool *first)
{
    collect_t c = {0};
    int rc = collect_sorted(&c);
    /* Group by type, in key order. */
    if (!rc && c.n > 1)
        qsort(c.v, c.n, sizeof *c.v, by_type);
    for (size_t i = 0; !rc && i < c.n;) {
        size_t len = type_len(c.v[i].id), j = i;
        uint64_t events = 0;
        while (j < c.n && type_len(c.v[j].id) == len &&
               strncmp(c.v[j].id, c.v[i].id, len) == 0) {
            events += c.v[j].events;
            j++;
        }
        rc = append_metric(out, first, c.v[i].id, len, "count", (uint64_t)(j - i));
        if (!rc)
            rc = append_metric(out, first, c.v[i].id, len, "events", events);
        i = j;
    }
    collect_free(&c);
    return rc;
}
