/*
 * The IDL parser: hand-written recursive descent over the re2c token
 * stream. Recursive descent keeps each construct's diagnostics next to its
 * grammar and makes recovery simple: a failed statement skips to the next
 * ';' or to the '}' closing its block (braces balanced), so one run reports
 * several errors. Nesting is bounded (ctx->max_depth) and a load gives up
 * after CPIDL_MAX_ERRORS, so no input makes it recurse or loop unbounded.
 *
 * Keywords are contextual, as in protoc: they are identifiers whose text the
 * parser matches where a keyword may stand.
 */
#include "parse_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- types ------------------------------------------------------------- */

static const struct {
    const char *name;
    cpidl_type_t type;
} scalars[] = {
    {"double", CPIDL_TYPE_DOUBLE},     {"float", CPIDL_TYPE_FLOAT},
    {"int64", CPIDL_TYPE_INT64},       {"uint64", CPIDL_TYPE_UINT64},
    {"int32", CPIDL_TYPE_INT32},       {"fixed64", CPIDL_TYPE_FIXED64},
    {"fixed32", CPIDL_TYPE_FIXED32},   {"bool", CPIDL_TYPE_BOOL},
    {"string", CPIDL_TYPE_STRING},     {"bytes", CPIDL_TYPE_BYTES},
    {"uint32", CPIDL_TYPE_UINT32},     {"sfixed32", CPIDL_TYPE_SFIXED32},
    {"sfixed64", CPIDL_TYPE_SFIXED64}, {"sint32", CPIDL_TYPE_SINT32},
    {"sint64", CPIDL_TYPE_SINT64},
};

cpidl_type_t cpidl_scalar_type(const char *name)
{
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        if (strcmp(scalars[i].name, name) == 0)
            return scalars[i].type;
    }
    return (cpidl_type_t)0;
}

char *cpidl_json_name(cpidl_arena_t *arena, const char *name)
{
    size_t n = strlen(name);
    char *out = cpidl_arena_alloc(arena, n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    bool up = false;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '_') {
            up = true;
            continue;
        }
        out[o++] = up ? (char)toupper((unsigned char)name[i]) : name[i];
        up = false;
    }
    out[o] = '\0';
    return out;
}

/* A field type: a scalar name or a (possibly dotted) message/enum name. */
static bool parse_type(parser_t *p, cpidl_field_t *f)
{
    if (!cpidl_p_parse_full_ident(p, true, &f->type_name, &f->type_pos, "a type"))
        return false;
    f->type = cpidl_scalar_type(f->type_name);
    if (strcmp(f->type_name, "group") == 0) {
        cpidl_error(p->ctx, f->type_pos, "groups are not supported; use a nested message");
        return false;
    }
    return true;
}

/* ---- messages ---------------------------------------------------------- */

typedef struct msg_build {
    cpidl_message_t *m;
    cpidl_vec_t fields, oneofs, messages, enums, ranges, names, ext, options;
} msg_build_t;

static void finish_message(msg_build_t *b)
{
    cpidl_message_t *m = b->m;
    SETV(m->fields, m->n_fields, b->fields);
    SETV(m->oneofs, m->n_oneofs, b->oneofs);
    SETV(m->messages, m->n_messages, b->messages);
    SETV(m->enums, m->n_enums, b->enums);
    SETV(m->reserved_ranges, m->n_reserved_ranges, b->ranges);
    SETV(m->reserved_names, m->n_reserved_names, b->names);
    SETV(m->extension_ranges, m->n_extension_ranges, b->ext);
    SETV(m->options, m->n_options, b->options);
}

static bool parse_message(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into);
static bool parse_enum(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into);

/* reserved / extensions ranges: `1, 3 to 5, 9 to max`. */
static bool parse_ranges(parser_t *p, cpidl_vec_t *ranges, int64_t lo, int64_t max, bool allow_neg,
                         const char *what)
{
    for (;;) {
        cpidl_range_t *r = NEW(p, cpidl_range_t);
        r->pos = cpidl_p_tok_pos(p, &p->tok);
        int64_t vals[2];
        for (int k = 0; k < 2; k++) {
            if (k == 1 && cpidl_p_is_kw(p, "max")) {
                vals[1] = max;
                cpidl_p_advance(p);
                break;
            }
            bool neg = false;
            if (allow_neg && cpidl_p_is_sym(p, '-')) {
                neg = true;
                cpidl_p_advance(p);
            }
            uint64_t u;
            cpidl_pos_t pos = cpidl_p_tok_pos(p, &p->tok);
            if (p->tok.kind != CPIDL_TOK_INT) {
                cpidl_p_error_expected(p, k == 0 ? "a number" : "a number or 'max'");
                return false;
            }
            if (!cpidl_p_int_value(p->tok.text, p->tok.len, &u) || u > (uint64_t)INT32_MAX + 1) {
                cpidl_error(p->ctx, pos, "%s number is out of range (%lld..%lld)", what,
                            (long long)lo, (long long)max);
                return false;
            }
            cpidl_p_advance(p);
            vals[k] = neg ? -(int64_t)u : (int64_t)u;
            if (vals[k] < lo || vals[k] > max) {
                cpidl_error(p->ctx, pos, "%s number %lld is out of range (%lld..%lld)", what,
                            (long long)vals[k], (long long)lo, (long long)max);
                return false;
            }
            if (k == 0) {
                vals[1] = vals[0];
                if (!cpidl_p_is_kw(p, "to"))
                    break;
                cpidl_p_advance(p);
            }
        }
        r->start = vals[0];
        r->end = vals[1];
        if (r->end < r->start) {
            cpidl_error(p->ctx, r->pos, "%s range end %lld is before its start %lld", what,
                        (long long)r->end, (long long)r->start);
            return false;
        }
        cpidl_p_push(p, ranges, r);
        if (!cpidl_p_is_sym(p, ','))
            return true;
        cpidl_p_advance(p);
    }
}

static bool parse_reserved(parser_t *p, cpidl_vec_t *ranges, cpidl_vec_t *names, int64_t lo,
                           int64_t max, bool allow_neg)
{
    cpidl_p_advance(p); /* reserved */
    if (p->tok.kind == CPIDL_TOK_STRING || p->tok.kind == CPIDL_TOK_IDENT) {
        for (;;) {
            cpidl_reserved_name_t *rn = NEW(p, cpidl_reserved_name_t);
            if (p->tok.kind == CPIDL_TOK_IDENT) {
                rn->pos = cpidl_p_tok_pos(p, &p->tok);
                rn->name = cpidl_p_tok_str(p);
                cpidl_p_advance(p);
            } else {
                size_t len;
                if (!cpidl_p_parse_string(p, &rn->name, &len, &rn->pos))
                    return false;
            }
            cpidl_p_push(p, names, rn);
            if (!cpidl_p_is_sym(p, ','))
                break;
            cpidl_p_advance(p);
        }
    } else if (!parse_ranges(p, ranges, lo, max, allow_neg, "reserved")) {
        return false;
    }
    return cpidl_p_expect_sym(p, ';');
}

/* Synthesize protoc's map entry: message FooEntry { K key = 1; V value = 2; }. */
static cpidl_message_t *map_entry(parser_t *p, msg_build_t *b, cpidl_field_t *f, cpidl_field_t *key,
                                  cpidl_field_t *value)
{
    cpidl_message_t *e = NEW(p, cpidl_message_t);
    size_t n = strlen(f->name);
    char *name = cpidl_p_palloc(p, n + 6);
    size_t o = 0;
    bool up = true;
    for (size_t i = 0; i < n; i++) {
        if (f->name[i] == '_') {
            up = true;
            continue;
        }
        name[o++] = up ? (char)toupper((unsigned char)f->name[i]) : f->name[i];
        up = false;
    }
    memcpy(name + o, "Entry", 6);
    e->name = name;
    e->pos = f->pos;
    e->file = p->file;
    e->parent = b->m;
    e->map_entry = true;
    cpidl_field_t **fs = cpidl_p_palloc(p, 2 * sizeof *fs);
    fs[0] = key;
    fs[1] = value;
    key->name = cpidl_p_pstrndup(p, "key", 3);
    value->name = cpidl_p_pstrndup(p, "value", 5);
    key->json_name = key->name;
    value->json_name = value->name;
    key->number = 1;
    value->number = 2;
    key->number_pos = value->number_pos = f->number_pos;
    key->pos = key->type_pos;
    value->pos = value->type_pos;
    key->label = value->label = CPIDL_LABEL_OPTIONAL;
    key->parent = value->parent = e;
    key->oneof_index = value->oneof_index = -1;
    e->fields = fs;
    e->n_fields = 2;
    cpidl_p_push(p, &b->messages, e);
    cpidl_p_push(p, &p->all_messages, e);
    return e;
}

/* A field, map field, or the label-less member of a oneof. */
static bool parse_field(parser_t *p, msg_build_t *b, cpidl_oneof_t *oneof,
                        cpidl_vec_t *oneof_fields)
{
    cpidl_field_t *f = NEW(p, cpidl_field_t);
    f->leading_comment = p->tok_doc;
    f->parent = b->m;
    f->oneof_index = -1;
    cpidl_pos_t label_pos = cpidl_p_tok_pos(p, &p->tok);
    bool labeled = false;
    if (cpidl_p_is_kw(p, "optional") || cpidl_p_is_kw(p, "required") ||
        cpidl_p_is_kw(p, "repeated")) {
        f->label = cpidl_p_is_kw(p, "optional")   ? CPIDL_LABEL_OPTIONAL
                   : cpidl_p_is_kw(p, "required") ? CPIDL_LABEL_REQUIRED
                                                  : CPIDL_LABEL_REPEATED;
        labeled = true;
        if (f->label == CPIDL_LABEL_REQUIRED && p->file->syntax == CPIDL_SYNTAX_PROTO3)
            cpidl_error(p->ctx, label_pos, "required fields are not allowed in proto3");
        cpidl_p_advance(p);
        if (oneof != NULL) {
            cpidl_error(p->ctx, label_pos, "fields in a oneof cannot have a label");
            return false;
        }
    }
    cpidl_field_t *key = NULL, *value = NULL;
    if (cpidl_p_is_kw(p, "map")) {
        cpidl_pos_t map_pos = cpidl_p_tok_pos(p, &p->tok);
        cpidl_p_advance(p);
        if (cpidl_p_is_sym(p, '<')) {
            if (labeled) {
                cpidl_error(p->ctx, label_pos,
                            "map fields cannot have a label (they are repeated already)");
                return false;
            }
            if (oneof != NULL) {
                cpidl_error(p->ctx, map_pos, "map fields are not allowed in a oneof");
                return false;
            }
            cpidl_p_advance(p);
            key = NEW(p, cpidl_field_t);
            value = NEW(p, cpidl_field_t);
            if (!parse_type(p, key) || !cpidl_p_expect_sym(p, ','))
                return false;
            if (cpidl_p_is_kw(p, "map")) {
                cpidl_error(p->ctx, cpidl_p_tok_pos(p, &p->tok),
                            "map value cannot be a map; wrap it in a message");
                return false;
            }
            if (!parse_type(p, value) || !cpidl_p_expect_sym(p, '>'))
                return false;
            f->is_map = true;
            f->label = CPIDL_LABEL_REPEATED;
            f->type = CPIDL_TYPE_MESSAGE;
            f->type_pos = map_pos;
            f->type_name =
                cpidl_arena_printf(p->A, "map<%s, %s>", key->type_name, value->type_name);
            if (f->type_name == NULL)
                longjmp(p->bail, 1);
        } else {
            /* A type called `map`: let resolution report it if unknown. */
            f->type_name = cpidl_p_pstrndup(p, "map", 3);
            f->type_pos = map_pos;
        }
    } else if (!parse_type(p, f)) {
        return false;
    }
    if (!cpidl_p_expect_ident(p, &f->name, &f->pos, "a field name"))
        return false;
    if (!cpidl_p_expect_sym(p, '='))
        return false;
    f->number_pos = cpidl_p_tok_pos(p, &p->tok);
    uint64_t num;
    if (cpidl_p_is_sym(p, '-') || p->tok.kind != CPIDL_TOK_INT) {
        cpidl_p_error_expected(p, "a field number");
        return false;
    }
    if (!cpidl_p_int_value(p->tok.text, p->tok.len, &num)) {
        char buf[48];
        cpidl_error(p->ctx, f->number_pos, "invalid field number %s",
                    cpidl_p_tok_desc(p, buf, sizeof buf));
        return false;
    }
    if (num < 1 || num > FIELD_MAX) {
        cpidl_error(p->ctx, f->number_pos, "field number %llu is out of range (1..536870911)",
                    (unsigned long long)num);
        return false;
    }
    f->number = (int32_t)num;
    cpidl_p_advance(p);
    cpidl_vec_t opts = {0};
    if (!cpidl_p_parse_option_list(p, OPT_FIELD, &opts))
        return false;
    if (!cpidl_p_expect_sym(p, ';'))
        return false;
    SETV(f->options, f->n_options, opts);
    cpidl_p_apply_bool(p, &opts, "deprecated", &f->deprecated);
    for (size_t i = 0; i < opts.n; i++) {
        cpidl_option_t *o = opts.items[i];
        if (o->is_extension)
            continue;
        if (strcmp(o->name, "default") == 0 && p->file->syntax == CPIDL_SYNTAX_PROTO3) {
            cpidl_error(p->ctx, o->pos, "explicit default values are not allowed in proto3");
            continue;
        }
        if (strcmp(o->name, "packed") == 0) {
            if (cpidl_p_option_bool(p, o, &f->packed))
                f->packed_explicit = true;
        } else if (strcmp(o->name, "default") == 0) {
            f->has_default = true;
            f->default_value = o->value;
        } else if (strcmp(o->name, "json_name") == 0) {
            if (o->value.kind != CPIDL_VALUE_STRING)
                cpidl_error(p->ctx, o->value.pos, "option 'json_name' must be a string");
            else
                f->json_name = o->value.text;
        }
    }
    if (f->json_name == NULL && (f->json_name = cpidl_json_name(p->A, f->name)) == NULL)
        longjmp(p->bail, 1);
    if (p->file->syntax == CPIDL_SYNTAX_PROTO2 && !labeled && oneof == NULL && !f->is_map) {
        cpidl_error(p->ctx, f->type_pos,
                    "missing label: proto2 fields need 'optional', 'required' or 'repeated'");
    }
    if (p->file->syntax == CPIDL_SYNTAX_PROTO3 && f->label == CPIDL_LABEL_OPTIONAL && labeled)
        f->proto3_optional = true;
    if (oneof != NULL) {
        f->label = CPIDL_LABEL_OPTIONAL;
        f->oneof = oneof;
        f->oneof_index = oneof->index;
        cpidl_p_push(p, oneof_fields, f);
    }
    if (f->is_map)
        f->message = map_entry(p, b, f, key, value);
    cpidl_p_push(p, &b->fields, f);
    return true;
}

static bool parse_oneof(parser_t *p, msg_build_t *b)
{
    cpidl_p_advance(p); /* oneof */
    cpidl_oneof_t *o = NEW(p, cpidl_oneof_t);
    o->parent = b->m;
    o->index = (int)b->oneofs.n;
    if (!cpidl_p_expect_ident(p, &o->name, &o->pos, "a oneof name") || !cpidl_p_expect_sym(p, '{'))
        return false;
    cpidl_p_enter(p, o->pos);
    cpidl_vec_t fields = {0}, opts = {0};
    while (!cpidl_p_is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok;
        if (cpidl_p_is_sym(p, ';')) {
            cpidl_p_advance(p);
            continue;
        }
        if (cpidl_p_is_kw(p, "option"))
            ok = cpidl_p_parse_option_stmt(p, OPT_ONEOF, &opts);
        else
            ok = parse_field(p, b, o, &fields);
        if (!ok)
            cpidl_p_sync(p);
    }
    p->depth--;
    SETV(o->fields, o->n_fields, fields);
    SETV(o->options, o->n_options, opts);
    cpidl_p_push(p, &b->oneofs, o);
    return cpidl_p_expect_sym(p, '}');
}

/* `extend Foo { ... }`: parsed only far enough to skip it. */
static bool parse_extend(parser_t *p)
{
    cpidl_pos_t pos = cpidl_p_tok_pos(p, &p->tok);
    cpidl_p_advance(p);
    char *name;
    cpidl_pos_t npos;
    if (!cpidl_p_parse_full_ident(p, true, &name, &npos, "a message name"))
        return false;
    if (!cpidl_p_is_sym(p, '{')) {
        cpidl_p_error_expected(p, "'{'");
        return false;
    }
    /* Extending descriptor.proto's option messages is how custom options
     * (protobuf-c's pb_c_file/pb_c_msg/pb_c_field among them) are declared;
     * the options themselves are kept by name on each node, so such an
     * extend is skipped silently. Any other extension is not supported. */
    if (!cpidl_p_is_descriptor_options(name))
        cpidl_warning(p->ctx, pos, "extensions are not supported; 'extend %s' is ignored", name);
    size_t depth = 0;
    do {
        if (cpidl_p_is_sym(p, '{'))
            depth++;
        else if (cpidl_p_is_sym(p, '}'))
            depth--;
        cpidl_p_advance(p);
    } while (depth > 0 && p->tok.kind != CPIDL_TOK_EOF);
    if (depth > 0) {
        cpidl_p_error_expected(p, "'}'");
        return false;
    }
    return true;
}

static bool parse_message_body_item(parser_t *p, msg_build_t *b)
{
    if (cpidl_p_is_kw(p, "message"))
        return parse_message(p, b->m, &b->messages);
    if (cpidl_p_is_kw(p, "enum"))
        return parse_enum(p, b->m, &b->enums);
    if (cpidl_p_is_kw(p, "oneof"))
        return parse_oneof(p, b);
    if (cpidl_p_is_kw(p, "option"))
        return cpidl_p_parse_option_stmt(p, OPT_MESSAGE, &b->options);
    if (cpidl_p_is_kw(p, "reserved"))
        return parse_reserved(p, &b->ranges, &b->names, 1, FIELD_MAX, false);
    if (cpidl_p_is_kw(p, "extensions")) {
        cpidl_p_advance(p);
        if (!parse_ranges(p, &b->ext, 1, FIELD_MAX, false, "extension"))
            return false;
        cpidl_vec_t opts = {0};
        if (!cpidl_p_parse_option_list(p, OPT_RANGE, &opts))
            return false;
        return cpidl_p_expect_sym(p, ';');
    }
    if (cpidl_p_is_kw(p, "extend"))
        return parse_extend(p);
    if (p->tok.kind == CPIDL_TOK_IDENT || cpidl_p_is_sym(p, '.'))
        return parse_field(p, b, NULL, NULL);
    cpidl_p_error_expected(p, "a field, 'message', 'enum', 'oneof', 'option' or 'reserved'");
    return false;
}

static bool parse_message(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into)
{
    msg_build_t b = {0};
    b.m = NEW(p, cpidl_message_t);
    b.m->leading_comment = p->tok_doc;
    b.m->file = p->file;
    b.m->parent = parent;
    cpidl_p_advance(p); /* message */
    if (!cpidl_p_expect_ident(p, &b.m->name, &b.m->pos, "a message name"))
        return false;
    if (!cpidl_p_expect_sym(p, '{'))
        return false;
    cpidl_p_enter(p, b.m->pos);
    cpidl_p_push(p, into, b.m);
    cpidl_p_push(p, &p->all_messages, b.m);
    while (!cpidl_p_is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        if (cpidl_p_is_sym(p, ';')) {
            cpidl_p_advance(p);
            continue;
        }
        if (!parse_message_body_item(p, &b))
            cpidl_p_sync(p);
        finish_message(&b); /* keep the node consistent if we bail */
    }
    p->depth--;
    finish_message(&b);
    cpidl_p_apply_bool(p, &b.options, "deprecated", &b.m->deprecated);
    return cpidl_p_expect_sym(p, '}');
}

/* ---- enums ------------------------------------------------------------- */

static bool parse_enum_value(parser_t *p, cpidl_enum_t *e, cpidl_vec_t *values)
{
    cpidl_enum_value_t *v = NEW(p, cpidl_enum_value_t);
    v->leading_comment = p->tok_doc;
    v->parent = e;
    if (!cpidl_p_expect_ident(p, &v->name, &v->pos, "an enum value name") ||
        !cpidl_p_expect_sym(p, '='))
        return false;
    bool neg = false;
    if (cpidl_p_is_sym(p, '-')) {
        neg = true;
        cpidl_p_advance(p);
    }
    cpidl_pos_t npos = cpidl_p_tok_pos(p, &p->tok);
    uint64_t u;
    if (p->tok.kind != CPIDL_TOK_INT) {
        cpidl_p_error_expected(p, "an enum value number");
        return false;
    }
    if (!cpidl_p_int_value(p->tok.text, p->tok.len, &u) ||
        u > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
        cpidl_error(p->ctx, npos, "enum value '%s' is out of range for int32", v->name);
        return false;
    }
    cpidl_p_advance(p);
    v->number = neg ? (int32_t)(-(int64_t)u) : (int32_t)u;
    cpidl_vec_t opts = {0};
    if (!cpidl_p_parse_option_list(p, OPT_VALUE, &opts) || !cpidl_p_expect_sym(p, ';'))
        return false;
    SETV(v->options, v->n_options, opts);
    cpidl_p_apply_bool(p, &opts, "deprecated", &v->deprecated);
    cpidl_p_push(p, values, v);
    return true;
}

static bool parse_enum(parser_t *p, const cpidl_message_t *parent, cpidl_vec_t *into)
{
    cpidl_enum_t *e = NEW(p, cpidl_enum_t);
    e->leading_comment = p->tok_doc;
    e->file = p->file;
    e->parent = parent;
    cpidl_p_advance(p); /* enum */
    if (!cpidl_p_expect_ident(p, &e->name, &e->pos, "an enum name") || !cpidl_p_expect_sym(p, '{'))
        return false;
    cpidl_p_enter(p, e->pos);
    cpidl_p_push(p, into, e);
    cpidl_p_push(p, &p->all_enums, e);
    cpidl_vec_t values = {0}, ranges = {0}, names = {0}, opts = {0};
    while (!cpidl_p_is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok;
        if (cpidl_p_is_sym(p, ';')) {
            cpidl_p_advance(p);
            continue;
        }
        if (cpidl_p_is_kw(p, "option"))
            ok = cpidl_p_parse_option_stmt(p, OPT_ENUM, &opts);
        else if (cpidl_p_is_kw(p, "reserved"))
            ok = parse_reserved(p, &ranges, &names, INT32_MIN, INT32_MAX, true);
        else
            ok = parse_enum_value(p, e, &values);
        if (!ok)
            cpidl_p_sync(p);
        SETV(e->values, e->n_values, values);
    }
    p->depth--;
    SETV(e->values, e->n_values, values);
    SETV(e->reserved_ranges, e->n_reserved_ranges, ranges);
    SETV(e->reserved_names, e->n_reserved_names, names);
    SETV(e->options, e->n_options, opts);
    cpidl_p_apply_bool(p, &opts, "allow_alias", &e->allow_alias);
    cpidl_p_apply_bool(p, &opts, "deprecated", &e->deprecated);
    return cpidl_p_expect_sym(p, '}');
}

/* ---- actors and services ----------------------------------------------- */

static bool parse_rpc_type(parser_t *p, char **name, cpidl_pos_t *pos, bool *stream)
{
    if (!cpidl_p_expect_sym(p, '('))
        return false;
    if (cpidl_p_is_kw(p, "stream")) {
        cpidl_pos_t spos = cpidl_p_tok_pos(p, &p->tok);
        cpidl_p_advance(p);
        if (p->tok.kind == CPIDL_TOK_IDENT || cpidl_p_is_sym(p, '.')) {
            *stream = true;
            cpidl_error(
                p->ctx, spos,
                "streaming rpc is not supported: a cproc rpc is one request and one response");
        } else {
            *name = cpidl_p_pstrndup(p, "stream", 6);
            *pos = spos;
            return cpidl_p_expect_sym(p, ')');
        }
    }
    if (!cpidl_p_parse_full_ident(p, true, name, pos, "a message type"))
        return false;
    return cpidl_p_expect_sym(p, ')');
}

static bool parse_rpc(parser_t *p, cpidl_actor_t *a, cpidl_vec_t *methods)
{
    cpidl_method_t *m = NEW(p, cpidl_method_t);
    m->leading_comment = p->tok_doc;
    m->parent = a;
    cpidl_p_advance(p); /* rpc */
    if (!cpidl_p_expect_ident(p, &m->name, &m->pos, "an rpc name"))
        return false;
    if (!parse_rpc_type(p, &m->input_type_name, &m->input_pos, &m->client_streaming))
        return false;
    if (!cpidl_p_is_kw(p, "returns")) {
        cpidl_p_error_expected(p, "'returns'");
        return false;
    }
    cpidl_p_advance(p);
    if (!parse_rpc_type(p, &m->output_type_name, &m->output_pos, &m->server_streaming))
        return false;
    cpidl_vec_t opts = {0};
    if (cpidl_p_is_sym(p, '{')) {
        cpidl_p_advance(p);
        while (!cpidl_p_is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
            if (cpidl_p_is_sym(p, ';')) {
                cpidl_p_advance(p);
                continue;
            }
            if (!cpidl_p_is_kw(p, "option")) {
                cpidl_p_error_expected(p, "'option' or '}'");
                return false;
            }
            if (!cpidl_p_parse_option_stmt(p, OPT_METHOD, &opts))
                return false;
        }
        if (!cpidl_p_expect_sym(p, '}'))
            return false;
        if (cpidl_p_is_sym(p, ';'))
            cpidl_p_advance(p);
    } else if (!cpidl_p_expect_sym(p, ';')) {
        return false;
    }
    SETV(m->options, m->n_options, opts);
    cpidl_p_apply_bool(p, &opts, "deprecated", &m->deprecated);
    if (m->client_streaming || m->server_streaming)
        return true; /* reported; keep it out of the checked tree */
    cpidl_p_push(p, methods, m);
    return true;
}

static bool parse_actor(parser_t *p, cpidl_actor_kind_t kind)
{
    cpidl_actor_t *a = NEW(p, cpidl_actor_t);
    a->leading_comment = p->tok_doc;
    a->file = p->file;
    a->kind = kind;
    const char *kw = kind == CPIDL_ACTOR ? "actor" : "service";
    cpidl_p_advance(p);
    if (!cpidl_p_expect_ident(p, &a->name, &a->pos,
                              kind == CPIDL_ACTOR ? "an actor name" : "a service name") ||
        !cpidl_p_expect_sym(p, '{'))
        return false;
    cpidl_p_enter(p, a->pos);
    cpidl_p_push(p, &p->actors, a);
    cpidl_vec_t handlers = {0}, methods = {0}, routes = {0}, opts = {0};
    while (!cpidl_p_is_sym(p, '}') && p->tok.kind != CPIDL_TOK_EOF) {
        bool ok = true;
        if (cpidl_p_is_sym(p, ';')) {
            cpidl_p_advance(p);
            continue;
        }
        if (cpidl_p_is_kw(p, "option")) {
            ok = cpidl_p_parse_option_stmt(p, OPT_ACTOR, &opts);
        } else if (cpidl_p_is_kw(p, "rpc")) {
            ok = parse_rpc(p, a, &methods);
        } else if (cpidl_p_is_kw(p, "on") || cpidl_p_is_kw(p, "route")) {
            bool on = cpidl_p_is_kw(p, "on");
            if (kind == CPIDL_SERVICE) {
                cpidl_error(p->ctx, cpidl_p_tok_pos(p, &p->tok),
                            "'%s' is not allowed in a service; declare an actor instead",
                            on ? "on" : "route");
                ok = false;
            } else if (on) {
                cpidl_handler_t *h = NEW(p, cpidl_handler_t);
                h->leading_comment = p->tok_doc;
                h->parent = a;
                cpidl_p_advance(p);
                ok = cpidl_p_parse_full_ident(p, true, &h->type_name, &h->pos, "a message type") &&
                     cpidl_p_expect_sym(p, ';');
                if (ok)
                    cpidl_p_push(p, &handlers, h);
            } else {
                cpidl_route_t *r = NEW(p, cpidl_route_t);
                r->leading_comment = p->tok_doc;
                r->parent = a;
                cpidl_p_advance(p);
                size_t len;
                ok = cpidl_p_parse_string(p, &r->path, &len, &r->pos) && cpidl_p_expect_sym(p, ';');
                if (ok && (len == 0 || r->path[0] != '/')) {
                    cpidl_error(p->ctx, r->pos, "route path must start with '/'");
                    ok = false;
                    continue; /* the ';' is consumed */
                }
                if (ok && strlen(r->path) != len) {
                    cpidl_error(p->ctx, r->pos, "route path must not contain NUL bytes");
                    continue;
                }
                if (ok)
                    cpidl_p_push(p, &routes, r);
            }
        } else {
            char what[64];
            snprintf(what, sizeof what, "%s in %s",
                     kind == CPIDL_ACTOR ? "'on', 'rpc', 'route' or 'option'" : "'rpc' or 'option'",
                     kw);
            cpidl_p_error_expected(p, what);
            ok = false;
        }
        if (!ok)
            cpidl_p_sync(p);
    }
    p->depth--;
    SETV(a->handlers, a->n_handlers, handlers);
    SETV(a->methods, a->n_methods, methods);
    SETV(a->routes, a->n_routes, routes);
    SETV(a->options, a->n_options, opts);
    cpidl_p_apply_bool(p, &opts, "deprecated", &a->deprecated);
    cpidl_p_apply_mailbox(p, a, &opts, kw);
    cpidl_p_apply_loop_turns(p, a, &opts, kw);
    return cpidl_p_expect_sym(p, '}');
}

/* ---- file -------------------------------------------------------------- */

static bool parse_syntax(parser_t *p)
{
    cpidl_pos_t pos = cpidl_p_tok_pos(p, &p->tok);
    bool edition = cpidl_p_is_kw(p, "edition");
    cpidl_p_advance(p);
    if (!cpidl_p_expect_sym(p, '='))
        return false;
    char *s;
    size_t len;
    cpidl_pos_t spos;
    if (!cpidl_p_parse_string(p, &s, &len, &spos))
        return false;
    if (!cpidl_p_expect_sym(p, ';'))
        return false;
    if (edition) {
        cpidl_error(p->ctx, pos,
                    "editions are not supported; use syntax = \"proto2\" or \"proto3\"");
        return true;
    }
    if (p->seen_statement)
        cpidl_error(p->ctx, pos, "the syntax statement must be the first statement of the file");
    if (strcmp(s, "proto2") == 0 && len == 6) {
        p->file->syntax = CPIDL_SYNTAX_PROTO2;
    } else if (strcmp(s, "proto3") == 0 && len == 6) {
        p->file->syntax = CPIDL_SYNTAX_PROTO3;
    } else {
        char shown[40];
        size_t n = 0;
        for (size_t i = 0; i < len && n + 4 < sizeof shown; i++)
            shown[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        shown[n] = '\0';
        cpidl_error(p->ctx, spos, "unknown syntax \"%s\"; expected \"proto2\" or \"proto3\"",
                    shown);
        return true;
    }
    p->file->has_syntax = true;
    return true;
}

static bool parse_import(parser_t *p)
{
    cpidl_p_advance(p);
    cpidl_import_t *im = NEW(p, cpidl_import_t);
    if (cpidl_p_is_kw(p, "public") || cpidl_p_is_kw(p, "weak")) {
        im->kind = cpidl_p_is_kw(p, "public") ? CPIDL_IMPORT_PUBLIC : CPIDL_IMPORT_WEAK;
        cpidl_p_advance(p);
    }
    size_t len;
    if (!cpidl_p_parse_string(p, &im->name, &len, &im->pos) || !cpidl_p_expect_sym(p, ';'))
        return false;
    if (len == 0 || strlen(im->name) != len) {
        cpidl_error(p->ctx, im->pos, "import name must be a non-empty path without NUL bytes");
        return true;
    }
    cpidl_p_push(p, &p->imports, im);
    return true;
}

static bool parse_package(parser_t *p)
{
    cpidl_pos_t pos = cpidl_p_tok_pos(p, &p->tok);
    cpidl_p_advance(p);
    char *name;
    cpidl_pos_t npos;
    if (!cpidl_p_parse_full_ident(p, false, &name, &npos, "a package name") ||
        !cpidl_p_expect_sym(p, ';'))
        return false;
    if (p->file->package_pos.line != 0) {
        cpidl_error(p->ctx, pos, "a file can have only one package statement");
        cpidl_note(p->ctx, p->file->package_pos, "the first package statement is here");
        return true;
    }
    p->file->package = name;
    p->file->package_pos = npos;
    return true;
}

static bool parse_top(parser_t *p)
{
    if (cpidl_p_is_kw(p, "syntax") || cpidl_p_is_kw(p, "edition"))
        return parse_syntax(p);
    p->seen_statement = true;
    if (cpidl_p_is_kw(p, "package"))
        return parse_package(p);
    if (cpidl_p_is_kw(p, "import"))
        return parse_import(p);
    if (cpidl_p_is_kw(p, "option"))
        return cpidl_p_parse_option_stmt(p, OPT_FILE, &p->options);
    if (cpidl_p_is_kw(p, "message"))
        return parse_message(p, NULL, &p->messages);
    if (cpidl_p_is_kw(p, "enum"))
        return parse_enum(p, NULL, &p->enums);
    if (cpidl_p_is_kw(p, "actor"))
        return parse_actor(p, CPIDL_ACTOR);
    if (cpidl_p_is_kw(p, "service"))
        return parse_actor(p, CPIDL_SERVICE);
    if (cpidl_p_is_kw(p, "extend"))
        return parse_extend(p);
    cpidl_p_error_expected(
        p, "'message', 'enum', 'actor', 'service', 'import', 'package', 'option' or 'syntax'");
    return false;
}

void cpidl_parse(cpidl_ctx_t *ctx, cpidl_file_t *file)
{
    parser_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        ctx->oom = true;
        return;
    }
    p->ctx = ctx;
    p->file = file;
    p->A = &ctx->arena;
    file->syntax = CPIDL_SYNTAX_PROTO2;
    if (file->package == NULL)
        file->package = "";
    cpidl_lexer_init(&p->lx, file->source, file->source_len);
    if (setjmp(p->bail) == 0) {
        cpidl_p_advance(p);
        while (p->tok.kind != CPIDL_TOK_EOF) {
            if (cpidl_p_is_sym(p, ';')) {
                cpidl_p_advance(p);
                continue;
            }
            if (!parse_top(p)) {
                cpidl_p_sync(p);
                /* A stray '}' at top level: the error is reported. */
                if (cpidl_p_is_sym(p, '}'))
                    cpidl_p_advance(p);
            }
        }
    }
    if (p->A->failed)
        ctx->oom = true;
    SETV(file->imports, file->n_imports, p->imports);
    SETV(file->options, file->n_options, p->options);
    SETV(file->messages, file->n_messages, p->messages);
    SETV(file->enums, file->n_enums, p->enums);
    SETV(file->actors, file->n_actors, p->actors);
    SETV(file->all_messages, file->n_all_messages, p->all_messages);
    SETV(file->all_enums, file->n_all_enums, p->all_enums);
    free(p);
}
