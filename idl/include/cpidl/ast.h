/*
 * cpidl — the checked AST of an IDL program (.actor and .proto files).
 *
 * Everything here is produced by cpidl_load() (cpidl.h) and owned by the
 * cpidl_program_t it returns: every pointer, string and array stays valid
 * until cpidl_program_free(). Readers never modify the tree; it may be read
 * from several threads at once.
 *
 * Arrays are arrays of pointers (`T **items; size_t n_items;`) in source
 * order. Strings are NUL-terminated; a string literal that may hold NUL
 * bytes also carries its length. Positions are 1-based line and column
 * (columns count bytes) in the file named by `path`.
 *
 * Type references are resolved: a field, `on` handler or rpc whose type is
 * a message or enum points at that node and carries its full name with a
 * leading dot (".pkg.Outer.Inner"), as protoc's descriptors do.
 *
 * Stability: this layout only grows (new members at the end of structs,
 * new enum constants at the end).
 */
#ifndef CPIDL_AST_H
#define CPIDL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpidl_file cpidl_file_t;
typedef struct cpidl_message cpidl_message_t;
typedef struct cpidl_enum cpidl_enum_t;
typedef struct cpidl_actor cpidl_actor_t;

/* A place in a source file. `path` is the file's path as opened (borrowed
 * from the program). */
typedef struct cpidl_pos {
    const char *path;
    uint32_t line;
    uint32_t col;
} cpidl_pos_t;

typedef enum cpidl_syntax {
    CPIDL_SYNTAX_PROTO2 = 2, /* also the default when `syntax` is absent */
    CPIDL_SYNTAX_PROTO3 = 3,
} cpidl_syntax_t;

/* Field types, numbered as google.protobuf.FieldDescriptorProto.Type. */
typedef enum cpidl_type {
    CPIDL_TYPE_DOUBLE = 1,
    CPIDL_TYPE_FLOAT = 2,
    CPIDL_TYPE_INT64 = 3,
    CPIDL_TYPE_UINT64 = 4,
    CPIDL_TYPE_INT32 = 5,
    CPIDL_TYPE_FIXED64 = 6,
    CPIDL_TYPE_FIXED32 = 7,
    CPIDL_TYPE_BOOL = 8,
    CPIDL_TYPE_STRING = 9,
    CPIDL_TYPE_GROUP = 10, /* never in a checked AST (groups are rejected) */
    CPIDL_TYPE_MESSAGE = 11,
    CPIDL_TYPE_BYTES = 12,
    CPIDL_TYPE_UINT32 = 13,
    CPIDL_TYPE_ENUM = 14,
    CPIDL_TYPE_SFIXED32 = 15,
    CPIDL_TYPE_SFIXED64 = 16,
    CPIDL_TYPE_SINT32 = 17,
    CPIDL_TYPE_SINT64 = 18,
} cpidl_type_t;

typedef enum cpidl_label {
    CPIDL_LABEL_NONE = 0,     /* proto3 field without a label (implicit presence) */
    CPIDL_LABEL_OPTIONAL = 1, /* proto2 `optional`, proto3 `optional`, oneof members */
    CPIDL_LABEL_REQUIRED = 2, /* proto2 only */
    CPIDL_LABEL_REPEATED = 3, /* also map fields */
} cpidl_label_t;

/* The value of an option or of a field default. */
typedef enum cpidl_value_kind {
    CPIDL_VALUE_IDENT = 0,     /* true, false, an enum value name, inf, nan: in `text` */
    CPIDL_VALUE_INT = 1,       /* `uint_value` is the magnitude; see `negative` */
    CPIDL_VALUE_FLOAT = 2,     /* `float_value` (sign applied); also -inf/-nan */
    CPIDL_VALUE_STRING = 3,    /* decoded bytes in `text`, length `len` (may hold NULs) */
    CPIDL_VALUE_AGGREGATE = 4, /* `{ ... }`: parsed and skipped; `text` is "{...}" */
} cpidl_value_kind_t;

typedef struct cpidl_value {
    cpidl_value_kind_t kind;
    cpidl_pos_t pos;
    /* IDENT/STRING/AGGREGATE: the identifier or decoded bytes. INT/FLOAT:
     * the literal as written, sign included ("-0x10", "1e3", "-inf"). */
    char *text;
    size_t len;          /* strlen(text) except for STRING, where NULs may occur */
    bool negative;       /* INT and FLOAT: a leading '-' was written */
    uint64_t uint_value; /* INT: the magnitude (no sign) */
    double float_value;  /* FLOAT: the value; INT: converted; IDENT inf/nan: INFINITY/NAN */
} cpidl_value_t;

/* `option name = value;` or `[name = value]`. `name` is as written with
 * whitespace removed: "java_package", "(my.ext).field". Known options are
 * also applied to the owning node's members (packed, deprecated, ...);
 * every option is kept here. */
typedef struct cpidl_option {
    cpidl_pos_t pos;
    char *name;
    bool is_extension; /* the name starts with '(' */
    cpidl_value_t value;
} cpidl_option_t;

/* A reserved or extension range; `end` is inclusive (`max` gives
 * 536870911 for messages, INT32_MAX for enums). */
typedef struct cpidl_range {
    cpidl_pos_t pos;
    int64_t start;
    int64_t end;
} cpidl_range_t;

typedef struct cpidl_reserved_name {
    cpidl_pos_t pos;
    char *name;
} cpidl_reserved_name_t;

typedef struct cpidl_oneof cpidl_oneof_t;

typedef struct cpidl_field {
    cpidl_pos_t pos; /* of the field name */
    char *name;
    char *json_name; /* [json_name=...] or protoc's lowerCamelCase of `name` */
    int32_t number;
    cpidl_pos_t number_pos;
    cpidl_label_t label;
    bool proto3_optional; /* proto3 `optional` (explicit presence) */
    cpidl_type_t type;
    /* The type as written ("int32", "Foo.Bar", ".pkg.Foo") and where. For a
     * map field: "map<K, V>". */
    char *type_name;
    cpidl_pos_t type_pos;
    /* CPIDL_TYPE_MESSAGE / CPIDL_TYPE_ENUM: the resolved node and its full
     * name (".pkg.Outer.Inner"); NULL for scalars. */
    const cpidl_message_t *message;
    const cpidl_enum_t *enumeration;
    char *type_full_name;
    const cpidl_message_t *parent; /* the message holding the field */
    const cpidl_oneof_t *oneof;    /* NULL unless a oneof member */
    int oneof_index;               /* index in parent->oneofs, or -1 */
    /* map<K,V>: `message` is the synthesized entry (map_entry = true,
     * key = 1, value = 2) and `label` is REPEATED. */
    bool is_map;
    bool packed;          /* effective: proto3 packs repeated scalars by default */
    bool packed_explicit; /* [packed=...] was written */
    bool deprecated;
    bool has_default;            /* proto2 [default=...] */
    cpidl_value_t default_value; /* valid when has_default */
    /* ENUM default: the named value (NULL otherwise). */
    const struct cpidl_enum_value *default_enum_value;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment; /* comment block right above, or NULL */
} cpidl_field_t;

struct cpidl_oneof {
    cpidl_pos_t pos;
    char *name;
    int index; /* in parent->oneofs */
    const cpidl_message_t *parent;
    cpidl_field_t **fields; /* borrowed: the members, also in parent->fields */
    size_t n_fields;
    /* proto3 `optional` fields are not given a synthetic oneof here: they
     * have oneof == NULL and proto3_optional == true. */
    cpidl_option_t **options;
    size_t n_options;
};

typedef struct cpidl_enum_value {
    cpidl_pos_t pos;
    char *name;
    int32_t number;
    const cpidl_enum_t *parent;
    bool deprecated;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment;
} cpidl_enum_value_t;

struct cpidl_enum {
    cpidl_pos_t pos; /* of the name */
    char *name;
    char *full_name; /* ".pkg.Outer.Color" */
    const cpidl_file_t *file;
    const cpidl_message_t *parent; /* enclosing message or NULL */
    cpidl_enum_value_t **values;   /* source order */
    size_t n_values;
    bool allow_alias;
    bool deprecated;
    cpidl_range_t **reserved_ranges;
    size_t n_reserved_ranges;
    cpidl_reserved_name_t **reserved_names;
    size_t n_reserved_names;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment;
};

struct cpidl_message {
    cpidl_pos_t pos; /* of the name */
    char *name;
    char *full_name; /* ".pkg.Outer.Inner" */
    const cpidl_file_t *file;
    const cpidl_message_t *parent; /* enclosing message or NULL */
    cpidl_field_t **fields;        /* source order, oneof members included */
    size_t n_fields;
    cpidl_oneof_t **oneofs;
    size_t n_oneofs;
    cpidl_message_t **messages; /* nested, source order (map entries included) */
    size_t n_messages;
    cpidl_enum_t **enums; /* nested, source order */
    size_t n_enums;
    cpidl_range_t **reserved_ranges;
    size_t n_reserved_ranges;
    cpidl_reserved_name_t **reserved_names;
    size_t n_reserved_names;
    cpidl_range_t **extension_ranges; /* `extensions` */
    size_t n_extension_ranges;
    bool map_entry; /* synthesized for a map<K,V> field ("XxxEntry") */
    bool deprecated;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment;
};

/* `on Msg;` in an actor. */
typedef struct cpidl_handler {
    cpidl_pos_t pos;                /* of the type name */
    char *type_name;                /* as written */
    const cpidl_message_t *message; /* resolved */
    char *type_full_name;           /* ".pkg.Ping" */
    const cpidl_actor_t *parent;
    char *leading_comment;
} cpidl_handler_t;

/* `rpc Name(Req) returns (Res);` */
typedef struct cpidl_method {
    cpidl_pos_t pos; /* of the name */
    char *name;
    const cpidl_actor_t *parent;
    char *input_type_name; /* as written */
    cpidl_pos_t input_pos;
    const cpidl_message_t *input;
    char *input_full_name;
    char *output_type_name;
    cpidl_pos_t output_pos;
    const cpidl_message_t *output;
    char *output_full_name;
    /* `stream` is parsed and rejected: always false in a checked AST. */
    bool client_streaming;
    bool server_streaming;
    bool deprecated;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment;
} cpidl_method_t;

/* `route "/path";` */
typedef struct cpidl_route {
    cpidl_pos_t pos; /* of the string */
    char *path;      /* starts with '/' */
    const cpidl_actor_t *parent;
    char *leading_comment;
} cpidl_route_t;

typedef enum cpidl_actor_kind {
    CPIDL_ACTOR = 0,   /* `actor Name { ... }` */
    CPIDL_SERVICE = 1, /* `service Name { ... }`: rpc methods only */
} cpidl_actor_kind_t;

typedef enum cpidl_mailbox_policy {
    CPIDL_MAILBOX_REJECT = 0,
    CPIDL_MAILBOX_DROP_OLDEST = 1,
} cpidl_mailbox_policy_t;

struct cpidl_actor {
    cpidl_pos_t pos; /* of the name */
    char *name;
    char *full_name; /* ".pkg.Name" */
    const cpidl_file_t *file;
    cpidl_actor_kind_t kind;
    cpidl_handler_t **handlers; /* `on`, source order */
    size_t n_handlers;
    cpidl_method_t **methods; /* `rpc`, source order */
    size_t n_methods;
    cpidl_route_t **routes; /* `route`, source order */
    size_t n_routes;
    bool deprecated;
    /* `option mailbox = N;` (1..2147483648): the generated spawn bounds the
     * process's mailbox at N events (0: no option, unbounded), with
     * `option mailbox_policy = reject | drop_oldest;` (default reject; see
     * cproc/mailbox.h). Actors only. */
    uint32_t mailbox;
    cpidl_mailbox_policy_t mailbox_policy;
    /* `option loop_turns = true;`: every process the generated spawn
     * creates calls cp_process_set_loop_turns(self, true) in its generated
     * initialize, before any handler (default false). Actors only. */
    bool loop_turns;
    cpidl_option_t **options;
    size_t n_options;
    char *leading_comment;
};

typedef enum cpidl_import_kind {
    CPIDL_IMPORT_NORMAL = 0,
    CPIDL_IMPORT_PUBLIC = 1,
    CPIDL_IMPORT_WEAK = 2,
} cpidl_import_kind_t;

typedef struct cpidl_import {
    cpidl_pos_t pos; /* of the string */
    char *name;      /* as written: "google/protobuf/empty.proto" */
    cpidl_import_kind_t kind;
    const cpidl_file_t *file; /* the loaded file */
} cpidl_import_t;

struct cpidl_file {
    char *path; /* as opened: "/usr/include/google/protobuf/empty.proto" */
    char *name; /* import name ("google/protobuf/empty.proto"), or the path given */
    cpidl_syntax_t syntax;
    bool has_syntax; /* a `syntax` statement was written */
    char *package;   /* "" when none */
    cpidl_pos_t package_pos;
    cpidl_import_t **imports;
    size_t n_imports;
    cpidl_option_t **options;
    size_t n_options;
    cpidl_message_t **messages; /* top level, source order */
    size_t n_messages;
    cpidl_enum_t **enums; /* top level, source order */
    size_t n_enums;
    cpidl_actor_t **actors; /* actors and services, source order */
    size_t n_actors;
    /* Every message and enum of the file, nested ones included, in
     * pre-order and source order: an outer message before its nested
     * types, a map entry where its map field is declared. */
    cpidl_message_t **all_messages;
    size_t n_all_messages;
    cpidl_enum_t **all_enums;
    size_t n_all_enums;
    /* The file's bytes (for diagnostics); not NUL-terminated. */
    const char *source;
    size_t source_len;
};

typedef struct cpidl_program {
    cpidl_file_t *main; /* the file passed to cpidl_load() */
    /* Every loaded file, each once, dependencies before the files that
     * import them; main is last. */
    cpidl_file_t **files;
    size_t n_files;
    unsigned n_warnings; /* warnings reported while loading */
} cpidl_program_t;

#ifdef __cplusplus
}
#endif

#endif
