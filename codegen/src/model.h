/*
 * The generator's view of one input file: the messages, enums and actors
 * it must emit, with every C name already computed. model_from_ast.c builds
 * it from the checked cpidl AST; the emitters only read it. Keeping the
 * emitters off the AST lets them be tested on hand-built models and keeps
 * the protoc-c naming rules in one place (names.c).
 *
 * Ownership: everything hangs off a cpgen_file_t and is released by
 * cpgen_file_free(). Strings are NUL-terminated heap copies unless noted.
 */
#ifndef CPGEN_MODEL_H
#define CPGEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Same order and meaning as ProtobufCType, so the emitter can map 1:1. */
typedef enum cpgen_type {
    CPGEN_TYPE_INT32,
    CPGEN_TYPE_SINT32,
    CPGEN_TYPE_SFIXED32,
    CPGEN_TYPE_INT64,
    CPGEN_TYPE_SINT64,
    CPGEN_TYPE_SFIXED64,
    CPGEN_TYPE_UINT32,
    CPGEN_TYPE_FIXED32,
    CPGEN_TYPE_UINT64,
    CPGEN_TYPE_FIXED64,
    CPGEN_TYPE_FLOAT,
    CPGEN_TYPE_DOUBLE,
    CPGEN_TYPE_BOOL,
    CPGEN_TYPE_ENUM,
    CPGEN_TYPE_STRING,
    CPGEN_TYPE_BYTES,
    CPGEN_TYPE_MESSAGE,
} cpgen_type_t;

typedef enum cpgen_label {
    CPGEN_LABEL_NONE,     /* proto3 implicit presence */
    CPGEN_LABEL_OPTIONAL, /* proto2 optional, proto3 `optional`, oneof */
    CPGEN_LABEL_REQUIRED,
    CPGEN_LABEL_REPEATED,
} cpgen_label_t;

/* Where a declaration is in its source file, for diagnostics: `path` is
 * borrowed from the cpidl program (NULL in hand-built models). */
typedef struct cpgen_pos {
    const char *path;
    uint32_t line;
    uint32_t col;
} cpgen_pos_t;

/* C names of a named type, computed once by cpgen_names_fill(). */
typedef struct cpgen_names {
    char *full;  /* "pkg.Outer.Inner" */
    char *short_name; /* "Inner" */
    char *c;     /* "Pkg__Outer__Inner" */
    char *upper; /* "PKG__OUTER__INNER" */
    char *lower; /* "pkg__outer__inner" */
} cpgen_names_t;

typedef struct cpgen_enum_value {
    char *name;   /* as written: "RED" */
    char *c_name; /* "PKG__COLOR__RED" */
    int32_t number;
    cpgen_pos_t pos;
} cpgen_enum_value_t;

typedef struct cpgen_enum {
    cpgen_names_t names;
    char *package;
    cpgen_enum_value_t *values; /* source order */
    size_t n_values;
    char *comment; /* the source's leading comment, or NULL */
    bool code_size; /* optimize_for = CODE_SIZE: no names in the descriptor */
    cpgen_pos_t pos;
} cpgen_enum_t;

typedef struct cpgen_message cpgen_message_t;

typedef struct cpgen_field {
    char *name;   /* proto name, used in descriptors */
    char *member; /* C member: lower-cased, keyword-safe */
    int32_t number;
    cpgen_label_t label;
    cpgen_type_t type;
    const cpgen_message_t *message; /* CPGEN_TYPE_MESSAGE only (borrowed) */
    const cpgen_enum_t *enumeration; /* CPGEN_TYPE_ENUM only (borrowed) */
    bool packed;
    bool deprecated;
    int oneof;    /* index into the message's oneofs, or -1 */
    /* The name in the field descriptor: `name`, or the oneof's name under
     * protoc-c's use_oneof_field_name (borrowed, never NULL once built). */
    const char *desc_name;
    /* proto2 [default=...]: */
    bool has_default;
    char *default_text;    /* numeric literal, "inf"/"-inf"/"nan", enum value name */
    unsigned char *default_bytes; /* decoded string/bytes default */
    size_t default_len;
    char *comment; /* the source's leading comment, or NULL */
    cpgen_pos_t pos;
} cpgen_field_t;

typedef struct cpgen_oneof {
    char *name;        /* proto name: "choice" */
    char *case_member; /* "choice_case" */
    char *case_type;   /* "Pkg__Msg__ChoiceCase" */
    char *case_upper;  /* "PKG__MSG__CHOICE" (values are this + "_" + FIELD) */
    cpgen_pos_t pos;
} cpgen_oneof_t;

struct cpgen_message {
    cpgen_names_t names;
    char *package;
    cpgen_field_t *fields; /* source order */
    size_t n_fields;
    cpgen_oneof_t *oneofs;
    size_t n_oneofs;
    bool map_entry;
    bool proto3; /* declared in a proto3 file */
    char *comment; /* the source's leading comment, or NULL */
    /* protoc-c's options as they apply to this message (docs/codegen.md,
     * "protoc-c options"); all false/NULL gives the plain output. */
    bool skip_pack;     /* no __get_packed_size/__pack/__pack_to_buffer/__unpack/__free_unpacked */
    bool skip_init;     /* no __init function (the descriptor's init is NULL) */
    bool const_strings; /* string members are `const char *` */
    bool code_size;     /* optimize_for = CODE_SIZE: no names in descriptors */
    char *base;         /* the ProtobufCMessage member when not "base" (base_field_name) */
    cpgen_pos_t pos;
};

/* A message an actor names (`on Msg`, an rpc's request or response); it
 * may come from an imported file, so the actor keeps its names. */
typedef struct cpgen_actor_msg {
    cpgen_names_t names;
    char *member; /* handler member for `on`: "on_ping" */
    cpgen_pos_t pos; /* of the `on` (or of the rpc's type name) */
} cpgen_actor_msg_t;

typedef struct cpgen_rpc {
    char *name;   /* as written: "GetStats" */
    char *member; /* "get_stats" */
    cpgen_actor_msg_t request, response;
    cpgen_pos_t pos;
} cpgen_rpc_t;

typedef struct cpgen_route {
    char *path;   /* "/stats" */
    char *member; /* "route_stats" */
    cpgen_pos_t pos;
} cpgen_route_t;

/* An actor (or a .proto service, which has rpcs only), for emit_actor.c. */
typedef struct cpgen_actor {
    cpgen_names_t names;
    /* A .proto `service` also gets protoc-c's ProtobufCService API under
     * service_names (protoc-c's names); `names` then name cproc's actor
     * stubs with "_actor" after the service name (pkg__svc_actor__spawn),
     * clear of protoc-c's pkg__svc__<rpc> callers. */
    bool service;
    cpgen_names_t service_names;
    const void *ast; /* the cpidl actor node (borrowed from the AST) */
    cpgen_actor_msg_t *on; /* source order */
    size_t n_on;
    cpgen_rpc_t *rpcs;
    size_t n_rpcs;
    cpgen_route_t *routes;
    size_t n_routes;
    uint32_t mailbox;   /* `option mailbox`: 0 unbounded */
    bool drop_oldest;   /* `option mailbox_policy = drop_oldest` */
    bool loop_turns;    /* `option loop_turns = true` */
    cpgen_pos_t pos;
} cpgen_actor_t;

/* Fill an actor's `on`, rpc and route entries (model_actor.c). The names of
 * messages are those of full proto names such as "pkg.Outer.Inner" with
 * `package` given separately. */
void cpgen_actor_add_on(cpgen_actor_t *a, const char *package, const char *scoped);
void cpgen_actor_add_rpc(cpgen_actor_t *a, const char *name, const char *req_package,
                         const char *req_scoped, const char *res_package, const char *res_scoped);
void cpgen_actor_add_route(cpgen_actor_t *a, const char *path);
/* Release what an actor owns (not the struct itself). */
void cpgen_actor_close(cpgen_actor_t *a);

typedef struct cpgen_file {
    char *source;      /* path as given on the command line */
    char *base;        /* output base name without directory: "ping" */
    char *suffix;      /* ".actor" or ".pb-cproc" */
    char *header_name; /* "ping.actor.h" (for .proto input: "ping.pb-cproc.h") */
    char *guard;       /* "CPGEN_PING_ACTOR_H" */
    /* .proto input only: the protobuf-c-only pair, named as protoc-c names
     * it ("ping.pb-c.h", or "dir/ping.pb-c.h" in --protoc-c mode) */
    char *pbc_header;
    char *pbc_guard;   /* "PROTOBUF_C_ping_2eproto__INCLUDED" */
    /* Include imported files' headers by their import path ("dir/x.pb-c.h",
     * as protoc-c) rather than by base name ("x.pb-c.h"). */
    bool import_paths;
    char *package;     /* "" when none */
    bool proto3;
    /* Imported files as named in `import` ("google/protobuf/any.proto"), in
     * import order, except those protoc-c would not include (no_generate). */
    char **includes;
    size_t n_includes;
    bool no_generate;  /* option (pb_c_file).no_generate = true */
    bool code_size;    /* option optimize_for = CODE_SIZE */
    /* Every enum and message of the file, nested ones included, in source
     * order (an outer message before its nested types). */
    cpgen_enum_t **enums;
    size_t n_enums;
    cpgen_message_t **messages;
    size_t n_messages;
    cpgen_actor_t *actors;
    size_t n_actors;
    /* Types of imported files that fields refer to: names (and enum values)
     * only, never emitted. */
    cpgen_enum_t **extern_enums;
    size_t n_extern_enums;
    cpgen_message_t **extern_messages;
    size_t n_extern_messages;
    /* What the borrowed AST pointers (actors[i].ast) live in, released last
     * by cpgen_file_free() with owner_free (the cpidl program). */
    void *owner;
    void (*owner_free)(void *owner);
} cpgen_file_t;

/* Release a file model and everything it owns. NULL is allowed. */
void cpgen_file_free(cpgen_file_t *file);

#endif
