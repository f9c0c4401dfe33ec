/* Internal to the parser: its state and the helpers shared by the token
 * layer (parse_util.c), literals (parse_literal.c), options
 * (parse_option.c) and the grammar (parser.c). */
#ifndef CPIDL_PARSE_INTERNAL_H
#define CPIDL_PARSE_INTERNAL_H

#include <setjmp.h>

#include "lexer.h"
#include "parser.h"

enum { FIELD_MAX = 536870911 };

typedef enum opt_kind {
    OPT_FILE,
    OPT_MESSAGE,
    OPT_FIELD,
    OPT_ONEOF,
    OPT_ENUM,
    OPT_VALUE,
    OPT_ACTOR,
    OPT_METHOD,
    OPT_RANGE,
} opt_kind_t;

typedef struct parser {
    cpidl_ctx_t *ctx;
    cpidl_file_t *file;
    cpidl_arena_t *A;
    cpidl_lexer_t lx;
    cpidl_token_t tok;
    char *tok_doc;      /* comment block attached to `tok` */
    char *doc;          /* comment block being gathered */
    uint32_t doc_end;   /* last line of `doc` */
    uint32_t prev_line; /* line where the previous token ended */
    unsigned depth;
    bool seen_statement;
    jmp_buf bail; /* out of memory, nesting too deep, too many errors */
    cpidl_vec_t imports, options, messages, enums, actors, all_messages, all_enums;
} parser_t;

#define SETV(dst, ndst, vec)                                                                       \
    do {                                                                                           \
        (dst) = (void *)(vec).items;                                                               \
        (ndst) = (vec).n;                                                                          \
    } while (0)

#define NEW(p, T) ((T *)cpidl_p_palloc((p), sizeof(T)))

void *cpidl_p_palloc(parser_t *p, size_t size);
char *cpidl_p_pstrndup(parser_t *p, const char *s, size_t n);
void cpidl_p_push(parser_t *p, cpidl_vec_t *v, void *item);
cpidl_pos_t cpidl_p_tok_pos(parser_t *p, const cpidl_token_t *t);
void cpidl_p_check_bail(parser_t *p);
void cpidl_p_advance(parser_t *p);
bool cpidl_p_is_sym(parser_t *p, char c);
bool cpidl_p_is_kw(parser_t *p, const char *kw);
const char *cpidl_p_tok_desc(parser_t *p, char *buf, size_t size);
void cpidl_p_error_expected(parser_t *p, const char *what);
bool cpidl_p_expect_sym(parser_t *p, char c);
void cpidl_p_sync(parser_t *p);
char *cpidl_p_tok_str(parser_t *p);
bool cpidl_p_expect_ident(parser_t *p, char **out, cpidl_pos_t *pos, const char *what);
void cpidl_p_enter(parser_t *p, cpidl_pos_t at);
bool cpidl_p_int_value(const char *s, size_t n, uint64_t *out);
bool cpidl_p_parse_string(parser_t *p, char **out, size_t *out_len, cpidl_pos_t *pos);
bool cpidl_p_parse_full_ident(parser_t *p, bool allow_dot, char **out, cpidl_pos_t *pos,
                              const char *what);
bool cpidl_p_parse_constant(parser_t *p, cpidl_value_t *v);
bool cpidl_p_parse_option_stmt(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts);
bool cpidl_p_parse_option_list(parser_t *p, opt_kind_t kind, cpidl_vec_t *opts);
bool cpidl_p_option_bool(parser_t *p, const cpidl_option_t *o, bool *out);
/* Whether `name` (as written in `extend NAME`) is one of descriptor.proto's
 * option messages (google.protobuf.FileOptions, ...). */
bool cpidl_p_is_descriptor_options(const char *name);
void cpidl_p_apply_bool(parser_t *p, const cpidl_vec_t *opts, const char *name, bool *out);
/* The mailbox options of actor `a` (`kw`: "actor" or "service"), checked. */
void cpidl_p_apply_mailbox(parser_t *p, cpidl_actor_t *a, const cpidl_vec_t *opts, const char *kw);
/* `option loop_turns` of actor `a`, checked (once, true or false, actors
 * only). */
void cpidl_p_apply_loop_turns(parser_t *p, cpidl_actor_t *a, const cpidl_vec_t *opts,
                              const char *kw);

#endif
