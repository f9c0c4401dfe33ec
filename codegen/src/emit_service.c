/*
 * Service emitter: protobuf-c's generic service API for every `service` of
 * a .proto file, named and laid out as protoc-c 1.4.1 emits it, so code
 * written against protoc-c's services compiles unchanged:
 *
 *   Pkg__Svc_Service         struct of a ProtobufCService base and one
 *                            function pointer per rpc
 *   Pkg__Svc_ServiceDestroy  destroy callback type
 *   PKG__SVC__BASE_INIT, PKG__SVC__INIT(prefix)  initializer macros
 *   pkg__svc__init()         protobuf_c_service_generated_init() wrapper
 *   pkg__svc__<rpc>()        caller through service->invoke
 *   pkg__svc__descriptor     ProtobufCServiceDescriptor (methods in source
 *                            order, pkg__svc__method_indices_by_name sorted)
 *
 * cproc's own actor stubs for services are emitted by emit_actor.c into the
 * separate .pb-cproc files.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "names.h"

typedef struct method_index {
    const char *name;
    size_t index;
} method_index_t;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const method_index_t *)a)->name, ((const method_index_t *)b)->name);
}

static void emit_service_header(const cpgen_actor_t *a, cpgen_out_t *h)
{
    const cpgen_actor_t *s = a;
    const cpgen_names_t *nm = &a->service_names;
    const char *C = nm->c, *l = nm->lower, *U = nm->upper;
    cpgen_out_printf(h, "/* service %s: protobuf-c's generic service API. */\n", nm->full);
    cpgen_out_printf(h, "typedef struct %s_Service %s_Service;\nstruct %s_Service {\n"
                        "    ProtobufCService base;\n", C, C, C);
    for (size_t i = 0; i < s->n_rpcs; i++) {
        const cpgen_rpc_t *r = &s->rpcs[i];
        /* protoc-c names the member after the method as it is; a method
         * whose lower-case name is a C keyword (`rpc Static`) gets a "_"
         * here, where protoc-c would write C that does not compile. */
        char *lower = cpgen_name_lower(r->name);
        char *method = cpgen_name_escape(lower);
        cpgen_out_printf(h, "    void (*%s)(%s_Service *service, const %s *input,\n"
                            "        %s_Closure closure, void *closure_data);\n",
                         method, C, r->request.names.c, r->response.names.c);
        free(method);
        free(lower);
    }
    cpgen_out_puts(h, "};\n");
    cpgen_out_printf(h, "typedef void (*%s_ServiceDestroy)(%s_Service *);\n", C, C);
    cpgen_out_printf(h, "void %s__init(%s_Service *service, %s_ServiceDestroy destroy);\n", l, C,
                     C);
    cpgen_out_printf(h, "#define %s__BASE_INIT \\\n"
                        "    { &%s__descriptor, protobuf_c_service_invoke_internal, NULL }\n",
                     U, l);
    cpgen_out_printf(h, "#define %s__INIT(function_prefix__) \\\n    { %s__BASE_INIT", U, U);
    for (size_t i = 0; i < s->n_rpcs; i++) {
        char *method = cpgen_name_lower(s->rpcs[i].name);
        cpgen_out_printf(h, ", \\\n      function_prefix__ ## %s", method);
        free(method);
    }
    cpgen_out_puts(h, " }\n");
    for (size_t i = 0; i < s->n_rpcs; i++) {
        const cpgen_rpc_t *r = &s->rpcs[i];
        char *method = cpgen_name_lower(r->name);
        cpgen_out_printf(h, "void %s__%s(ProtobufCService *service, const %s *input,\n"
                            "    %s_Closure closure, void *closure_data);\n",
                         l, method, r->request.names.c, r->response.names.c);
        free(method);
    }
    cpgen_out_puts(h, "\n");
}

static void emit_service_source(const cpgen_actor_t *s, bool code_size, cpgen_out_t *c)
{
    const cpgen_names_t *nm = &s->service_names;
    const char *C = nm->c, *l = nm->lower;
    size_t n = s->n_rpcs;
    if (n > 0) {
        cpgen_out_printf(c, "static const ProtobufCMethodDescriptor %s__method_descriptors[%zu] = {\n",
                         l, n);
        for (size_t i = 0; i < n; i++) {
            const cpgen_rpc_t *r = &s->rpcs[i];
            if (code_size)
                cpgen_out_puts(c, "    { NULL, ");
            else
                cpgen_out_printf(c, "    { \"%s\", ", r->name);
            cpgen_out_printf(c, "&%s__descriptor, &%s__descriptor },\n", r->request.names.lower,
                             r->response.names.lower);
        }
        cpgen_out_puts(c, "};\n");
        if (!code_size) {
            method_index_t *idx = cpgen_xcalloc(n, sizeof *idx);
            for (size_t i = 0; i < n; i++) {
                idx[i].name = s->rpcs[i].name;
                idx[i].index = i;
            }
            qsort(idx, n, sizeof *idx, by_name);
            cpgen_out_printf(c, "const unsigned %s__method_indices_by_name[] = {\n", l);
            for (size_t i = 0; i < n; i++)
                cpgen_out_printf(c, "    %zu, /* %s */\n", idx[i].index, idx[i].name);
            cpgen_out_puts(c, "};\n");
            free(idx);
        }
    }
    cpgen_out_printf(c, "const ProtobufCServiceDescriptor %s__descriptor = {\n"
                        "    PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC,\n", l);
    if (code_size) {
        cpgen_out_puts(c, "    NULL, NULL, NULL, NULL, /* CODE_SIZE */\n");
    } else {
        const char *dot = strrchr(nm->full, '.');
        size_t plen = dot ? (size_t)(dot - nm->full) : 0;
        cpgen_out_printf(c, "    \"%s\",\n    \"%s\",\n    \"%s\",\n    \"%.*s\",\n",
                         nm->full, nm->short_name, C, (int)plen, nm->full);
    }
    if (n > 0)
        cpgen_out_printf(c, "    %zu,\n    %s__method_descriptors,\n    %s%s\n};\n\n", n, l,
                         code_size ? "NULL /* CODE_SIZE */" : l,
                         code_size ? "" : "__method_indices_by_name");
    else
        cpgen_out_puts(c, "    0,\n    NULL,\n    NULL\n};\n\n");

    for (size_t i = 0; i < n; i++) {
        const cpgen_rpc_t *r = &s->rpcs[i];
        char *method = cpgen_name_lower(r->name);
        cpgen_out_printf(c,
            "void %s__%s(ProtobufCService *service, const %s *input,\n"
            "    %s_Closure closure, void *closure_data)\n{\n"
            "    assert(service->descriptor == &%s__descriptor);\n"
            "    service->invoke(service, %zu, (const ProtobufCMessage *)input,\n"
            "                    (ProtobufCClosure)closure, closure_data);\n}\n\n",
            l, method, r->request.names.c, r->response.names.c, l, i);
        free(method);
    }
    cpgen_out_printf(c,
        "void %s__init(%s_Service *service, %s_ServiceDestroy destroy)\n{\n"
        "    protobuf_c_service_generated_init(&service->base, &%s__descriptor,\n"
        "                                      (ProtobufCServiceDestroy)destroy);\n}\n\n",
        l, C, C, l);
}

void cpgen_emit_services(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c)
{
    size_t n = 0;
    for (size_t i = 0; i < file->n_actors; i++)
        n += file->actors[i].service;
    if (n == 0)
        return;
    cpgen_out_puts(h, "/* --- services --- */\n\n");
    cpgen_out_puts(c, "/* --- services --- */\n\n");
    for (size_t i = 0; i < file->n_actors; i++) {
        if (!file->actors[i].service)
            continue;
        emit_service_header(&file->actors[i], h);
        emit_service_source(&file->actors[i], file->code_size, c);
    }
    for (size_t i = 0; i < file->n_actors; i++)
        if (file->actors[i].service)
            cpgen_out_printf(h, "extern const ProtobufCServiceDescriptor %s__descriptor;\n",
                             file->actors[i].service_names.lower);
    cpgen_out_puts(h, "\n");
}
