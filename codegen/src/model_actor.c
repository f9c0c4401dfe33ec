/* The actor part of the model: `on` handlers, rpcs and routes, with the
 * C member names the stubs use. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "model.h"
#include "names.h"

static void msg_fill(cpgen_actor_msg_t *m, const char *package, const char *scoped,
                     const char *prefix)
{
    memset(m, 0, sizeof *m);
    cpgen_names_fill(&m->names, package, scoped);
    char *lower = cpgen_name_lower(m->names.short_name);
    m->member = cpgen_xasprintf("%s%s", prefix, lower);
    free(lower);
}

static void msg_close(cpgen_actor_msg_t *m)
{
    cpgen_names_close(&m->names);
    free(m->member);
}

void cpgen_actor_add_on(cpgen_actor_t *a, const char *package, const char *scoped)
{
    a->on = cpgen_xrealloc(a->on, (a->n_on + 1) * sizeof(*a->on));
    msg_fill(&a->on[a->n_on++], package, scoped, "on_");
}

void cpgen_actor_add_rpc(cpgen_actor_t *a, const char *name, const char *req_package,
                         const char *req_scoped, const char *res_package, const char *res_scoped)
{
    a->rpcs = cpgen_xrealloc(a->rpcs, (a->n_rpcs + 1) * sizeof(*a->rpcs));
    cpgen_rpc_t *r = &a->rpcs[a->n_rpcs++];
    memset(r, 0, sizeof *r); /* positions stay zero unless the front end sets them */
    r->name = cpgen_xstrdup(name);
    char *lower = cpgen_name_lower(name);
    r->member = cpgen_name_handler(lower); /* rpc Int: member `int_` */
    free(lower);
    msg_fill(&r->request, req_package, req_scoped, "");
    msg_fill(&r->response, res_package, res_scoped, "");
}

/* "/stats" -> "route_stats", "/a/b-c" -> "route_a_b_c", "/" -> "route_root". */
static char *route_member(const char *path)
{
    size_t n = strlen(path);
    char *m = cpgen_xmalloc(n + sizeof("route_root"));
    strcpy(m, "route");
    size_t len = 5;
    bool sep = true;
    for (const char *p = path; *p != '\0'; p++) {
        if (isalnum((unsigned char)*p)) {
            if (sep)
                m[len++] = '_';
            m[len++] = (char)tolower((unsigned char)*p);
            sep = false;
        } else {
            sep = true;
        }
    }
    m[len] = '\0';
    if (len == 5)
        strcpy(m, "route_root");
    return m;
}

void cpgen_actor_add_route(cpgen_actor_t *a, const char *path)
{
    a->routes = cpgen_xrealloc(a->routes, (a->n_routes + 1) * sizeof(*a->routes));
    cpgen_route_t *r = &a->routes[a->n_routes++];
    memset(r, 0, sizeof *r);
    r->path = cpgen_xstrdup(path);
    r->member = route_member(path);
}

void cpgen_actor_close(cpgen_actor_t *a)
{
    cpgen_names_close(&a->names);
    for (size_t i = 0; i < a->n_on; i++)
        msg_close(&a->on[i]);
    free(a->on);
    for (size_t i = 0; i < a->n_rpcs; i++) {
        free(a->rpcs[i].name);
        free(a->rpcs[i].member);
        msg_close(&a->rpcs[i].request);
        msg_close(&a->rpcs[i].response);
    }
    free(a->rpcs);
    for (size_t i = 0; i < a->n_routes; i++) {
        free(a->routes[i].path);
        free(a->routes[i].member);
    }
    free(a->routes);
}
