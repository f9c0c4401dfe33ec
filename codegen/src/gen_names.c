/*
 * The generated-name table and the collision check (gen_names.h).
 *
 * The check expands every row for every declaration of the main file and
 * of the files its header includes, and enters each identifier in one hash
 * table keyed by (namespace, identifier). A second entry for the same key
 * is a collision, reported at the later declaration with a note at the
 * first. Identifiers the included headers own or that C reserves are
 * refused the same way.
 */
#include "gen_names.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* Keep in step with the emitters: emit_message.c, emit_enum.c,
 * emit_future.c, emit_actor.c, emit_pid.c. Templates starting with "_" are protobuf-c's
 * own macro expansions (PROTOBUF_C__FORCE_ENUM_TO_BE_INT_SIZE). */
const cpgen_name_row_t cpgen_name_rows[] = {
    /* emit_message.c: protoc-c's names */
    {CPGEN_N_MESSAGE, CPGEN_NS_GLOBAL, "${C}"},
    {CPGEN_N_MESSAGE, CPGEN_NS_GLOBAL, "${U}__INIT"},
    {CPGEN_N_MESSAGE, CPGEN_NS_GLOBAL, "${l}__init"},
    {CPGEN_N_MESSAGE, CPGEN_NS_GLOBAL, "${l}__descriptor"},
    {CPGEN_N_MESSAGE, CPGEN_NS_STATIC, "${l}__init_generic"},
    {CPGEN_N_MESSAGE, CPGEN_NS_STATIC, "${l}__field_descriptors"},
    {CPGEN_N_MESSAGE, CPGEN_NS_STATIC, "${l}__field_indices_by_name"},
    {CPGEN_N_MESSAGE, CPGEN_NS_STATIC, "${l}__number_ranges"},
    {CPGEN_N_MESSAGE, CPGEN_NS_STRUCT, "${base}"}, /* base_field_name */
    {CPGEN_N_MESSAGE_PACK, CPGEN_NS_GLOBAL, "${l}__get_packed_size"},
    {CPGEN_N_MESSAGE_PACK, CPGEN_NS_GLOBAL, "${l}__pack"},
    {CPGEN_N_MESSAGE_PACK, CPGEN_NS_GLOBAL, "${l}__pack_to_buffer"},
    {CPGEN_N_MESSAGE_PACK, CPGEN_NS_GLOBAL, "${l}__unpack"},
    {CPGEN_N_MESSAGE_PACK, CPGEN_NS_GLOBAL, "${l}__free_unpacked"},
    {CPGEN_N_FIELD, CPGEN_NS_STRUCT, "${member}"},
    {CPGEN_N_FIELD_REPEATED, CPGEN_NS_STRUCT, "n_${member}"},
    {CPGEN_N_FIELD_HAS, CPGEN_NS_STRUCT, "has_${member}"},
    {CPGEN_N_FIELD_DEFAULT, CPGEN_NS_GLOBAL, "${ml}__${member}__default_value"},
    {CPGEN_N_FIELD_DEFAULT_BYTES, CPGEN_NS_GLOBAL, "${ml}__${member}__default_value_data"},
    {CPGEN_N_ONEOF, CPGEN_NS_STRUCT, "${case_member}"},
    {CPGEN_N_ONEOF, CPGEN_NS_GLOBAL, "${case_type}"},
    {CPGEN_N_ONEOF, CPGEN_NS_GLOBAL, "${case_upper}__NOT_SET"},
    {CPGEN_N_ONEOF, CPGEN_NS_GLOBAL, "_${case_upper}__CASE_IS_INT_SIZE"},
    {CPGEN_N_ONEOF_FIELD, CPGEN_NS_GLOBAL, "${case_upper}_${FIELD}"},
    /* emit_enum.c */
    {CPGEN_N_ENUM, CPGEN_NS_GLOBAL, "${C}"},
    {CPGEN_N_ENUM, CPGEN_NS_GLOBAL, "_${C}"},
    {CPGEN_N_ENUM, CPGEN_NS_GLOBAL, "_${U}_IS_INT_SIZE"},
    {CPGEN_N_ENUM, CPGEN_NS_GLOBAL, "${l}__descriptor"},
    {CPGEN_N_ENUM, CPGEN_NS_STATIC, "${l}__enum_values_by_number"},
    {CPGEN_N_ENUM, CPGEN_NS_STATIC, "${l}__value_ranges"},
    {CPGEN_N_ENUM, CPGEN_NS_STATIC, "${l}__enum_values_by_name"},
    {CPGEN_N_ENUM_VALUE, CPGEN_NS_GLOBAL, "${cname}"},
    /* emit_future.c: cproc helpers of every message */
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${U}__NAME"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${C}_Future"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__cproc_type"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_value"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_unref"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_ready"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_failed"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_defer"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_wrap"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_ref"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_discard"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_wait"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_failure"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_after"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_recover"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__future_then"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__free"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__decode"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__send"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__send_from"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_GLOBAL, "${l}__reply"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__cproc_size"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__cproc_pack"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__timed_out"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__step"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__step_t"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__step_new"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__step_free"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__deferred_run"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__recover_run"},
    {CPGEN_N_MESSAGE_API, CPGEN_NS_STATIC, "${l}__then_run"},
    /* emit_pid.c */
    {CPGEN_N_ACTOR, CPGEN_NS_GLOBAL, "${C}_Pid"},
    {CPGEN_N_ACTOR, CPGEN_NS_GLOBAL, "${l}__pid"},
    {CPGEN_N_ACTOR_ON, CPGEN_NS_GLOBAL, "${l}__send"},
    /* emit_actor.c */
    {CPGEN_N_ACTOR, CPGEN_NS_GLOBAL, "${C}_Handlers"},
    {CPGEN_N_ACTOR, CPGEN_NS_GLOBAL, "${l}__spawn"},
    {CPGEN_N_ACTOR, CPGEN_NS_GLOBAL, "${l}__malformed_count"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__self"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__self_t"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__ops"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__malformed"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__ctx_free"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__initialize"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__finalize"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__exited"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__Metrics"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__Method_names"},
    {CPGEN_N_ACTOR, CPGEN_NS_STATIC, "${l}__Method_m"},
    {CPGEN_N_ACTOR, CPGEN_NS_HANDLERS, "initialize"},
    {CPGEN_N_ACTOR, CPGEN_NS_HANDLERS, "finalize"},
    {CPGEN_N_ACTOR, CPGEN_NS_HANDLERS, "exited"},
    {CPGEN_N_ACTOR_ON, CPGEN_NS_STATIC, "${l}__drop_malformed"},
    {CPGEN_N_ON, CPGEN_NS_HANDLERS, "${member}"},
    {CPGEN_N_ON, CPGEN_NS_GLOBAL, "${l}__send_${x}"},
    {CPGEN_N_ON, CPGEN_NS_STATIC, "${l}__receive_${member}"},
    {CPGEN_N_ON, CPGEN_NS_STATIC, "${l}__${member}_args"},
    {CPGEN_N_ON, CPGEN_NS_STATIC, "${l}__${member}_args_t"},
    {CPGEN_N_ON, CPGEN_NS_STATIC, "${l}__${member}_args_free"},
    {CPGEN_N_ON, CPGEN_NS_STATIC, "${l}__dispatch_${member}"},
    {CPGEN_N_RPC, CPGEN_NS_HANDLERS, "${member}"},
    {CPGEN_N_RPC, CPGEN_NS_GLOBAL, "${l}__${member}"},
    {CPGEN_N_RPC, CPGEN_NS_STATIC, "${l}__rpc_${member}"},
    {CPGEN_N_RPC, CPGEN_NS_STATIC, "${l}__serve_${member}"},
    {CPGEN_N_ROUTE, CPGEN_NS_HANDLERS, "${member}"},
    {CPGEN_N_ROUTE, CPGEN_NS_STATIC, "${l}__${member}"},
};
const size_t cpgen_n_name_rows = sizeof cpgen_name_rows / sizeof cpgen_name_rows[0];

/* ---- the check ------------------------------------------------------ */

/* One generated identifier and what produced it. */
typedef struct entry {
    char *key;          /* namespace id, '\1', identifier */
    const char *ident;  /* points into key */
    const char *what;   /* "rpc 'Get' of actor 'kv.Store'" (owned) */
    cpgen_pos_t pos;
} entry_t;

typedef struct checker {
    entry_t *table; /* open addressing; key == NULL is free */
    size_t cap, n;
    cpgen_report_fn report;
    void *ctx;
    unsigned errors;
    bool in_main; /* declarations of the main file are being entered */
    const char *last_what, *last_other; /* the last clash reported, to say it once */
    const char *last_reserved;          /* the last declaration refused a name */
    FILE *dump; /* cpgen_names_print(): where the main file's names go */
    char **owned;  /* `what` strings, freed at the end */
    size_t n_owned, cap_owned;
    cpgen_out_t scratch; /* enter_rows()'s expansion buffer */
} checker_t;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static void report(checker_t *c, bool note, cpgen_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(checker_t *c, bool note, cpgen_pos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c->report(c->ctx, note, pos, fmt, ap);
    va_end(ap);
    if (!note)
        c->errors++;
}

static entry_t *slot(checker_t *c, const char *key)
{
    for (size_t i = hash_str(key) & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
        if (c->table[i].key == NULL || strcmp(c->table[i].key, key) == 0)
            return &c->table[i];
}

static void grow(checker_t *c)
{
    checker_t bigger = *c;
    bigger.cap = c->cap ? c->cap * 2 : 1024;
    bigger.table = cpgen_xcalloc(bigger.cap, sizeof *bigger.table);
    for (size_t i = 0; i < c->cap; i++)
        if (c->table[i].key != NULL)
            *slot(&bigger, c->table[i].key) = c->table[i];
    free(c->table);
    c->table = bigger.table;
    c->cap = bigger.cap;
}

/* Names the headers generated code includes define without a "__" (every
 * other generated name has one, and none of theirs does): <stddef.h>,
 * <math.h>, protobuf-c. Only a top-level type of a file without a package
 * gets such a name. */
static bool taken_by_headers(const char *ident)
{
    static const char *const names[] = {"NULL", "INFINITY", "NAN"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(ident, names[i]) == 0)
            return true;
    return strncmp(ident, "ProtobufC", 9) == 0; /* its types: ProtobufCMessage, ... */
}

/* Why `ident` may not be generated at file scope, or NULL. */
static const char *reserved_why(const char *ident)
{
    if (ident[0] == '_')
        return "identifiers starting with '_' are reserved in C";
    if ((strncmp(ident, "cp_", 3) == 0 || strncmp(ident, "CP_", 3) == 0) && ident[3] != '_')
        return "names starting with 'cp_' and 'CP_' belong to the cproc runtime";
    if (strncmp(ident, "cpgen_", 6) == 0 || strncmp(ident, "CPGEN_", 6) == 0)
        return "names starting with 'cpgen_' and 'CPGEN_' belong to cproc-gen";
    if (strncmp(ident, "protobuf_c_", 11) == 0 || strncmp(ident, "PROTOBUF_C_", 11) == 0)
        return "names starting with 'protobuf_c_' belong to protobuf-c";
    if (taken_by_headers(ident))
        return "the headers generated code includes define it";
    if (cpgen_name_is_keyword(ident))
        return "it is a C keyword or macro";
    return NULL;
}

/* Enter one identifier. `scope` names the struct for member namespaces. */
static void enter(checker_t *c, cpgen_ns_t ns, const char *scope, const char *ident,
                  const char *what, cpgen_pos_t pos, bool protobuf_c_macro)
{
    bool member = ns == CPGEN_NS_STRUCT || ns == CPGEN_NS_HANDLERS;
    if (!c->in_main && ns == CPGEN_NS_STATIC)
        return; /* another file's .c: not part of this translation unit */
    if (c->dump != NULL) {
        static const char *const kinds[] = {"global", "static", "member", "member"};
        if (member)
            fprintf(c->dump, "%s %s %s\n", kinds[ns], scope, ident);
        else
            fprintf(c->dump, "%s %s\n", kinds[ns], ident);
        return;
    }
    if (c->in_main && !member) {
        /* protobuf-c's own "_X" names may start with '_', but not be a
         * keyword: enum Bool has the tag _Bool. */
        const char *why = !protobuf_c_macro ? reserved_why(ident)
                          : cpgen_name_is_keyword(ident) ? "it is a C keyword"
                                                         : NULL;
        if (why != NULL && c->last_reserved != what) {
            c->last_reserved = what; /* one error per declaration */
            report(c, false, pos, "%s would generate the C name '%s', which cannot be used: %s",
                   what, ident, why);
        }
    }
    /* Built by hand: cpgen_xasprintf() starts every string at a page. */
    const char *sc = member ? scope : "";
    size_t ls = strlen(sc), li = strlen(ident);
    char *key = cpgen_xmalloc(ls + li + 2);
    memcpy(key, sc, ls);
    key[ls] = '\1';
    memcpy(key + ls + 1, ident, li + 1);
    if ((c->n + 1) * 2 > c->cap)
        grow(c);
    entry_t *e = slot(c, key);
    if (e->key != NULL) {
        free(key);
        /* Any clash counts, also one between two imported headers: the
         * main file's translation unit includes them all. */
        if (strcmp(e->what, what) == 0)
            return; /* one declaration giving a name twice: a table bug, not the user's */
        if (c->last_what == what && c->last_other == e->what)
            return; /* this pair clashes on several names: one error is enough */
        c->last_what = what;
        c->last_other = e->what;
        /* Blame the later of the two in the source, whatever order the
         * table was filled in. */
        const char *first = e->what;
        cpgen_pos_t first_pos = e->pos;
        if (pos.path != NULL && e->pos.path != NULL && strcmp(pos.path, e->pos.path) == 0 &&
            (pos.line < e->pos.line || (pos.line == e->pos.line && pos.col < e->pos.col))) {
            first = what;
            first_pos = pos;
            what = e->what;
            pos = e->pos;
        }
        if (member)
            report(c, false, pos,
                   "%s would generate the member '%s' of struct %s, which %s also generates",
                   what, ident, scope, first);
        else
            report(c, false, pos, "%s would generate the C name '%s', which %s also generates",
                   what, ident, first);
        report(c, true, first_pos, "%s is declared here", first);
        return;
    }
    e->key = key;
    e->ident = key + strlen(key) - strlen(ident);
    e->what = what;
    e->pos = pos;
    c->n++;
}

static const char *own(checker_t *c, char *s);

/* A description such as "field 'x' of message 'p.M'", kept until the end
 * of the check. */
static const char *describe(checker_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *describe(checker_t *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof buf)
        return own(c, cpgen_xstrdup(buf));
    cpgen_out_t out;
    cpgen_out_init(&out);
    va_start(ap, fmt);
    cpgen_out_vprintf(&out, fmt, ap);
    va_end(ap);
    return own(c, out.data);
}

static const char *own(checker_t *c, char *s)
{
    if (c->n_owned == c->cap_owned) {
        c->cap_owned = c->cap_owned ? 2 * c->cap_owned : 256;
        c->owned = cpgen_xrealloc(c->owned, c->cap_owned * sizeof *c->owned);
    }
    c->owned[c->n_owned++] = s;
    return s;
}

/* Expand every row of `origin` with `vars` and enter the results. */
static void enter_rows(checker_t *c, cpgen_origin_t origin, const cpgen_var_t *vars,
                       const char *scope, const char *what, cpgen_pos_t pos)
{
    for (size_t i = 0; i < cpgen_n_name_rows; i++) {
        const cpgen_name_row_t *r = &cpgen_name_rows[i];
        if (r->origin != origin)
            continue;
        /* One scratch buffer for every expansion: a fresh cpgen_out_t per
         * row would allocate a page each time. */
        cpgen_out_t *out = &c->scratch;
        out->len = 0;
        cpgen_template(out, r->tmpl, vars);
        /* A row naming a variable its origin does not set is a bug here. */
        assert(out->data != NULL && memchr(out->data, '<', out->len) == NULL);
        enter(c, r->ns, scope, out->data, what, pos, r->tmpl[0] == '_');
    }
}

static bool field_has_flag(const cpgen_field_t *f)
{
    /* As emit_message.c's has_flag(). */
    return f->label == CPGEN_LABEL_OPTIONAL && f->oneof < 0 && f->type != CPGEN_TYPE_STRING &&
           f->type != CPGEN_TYPE_MESSAGE;
}

static void enter_message(checker_t *c, const cpgen_message_t *m)
{
    const char *what = describe(c, "message '%s'", m->names.full);
    cpgen_var_t vars[] = {{"C", m->names.c},
                          {"l", m->names.lower},
                          {"U", m->names.upper},
                          {"full", m->names.full},
                          {"base", m->base ? m->base : "base"},
                          {NULL, NULL}};
    enter_rows(c, CPGEN_N_MESSAGE, vars, m->names.c, what, m->pos);
    if (!m->map_entry) {
        enter_rows(c, CPGEN_N_MESSAGE_API, vars, m->names.c, what, m->pos);
        enter_rows(c, CPGEN_N_MESSAGE_PACK, vars, m->names.c, what, m->pos);
    }
    for (size_t i = 0; i < m->n_fields; i++) {
        const cpgen_field_t *f = &m->fields[i];
        const char *fwhat =
            describe(c, "field '%s' of message '%s'", f->name, m->names.full);
        cpgen_var_t fv[] = {{"member", f->member}, {"ml", m->names.lower}, {NULL, NULL}};
        enter_rows(c, CPGEN_N_FIELD, fv, m->names.c, fwhat, f->pos);
        if (f->label == CPGEN_LABEL_REPEATED)
            enter_rows(c, CPGEN_N_FIELD_REPEATED, fv, m->names.c, fwhat, f->pos);
        if (field_has_flag(f))
            enter_rows(c, CPGEN_N_FIELD_HAS, fv, m->names.c, fwhat, f->pos);
        if (f->has_default && f->label != CPGEN_LABEL_REPEATED)
            enter_rows(c, CPGEN_N_FIELD_DEFAULT, fv, m->names.c, fwhat, f->pos);
        if (f->has_default && f->label != CPGEN_LABEL_REPEATED && f->type == CPGEN_TYPE_BYTES)
            enter_rows(c, CPGEN_N_FIELD_DEFAULT_BYTES, fv, m->names.c, fwhat, f->pos);
    }
    for (size_t k = 0; k < m->n_oneofs; k++) {
        const cpgen_oneof_t *o = &m->oneofs[k];
        const char *owhat =
            describe(c, "oneof '%s' of message '%s'", o->name, m->names.full);
        cpgen_var_t ov[] = {{"case_member", o->case_member}, {"case_type", o->case_type},
                            {"case_upper", o->case_upper}, {NULL, NULL}};
        enter_rows(c, CPGEN_N_ONEOF, ov, m->names.c, owhat, o->pos);
        for (size_t i = 0; i < m->n_fields; i++) {
            const cpgen_field_t *f = &m->fields[i];
            if (f->oneof != (int)k)
                continue;
            char *upper = cpgen_name_upper(f->name);
            const char *fwhat =
                describe(c, "field '%s' of message '%s'", f->name, m->names.full);
            cpgen_var_t fv[] = {{"case_upper", o->case_upper}, {"FIELD", upper}, {NULL, NULL}};
            enter_rows(c, CPGEN_N_ONEOF_FIELD, fv, m->names.c, fwhat, f->pos);
            free(upper);
        }
    }
}

static void enter_enum(checker_t *c, const cpgen_enum_t *e)
{
    const char *what = describe(c, "enum '%s'", e->names.full);
    cpgen_var_t vars[] = {{"C", e->names.c}, {"l", e->names.lower}, {"U", e->names.upper},
                          {NULL, NULL}};
    enter_rows(c, CPGEN_N_ENUM, vars, e->names.c, what, e->pos);
    for (size_t i = 0; i < e->n_values; i++) {
        const char *vwhat = describe(c, "enum value '%s' of '%s'", e->values[i].name,
                                                   e->names.full);
        cpgen_var_t vv[] = {{"cname", e->values[i].c_name}, {NULL, NULL}};
        enter_rows(c, CPGEN_N_ENUM_VALUE, vv, e->names.c, vwhat, e->values[i].pos);
    }
}

static void enter_actor(checker_t *c, const cpgen_actor_t *a)
{
    const char *what = describe(c, "actor '%s'", a->names.full);
    char *handlers = cpgen_xasprintf("%s_Handlers", a->names.c);
    own(c, handlers);
    cpgen_var_t vars[] = {{"C", a->names.c}, {"l", a->names.lower}, {"full", a->names.full},
                          {NULL, NULL}};
    enter_rows(c, CPGEN_N_ACTOR, vars, handlers, what, a->pos);
    if (a->n_on > 0)
        enter_rows(c, CPGEN_N_ACTOR_ON, vars, handlers, what, a->pos);
    for (size_t i = 0; i < a->n_on; i++) {
        const cpgen_actor_msg_t *m = &a->on[i];
        const char *owhat = describe(c, "'on %s' of actor '%s'", m->names.full,
                                                   a->names.full);
        const char *x = strncmp(m->member, "on_", 3) == 0 ? m->member + 3 : m->member;
        cpgen_var_t ov[] = {{"C", a->names.c},      {"l", a->names.lower}, {"member", m->member},
                            {"x", x},               {"mC", m->names.c},    {"ml", m->names.lower},
                            {"mU", m->names.upper}, {NULL, NULL}};
        enter_rows(c, CPGEN_N_ON, ov, handlers, owhat, m->pos);
    }
    for (size_t i = 0; i < a->n_rpcs; i++) {
        const cpgen_rpc_t *r = &a->rpcs[i];
        const char *rwhat =
            describe(c, "rpc '%s' of actor '%s'", r->name, a->names.full);
        cpgen_var_t rv[] = {{"C", a->names.c}, {"l", a->names.lower}, {"member", r->member},
                            {"rpc", r->name},  {NULL, NULL}};
        enter_rows(c, CPGEN_N_RPC, rv, handlers, rwhat, r->pos);
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        const cpgen_route_t *r = &a->routes[i];
        const char *rwhat =
            describe(c, "route \"%s\" of actor '%s'", r->path, a->names.full);
        cpgen_var_t rv[] = {{"C", a->names.c}, {"l", a->names.lower}, {"member", r->member},
                            {NULL, NULL}};
        enter_rows(c, CPGEN_N_ROUTE, rv, handlers, rwhat, r->pos);
    }
}

static void enter_file(checker_t *c, const cpgen_file_t *f)
{
    for (size_t i = 0; i < f->n_enums; i++)
        enter_enum(c, f->enums[i]);
    for (size_t i = 0; i < f->n_messages; i++)
        enter_message(c, f->messages[i]);
    for (size_t i = 0; i < f->n_actors; i++)
        enter_actor(c, &f->actors[i]);
}

static void no_report(void *ctx, bool note, cpgen_pos_t pos, const char *fmt, va_list ap)
{
    (void)ctx;
    (void)note;
    (void)pos;
    (void)fmt;
    (void)ap;
}

void cpgen_names_print(const cpgen_file_t *file, FILE *out)
{
    checker_t c = {.report = no_report, .dump = out, .in_main = true};
    cpgen_out_init(&c.scratch);
    enter_file(&c, file);
    /* The static inline pack helpers emit_file.c writes for imported
     * messages that lack them (their names are the owner's, checked with
     * the owner's file). */
    for (size_t i = 0; i < file->n_extern_messages; i++) {
        const cpgen_message_t *m = file->extern_messages[i];
        if (!m->skip_pack || m->map_entry)
            continue;
        cpgen_var_t vars[] = {{"l", m->names.lower}, {NULL, NULL}};
        enter_rows(&c, CPGEN_N_MESSAGE_PACK, vars, m->names.c, "", m->pos);
    }
    cpgen_out_close(&c.scratch);
    for (size_t i = 0; i < c.n_owned; i++)
        free(c.owned[i]);
    free(c.owned);
}

unsigned cpgen_check_names(const cpgen_file_t *main, const cpgen_file_t *const *imports,
                           size_t n_imports, cpgen_report_fn report_fn, void *ctx)
{
    checker_t c = {.report = report_fn, .ctx = ctx};
    cpgen_out_init(&c.scratch);
    grow(&c);
    for (size_t i = 0; i < n_imports; i++)
        enter_file(&c, imports[i]);
    c.in_main = true;
    enter_file(&c, main);
    for (size_t i = 0; i < c.cap; i++)
        free(c.table[i].key);
    free(c.table);
    for (size_t i = 0; i < c.n_owned; i++)
        free(c.owned[i]);
    free(c.owned);
    cpgen_out_close(&c.scratch);
    return c.errors;
}
