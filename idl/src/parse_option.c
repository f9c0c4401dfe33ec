/* Options: `option x = y;` and `[x = y]`, the known names, bool values. */
#include "parse_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- options ----------------------------------------------------------- */

static const char *const known_file[] = {"java_package",
                                         "java_outer_classname",
                                         "java_multiple_files",
                                         "java_generate_equals_and_hash",
                                         "java_string_check_utf8",
                                         "optimize_for",
                                         "go_package",
                                         "cc_generic_services",
                                         "java_generic_services",
                                         "py_generic_services",
                                         "php_generic_services",
                                         "deprecated",
                                         "cc_enable_arenas",
                                         "objc_class_prefix",
                                         "csharp_namespace",
                                         "swift_prefix",
                                         "php_class_prefix",
                                         "php_namespace",
                                         "php_metadata_namespace",
                                         "ruby_package",
                                         NULL};
static const char *const known_message[] = {"message_set_wire_format",
                                            "no_standard_descriptor_accessor",
                                            "deprecated",
                                            "map_entry",
                                            "deprecated_legacy_json_field_conflicts",
                                            NULL};
static const char *const known_field[] = {
    "ctype",   "packed",    "jstype",       "lazy",      "unverified_lazy", "deprecated", "weak",
    "default", "json_name", "debug_redact", "retention", "targets",         NULL};
static const char *const known_enum[] = {"allow_alias", "deprecated",
                                         "deprecated_legacy_json_field_conflicts", NULL};
static const char *const known_value[] = {"deprecated", "debug_redact", NULL};
static const char *const known_actor[] = {"deprecated", "loop_turns", "mailbox", "mailbox_policy",
                                          NULL};
static const char *const known_method[] = {"deprecated", "idempotency_level", NULL};
static const char *const known_none[] = {NULL};

static const char *const *known_for(opt_kind_t k, const char **what)
{
    switch (k) {
    case OPT_FILE:
        *what = "file";
        return known_file;
    case OPT_MESSAGE:
        *what = "message";
        return known_message;
    case OPT_FIELD:
        *what = "field";
        return known_field;
    case OPT_ONEOF:
        *what = "oneof";
        return known_none;
    case OPT_ENUM:
        *what = "enum";
        return known_enum;
    case OPT_VALUE:
        *what = "enum value";
        return known_value;
    case OPT_ACTOR:
        *what = "actor";
        return known_actor;
    case OPT_METHOD:
        *what = "rpc";
        return known_method;
    case OPT_RANGE:
        *what = "extension range";
        return known_none;
    }
    *what = "";
    return known_none;
}

/* google.protobuf.FileOptions and the other *Options of descriptor.proto,
 * written fully qualified or not (inside package google.protobuf). */
bool cpidl_p_is_descriptor_options(const char *name)
{
    static const char *const names[] = {
        "FileOptions",  "MessageOptions", "FieldOptions",   "OneofOptions",
        "EnumOptions",  "EnumValueOptions", "ServiceOptions", "MethodOptions",
        "ExtensionRangeOptions", NULL,
    };
    if (name[0] == '.')
        name++;
    if (strncmp(name, "google.protobuf.", 16) == 0)
        name += 16;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* protobuf-c's own options (protobuf-c/protobuf-c.proto), which
 * cproc-gen reads by name. */
static bool is_pbc_option(const char *name)
{
    return strcmp(name, "(pb_c_file)") == 0 || strcmp(name, "(pb_c_msg)") == 0 ||
           strcmp(name, "(pb_c_field)") == 0;
}

/* `{ key: value ... }` given to one of protobuf-c's options (pb_c_file):
 * each scalar field becomes an option of its own, "(pb_c_file).key", as if
 * written `option (pb_c_file).key = value;`, appended to `opts`. The
 * braces are the current token. Returns false on a syntax error; a value
 * that is itself an aggregate makes the rest be skipped (*flat = false). */
static bool parse_aggregate_fields(parser_t *p, const char *ext, cpidl_vec_t *opts, bool *flat)
{
    *flat = true;
    cpidl_p_advance(p); /* '{' */
    while (!cpidl_p_is_sym(p, '}')) {
        if (p->tok.kind != CPIDL_TOK_IDENT) {
            cpidl_p_error_expected(p, "a field name or '}'");
            return false;
        }
        cpidl_option_t *o = NEW(p, cpidl_option_t);
        o->pos = cpidl_p_tok_pos(p, &p->tok);
        o->is_extension = true;
        char buf[256];
        int n = snprintf(buf, sizeof buf, "%s.%.*s", ext, (int)p->tok.len, p->tok.text);
        o->name = cpidl_p_pstrndup(p, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
        cpidl_p_advance(p);
        bool colon = cpidl_p_is_sym(p, ':');
        if (colon)
            cpidl_p_advance(p);
        if (cpidl_p_is_sym(p, '{'))
            *flat = false; /* a message value: kept as an aggregate */
        else if (!colon) {
            cpidl_p_error_expected(p, "':'");
            return false;
        }
        if (!cpidl_p_parse_constant(p, &o->value))
            return false;
        if (*flat)
            cpidl_p_push(p, opts, o);
        if (cpidl_p_is_sym(p, ',') || cpidl_p_is_sym(p, ';'))
            cpidl_p_advance(p);
        if (p->tok.kind == CPIDL_TOK_EOF) {
            cpidl_p_error_expected(p, "'}' closing the aggregate value");
            return false;
        }
    }
    cpidl_p_advance(p); /* '}' */
    return true;
}

/* name '=' constant, the part shared by `option` and `[...]`. An aggregate
 * value of (pb_c_file), (pb_c_msg) or (pb_c_field) also adds one option per
 * field to `opts` (parse_aggregate_fields); other aggregates are skipped. */
static cpidl_option_t *parse_option_body(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts)
{
    cpidl_option_t *o = NEW(p, cpidl_option_t);
    o->pos = cpidl_p_tok_pos(p, &p->tok);
    char buf[256];
    size_t n = 0;
    /* Option names: simple, dotted, or (extension.name) followed by .sub. */
    for (;;) {
        const char *part = NULL;
        size_t plen = 0;
        char *ext = NULL;
        if (cpidl_p_is_sym(p, '(')) {
            cpidl_p_advance(p);
            cpidl_pos_t pos;
            if (!cpidl_p_parse_full_ident(p, true, &ext, &pos, "an extension name"))
                return NULL;
            if (!cpidl_p_expect_sym(p, ')'))
                return NULL;
            if (n == 0)
                o->is_extension = true;
            if (n + strlen(ext) + 3 < sizeof buf) {
                buf[n++] = '(';
                memcpy(buf + n, ext, strlen(ext));
                n += strlen(ext);
                buf[n++] = ')';
            }
        } else if (p->tok.kind == CPIDL_TOK_IDENT) {
            part = p->tok.text;
            plen = p->tok.len;
            if (n + plen + 1 < sizeof buf) {
                memcpy(buf + n, part, plen);
                n += plen;
            }
            cpidl_p_advance(p);
        } else {
            cpidl_p_error_expected(p, "an option name");
            return NULL;
        }
        if (!cpidl_p_is_sym(p, '.'))
            break;
        cpidl_p_advance(p);
        if (n + 1 < sizeof buf)
            buf[n++] = '.';
    }
    buf[n] = '\0';
    o->name = cpidl_p_pstrndup(p, buf, n);
    if (!cpidl_p_expect_sym(p, '='))
        return NULL;
    if (o->is_extension && cpidl_p_is_sym(p, '{') && is_pbc_option(o->name)) {
        bool flat; /* whether every field was a scalar; nothing else to do */
        o->value.kind = CPIDL_VALUE_AGGREGATE;
        o->value.pos = cpidl_p_tok_pos(p, &p->tok);
        o->value.text = cpidl_p_pstrndup(p, "{...}", 5);
        o->value.len = 5;
        if (!parse_aggregate_fields(p, o->name, opts, &flat))
            return NULL;
        return o;
    }
    if (!cpidl_p_parse_constant(p, &o->value))
        return NULL;
    if (!o->is_extension) {
        const char *what;
        const char *const *known = known_for(kind, &what);
        bool found = false;
        const char *near = NULL;
        size_t best = 3; /* a hint for up to two edits: a typo, not another option */
        for (size_t i = 0; known[i] != NULL && !found; i++) {
            found = strcmp(known[i], o->name) == 0;
            size_t d = cpidl_edit_distance(o->name, known[i], best);
            if (d < best) {
                best = d;
                near = known[i];
            }
        }
        if (!found && near != NULL)
            cpidl_warning(p->ctx, o->pos, "unknown %s option '%s' is ignored; did you mean '%s'?",
                          what, o->name, near);
        else if (!found)
            cpidl_warning(p->ctx, o->pos, "unknown %s option '%s' is ignored", what, o->name);
    }
    return o;
}

/* `option name = value;` (the keyword is the current token). */
bool cpidl_p_parse_option_stmt(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts)
{
    cpidl_p_advance(p);
    cpidl_option_t *o = parse_option_body(p, kind, opts);
    if (o == NULL)
        return false;
    if (!cpidl_p_expect_sym(p, ';'))
        return false;
    cpidl_p_push(p, opts, o);
    return true;
}

/* `[a = 1, b = 2]` if present. */
bool cpidl_p_parse_option_list(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts)
{
    if (!cpidl_p_is_sym(p, '['))
        return true;
    cpidl_p_advance(p);
    for (;;) {
        cpidl_option_t *o = parse_option_body(p, kind, opts);
        if (o == NULL)
            return false;
        cpidl_p_push(p, opts, o);
        if (cpidl_p_is_sym(p, ','))
            cpidl_p_advance(p);
        else
            break;
    }
    return cpidl_p_expect_sym(p, ']');
}

bool cpidl_p_option_bool(parser_t *p, const cpidl_option_t *o, bool *out)
{
    if (o->value.kind == CPIDL_VALUE_IDENT &&
        (strcmp(o->value.text, "true") == 0 || strcmp(o->value.text, "false") == 0)) {
        *out = o->value.text[0] == 't';
        return true;
    }
    cpidl_error(p->ctx, o->value.pos, "option '%s' must be true or false", o->name);
    return false;
}

/* Apply the known options in `opts` whose name is `name` as a bool. */
void cpidl_p_apply_bool(parser_t *p, const cpidl_vec_t *opts, const char *name, bool *out)
{
    for (size_t i = 0; i < opts->n; i++) {
        const cpidl_option_t *o = opts->items[i];
        if (!o->is_extension && strcmp(o->name, name) == 0)
            cpidl_p_option_bool(p, o, out);
    }
}

/* `option mailbox = N;` and `option mailbox_policy = P;` of an actor. */
void cpidl_p_apply_mailbox(parser_t *p, cpidl_actor_t *a, const cpidl_vec_t *opts, const char *kw)
{
    const cpidl_option_t *bound = NULL, *policy = NULL;
    for (size_t i = 0; i < opts->n; i++) {
        const cpidl_option_t *o = opts->items[i];
        bool is_bound = !o->is_extension && strcmp(o->name, "mailbox") == 0;
        bool is_policy = !o->is_extension && strcmp(o->name, "mailbox_policy") == 0;
        if (!is_bound && !is_policy)
            continue;
        if (a->kind == CPIDL_SERVICE) {
            cpidl_error(p->ctx, o->pos,
                        "option '%s' is for actors; a %s has no mailbox", o->name, kw);
            continue;
        }
        const cpidl_option_t **slot = is_bound ? &bound : &policy;
        if (*slot != NULL) {
            cpidl_error(p->ctx, o->pos, "option '%s' is set twice in %s '%s'", o->name, kw,
                        a->name);
            continue;
        }
        *slot = o;
        if (is_bound) {
            const cpidl_value_t *v = &o->value;
            if (v->kind != CPIDL_VALUE_INT || v->negative || v->uint_value == 0 ||
                v->uint_value > (UINT64_C(1) << 31))
                cpidl_error(p->ctx, v->pos,
                            "option 'mailbox' must be an integer from 1 to 2147483648 (events "
                            "the mailbox holds)");
            else
                a->mailbox = (uint32_t)v->uint_value;
        } else if (o->value.kind == CPIDL_VALUE_IDENT && strcmp(o->value.text, "reject") == 0) {
            a->mailbox_policy = CPIDL_MAILBOX_REJECT;
        } else if (o->value.kind == CPIDL_VALUE_IDENT &&
                   strcmp(o->value.text, "drop_oldest") == 0) {
            a->mailbox_policy = CPIDL_MAILBOX_DROP_OLDEST;
        } else {
            cpidl_error(p->ctx, o->value.pos,
                        "option 'mailbox_policy' must be 'reject' or 'drop_oldest'");
        }
    }
    if (policy != NULL && bound == NULL && a->kind == CPIDL_ACTOR)
        cpidl_error(p->ctx, policy->pos,
                    "option 'mailbox_policy' needs a bound: add 'option mailbox = N;' to %s '%s'",
                    kw, a->name);
}

/* `option loop_turns = true|false;` of an actor: once, a bool, not in a
 * service. */
void cpidl_p_apply_loop_turns(parser_t *p, cpidl_actor_t *a, const cpidl_vec_t *opts,
                              const char *kw)
{
    const cpidl_option_t *seen = NULL;
    for (size_t i = 0; i < opts->n; i++) {
        const cpidl_option_t *o = opts->items[i];
        if (o->is_extension || strcmp(o->name, "loop_turns") != 0)
            continue;
        if (a->kind == CPIDL_SERVICE) {
            cpidl_error(p->ctx, o->pos,
                        "option 'loop_turns' is for actors; declare 'actor %s' instead of a %s",
                        a->name, kw);
            continue;
        }
        if (seen != NULL) {
            cpidl_error(p->ctx, o->pos, "option '%s' is set twice in %s '%s'", o->name, kw,
                        a->name);
            continue;
        }
        seen = o;
        cpidl_p_option_bool(p, o, &a->loop_turns);
    }
}
