/* GET /__processes__: every live process as JSON, sorted by id. */
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
} entry_t;

typedef struct collect {
    entry_t *v;
    size_t n, cap;
    bool oom;
} collect_t;

static void gather(void *arg, const char *id, size_t id_len, int state, bool queued)
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
    c->v[c->n++] = (entry_t){s, state, queued};
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

int cp__processes_json(cp__buf_t *out)
{
    collect_t c = {0};
    cp__processes_each(gather, &c);
    int rc = c.oom ? CP_ENOMEM : 0;
    if (!rc)
        qsort(c.v, c.n, sizeof *c.v, by_id);
    if (!rc)
        rc = cp__buf_append(out, "[", 1);
    for (size_t i = 0; !rc && i < c.n; i++) {
        /* The mailbox keeps no count, only whether it is empty; "events"
         * is 0 or 1 accordingly. */
        char tail[96];
        int n = snprintf(tail, sizeof tail, ",\"state\":\"%s\",\"events\":%d}",
                         state_name(c.v[i].state), c.v[i].queued ? 1 : 0);
        rc = cp__buf_append_str(out, i ? ",{\"id\":" : "{\"id\":");
        if (!rc)
            rc = append_json_string(out, c.v[i].id);
        if (!rc)
            rc = cp__buf_append(out, tail, (size_t)n);
    }
    if (!rc)
        rc = cp__buf_append(out, "]", 1);
    for (size_t i = 0; i < c.n; i++)
        free(c.v[i].id);
    free(c.v);
    return rc;
}
