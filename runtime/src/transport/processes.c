/* The per process type figures of /metrics/snapshot (processes/<type>/...). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/introspect.h"
#include "cproc/error.h"
#include "cproc/process.h"
#include "transport/endpoints.h"

typedef cp__proc_info_t entry_t;

typedef struct collect {
    entry_t *v;
    size_t n;
} collect_t;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const entry_t *)a)->id, ((const entry_t *)b)->id);
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
    if (cp__processes_list(&c->v, &c->n) != 0)
        return CP_ENOMEM;
    if (c->n > 1) /* qsort wants a valid pointer even for 0 entries */
        qsort(c->v, c->n, sizeof *c->v, by_id);
    return 0;
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
    const entry_t *ea = a, *eb = b;
    const char *x = ea->id, *y = eb->id;
    size_t nx = cp__process_type_len(x, ea->id_len), ny = cp__process_type_len(y, eb->id_len);
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
        size_t len = cp__process_type_len(c.v[i].id, c.v[i].id_len), j = i;
        uint64_t events = 0;
        while (j < c.n && cp__process_type_len(c.v[j].id, c.v[j].id_len) == len &&
               strncmp(c.v[j].id, c.v[i].id, len) == 0) {
            events += c.v[j].events;
            j++;
        }
        rc = append_metric(out, first, c.v[i].id, len, "count", (uint64_t)(j - i));
        if (!rc)
            rc = append_metric(out, first, c.v[i].id, len, "events", events);
        i = j;
    }
    cp__processes_list_free(c.v, c.n);
    return rc;
}
