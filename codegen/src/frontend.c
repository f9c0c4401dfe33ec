/*
 * From the checked cpidl AST to the generator's model (model.h): compute
 * every C name once, map types and labels, and normalise defaults into the
 * literal text the emitters print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpidl/cpidl.h>

#include "emit.h"
#include "frontend.h"
#include "gen_names.h"
#include "names.h"

/* Pointer -> model map, so fields find the model of the type they name. */
typedef struct ptr_map {
    const void **keys;
    void **values;
    size_t cap; /* power of two */
    size_t n;
} ptr_map_t;

static size_t ptr_hash(const void *p, size_t cap)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= (uintptr_t)0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    return (size_t)x & (cap - 1);
}

static void map_put(ptr_map_t *m, const void *key, void *value);

static void map_grow(ptr_map_t *m)
{
    ptr_map_t bigger = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
    bigger.keys = cpgen_xcalloc(bigger.cap, sizeof *bigger.keys);
    bigger.values = cpgen_xcalloc(bigger.cap, sizeof *bigger.values);
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            map_put(&bigger, m->keys[i], m->values[i]);
    free(m->keys);
    free(m->values);
    *m = bigger;
}

static void map_put(ptr_map_t *m, const void *key, void *value)
{
    if (2 * (m->n + 1) > m->cap)
        map_grow(m);
    size_t i = ptr_hash(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->values[i] = value;
}

static void *map_get(const ptr_map_t *m, const void *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = ptr_hash(key, m->cap);
    while (m->keys[i]) {
        if (m->keys[i] == key)
            return m->values[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static void map_close(ptr_map_t *m)
{
    free(m->keys);
    free(m->values);
}

typedef struct builder {
    cpgen_file_t *file;
    ptr_map_t types; /* cpidl_message_t / cpidl_enum_t -> model */
} builder_t;

static cpgen_pos_t pos_of(cpidl_pos_t p)
{
    cpgen_pos_t rv = {p.path, p.line, p.col};
    return rv;
}

/* ".pkg.Outer.Inner" in package "pkg" -> "Outer.Inner". */
static const char *scoped_name(const char *full, const char *package)
{
    if (full[0] == '.')
        full++;
    size_t plen = strlen(package);
    if (plen && strncmp(full, package, plen) == 0 && full[plen] == '.')
        return full + plen + 1;
    return full;
}

/* ---- protoc-c's options (protobuf-c.proto) ------------------------ */

/* The last option called `name` ("(pb_c_file).c_package"), or NULL. */
static const cpidl_value_t *find_option(cpidl_option_t *const *opts, size_t n, const char *name)
{
    const cpidl_value_t *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(opts[i]->name, name) == 0)
            v = &opts[i]->value;
    return v;
}

/* A bool option: *has tells whether it was written (may be NULL). */
static bool option_bool(cpidl_option_t *const *opts, size_t n, const char *name, bool dflt,
                        bool *has)
{
    const cpidl_value_t *v = find_option(opts, n, name);
    bool set = v && v->kind == CPIDL_VALUE_IDENT &&
               (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0);
    if (has)
        *has = set;
    return set ? v->text[0] == 't' : dflt;
}

#define FILE_OPT(f, name, dflt, has) option_bool((f)->options, (f)->n_options, name, dflt, has)
#define MSG_OPT(m, name, dflt, has) option_bool((m)->options, (m)->n_options, name, dflt, has)

static bool is_proto_file(const cpidl_file_t *f)
{
    size_t len = strlen(f->path);
    return len > 6 && strcmp(f->path + len - 6, ".proto") == 0;
}

/* The package C names are made from: (pb_c_file).c_package if set. */
static const char *c_package(const cpidl_file_t *f)
{
    const cpidl_value_t *v = find_option(f->options, f->n_options, "(pb_c_file).c_package");
    return v && v->kind == CPIDL_VALUE_STRING ? v->text : f->package;
}

/* optimize_for = CODE_SIZE: protoc-c leaves names out of descriptors. */
static bool code_size(const cpidl_file_t *f)
{
    const cpidl_value_t *v = find_option(f->options, f->n_options, "optimize_for");
    return v && v->kind == CPIDL_VALUE_IDENT && strcmp(v->text, "CODE_SIZE") == 0;
}

/* Names of a type of file `f` whose path inside the package is `scoped`:
 * C names from c_package, the proto names unchanged. */
static void fill_names(cpgen_names_t *names, const cpidl_file_t *f, const char *scoped)
{
    const char *cp = c_package(f);
    cpgen_names_fill(names, cp, scoped);
    if (cp != f->package) {
        free(names->full);
        names->full = f->package[0] ? cpgen_xasprintf("%s.%s", f->package, scoped)
                                    : cpgen_xstrdup(scoped);
    }
}

/* Whether protoc-c generates the pack/unpack helpers and __init of message
 * `m` (gen_pack_helpers / gen_init_helpers of the file and the enclosing
 * messages, as protoc-c 1.4.1 applies them: top-level messages follow the
 * file, nested ones their parent's own message option unless the file set
 * gen_pack_helpers explicitly). .actor files keep every helper except
 * map entries' pack helpers. */
static void helper_rules(const cpidl_message_t *m, bool *pack, bool *init)
{
    const cpidl_file_t *f = m->file;
    if (!is_proto_file(f)) {
        *pack = !m->map_entry;
        *init = true;
        return;
    }
    const cpidl_message_t *chain[64];
    size_t depth = 0;
    for (const cpidl_message_t *p = m; p && depth < 64; p = p->parent)
        chain[depth++] = p;
    bool deep = false;
    bool gen_pack = FILE_OPT(f, "(pb_c_file).gen_pack_helpers", true, &deep);
    bool gen_init = FILE_OPT(f, "(pb_c_file).gen_init_helpers", true, NULL);
    for (size_t i = depth; i-- > 0;) {
        const cpidl_message_t *cur = chain[i];
        bool has_pack, has_init;
        bool own_pack = MSG_OPT(cur, "(pb_c_msg).gen_pack_helpers", false, &has_pack);
        bool own_init = MSG_OPT(cur, "(pb_c_msg).gen_init_helpers", true, &has_init);
        if (has_pack)
            gen_pack = own_pack;
        if (has_init)
            gen_init = own_init;
        if (i > 0 && !deep) {
            gen_pack = own_pack; /* the child's inherited value */
            deep = true;
        }
    }
    *pack = gen_pack;
    *init = gen_init;
}

static cpgen_enum_t *enum_model(const cpidl_enum_t *ast)
{
    cpgen_enum_t *e = cpgen_xcalloc(1, sizeof *e);
    const char *package = ast->file->package;
    fill_names(&e->names, ast->file, scoped_name(ast->full_name, package));
    e->package = cpgen_xstrdup(package);
    e->code_size = code_size(ast->file);
    e->comment = ast->leading_comment ? cpgen_xstrdup(ast->leading_comment) : NULL;
    e->pos = pos_of(ast->pos);
    e->n_values = ast->n_values;
    e->values = cpgen_xcalloc(ast->n_values, sizeof *e->values);
    for (size_t i = 0; i < ast->n_values; i++) {
        e->values[i].name = cpgen_xstrdup(ast->values[i]->name);
        e->values[i].c_name = cpgen_xasprintf("%s__%s", e->names.upper, ast->values[i]->name);
        e->values[i].number = ast->values[i]->number;
        e->values[i].pos = pos_of(ast->values[i]->pos);
    }
    return e;
}

/* Names of a message an actor refers to: C names from its file's
 * c_package, the proto name unchanged. */
static void fix_msg_names(cpgen_actor_msg_t *am, const cpidl_message_t *m)
{
    const char *cp = c_package(m->file);
    if (cp == m->file->package)
        return;
    const char *scoped = scoped_name(m->full_name, m->file->package);
    free(am->names.full);
    am->names.full = m->file->package[0] ? cpgen_xasprintf("%s.%s", m->file->package, scoped)
                                         : cpgen_xstrdup(scoped);
}

/* The `on` handlers, rpcs and routes of an actor, for emit_actor.c. */
static const cpgen_message_t *message_ref(builder_t *b, const cpidl_message_t *ast);

static void fill_actor(builder_t *b, cpgen_actor_t *model, const cpidl_actor_t *a)
{
    model->mailbox = a->mailbox;
    model->drop_oldest = a->mailbox_policy == CPIDL_MAILBOX_DROP_OLDEST;
    model->loop_turns = a->loop_turns;
    for (size_t i = 0; i < a->n_handlers; i++) {
        const cpidl_message_t *m = a->handlers[i]->message;
        cpgen_actor_add_on(model, c_package(m->file), scoped_name(m->full_name, m->file->package));
        fix_msg_names(&model->on[model->n_on - 1], m);
        message_ref(b, m); /* its pack rules, for the stubs (emit_file.c) */
        model->on[model->n_on - 1].pos = pos_of(a->handlers[i]->pos);
    }
    for (size_t i = 0; i < a->n_methods; i++) {
        const cpidl_method_t *r = a->methods[i];
        const char *qp = r->input->file->package, *sp = r->output->file->package;
        cpgen_actor_add_rpc(model, r->name, c_package(r->input->file),
                            scoped_name(r->input->full_name, qp), c_package(r->output->file),
                            scoped_name(r->output->full_name, sp));
        cpgen_rpc_t *rpc = &model->rpcs[model->n_rpcs - 1];
        rpc->pos = pos_of(r->pos);
        rpc->request.pos = pos_of(r->input_pos);
        rpc->response.pos = pos_of(r->output_pos);
        fix_msg_names(&rpc->request, r->input);
        fix_msg_names(&rpc->response, r->output);
        message_ref(b, r->input);
        message_ref(b, r->output);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        cpgen_actor_add_route(model, a->routes[i]->path);
        model->routes[model->n_routes - 1].pos = pos_of(a->routes[i]->pos);
    }
}

static cpgen_message_t *message_shell(const cpidl_message_t *ast)
{
    cpgen_message_t *m = cpgen_xcalloc(1, sizeof *m);
    const cpidl_file_t *f = ast->file;
    const char *package = f->package;
    fill_names(&m->names, f, scoped_name(ast->full_name, package));
    /* protoc-c's short name is the CamelCased message name. */
    free(m->names.short_name);
    m->names.short_name = cpgen_name_camel(ast->name);
    m->package = cpgen_xstrdup(package);
    bool pack, init;
    helper_rules(ast, &pack, &init);
    m->skip_pack = !pack;
    m->skip_init = !init;
    m->const_strings = FILE_OPT(f, "(pb_c_file).const_strings", false, NULL);
    m->code_size = code_size(f);
    const cpidl_value_t *opt = find_option(ast->options, ast->n_options, "(pb_c_msg).base_field_name");
    if (opt && opt->kind == CPIDL_VALUE_STRING && strcmp(opt->text, "base") != 0)
        m->base = cpgen_xstrdup(opt->text);
    m->map_entry = ast->map_entry;
    m->proto3 = f->syntax == CPIDL_SYNTAX_PROTO3;
    m->comment = ast->leading_comment ? cpgen_xstrdup(ast->leading_comment) : NULL;
    m->pos = pos_of(ast->pos);
    return m;
}

/* The model of a type another file declares: names only, kept for freeing. */
static const cpgen_message_t *message_ref(builder_t *b, const cpidl_message_t *ast)
{
    cpgen_message_t *m = map_get(&b->types, ast);
    if (m)
        return m;
    m = message_shell(ast);
    cpgen_file_t *f = b->file;
    f->extern_messages = cpgen_xrealloc(f->extern_messages,
                                        (f->n_extern_messages + 1) * sizeof *f->extern_messages);
    f->extern_messages[f->n_extern_messages++] = m;
    map_put(&b->types, ast, m);
    return m;
}

static const cpgen_enum_t *enum_ref(builder_t *b, const cpidl_enum_t *ast)
{
    cpgen_enum_t *e = map_get(&b->types, ast);
    if (e)
        return e;
    e = enum_model(ast);
    cpgen_file_t *f = b->file;
    f->extern_enums = cpgen_xrealloc(f->extern_enums,
                                     (f->n_extern_enums + 1) * sizeof *f->extern_enums);
    f->extern_enums[f->n_extern_enums++] = e;
    map_put(&b->types, ast, e);
    return e;
}

static cpgen_type_t map_type(cpidl_type_t t)
{
    switch (t) {
    case CPIDL_TYPE_DOUBLE: return CPGEN_TYPE_DOUBLE;
    case CPIDL_TYPE_FLOAT: return CPGEN_TYPE_FLOAT;
    case CPIDL_TYPE_INT64: return CPGEN_TYPE_INT64;
    case CPIDL_TYPE_UINT64: return CPGEN_TYPE_UINT64;
    case CPIDL_TYPE_INT32: return CPGEN_TYPE_INT32;
    case CPIDL_TYPE_FIXED64: return CPGEN_TYPE_FIXED64;
    case CPIDL_TYPE_FIXED32: return CPGEN_TYPE_FIXED32;
    case CPIDL_TYPE_BOOL: return CPGEN_TYPE_BOOL;
    case CPIDL_TYPE_STRING: return CPGEN_TYPE_STRING;
    case CPIDL_TYPE_BYTES: return CPGEN_TYPE_BYTES;
    case CPIDL_TYPE_UINT32: return CPGEN_TYPE_UINT32;
    case CPIDL_TYPE_ENUM: return CPGEN_TYPE_ENUM;
    case CPIDL_TYPE_SFIXED32: return CPGEN_TYPE_SFIXED32;
    case CPIDL_TYPE_SFIXED64: return CPGEN_TYPE_SFIXED64;
    case CPIDL_TYPE_SINT32: return CPGEN_TYPE_SINT32;
    case CPIDL_TYPE_SINT64: return CPGEN_TYPE_SINT64;
    case CPIDL_TYPE_MESSAGE:
    case CPIDL_TYPE_GROUP:
        break;
    }
    return CPGEN_TYPE_MESSAGE;
}

static cpgen_label_t map_label(cpidl_label_t l)
{
    switch (l) {
    case CPIDL_LABEL_NONE: return CPGEN_LABEL_NONE;
    case CPIDL_LABEL_OPTIONAL: return CPGEN_LABEL_OPTIONAL;
    case CPIDL_LABEL_REQUIRED: return CPGEN_LABEL_REQUIRED;
    case CPIDL_LABEL_REPEATED: break;
    }
    return CPGEN_LABEL_REPEATED;
}

/* The default as the literal the emitter prints (see print_number()). */
static void fill_default(cpgen_field_t *f, const cpidl_field_t *ast)
{
    const cpidl_value_t *v = &ast->default_value;
    f->has_default = true;
    switch (f->type) {
    case CPGEN_TYPE_STRING:
    case CPGEN_TYPE_BYTES:
        f->default_len = v->len;
        f->default_bytes = cpgen_xmalloc(v->len + 1);
        memcpy(f->default_bytes, v->text, v->len);
        f->default_bytes[v->len] = 0;
        return;
    case CPGEN_TYPE_ENUM:
        f->default_text = cpgen_xstrdup(ast->default_enum_value ? ast->default_enum_value->name
                                                                : v->text);
        return;
    case CPGEN_TYPE_BOOL:
        f->default_text = cpgen_xstrdup(v->kind == CPIDL_VALUE_IDENT ? v->text : "false");
        return;
    case CPGEN_TYPE_FLOAT:
    case CPGEN_TYPE_DOUBLE:
        if (v->kind == CPIDL_VALUE_IDENT) {
            f->default_text = cpgen_xasprintf("%s%s", v->negative ? "-" : "", v->text);
        } else if (v->float_value != v->float_value) {
            f->default_text = cpgen_xstrdup("nan");
        } else if (v->float_value > 1.7976931348623157e308) {
            f->default_text = cpgen_xstrdup("inf");
        } else if (v->float_value < -1.7976931348623157e308) {
            f->default_text = cpgen_xstrdup("-inf");
        } else {
            f->default_text = cpgen_xasprintf("%.17g", v->float_value);
        }
        return;
    default:
        if (v->kind == CPIDL_VALUE_INT)
            f->default_text = cpgen_xasprintf("%s%llu", v->negative && v->uint_value ? "-" : "",
                                              (unsigned long long)v->uint_value);
        else
            f->default_text = cpgen_xasprintf("%.0f", v->float_value);
        return;
    }
}

/* protoc-c appends "_" to field names that are C++ keywords too (its list);
 * cproc's own rule (names.c) covers C's. Both apply, so a member name is
 * what protoc-c gives wherever protoc-c's output compiles. */
static char *member_name(const char *field_name)
{
    static const char *const cxx[] = {
        "and", "and_eq", "bitand", "bitor", "catch", "class", "compl", "const_cast",
        "delete", "dynamic_cast", "explicit", "friend", "mutable", "namespace", "new",
        "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public",
        "reinterpret_cast", "static_cast", "template", "this", "throw", "try", "typeid",
        "typename", "using", "virtual", "wchar_t", "xor", "xor_eq", NULL,
    };
    char *member = cpgen_name_member(field_name);
    for (size_t i = 0; cxx[i] != NULL; i++) {
        if (strcmp(member, cxx[i]) == 0) {
            char *keyword = member;
            member = cpgen_xasprintf("%s_", keyword);
            free(keyword);
            break;
        }
    }
    return member;
}

static void fill_message(builder_t *b, cpgen_message_t *m, const cpidl_message_t *ast, bool proto3)
{
    bool oneof_names = FILE_OPT(ast->file, "(pb_c_file).use_oneof_field_name", false, NULL);
    m->n_fields = ast->n_fields;
    m->fields = cpgen_xcalloc(ast->n_fields, sizeof *m->fields);
    for (size_t i = 0; i < ast->n_fields; i++) {
        const cpidl_field_t *af = ast->fields[i];
        cpgen_field_t *f = &m->fields[i];
        f->name = cpgen_xstrdup(af->name);
        f->member = member_name(af->name);
        /* "base" is kept clear of the ProtobufCMessage member, unless
         * base_field_name renamed that (then it is protoc-c's `base`). */
        if (m->base && strcmp(f->member, "base_") == 0) {
            free(f->member);
            f->member = cpgen_xstrdup("base");
        }
        f->number = af->number;
        f->label = map_label(af->label);
        /* protoc-c labels proto3 oneof members NONE (their presence is the
         * case member either way). */
        if (proto3 && af->oneof && f->label == CPGEN_LABEL_OPTIONAL)
            f->label = CPGEN_LABEL_NONE;
        /* protoc-c gives map entries the file's presence rules. */
        if (ast->map_entry)
            f->label = proto3 ? CPGEN_LABEL_NONE : CPGEN_LABEL_OPTIONAL;
        f->type = map_type(af->type);
        if (f->type == CPGEN_TYPE_STRING &&
            option_bool(af->options, af->n_options, "(pb_c_field).string_as_bytes", false, NULL))
            f->type = CPGEN_TYPE_BYTES;
        if (f->type == CPGEN_TYPE_MESSAGE && af->message)
            f->message = message_ref(b, af->message);
        if (f->type == CPGEN_TYPE_ENUM && af->enumeration)
            f->enumeration = enum_ref(b, af->enumeration);
        f->packed = af->packed && f->label == CPGEN_LABEL_REPEATED;
        f->deprecated = af->deprecated;
        f->comment = af->leading_comment ? cpgen_xstrdup(af->leading_comment) : NULL;
        f->pos = pos_of(af->pos);
        f->oneof = af->oneof ? af->oneof_index : -1;
        f->desc_name = oneof_names && af->oneof ? af->oneof->name : af->name;
        if (af->has_default && f->label != CPGEN_LABEL_REPEATED)
            fill_default(f, af);
    }
    m->n_oneofs = ast->n_oneofs;
    m->oneofs = cpgen_xcalloc(ast->n_oneofs, sizeof *m->oneofs);
    for (size_t k = 0; k < ast->n_oneofs; k++) {
        const char *name = ast->oneofs[k]->name;
        cpgen_oneof_t *o = &m->oneofs[k];
        char *camel = cpgen_name_camel(name);
        char *upper = cpgen_name_upper(name);
        char *lower = cpgen_name_lower(name);
        o->name = cpgen_xstrdup(name);
        o->case_member = cpgen_xasprintf("%s_case", lower);
        o->case_type = cpgen_xasprintf("%s__%sCase", m->names.c, camel);
        o->case_upper = cpgen_xasprintf("%s__%s", m->names.upper, upper);
        o->pos = pos_of(ast->oneofs[k]->pos);
        free(camel);
        free(upper);
        free(lower);
    }
}

static cpgen_file_t *build(const cpidl_file_t *ast)
{
    builder_t b = { cpgen_xcalloc(1, sizeof(cpgen_file_t)), { NULL, NULL, 0, 0 } };
    cpgen_file_t *file = b.file;
    bool proto3 = ast->syntax == CPIDL_SYNTAX_PROTO3;
    file->source = cpgen_xstrdup(ast->path);
    file->package = cpgen_xstrdup(ast->package);
    file->proto3 = proto3;

    file->no_generate = FILE_OPT(ast, "(pb_c_file).no_generate", false, NULL);
    file->code_size = code_size(ast);
    file->includes = cpgen_xcalloc(ast->n_imports, sizeof *file->includes);
    for (size_t i = 0; i < ast->n_imports; i++) {
        const cpidl_file_t *imported = ast->imports[i]->file;
        if (imported && FILE_OPT(imported, "(pb_c_file).no_generate", false, NULL))
            continue; /* protoc-c generates nothing for it, so includes nothing */
        file->includes[file->n_includes++] = cpgen_xstrdup(ast->imports[i]->name);
    }

    file->n_enums = ast->n_all_enums;
    file->enums = cpgen_xcalloc(ast->n_all_enums, sizeof *file->enums);
    for (size_t i = 0; i < ast->n_all_enums; i++) {
        file->enums[i] = enum_model(ast->all_enums[i]);
        map_put(&b.types, ast->all_enums[i], file->enums[i]);
    }

    file->n_messages = ast->n_all_messages;
    file->messages = cpgen_xcalloc(ast->n_all_messages, sizeof *file->messages);
    for (size_t i = 0; i < ast->n_all_messages; i++) {
        file->messages[i] = message_shell(ast->all_messages[i]);
        map_put(&b.types, ast->all_messages[i], file->messages[i]);
    }
    for (size_t i = 0; i < ast->n_all_messages; i++)
        fill_message(&b, file->messages[i], ast->all_messages[i], proto3);

    file->n_actors = ast->n_actors;
    file->actors = cpgen_xcalloc(ast->n_actors, sizeof *file->actors);
    for (size_t i = 0; i < ast->n_actors; i++) {
        const cpidl_actor_t *a = ast->actors[i];
        const char *scoped = scoped_name(a->full_name, ast->package);
        cpgen_actor_t *model = &file->actors[i];
        model->ast = a;
        model->pos = pos_of(a->pos);
        model->service = a->kind == CPIDL_SERVICE && is_proto_file(ast);
        fill_names(&model->names, ast, scoped);
        if (model->service) {
            fill_names(&model->service_names, ast, scoped);
            char *lower = cpgen_xasprintf("%s_actor", model->names.lower);
            char *upper = cpgen_xasprintf("%s_ACTOR", model->names.upper);
            free(model->names.lower);
            free(model->names.upper);
            model->names.lower = lower;
            model->names.upper = upper;
        }
        fill_actor(&b, &file->actors[i], a);
    }
    map_close(&b.types);
    return file;
}

static void program_free(void *program)
{
    cpidl_program_free(program);
}

static void report_name(void *ctx, bool note, cpgen_pos_t pos, const char *fmt, va_list ap)
{
    cpidl_pos_t p = {pos.path, pos.line, pos.col};
    cpidl_program_vdiag(ctx, stderr, note ? CPIDL_SEV_NOTE : CPIDL_SEV_ERROR, p, fmt, ap);
}

/* Where `f` is imported in the program (the first import statement naming
 * it); the null position for the main file. */
static cpidl_pos_t import_pos(const cpidl_program_t *program, const cpidl_file_t *f)
{
    for (size_t i = 0; i < program->n_files; i++)
        for (size_t j = 0; j < program->files[i]->n_imports; j++)
            if (program->files[i]->imports[j]->file == f)
                return program->files[i]->imports[j]->pos;
    cpidl_pos_t none = {0};
    return none;
}

/* Generated headers are named by base name, included as "NAME", and
 * guarded by a macro made from the name: every file of the program must
 * get a header of its own, with a guard of its own, that an #include can
 * name. Returns the number of errors printed. */
static unsigned check_headers(const cpidl_program_t *program)
{
    unsigned errors = 0;
    char **headers = cpgen_xcalloc(program->n_files, sizeof *headers);
    char **guards = cpgen_xcalloc(program->n_files, sizeof *guards);
    for (size_t i = 0; i < program->n_files; i++) {
        const cpidl_file_t *f = program->files[i];
        /* cproc-gen's default (flat) layout; with --protoc-c, .proto outputs
         * keep their paths, so this is stricter than that layout needs. */
        headers[i] = cpgen_name_import_header(f->name, ".pb-cproc", false);
        guards[i] = cpgen_name_guard(headers[i]);
        cpidl_pos_t pos = import_pos(program, f);
        size_t len = strlen(f->name);
        bool generated = len > 6 && (strcmp(f->name + len - 6, ".actor") == 0 ||
                                     strcmp(f->name + len - 6, ".proto") == 0);
        const char *bad = headers[i];
        while (*bad != '\0' && *bad != '"' && *bad != '\\' && (unsigned char)*bad >= 0x20 &&
               (unsigned char)*bad < 0x7f)
            bad++;
        if (f != program->main && !generated) {
            cpidl_program_diag(program, stderr, CPIDL_SEV_ERROR, pos,
                               "cproc-gen generates C only for .actor and .proto files; '%s' "
                               "would have no generated header to include",
                               f->name);
            errors++;
            continue;
        }
        if (*bad != '\0') {
            cpidl_program_diag(program, stderr, CPIDL_SEV_ERROR, pos,
                               "the generated header of '%s' cannot be named in an #include: "
                               "its name has a '\"', a '\\' or a byte that is not printable ASCII",
                               f->name);
            errors++;
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(guards[k], guards[i]) != 0)
                continue;
            const cpidl_file_t *first = program->files[k];
            /* The main file comes last: blame the import that clashes. */
            bool main_clash = f == program->main;
            cpidl_pos_t at = main_clash ? import_pos(program, first) : pos;
            const cpidl_file_t *blamed = main_clash ? first : f, *other = main_clash ? f : first;
            const char *bh = main_clash ? headers[k] : headers[i];
            const char *oh = main_clash ? headers[i] : headers[k];
            if (strcmp(bh, oh) == 0)
                cpidl_program_diag(program, stderr, CPIDL_SEV_ERROR, at,
                                   "'%s' would generate the header '%s', which '%s' also "
                                   "generates (generated headers are named by base name)",
                                   blamed->name, bh, other->name);
            else
                cpidl_program_diag(program, stderr, CPIDL_SEV_ERROR, at,
                                   "the header '%s' of '%s' would have the include guard '%s', "
                                   "which the header '%s' of '%s' also has",
                                   bh, blamed->name, guards[i], oh, other->name);
            errors++;
            break;
        }
    }
    for (size_t i = 0; i < program->n_files; i++) {
        free(headers[i]);
        free(guards[i]);
    }
    free(headers);
    free(guards);
    return errors;
}

/* Refuse an input whose generated C names would collide (gen_names.h):
 * the main file's names against each other and against those of every
 * header it includes, i.e. every file of the program. Returns the number
 * of errors, after printing them and a count. */
static unsigned check_names(const cpidl_program_t *program, const cpgen_file_t *main)
{
    size_t n = 0;
    cpgen_file_t **imports = cpgen_xcalloc(program->n_files, sizeof *imports);
    for (size_t i = 0; i < program->n_files; i++)
        if (program->files[i] != program->main)
            imports[n++] = build(program->files[i]);
    unsigned errors = check_headers(program);
    errors += cpgen_check_names(main, (const cpgen_file_t *const *)imports, n, report_name,
                                (void *)program);
    if (errors > 0)
        fprintf(stderr, "%u error%s generated.\n", errors, errors == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        cpgen_file_free(imports[i]);
    free(imports);
    return errors;
}

static void deps_add(cpgen_deps_t *deps, const char *path)
{
    for (size_t i = 0; i < deps->n; i++)
        if (strcmp(deps->paths[i], path) == 0)
            return;
    deps->paths = cpgen_xrealloc(deps->paths, (deps->n + 1) * sizeof *deps->paths);
    deps->paths[deps->n++] = cpgen_xstrdup(path);
}

int cpgen_frontend_load(const cpgen_options_t *opts, const char *path, cpgen_file_t **out,
                        cpgen_deps_t *deps)
{
    cpidl_options_t o;
    memset(&o, 0, sizeof o);
    /* The -I directories, then, as protoc's built-in include path, the
     * directory holding the system's google/protobuf/ files (found when
     * cproc-gen was built; empty if there was none). */
    const char **dirs = cpgen_xrealloc(NULL, (opts->n_include_dirs + 1) * sizeof *dirs);
    size_t n = 0;
    for (size_t i = 0; i < opts->n_include_dirs; i++)
        dirs[n++] = opts->include_dirs[i];
    if (CPGEN_PROTOBUF_INCLUDE[0] != '\0')
        dirs[n++] = CPGEN_PROTOBUF_INCLUDE;
    o.include_dirs = dirs;
    o.n_include_dirs = n;
    o.werror = opts->werror;
    o.diag_out = stderr;

    *out = NULL;
    cpidl_program_t *program = NULL;
    int rc = cpidl_load(&o, path, &program);
    free(dirs);
    if (rc != CPIDL_OK) {
        if (rc != CPIDL_EFAIL)
            fprintf(stderr, "cproc-gen: %s: %s\n", path, cpidl_strerror(rc));
        return -1;
    }
    deps_add(deps, program->main->path);
    for (size_t i = 0; i < program->n_files; i++)
        deps_add(deps, program->files[i]->path);
    cpgen_file_t *file = build(program->main);
    if (check_names(program, file) != 0) {
        cpgen_file_free(file);
        cpidl_program_free(program);
        return -1;
    }
    *out = file;
    /* The model keeps the actor nodes for emit_actor.c, so the program must
     * outlive it: the driver frees both through cpgen_file_free(). */
    (*out)->owner = program;
    (*out)->owner_free = program_free;
    return 0;
}

void cpgen_deps_close(cpgen_deps_t *deps)
{
    for (size_t i = 0; i < deps->n; i++)
        free(deps->paths[i]);
    free(deps->paths);
    deps->paths = NULL;
    deps->n = 0;
}
